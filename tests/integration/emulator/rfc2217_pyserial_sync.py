#!/usr/bin/python3
"""Independent RFC 2217 client check: pyserial's rfc2217:// client opens a virtual device, sets the
baud, does esptool's ClassicReset with DTR/RTS into download mode and exchanges a SYNC.
Usage: rfc2217_pyserial_sync.py rfc2217://127.0.0.1:PORT. Exit status 0 on success."""
import sys
import time

import serial


def slip(payload: bytes) -> bytes:
    return b"\xc0" + payload.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc") + b"\xc0"


def read_frames(port, count, timeout=3.0):
    frames, current, in_frame, deadline = [], bytearray(), False, time.time() + timeout
    while len(frames) < count and time.time() < deadline:
        data = port.read(1)
        if not data:
            continue
        b = data[0]
        if not in_frame:
            in_frame = b == 0xC0
            continue
        if b == 0xC0:
            if current:
                frames.append(bytes(current).replace(b"\xdb\xdc", b"\xc0").replace(b"\xdb\xdd", b"\xdb"))
                current, in_frame = bytearray(), False
            continue
        current.append(b)
    return frames


def main() -> int:
    port = serial.serial_for_url(sys.argv[1], baudrate=115200, timeout=0.2)
    port.baudrate = 460800  # SET-BAUDRATE must be acknowledged or pyserial raises
    # esptool ClassicReset: IO0 high + EN low, then IO0 low + EN high, then release IO0.
    port.dtr = False
    port.rts = True
    time.sleep(0.1)
    port.dtr = True
    port.rts = False
    time.sleep(0.05)
    port.dtr = False
    time.sleep(0.05)
    banner = port.read(4096)
    if b"waiting for download" not in banner:
        print("no download-mode banner:", banner, file=sys.stderr)
        return 1
    port.reset_input_buffer()  # PURGE-DATA
    sync = b"\x00\x08\x24\x00\x00\x00\x00\x00" + b"\x07\x07\x12\x20" + b"\x55" * 32
    port.write(slip(sync))
    frames = read_frames(port, 8)
    if len(frames) != 8:
        print("expected 8 SYNC responses, got", len(frames), file=sys.stderr)
        return 1
    for frame in frames:
        if frame[:2] != b"\x01\x08" or frame[4:8] == b"\x00\x00\x00\x00" or frame[8:] != b"\x00" * 4:
            print("bad SYNC response", frame.hex(), file=sys.stderr)
            return 1
    port.close()
    print("rfc2217 sync ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
