#!/usr/bin/env python3
"""bench/station: devices per hour of the whole station (`espfab run`, all 14 steps) against
espfab-emu with its realtime link model at 921600 baud and a 1 MiB production app, for 1, 4 and 16
fixtures; the ratio to the wire-bound rate; station CPU seconds per device. Prints, never fails on
a ratio. --quick: 1 and 4 fixtures (CI, label bench). The stub runs upload esptool-js 0.7.0's
ESP32-S3 stub from --esptool-js-modules (espfab-emu runs published flasher stubs only).
--auto-baud: devices/hour with `baud = "auto"` (every adapter's maximum 3 Mbaud, espfab-emu
--adapter-max-baud) against a fixed 921600, same fixtures and loader, and their ratio."""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zlib

BAUD = 921600
ROM_CONSOLE_BAUD = 115200
ESC = (0xC0, 0xDB)


def slip_bytes(data):
    """Bytes on the wire for data sent in 0x400-byte ROM blocks: escapes + 16-byte block headers +
    8-byte command header + 2 frame ends per block."""
    blocks = (len(data) + 0x3FF) // 0x400
    escapes = sum(data.count(bytes([b])) for b in ESC)
    return len(data) + escapes + blocks * (16 + 8 + 2)


def wire_seconds(profile_dir):
    """Lower bound per device: factory firmware compressed, production firmware raw (host-encrypted
    data does not compress), at BAUD; host-to-device bytes only, no turnaround, no boots."""
    images = os.path.join(profile_dir, "images")
    read = lambda name: open(os.path.join(images, name), "rb").read()
    boot, factory, app = read("bootloader-signed.bin"), read("factory-test.bin"), read("production-app-signed.bin")
    table = 0xC00
    compressed = sum(slip_bytes(zlib.compress(x, 9)) for x in (boot, bytes(table), factory))
    raw = sum(slip_bytes(bytes(len(x))) for x in (boot, bytes(table), bytes(0x2000), bytes(0x2000), app, bytes(0x1000)))
    return (compressed + raw) / (BAUD / 10)


class Emulator:
    def __init__(self, emu, devices, state, extra=()):
        self.proc = subprocess.Popen([emu, "--devices", str(devices), "--protocol", "rfc2217", "--port", "0",
                                      "--state-dir", state, "--realtime", "on", *extra],
                                     stdout=subprocess.PIPE, text=True)
        self.urls = [json.loads(self.proc.stdout.readline())["url"] for _ in range(devices)]

    def close(self):
        self.proc.terminate()
        self.proc.wait()


def run_station(espfab, emu, work, profile, n, emu_args=()):
    state = os.path.join(work, "bench-devices")  # blank chips every run
    subprocess.run(["rm", "-rf", state], check=True)
    os.makedirs(state)
    subprocess.run(["rm", "-rf", os.path.join(work, "station-data")], check=True)
    emulator = Emulator(emu, n, state, emu_args)
    try:
        cmd = [espfab, "--log-level", "error", "run", "--profile", profile, "--count", str(n), "--json",
               "--no-rehearsal"]
        for url in emulator.urls:
            cmd += ["--port", url]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        out = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        emulator.close()
    if out.returncode != 0:
        sys.exit(f"espfab run failed ({out.returncode}): {out.stderr[-2000:]}")
    summary = json.loads(out.stdout)
    provisioned = sum(1 for d in summary["devices"] if d["result"] == "provisioned")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, provisioned, cpu


def with_stub(profile, work, modules):
    """A copy of the profile whose [station] uploads a flasher stub: esptool-js 0.7.0's ESP32-S3
    stub from `modules` (a node_modules directory; espfab-emu runs published stubs only)."""
    stub = os.path.join(modules or "", "esptool-js", "lib", "targets", "stub_flasher", "esp32s3.json")
    if not modules or not os.path.isfile(stub):
        sys.exit("needs --esptool-js-modules with esptool-js 0.7.0 (ctest -R esptool_js.install installs it)")
    text = open(profile).read().replace("[station]\n", '[station]\nstub = "%s"\n' % os.path.abspath(stub), 1)
    copy = os.path.join(work, "station-stub.toml")
    with open(copy, "w") as f:
        f.write(text)
    return copy


