#!/usr/bin/python3
"""Independent RFC 2217 client check of the modem lines and the Telnet BINARY option: pyserial's
rfc2217:// client reads CTS, DSR, RI and CD (it raises "remote sends no NOTIFY_MODEMSTATE" unless the
server has sent the modem state), once from the notification the server sends when COM-PORT-OPTION
is agreed and once by polling (?poll_modem); BINARY (RFC 856) is on in both directions.
Usage: rfc2217_pyserial_lines.py rfc2217://127.0.0.1:PORT. Exit status 0 on success."""
import sys

import serial


def check(url: str) -> bool:
    port = serial.serial_for_url(url, baudrate=115200, timeout=0.2)
    try:
        lines = {"cts": port.cts, "dsr": port.dsr, "ri": port.ri, "cd": port.cd}
        if any(lines.values()):
            print(url, "unexpected active modem lines", lines, file=sys.stderr)
            return False
        # pyserial keeps its Telnet option states in _telnet_options; both BINARY directions.
        binary = {o.name: o.active for o in port._telnet_options if "BINARY" in o.name}
        if len(binary) != 2 or not all(binary.values()):
            print(url, "BINARY not negotiated both ways:", binary, file=sys.stderr)
            return False
    finally:
        port.close()
    return True


def main() -> int:
    url = sys.argv[1]
    if not check(url) or not check(url + "?poll_modem"):
        return 1
    print("rfc2217 lines ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
