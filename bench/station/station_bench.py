#!/usr/bin/env python3
"""bench/station: devices per hour of the whole station (`espfab run`, all 14 steps) against
espfab-emu with its realtime link model at 921600 baud and a 1 MiB production app, for 1, 4 and 16
fixtures; the ratio to the wire-bound rate; station CPU seconds per device; the host's share: per
device and per step, station wall time over the time the device was busy (its link moving bytes,
its chip working: espfab-emu's `busy N`), at 921600 and (full run) 2 Mbaud. Prints, never fails on
a ratio. --quick: 1 and 4 fixtures at 921600 (CI, label bench). The stub runs upload esptool-js
0.7.0's ESP32-S3 stub from --esptool-js-modules (espfab-emu runs published flasher stubs only); the
ROM runs set `stub = "none"`. --auto-baud: devices/hour with `baud = "auto"` (every adapter's maximum
3 Mbaud, espfab-emu --adapter-max-baud) against a fixed 921600, same fixtures and loader, and their
ratio. --cpu: station CPU seconds per device at --fixtures fixtures (stub, 921600) and the station's
CPU share (of one core) while those fixtures wait with their provisioned devices still in place."""
import argparse
import datetime
import json
import socket
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
        lines = [json.loads(self.proc.stdout.readline()) for _ in range(devices)]
        self.urls = [line["url"] for line in lines]
        host, port = lines[0]["control"].rsplit(":", 1)
        self.control = (host, int(port))

    def busy(self, index):
        """Device `index`'s busy intervals, [(begin, end)] in seconds of the Unix epoch."""
        with socket.create_connection(self.control) as conn:
            conn.sendall(f"busy {index}\n".encode())
            answer = b""
            while not answer.endswith(b"\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                answer += chunk
        text = answer.decode().strip()
        if not text.startswith("ok "):
            sys.exit(f"espfab-emu: busy {index}: {text}")
        fields = dict(word.split("=", 1) for word in text[3:].split(" "))
        spans = [span.split("-") for span in fields["intervals"].split(",") if span]
        return [(int(a) / 1e6, int(b) / 1e6) for a, b in spans]

    def close(self):
        self.proc.terminate()
        self.proc.wait()


def epoch(iso):
    return datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def overlap(intervals, begin, end):
    return sum(max(0.0, min(b, end) - max(a, begin)) for a, b in intervals)


def host_share(records_dir, devices, emulator):
    """Per device: (steps [(name, wall s, busy s)], device wall s, device busy s), from its record's
    steps and the emulator's busy intervals of the device with that MAC."""
    out = []
    for device in devices:
        if device["result"] != "provisioned":
            continue
        record = json.load(open(os.path.join(records_dir, os.path.basename(device["record"]))))
        index = int(record["mac"].split(":")[-1], 16)  # espfab-emu's default MACs: base + index
        busy = emulator.busy(index)
        steps = []
        for step in record["steps"]:
            begin = epoch(step["started"])
            steps.append((step["name"], step["seconds"], overlap(busy, begin, begin + step["seconds"])))
        first = epoch(record["steps"][0]["started"])
        last = max(epoch(s["started"]) + s["seconds"] for s in record["steps"])
        out.append((steps, last - first, overlap(busy, first, last)))
    return out


def process_cpu_seconds(pid):
    """user + system CPU seconds of a running process so far (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu_share(espfab, profile, urls, seconds):
    """The station's CPU share while every fixture waits: `espfab run` on fixtures whose devices are
    provisioned and locked (each fixture finds its device, skips it, then waits for the next one),
    measured over `seconds` after a settling period."""
    cmd = [espfab, "--log-level", "error", "run", "--profile", profile, "--count", "100000", "--no-rehearsal",
           "--idle-timeout", str(int(seconds + 30))]
    for url in urls:
        cmd += ["--port", url]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(10)  # every fixture has seen its locked device once
        cpu0, t0 = process_cpu_seconds(proc.pid), time.monotonic()
        time.sleep(seconds)
        cpu1, t1 = process_cpu_seconds(proc.pid), time.monotonic()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    return (cpu1 - cpu0) / (t1 - t0)


def run_station(espfab, emu, work, profile, n, emu_args=(), idle_seconds=0):
    state = os.path.join(work, "bench-devices")  # blank chips every run
    subprocess.run(["rm", "-rf", state], check=True)
    os.makedirs(state)
    subprocess.run(["rm", "-rf", os.path.join(work, "station-data")], check=True)
    emulator = Emulator(emu, n, state, emu_args)
    idle = None
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
        if out.returncode != 0:
            sys.exit(f"espfab run failed ({out.returncode}): {out.stderr[-2000:]}")
        summary = json.loads(out.stdout)
        share = host_share(os.path.join(work, "station-data", "records"), summary["devices"], emulator)
        if idle_seconds:
            idle = idle_cpu_share(espfab, profile, emulator.urls, idle_seconds)
    finally:
        emulator.close()
    provisioned = sum(1 for d in summary["devices"] if d["result"] == "provisioned")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if idle_seconds:
        return wall, provisioned, cpu, share, idle
    return wall, provisioned, cpu, share


def stub_path(modules):
    """esptool-js 0.7.0's ESP32-S3 stub from `modules` (a node_modules directory; espfab-emu runs
    published stubs only)."""
    stub = os.path.join(modules or "", "esptool-js", "lib", "targets", "stub_flasher", "esp32s3.json")
    if not modules or not os.path.isfile(stub):
        sys.exit("needs --esptool-js-modules with esptool-js 0.7.0 (ctest -R esptool_js.install installs it)")
    return os.path.abspath(stub)


def variant(profile, work, name, stub, baud):
    """A copy of the profile with [station] stub (a file or "none") and baud set."""
    text = open(profile).read()
    text = "\n".join(line for line in text.split("\n") if not line.startswith(("stub =", "baud =")))
    text = text.replace("[station]\n", '[station]\nstub = "%s"\nbaud = %s\n' % (stub, baud), 1)
    copy = os.path.join(work, f"station-{name}.toml")
    with open(copy, "w") as f:
        f.write(text)
    return copy


def ratio(wall, busy):
    return wall / busy if busy > 0 else float("inf")


def print_steps(label, share):
    """Per step over the devices of one run: station wall s, device busy s, wall / busy."""
    print(f"\nper step, {label} (sum over {len(share)} device(s)):")
    print("| step | station wall s | device busy s | wall / busy |")
    print("|---|---|---|---|")
    totals = {}
    for steps, _, _ in share:
        for name, wall, busy in steps:
            w, b = totals.get(name, (0.0, 0.0))
            totals[name] = (w + wall, b + busy)
    for name, (wall, busy) in totals.items():
        print(f"| {name} | {wall:.3f} | {busy:.3f} | {ratio(wall, busy):.2f} |")


def auto_baud_bench(args, work, profile):
    """devices/hour with auto baud (adapters at most 3 Mbaud) vs fixed 921600, one line each and the
    ratio, with the flasher stub (bulk transfers are what the rate speeds up)."""
    stub = stub_path(args.esptool_js_modules)
    n = args.fixtures
    adapter = ["--adapter-max-baud", "3000000"]
    print(f"auto baud bench: {n} fixture(s), stub loader, adapters at most 3000000 baud, realtime link model")
    print("| rate | devices | wall s | devices/hour |")
    print("|---|---|---|---|")
    rates = {}
    for name, baud in (("fixed 921600", BAUD), ("auto", '"auto"')):
        path = variant(profile, work, "auto" if baud != BAUD else "fixed", stub, baud)
        wall, provisioned, _, _ = run_station(args.espfab, args.emu, work, path, n, adapter)
        rates[name] = provisioned / wall * 3600
        print(f"| {name} | {provisioned}/{n} | {wall:.1f} | {rates[name]:.0f} |", flush=True)
    print(f"devices/hour auto / fixed 921600: {rates['auto'] / max(rates['fixed 921600'], 1e-9):.2f}")


def cpu_bench(args, work, profile):
    """Station CPU per device at --fixtures fixtures (stub, 921600, realtime link model) and the
    station's CPU share while those fixtures wait (devices provisioned and left in place)."""
    stub = stub_path(args.esptool_js_modules)
    n = args.fixtures
    path = variant(profile, work, "cpu", stub, BAUD)
    wall, provisioned, cpu, _, idle = run_station(args.espfab, args.emu, work, path, n, idle_seconds=30)
    print(f"cpu bench: {n} fixture(s), stub loader, {BAUD} baud, realtime link model")
    print("| fixtures | devices | wall s | station CPU s | CPU s/device | CPU share while waiting (of one core) |")
    print("|---|---|---|---|---|---|")
    print(f"| {n} | {provisioned}/{n} | {wall:.1f} | {cpu:.3f} | {cpu / max(provisioned, 1):.3f} | {idle * 100:.2f} % |")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--espfab", required=True)
    parser.add_argument("--emu", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--esptool-js-modules", help="node_modules directory with esptool-js 0.7.0 (its stub)")
    parser.add_argument("--auto-baud", action="store_true",
                        help="devices/hour with baud = \"auto\" (adapters at 3 Mbaud) vs fixed 921600, and the ratio")
    parser.add_argument("--cpu", action="store_true",
                        help="station CPU per device at --fixtures fixtures (stub, 921600) and its CPU share "
                             "while those fixtures wait")
    parser.add_argument("--fixtures", type=int, default=2,
                        help="--auto-baud, --cpu: number of fixtures (default 2)")
    args = parser.parse_args()
    fixtures = [1, 4] if args.quick else [1, 4, 16]
    bauds = [BAUD] if args.quick else [BAUD, 2000000]
    stub = stub_path(args.esptool_js_modules)
    with tempfile.TemporaryDirectory(prefix="espfab-station-bench-") as work:
        subprocess.run([args.espfab, "--log-level", "error", "demo", "--dir", work, "--assets-only", "--app-kib", "1024",
                        "--emulator", args.emu], check=True, capture_output=True)
        profile = os.path.join(work, "station.toml")
        if args.auto_baud:
            auto_baud_bench(args, work, profile)
            return
        if args.cpu:
            cpu_bench(args, work, profile)
            return
        wire = wire_seconds(work)
        wire_rate = 3600 / wire
        print(f"station bench: realtime link model, production app "
              f"{os.path.getsize(os.path.join(work, 'images', 'production-app-signed.bin')) / 1024:.0f} KiB")
        print(f"wire lower bound per device at {BAUD}: {wire:.2f} s ({wire_rate:.0f} devices/hour per fixture)")
        print("| loader | baud | fixtures | devices | wall s | devices/hour | per fixture | / wire-bound rate "
              "| station CPU s/device | device wall / busy (mean, max) |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        step_tables = []
        for baud in bauds:
            for loader, path in (("ROM", "none"), ("stub", stub)):
                copy = variant(profile, work, f"{loader}-{baud}", path, baud)
                for n in fixtures if baud == BAUD else [1]:
                    wall, provisioned, cpu, share = run_station(args.espfab, args.emu, work, copy, n)
                    rate = provisioned / wall * 3600
                    ratios = [ratio(w, b) for _, w, b in share] or [float("nan")]
                    wire_ratio = f"{rate / (n * wire_rate):.2f}" if baud == BAUD else "–"
                    print(f"| {loader} | {baud} | {n} | {provisioned}/{n} | {wall:.1f} | {rate:.0f} | {rate / n:.0f} "
                          f"| {wire_ratio} | {cpu / max(provisioned, 1):.3f} "
                          f"| {sum(ratios) / len(ratios):.3f}, {max(ratios):.3f} |", flush=True)
                    if n == 1:
                        step_tables.append((f"{loader} at {baud}", share))
        for label, share in step_tables:
            print_steps(label, share)


if __name__ == "__main__":
    main()
