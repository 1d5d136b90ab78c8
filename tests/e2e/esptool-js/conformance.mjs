// esptool-js 0.7.0 (Espressif's own JavaScript flasher, from npm) against one espfab-emu device:
//   node conformance.mjs socket://127.0.0.1:PORT EXPECTED_MAC
// Checks (issue 3 acceptance): detects "ESP32-S3", reads the MAC, uploads its stub and gets OHAI,
// changes the baud rate, writes a 1 MiB pseudo-random image compressed and verifies its MD5,
// reads it back identical, erases a region and reads 0xFF there, then connects again and finds the
// stub still running (checklist 29). Any line esptool-js logs as an
// error, any console.error and any exception fail the run. Prints "CONFORMANCE OK" at the end.
import crypto from "node:crypto";
import { ESPLoader, Transport } from "esptool-js";
import { TcpSerialPort } from "./tcp_serial_port.mjs";

const kBaud = 921600;
const kImageAddress = 0x100000;
const kImageSize = 1 << 20;
const kEraseAddress = kImageAddress + 0x40000;
const kEraseSize = 0x10000;

const failures = [];
function check(condition, what) {
  if (condition) {
    console.log(`ok: ${what}`);
  } else {
    console.log(`FAILED: ${what}`);
    failures.push(what);
  }
}

// esptool-js reports problems through its terminal ("Error: ..."); the test also fails on any
// console.error, so nothing is swallowed.
const lines = [];
let partial = "";
const terminal = {
  clean() {},
  write(text) {
    partial += text;
  },
  writeLine(text) {
    const line = partial + text;
    partial = "";
    lines.push(line);
    console.log(`esptool-js| ${line}`);
  },
};
const consoleErrors = [];
const originalError = console.error;
console.error = (...args) => {
  consoleErrors.push(args.map(String).join(" "));
  originalError(...args);
};

// Deterministic pseudo-random bytes (xorshift32), so the image does not compress.
function pseudoRandom(size, seed) {
  const out = new Uint8Array(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function md5Hex(bytes) {
  return crypto.createHash("md5").update(bytes).digest("hex");
}

function le32(...values) {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v >>> 0, true));
  return out;
}

