#!/usr/bin/env python3
"""bench/flash: espfab write-flash against espfab-emu with the realtime link model; prints ratios.

  flash_bench.py --espfab BUILD/apps/espfab/espfab --emu BUILD/apps/espfab-emu/espfab-emu [--quick]
                 --esptool-js-modules DIR [--emu-arg=--sector-erase-ms=30 ...]

For each baud rate and image set (bootloader + partition table + app) it measures the wall time of
`espfab write-flash` from process start to "hash verified" (connect, CHANGE_BAUDRATE, stub upload,
compressed write, MD5 of every region) and divides it by the wire lower bound: the bytes that must
cross the link (zlib level 9 data, SLIP escapes, packet framing) at baud/10 bytes per second.
espfab runs with its defaults: the flasher stub it finds itself (scripts/setup installs
esptool-js's; `espfab --version` says which, and the bench prints it), or, when it finds none, the
stub of --esptool-js-modules (a node_modules holding esptool-js 0.7.0, e.g. the one ctest's
e2e.esptool_js.install puts into the build tree) through ESPFAB_STUB (espfab-emu runs published
stubs only). The same directory's esptool-js main() + writeFlash (compressed, MD5 checked, its
defaults) is timed on the same images: defaults against defaults.
Then N fixtures at once (1, 4, 16): aggregate throughput / (N x one fixture) and station CPU seconds
per MiB written. --quick (CI): 921600 baud, 1 MiB app, N = 1 and 4.
"""
import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

STUB_BLOCK = 0x4000
HERE = os.path.dirname(os.path.abspath(__file__))
SHIM = os.path.join(HERE, "..", "..", "tests", "e2e", "esptool-js", "tcp_serial_port.mjs")


def firmware_like(size, seed):
    """Deterministic bytes that compress about as well as an ESP-IDF app (runs and noise)."""
    rng = random.Random(seed)
    out = bytearray()
    while len(out) < size:
        run = rng.randint(1, 96)
        if rng.random() < 0.55:
            out += bytes([rng.randrange(256)]) * run
        else:
            out += rng.randbytes(run)
    return bytes(out[:size])


def emu_flag(extra, name, default):
    """Value of --name=V or --name V among the extra espfab-emu arguments."""
    for i, arg in enumerate(extra):
        if arg.startswith(f"--{name}="):
            return float(arg.split("=", 1)[1])
        if arg == f"--{name}" and i + 1 < len(extra):
            return float(extra[i + 1])
    return default


def erase_ops(offset, size):
    """(blocks, sectors) the stub erases for one region: a 64 KiB block where the next sector starts a
    block and at least a block is left, a 4 KiB sector otherwise (esptool's stub erase-ahead)."""
    at = offset // 0x1000 * 0x1000
    end = (offset + size + 0xFFF) // 0x1000 * 0x1000
    blocks = sectors = 0
    while at < end:
        if at % 0x10000 == 0 and end - at >= 0x10000:
            blocks += 1
            at += 0x10000
        else:
            sectors += 1
            at += 0x1000
    return blocks, sectors


def flash_bound(images, extra):
    """What the emulated flash chip needs at least: erase every touched block/sector, program every byte."""
    blocks = sectors = 0
    for offset, data in images.items():
        b, s = erase_ops(offset, len(data))
        blocks += b
        sectors += s
    erase = (sectors * emu_flag(extra, "sector-erase-ms", 30) + blocks * emu_flag(extra, "block-erase-ms", 150)) / 1000
    program = sum(len(d) for d in images.values()) / (emu_flag(extra, "flash-write-kbps", 400) * 1000)
    return erase + program


def slip_size(payload):
    return 2 + len(payload) + payload.count(b"\xc0") + payload.count(b"\xdb")


