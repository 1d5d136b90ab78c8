#!/usr/bin/env python3
"""bench/faults: a fault campaign against the whole station (`espfab run`) on espfab-emu.

Each trial provisions DEVICES fresh virtual chips with one injected fault: an emulator knob on one
device (a cable that dies or flips bits, a power loss during an eFuse program cycle, a board that
fails its test, no flash, another chip), kill -9 of the station or of the emulator at a random
moment, or a full disk (every file the station writes limited with prlimit --fsize). Then the
fault is taken away (knobs cleared, the emulator restarted on the same state, the disk freed) and
the operator's path is followed: `espfab run` again (auto_resume), `espfab device resume` for what
is still faulted, `espfab run` once more. The invariants are checked after every trial:

  bricked      0 chips that cannot boot the product although the station did not say fault
  duplicates   0 serials or certificates issued twice in the station DB
  audit        `espfab audit verify` passes: the hash chain, and every burn and certificate the DB
               and the CA index know of has its audit lines
  settled      every device provisioned, rejected with no security eFuse burned, or a fault whose
               cause the injected fault explains (a half-burned eFuse block, no flash)

Prints a table per fault class (trials, invariants held); exits 1 if any invariant broke.
Fixed seed: the same campaign every run. --quick: about two minutes (CI, label bench); the full
campaign (--trials 1000) takes hours and is not in the default run.
"""
import argparse
import collections
import concurrent.futures
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

DEVICES = 2
KNOBS = {
    "drop_after": lambda r: f"drop_after={r.choice([30000, 120000, 400000, 900000])}",
    "bitflip": lambda r: f"bitflip={r.choice([200, 1000, 3000])}",
    "efuse_power_loss": lambda r: f"efuse_power_loss={r.randint(1, 6)}",
    # The demo profile burns 8 batches, one program cycle each; the 8th is the final lock.
    "drop_after_burn": lambda r: f"drop_after_burn={r.randint(1, 8)}",
    "boot_loop": lambda r: "boot_loop",
    "hang_on": lambda r: "hang_on=info",
    "gpio_stuck": lambda r: "gpio_stuck=5:low",
    "sensor_missing": lambda r: "sensor_missing=temp",
    "no_psram": lambda r: "no_psram",
    "wifi_rssi": lambda r: "wifi_rssi=-95",
    "no_flash": lambda r: "no_flash",
    "wrong_chip": lambda r: "wrong_chip",
}
OTHER = ["kill9_station", "kill9_emulator", "disk_full"]
# Faults after which a device may stay a fault for good, and why that is right.
PERMANENT = {"efuse_power_loss": "a half-burned eFuse block", "no_flash": "no flash chip"}


class Emulator:
    """The chips of one trial. Their ports are fixed per trial (a fixture's port does not change
    when the chip behind it is power-cycled), so a restarted emulator answers where it did."""

    def __init__(self, emu, state, faults, base_port):
        args = [emu, "--devices", str(DEVICES), "--protocol", "rfc2217", "--port", str(base_port),
                "--control-port", str(base_port + DEVICES), "--state-dir", state, "--realtime", "off"]
        for index, knobs in faults.items():
            args += ["--fault", f"{index}:{knobs}"]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        lines = [json.loads(self.proc.stdout.readline()) for _ in range(DEVICES)]
        self.urls = [line["url"] for line in lines]
        self.macs = [line.get("mac", "") for line in lines]
        self.control = lines[0].get("control")

    def command(self, text):
        host, port = self.control.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=5) as s:
            s.sendall((text + "\n").encode())
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data.decode(errors="replace")

    def console(self, index, until=b"Returned from app_main()", timeout=10):
        host, port = self.urls[index].split("://", 1)[1].rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=timeout) as s:
            self.command(f"reset boot {index}")
            data, end = b"", time.monotonic() + timeout
            s.settimeout(0.5)
            while until not in data and time.monotonic() < end:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    break
                data += chunk
            return data.decode(errors="replace")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()


def station(espfab, profile, urls, extra=(), prefix=(), kill_after=None):
    cmd = list(prefix) + [espfab, "--log-level", "error", "run", "--profile", profile, "--count", str(len(urls)),
                          "--json", "--no-rehearsal", "--idle-timeout", "8"] + list(extra)
    for url in urls:
        cmd += ["--port", url]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=kill_after if kill_after else 600)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return None, "killed"
    try:
        return json.loads(out), err
    except json.JSONDecodeError:
        return None, err