function firstDifference(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

async function run(url, expectedMac) {
  const match = /^socket:\/\/([^:]+):(\d+)$/.exec(url);
  if (!match) throw new Error(`expected socket://HOST:PORT, got ${url}`);
  const port = new TcpSerialPort(match[1], Number(match[2]));
  const transport = new Transport(port, false);
  const loader = new ESPLoader({ transport, baudrate: kBaud, terminal, debugLogging: false });

  // connect + detect + description + MAC + stub upload + baud change + flash id
  const description = await loader.main("no_reset");
  check(loader.chip && loader.chip.CHIP_NAME === "ESP32-S3", `chip detected as ESP32-S3 (${loader.chip?.CHIP_NAME})`);
  check(description.startsWith("ESP32-S3"), `chip description "${description}"`);
  const mac = await loader.chip.readMac(loader);
  check(mac === expectedMac, `MAC ${mac} == ${expectedMac}`);
  check(lines.includes("Uploading stub...") && lines.includes("Stub running..."), "stub uploaded and OHAI received");
  check(loader.IS_STUB === true, "esptool-js talks to the stub");
  check(lines.includes(`Changing baudrate to ${kBaud}`) && lines.includes("Changed"), `baud changed to ${kBaud}`);
  check(!lines.some((l) => l.startsWith("Unable to use") || l.includes("stopped responding")),
        "the device answered at the new baud rate");
  check(transport.baudrate === kBaud && port.baudRate === kBaud, "host side runs at the new baud rate");
  check(lines.some((l) => l.startsWith("Flash ID: ")), "flash id read through the SPI registers");

  // 1 MiB pseudo-random image, compressed, MD5 verified by esptool-js itself
  const image = pseudoRandom(kImageSize, 0x5eed1234);
  const expectedMd5 = md5Hex(image);
  const started = Date.now();
  await loader.writeFlash({
    fileArray: [{ data: image, address: kImageAddress }],
    flashSize: "keep",
    flashMode: "keep",
    flashFreq: "keep",
    eraseAll: false,
    compress: true,
    calculateMD5Hash: (bytes) => md5Hex(bytes),
  });
  console.log(`write took ${(Date.now() - started) / 1000} s`);
  check(lines.includes(`Flash md5: ${expectedMd5}`), "flash MD5 equals the image MD5");
  check(lines.includes("Hash of data verified."), "esptool-js verified the hash");

  const readBack = await loader.readFlash(kImageAddress, kImageSize);
  const diff = firstDifference(readBack, image);
  check(diff === -1, `read back 1 MiB identical${diff === -1 ? "" : ` (first difference at +0x${diff.toString(16)})`}`);
  // a second read straight away works too (checklist 28): the stale MD5 frame is drained
  const again = await loader.readFlash(kImageAddress, 0x2000);
  check(firstDifference(again, image.subarray(0, 0x2000)) === -1, "second readFlash straight afterwards");

  // ERASE_REGION (stub-only 0xD1); 0.7.0 has no helper, so send it through esptool-js's own checkCommand
  await loader.checkCommand("erase region", loader.ESP_ERASE_REGION, le32(kEraseAddress, kEraseSize), undefined,
                            undefined, loader.timeoutPerMb(loader.ERASE_REGION_TIMEOUT_PER_MB, kEraseSize));
  const around = await loader.readFlash(kEraseAddress - 0x1000, kEraseSize + 0x2000);
  const erased = around.subarray(0x1000, 0x1000 + kEraseSize);
  check(erased.every((b) => b === 0xff), "erased region reads 0xFF");
  const offset = kEraseAddress - kImageAddress;
  check(firstDifference(around.subarray(0, 0x1000), image.subarray(offset - 0x1000, offset)) === -1 &&
        firstDifference(around.subarray(0x1000 + kEraseSize),
                        image.subarray(offset + kEraseSize, offset + kEraseSize + 0x1000)) === -1,
        "the sectors around the erased region are untouched");

  await transport.disconnect();

  // Checklist 29: a second esptool-js run finds the stub still running (no reset in between) and
  // works without uploading it again.
  const secondPort = new TcpSerialPort(match[1], Number(match[2]));
  const secondTransport = new Transport(secondPort, false);
  const second = new ESPLoader({ transport: secondTransport, baudrate: kBaud, terminal, debugLogging: false });
  const linesBefore = lines.length;
  await second.main("no_reset");
  const secondLines = lines.slice(linesBefore);
  check(secondLines.includes("Stub is already running. No upload is necessary."),
        "second run: stub detected as already running");
  check(!secondLines.includes("Uploading stub..."), "second run: no stub upload");
  check((await second.chip.readMac(second)) === expectedMac, "second run: MAC read through the running stub");
  const head = await second.readFlash(kImageAddress, 0x1000);
  check(firstDifference(head, image.subarray(0, 0x1000)) === -1, "second run: flash read through the running stub");
  await secondTransport.disconnect();
}

const [url, expectedMac] = process.argv.slice(2);
if (!url || !expectedMac) {
  originalError("usage: node conformance.mjs socket://HOST:PORT EXPECTED_MAC");
  process.exit(2);
}
try {
  await run(url, expectedMac);
} catch (error) {
  failures.push(`exception: ${error?.stack ?? error}`);
  console.log(`FAILED: exception ${error?.stack ?? error}`);
}
const errorLines = lines.filter((l) => /^Error\b/.test(l) || /\berror\b/i.test(l));
check(errorLines.length === 0, `esptool-js logged no error${errorLines.length ? `: ${errorLines.join(" | ")}` : ""}`);
check(consoleErrors.length === 0, `no console.error${consoleErrors.length ? `: ${consoleErrors.join(" | ")}` : ""}`);
if (failures.length) {
  console.log(`CONFORMANCE FAILED (${failures.length}): ${failures.join("; ")}`);
  process.exit(1);
}
console.log("CONFORMANCE OK");
process.exit(0);
