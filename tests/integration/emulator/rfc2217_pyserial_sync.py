#!/usr/bin/python3
"""Independent RFC 2217 client check: pyserial's rfc2217:// client opens a virtual device at
115200, does esptool's ClassicReset with DTR/RTS into download mode (the banner comes at 115200),
then syncs at 460800: the ROM detects the rate on the SYNC pattern and answers at it (serial
protocol spec 4.1). A reset puts the chip back at 115200, so a host left at 460800 cannot read the
banner, and its next SYNC is detected again.
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


def classic_reset(port):
    # esptool ClassicReset: IO0 high + EN low, then IO0 low + EN high, then release IO0.
    port.dtr = False
    port.rts = True
    time.sleep(0.1)
    port.dtr = True
    port.rts = False
    time.sleep(0.05)
    port.dtr = False
    time.sleep(0.05)
    return port.read(4096)


def command(port, op, data=b"", count=1):
    port.write(slip(bytes([0, op]) + len(data).to_bytes(2, "little") + b"\0" * 4 + data))
    return read_frames(port, count)


def sync(port):
    frames = command(port, 0x08, b"\x07\x07\x12\x20" + b"\x55" * 32, 8)
    if len(frames) != 8:
        print("expected 8 SYNC responses at", port.baudrate, "got", len(frames), file=sys.stderr)
        return False
    for frame in frames:
        if frame[:2] != b"\x01\x08" or frame[4:8] == b"\x00\x00\x00\x00" or frame[8:] != b"\x00" * 4:
            print("bad SYNC response", frame.hex(), file=sys.stderr)
            return False
    return True


def main() -> int:
    port = serial.serial_for_url(sys.argv[1], baudrate=115200, timeout=0.2)
    banner = classic_reset(port)
    if b"waiting for download" not in banner:
        print("no download-mode banner at 115200:", banner, file=sys.stderr)
        return 1
    port.baudrate = 460800  # SET-BAUDRATE must be acknowledged or pyserial raises
    port.reset_input_buffer()  # PURGE-DATA
    if not sync(port):
        return 1
    # The chip stays at the detected rate: a READ_REG of the chip-detect magic answers at 460800.
    frames = command(port, 0x0A, (0x40001000).to_bytes(4, "little"))
    if len(frames) != 1 or frames[0][:2] != b"\x01\x0a":
        print("no READ_REG answer at 460800:", frames, file=sys.stderr)
        return 1
    # A reset puts the chip's UART back at 115200: a host at 460800 reads no banner...
    banner = classic_reset(port)
    if b"waiting for download" in banner:
        print("banner readable at 460800 after a reset; the chip must be back at 115200", file=sys.stderr)
        return 1
    # ...and the ROM detects the rate again on the next SYNC.
    if not sync(port):
        return 1
    port.close()
    print("rfc2217 sync ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