def with_auto_baud(profile, work):
    """A copy of the profile with `[fixtures] baud = "auto"` instead of its fixed [station] rate."""
    text = open(profile).read().replace("baud = %d\n" % BAUD, "", 1) + '\n[fixtures]\nbaud = "auto"\n'
    copy = os.path.join(work, os.path.basename(profile).replace(".toml", "-auto.toml"))
    with open(copy, "w") as f:
        f.write(text)
    return copy


def auto_baud_bench(args, work, profile):
    """devices/hour with auto baud (adapters at most 3 Mbaud) vs fixed 921600, one line each and the
    ratio; the stub's profile when --esptool-js-modules is given (bulk transfers are what the rate
    speeds up), else the ROM loader."""
    base = with_stub(profile, work, args.esptool_js_modules) if args.esptool_js_modules else profile
    loader = "stub" if args.esptool_js_modules else "ROM"
    n = args.fixtures
    adapter = ["--adapter-max-baud", "3000000"]
    print(f"auto baud bench: {n} fixture(s), {loader} loader, adapters at most 3000000 baud, realtime link model")
    print("| rate | devices | wall s | devices/hour |")
    print("|---|---|---|---|")
    rates = {}
    for name, path in (("fixed 921600", base), ("auto", with_auto_baud(base, work))):
        wall, provisioned, _ = run_station(args.espfab, args.emu, work, path, n, adapter)
        rates[name] = provisioned / wall * 3600
        print(f"| {name} | {provisioned}/{n} | {wall:.1f} | {rates[name]:.0f} |", flush=True)
    print(f"devices/hour auto / fixed 921600: {rates['auto'] / max(rates['fixed 921600'], 1e-9):.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--espfab", required=True)
    parser.add_argument("--emu", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--esptool-js-modules", help="node_modules directory with esptool-js 0.7.0 (its stub)")
    parser.add_argument("--auto-baud", action="store_true",
                        help="devices/hour with baud = \"auto\" (adapters at 3 Mbaud) vs fixed 921600, and the ratio")
    parser.add_argument("--fixtures", type=int, default=2, help="--auto-baud: number of fixtures (default 2)")
    args = parser.parse_args()
    fixtures = [1, 4] if args.quick else [1, 4, 16]
    with tempfile.TemporaryDirectory(prefix="espfab-station-bench-") as work:
        subprocess.run([args.espfab, "--log-level", "error", "demo", "--dir", work, "--assets-only", "--app-kib", "1024",
                        "--emulator", args.emu], check=True, capture_output=True)
        profile = os.path.join(work, "station.toml")
        if args.auto_baud:
            auto_baud_bench(args, work, profile)
            return
        wire = wire_seconds(work)
        wire_rate = 3600 / wire
        print(f"station bench: 921600 baud, realtime link model, production app "
              f"{os.path.getsize(os.path.join(work, 'images', 'production-app-signed.bin')) / 1024:.0f} KiB")
        print(f"wire lower bound per device: {wire:.2f} s ({wire_rate:.0f} devices/hour per fixture)")
        print("| loader | fixtures | devices | wall s | devices/hour | per fixture | / wire-bound rate "
              "| station CPU s/device |")
        print("|---|---|---|---|---|---|---|---|")
        for loader, path in (("ROM", profile), ("stub", with_stub(profile, work, args.esptool_js_modules))):
            for n in fixtures:
                wall, provisioned, cpu = run_station(args.espfab, args.emu, work, path, n)
                rate = provisioned / wall * 3600
                print(f"| {loader} | {n} | {provisioned}/{n} | {wall:.1f} | {rate:.0f} | {rate / n:.0f} "
                      f"| {rate / (n * wire_rate):.2f} | {cpu / max(provisioned, 1):.3f} |", flush=True)


if __name__ == "__main__":
    main()