def wire_bytes(images):
    """Host-to-chip bytes of the compressed data frames: 8-byte header + 16-byte data header per block."""
    total = 0
    for data in images.values():
        stream = zlib.compress(data, 9)
        for offset in range(0, len(stream), STUB_BLOCK):
            chunk = stream[offset:offset + STUB_BLOCK]
            header = bytes(8) + len(chunk).to_bytes(4, "little") + (offset // STUB_BLOCK).to_bytes(4, "little") + bytes(8)
            total += slip_size(header + chunk)
    return total


class Emulator:
    def __init__(self, emu, devices, extra):
        self.proc = subprocess.Popen([emu, "--devices", str(devices), "--protocol", "socket", "--port", "0",
                                      "--realtime", "on", *extra], stdout=subprocess.PIPE, text=True)
        self.urls = [json.loads(self.proc.stdout.readline())["url"] for _ in range(devices)]

    def close(self):
        self.proc.terminate()
        self.proc.wait()


def write_args(images, paths):
    args = []
    for address in sorted(images):
        args += [hex(address), paths[address]]
    return args


def espfab_env(espfab, stub):
    """The environment espfab runs in: its defaults (the flasher stub it finds itself, as `espfab
    --version` says), or ESPFAB_STUB=`stub` when it finds none (scripts/setup not run)."""
    env = dict(os.environ)
    version = subprocess.run([espfab, "--version"], capture_output=True, text=True).stdout.strip().splitlines()
    loader = version[-1] if version else ""
    if "ROM loader" in loader:
        env["ESPFAB_STUB"] = stub
        print(f"espfab found no flasher stub of its own ({loader}); ESPFAB_STUB={stub}\n")
    else:
        print(f"espfab with its defaults: {loader}\n")
    return env


def run_espfab(espfab, url, baud, env, images, paths):
    cmd = [espfab, "write-flash", "--port", url, "--baud", str(baud), "--before", "no_reset", "--after",
           "no_reset", "--json", *write_args(images, paths)]
    start = time.monotonic()
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.monotonic() - start
    if result.returncode != 0:
        sys.exit(f"espfab failed ({result.returncode}): {result.stdout}{result.stderr}")
    regions = json.loads(result.stdout)["regions"]
    if not all(r["verified"] for r in regions):
        sys.exit(f"espfab did not verify every region: {result.stdout}")
    return elapsed


ESPTOOL_JS = r"""
import { ESPLoader, Transport } from "esptool-js";
import { TcpSerialPort } from "%SHIM%";
import fs from "node:fs";
import crypto from "node:crypto";
const [url, baud, ...pairs] = process.argv.slice(2);
const m = /^socket:\/\/([^:]+):(\d+)$/.exec(url);
const files = [];
for (let i = 0; i < pairs.length; i += 2) files.push({ address: Number(pairs[i]), data: new Uint8Array(fs.readFileSync(pairs[i + 1])) });
const terminal = { clean() {}, writeLine() {}, write() {} };
const start = process.hrtime.bigint();
const transport = new Transport(new TcpSerialPort(m[1], Number(m[2])), false);
const loader = new ESPLoader({ transport, baudrate: Number(baud), terminal, debugLogging: false });
await loader.main("no_reset");
let verified = true;
await loader.writeFlash({ fileArray: files, flashSize: "keep", flashMode: "keep", flashFreq: "keep", eraseAll: false,
  compress: true, calculateMD5Hash: (b) => crypto.createHash("md5").update(b).digest("hex") });
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
await transport.disconnect();
console.log(JSON.stringify({ seconds }));
process.exit(0);
"""


def run_esptool_js(modules, work, url, baud, images, paths):
    script = os.path.join(work, "esptool_js_write.mjs")
    with open(script, "w") as f:
        f.write(ESPTOOL_JS.replace("%SHIM%", os.path.abspath(SHIM)))
    link = os.path.join(work, "node_modules")
    if not os.path.exists(link):
        os.symlink(os.path.abspath(modules), link)
    result = subprocess.run(["node", script, url, str(baud), *write_args(images, paths)], capture_output=True,
                            text=True, cwd=work, timeout=1800)
    if result.returncode != 0:
        sys.exit(f"esptool-js failed: {result.stdout}{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])["seconds"]


def published_stub(modules):
    """esptool-js 0.7.0's ESP32-S3 flasher stub JSON in `modules` (a node_modules directory)."""
    path = os.path.join(modules or "", "esptool-js", "lib", "targets", "stub_flasher", "esp32s3.json")
    if not modules or not os.path.isfile(path):
        sys.exit("needs --esptool-js-modules with esptool-js 0.7.0 (ctest -R esptool_js.install installs it): "
                 "espfab-emu runs published flasher stubs only")
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--espfab", required=True)
    parser.add_argument("--emu", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--esptool-js-modules", help="node_modules directory with esptool-js 0.7.0")
    parser.add_argument("--emu-arg", action="append", default=[], help="extra espfab-emu argument")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="flash-bench-")
    try:
        # The emulator runs published flasher stubs only: esptool-js 0.7.0's ESP32-S3 stub.
        stub = published_stub(args.esptool_js_modules)
        env = espfab_env(args.espfab, stub)
        boot = firmware_like(24 * 1024, 1)
        table = firmware_like(3 * 1024, 2)
        sets = {"bootloader+pt+1MiB app": {0x0: boot, 0x8000: table, 0x10000: firmware_like(1 << 20, 3)}}
        if not args.quick:
            sets["4MiB app"] = {0x10000: firmware_like(4 << 20, 4)}
        bauds = [921600] if args.quick else [115200, 921600, 2000000]
        paths = {}
        for name, images in sets.items():
            for address, data in images.items():
                path = os.path.join(work, f"{abs(hash(name))}-{address:x}.bin")
                with open(path, "wb") as f:
                    f.write(data)
                paths[(name, address)] = path

        print("| images | baud | wire bytes | wire bound s | flash bound s | espfab s | espfab/wire bound | "
              "espfab/max(bounds) | esptool-js s | espfab/esptool-js |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        single = {}
        for name, images in sets.items():
            set_paths = {a: paths[(name, a)] for a in images}
            wire = wire_bytes(images)
            chip = flash_bound(images, args.emu_arg)
            for baud in bauds:
                emu = Emulator(args.emu, 1, args.emu_arg)
                try:
                    seconds = run_espfab(args.espfab, emu.urls[0], baud, env, images, set_paths)
                finally:
                    emu.close()
                bound = wire / (baud / 10)
                single[(name, baud)] = seconds
                js = "-"
                js_ratio = "-"
                if args.esptool_js_modules and os.path.isdir(os.path.join(args.esptool_js_modules, "esptool-js")) \
                        and shutil.which("node"):
                    emu = Emulator(args.emu, 1, args.emu_arg)
                    try:
                        js_seconds = run_esptool_js(args.esptool_js_modules, work, emu.urls[0], baud, images, set_paths)
                    finally:
                        emu.close()
                    js = f"{js_seconds:.2f}"
                    js_ratio = f"{seconds / js_seconds:.2f}"
                print(f"| {name} | {baud} | {wire} | {bound:.2f} | {chip:.2f} | {seconds:.2f} | {seconds / bound:.2f} | "
                      f"{seconds / max(bound, chip):.2f} | {js} | {js_ratio} |", flush=True)

        name = next(iter(sets))
        images = sets[name]
        set_paths = {a: paths[(name, a)] for a in images}
        total = sum(len(d) for d in images.values())
        baud = 921600
        print("\n| fixtures | wall s | aggregate MiB/s | aggregate / (N x one) | station CPU s per MiB |")
        print("|---|---|---|---|---|")
        one_rate = total / single[(name, baud)]
        for n in ([1, 4] if args.quick else [1, 4, 16]):
            emu = Emulator(args.emu, n, args.emu_arg)
            try:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.monotonic()
                procs = [subprocess.Popen([args.espfab, "write-flash", "--port", url, "--baud", str(baud), "--before",
                                           "no_reset", "--after", "no_reset", *write_args(images, set_paths)],
                                          stdout=subprocess.DEVNULL, env=env)
                         for url in emu.urls]
                codes = [p.wait() for p in procs]
                wall = time.monotonic() - start
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
            finally:
                emu.close()
            if any(codes):
                sys.exit(f"a fixture failed: exit codes {codes}")
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            rate = n * total / wall
            mib = n * total / (1 << 20)
            print(f"| {n} | {wall:.2f} | {rate / (1 << 20):.3f} | {rate / (n * one_rate):.2f} | {cpu / mib:.3f} |",
                  flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