def espfab_json(espfab, *args):
    out = subprocess.run([espfab, *args, "--json"], capture_output=True, text=True)
    try:
        return out.returncode, json.loads(out.stdout)
    except json.JSONDecodeError:
        return out.returncode, None


def locked(espfab, state, index):
    """True when the chip has a security eFuse burned (Secure Boot on, or flash encryption on: an
    odd number of SPI_BOOT_CRYPT_CNT bits). espefuse's JSON: {FIELD: {"value": ...}}."""
    code, summary = espfab_json(espfab, "efuse", "summary", "--file", os.path.join(state, f"dev{index}", "efuse.bin"))
    if summary is None:
        return True  # unreadable: count it as locked, so the boot check decides
    secure_boot = summary.get("SECURE_BOOT_EN", {}).get("value")
    crypt_cnt = summary.get("SPI_BOOT_CRYPT_CNT", {}).get("value")
    if isinstance(crypt_cnt, str) and crypt_cnt in ("Enable", "Disable"):
        encrypted = crypt_cnt == "Enable"
    else:
        encrypted = bin(int(crypt_cnt, 0) if isinstance(crypt_cnt, str) else int(crypt_cnt or 0)).count("1") % 2 == 1
    return bool(secure_boot) or encrypted


def trial(args, assets, rng, fault, work, base_port):
    """One trial; returns {invariant: bool} and a note."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(assets, work)
    profile = os.path.join(work, "station.toml")
    state = os.path.join(work, "devices")
    os.makedirs(state, exist_ok=True)
    victim = rng.randrange(DEVICES)
    knobs = {victim: KNOBS[fault](rng)} if fault in KNOBS else {}
    emulator = Emulator(args.emu, state, knobs, base_port)
    try:
        if fault == "kill9_station":
            station(args.espfab, profile, emulator.urls, kill_after=rng.uniform(0.3, 6.0))
        elif fault == "kill9_emulator":
            killer_delay = rng.uniform(0.3, 6.0)
            proc = subprocess.Popen([args.espfab, "--log-level", "error", "run", "--profile", profile, "--count",
                                     str(DEVICES), "--json", "--no-rehearsal", "--idle-timeout", "5"]
                                    + sum((["--port", u] for u in emulator.urls), []),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(killer_delay)
            emulator.kill()
            proc.communicate(timeout=600)
            emulator = Emulator(args.emu, state, {}, base_port)
        elif fault == "disk_full":
            limit = rng.choice([96, 160, 256, 512]) * 1024
            station(args.espfab, profile, emulator.urls,
                    prefix=["bash", "-c", f"trap '' XFSZ; exec prlimit --fsize={limit} \"$0\" \"$@\""])
        else:
            station(args.espfab, profile, emulator.urls)
        # The fault is gone; the operator's path.
        for index in range(DEVICES):
            emulator.command(f"fault {index} clear")
        station(args.espfab, profile, emulator.urls)
        _, report = espfab_json(args.espfab, "report", "--profile", profile)
        for device in report or []:
            if device.get("status") in ("fault", "in_progress"):
                subprocess.run([args.espfab, "device", "resume", device["mac"], "--profile", profile, "--reason",
                                "fault campaign: fault removed"], capture_output=True)
        station(args.espfab, profile, emulator.urls)
        _, report = espfab_json(args.espfab, "report", "--profile", profile)
        report = report or []
        status = {d["mac"]: d for d in report}
        held = {}
        # duplicates
        serials = [d["serial"] for d in report if d.get("serial")]
        certs = [d["certificate_sha256"] for d in report if d.get("certificate_sha256")]
        held["duplicates"] = len(serials) == len(set(serials)) and len(certs) == len(set(certs))
        # audit
        code, _ = espfab_json(args.espfab, "audit", "verify", "--profile", profile)
        held["audit"] = code == 0
        # bricked and settled, per chip
        bricked_ok, settled_ok, notes = True, True, []
        for index in range(DEVICES):
            mac = emulator.macs[index]
            device = status.get(mac, {"status": "unseen"})
            is_locked = locked(args.espfab, state, index)
            if is_locked and device["status"] != "fault":
                console = emulator.console(index)
                if "espfab_identity: serial=" not in console:
                    bricked_ok = False
                    notes.append(f"dev{index} locked, {device['status']}, does not boot the product")
            if device["status"] == "provisioned":
                continue
            if device["status"] == "rejected" and not is_locked:
                continue
            if device["status"] in ("skipped", "unseen") and fault == "wrong_chip" and index == victim:
                continue
            if device["status"] == "fault" and fault in PERMANENT and index == victim:
                continue
            settled_ok = False
            notes.append(f"dev{index} {device['status']} ({device.get('reason', '')[:120]})")
        held["bricked"] = bricked_ok
        held["settled"] = settled_ok
        return held, "; ".join(notes)
    finally:
        emulator.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--espfab", required=True)
    parser.add_argument("--emu", required=True)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--quick", action="store_true", help="about two minutes")
    parser.add_argument("--seconds", type=float, help="stop starting trials after this long")
    parser.add_argument("--jobs", type=int, default=1,
                        help="trials run side by side (each has its own emulator, data dir and chips); the "
                             "campaign is the same for any value: trial N's fault and draws come from the seed")
    parser.add_argument("--log", help="append one JSON line per finished trial to this file (progress, and the "
                                      "record of a campaign that is stopped before its end)")
    parser.add_argument("--only", type=int, action="append", metavar="N",
                        help="run only trial N of the campaign (as drawn from the seed): to look at a failure again")
    parser.add_argument("--keep", help="keep each trial's directory (station data, chips) under this directory")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    classes = list(KNOBS) + OTHER
    # Every trial's fault and its own seed are drawn up front, so --jobs does not change the campaign.
    plan = []
    for n in range(args.trials):
        fault = classes[n % len(classes)] if args.quick else rng.choice(classes)
        plan.append((n, fault, rng.getrandbits(64)))
    if args.only:
        plan = [entry for entry in plan if entry[0] in args.only]
    budget = 120 if args.quick else args.seconds
    results = collections.defaultdict(lambda: collections.Counter())
    failures = []
    start = time.monotonic()
    log = open(args.log, "a", encoding="utf-8") if args.log else None
    done = 0
    with tempfile.TemporaryDirectory(prefix="espfab-faults-") as top:
        assets = os.path.join(top, "assets")
        subprocess.run([args.espfab, "--log-level", "error", "demo", "--dir", assets, "--assets-only", "--emulator",
                        args.emu], check=True, capture_output=True)

        def run_one(entry):
            n, fault, seed = entry
            if budget is not None and time.monotonic() - start >= budget:
                return None
            began = time.monotonic()
            work = os.path.join(args.keep or top, f"trial{n}")
            # Trials side by side never share ports: 20000 + 4 n (mod 8000), below Linux's ephemeral range.
            held, note = trial(args, assets, random.Random(seed), fault, work, 20000 + 4 * (n % 2000))
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
            return n, fault, held, note, time.monotonic() - began

        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for outcome in pool.map(run_one, plan):
                if outcome is None:
                    continue
                n, fault, held, note, seconds = outcome
                done += 1
                results[fault]["trials"] += 1
                for name, ok in held.items():
                    results[fault][name] += ok
                if not all(held.values()):
                    failures.append((n, fault, held, note))
                if log:
                    log.write(json.dumps({"trial": n, "fault": fault, "held": held, "note": note,
                                          "seconds": round(seconds, 1),
                                          "elapsed": round(time.monotonic() - start, 1)}) + "\n")
                    log.flush()
    if log:
        log.close()
    print(f"fault campaign: {done} trials, {DEVICES} devices each, seed {args.seed}, jobs {args.jobs}, "
          f"{time.monotonic() - start:.0f} s")
    print("| fault | trials | not bricked | no duplicates | audit complete | settled |")
    print("|---|---|---|---|---|---|")
    total = collections.Counter()
    for fault in classes:
        r = results.get(fault)
        if not r:
            continue
        total.update(r)
        print(f"| {fault} | {r['trials']} | {r['bricked']} | {r['duplicates']} | {r['audit']} | {r['settled']} |")
    print(f"| all | {total['trials']} | {total['bricked']} | {total['duplicates']} | {total['audit']} "
          f"| {total['settled']} |")
    for n, fault, held, note in failures:
        print(f"trial {n} ({fault}): broke {[k for k, v in held.items() if not v]}: {note}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
