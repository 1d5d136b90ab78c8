// The dashboard in Debian's headless Chromium (puppeteer-core, no bundled browser), against a real
// `espfab run --ui` on emulated fixtures (espfab-emu):
//   node dashboard_browser_test.mjs ESPFAB ESPFAB_EMU WORK_DIR SCREENSHOT_DIR full|short
// full (label slow): 6 fixtures, one stuck GPIO (reject), one whose link dies in flash-production
// (fault). Every tile reaches its final state; the page's numbers equal `espfab report --summary`;
// nothing but GET works without a login; an operator cannot scrap (no button, and the POST is
// refused) but reprints the last label (it reaches the label directory and the audit log); an
// engineer resumes the faulted device once its link is mended and it finishes (pass); keyboard
// reachable actions; words beside colours; no horizontal scrolling at 200 % zoom; the stop button
// ends the run cleanly. Screenshots at 1920x1080 and 1280x800 (and 200 %) go to SCREENSHOT_DIR.
// short (default label): 2 fixtures (pass, reject): tiles, numbers, a refused POST, screenshots.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import puppeteer from 'puppeteer-core';

const [espfab, emulatorProgram, work, shots, mode = 'short'] = process.argv.slice(2);
const full = mode === 'full';
const chromium = process.env.ESPFAB_CHROMIUM || '/usr/bin/chromium';
const deadline = Date.now() + (full ? 240_000 : 90_000);
const children = [];

function fail(message) {
  console.error('FAIL: ' + message);
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
}
function check(condition, message) {
  if (!condition) fail(message);
  console.log('ok: ' + message);
}
function espfabSync(args, input) {
  const result = spawnSync(espfab, args, { input, encoding: 'utf8' });
  if (result.status !== 0) fail(`espfab ${args.join(' ')}: exit ${result.status}\n${result.stderr}`);
  return result.stdout;
}
function lines(stream) { return readline.createInterface({ input: stream })[Symbol.asyncIterator](); }
async function control(address, command) {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), host, () => socket.write(command + '\n'));
    socket.on('data', (data) => { socket.end(); resolve(String(data)); });
    socket.on('error', reject);
  });
}
function remaining() { return Math.max(1000, deadline - Date.now()); }
// Whatever hangs, the test ends (and takes its emulator, station and browser with it).
setTimeout(() => fail('the test did not finish in time'), deadline - Date.now() + 15_000).unref();

if (!fs.existsSync(chromium)) {
  console.error(`SKIP: ${chromium} is missing; run scripts/setup (Debian package chromium)`);
  process.exit(77);
}
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });
fs.mkdirSync(shots, { recursive: true });

// The demo's assets (CA, keys, signed images, station.toml) and two dashboard users.
espfabSync(['--log-level', 'error', 'demo', '--dir', work, '--assets-only', '--emulator', emulatorProgram]);
const profile = path.join(work, 'station.toml');
const users = path.join(work, 'ui-users');
espfabSync(['ui-adduser', '--users', users, '--name', 'otto', '--role', 'operator'], 'operator-pass\n');
espfabSync(['ui-adduser', '--users', users, '--name', 'anna', '--role', 'engineer'], 'engineer-pass\n');

const count = full ? 6 : 2;
const stuck = 1;   // gpio_stuck: rejected at the hardware test
const faulty = 3;  // the link dies 200 kB into every connection: a fault in flash-production
const faults = ['--fault', `${stuck}:gpio_stuck=5:low`];
if (full) faults.push('--fault', `${faulty}:drop_after=200000`);
const emulator = spawn(emulatorProgram, ['--devices', String(count), '--protocol', 'rfc2217', '--state-dir',
  path.join(work, 'devices'), ...faults], { stdio: ['ignore', 'pipe', 'inherit'] });
children.push(emulator);
const devices = [];
for await (const line of lines(emulator.stdout)) {
  devices.push(JSON.parse(line));
  if (devices.length === count) break;
}
const runArgs = ['--log-level', 'error', 'run', '--profile', profile, '--no-rehearsal', '--idle-timeout', '600',
  '--ui', '127.0.0.1:0', '--ui-users', users, ...devices.flatMap((d) => ['--port', d.url])];
const station = spawn(espfab, runArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
children.push(station);
let stationErr = '';
let url = null;
const urlFound = new Promise((resolve) => {
  station.stderr.on('data', (data) => {
    stationErr += data;
    const match = /dashboard: (http:\/\/[0-9.:]+\/)/.exec(stationErr);
    if (match && !url) { url = match[1]; resolve(url); }
  });
});
const stationExit = new Promise((resolve) => station.on('exit', (code) => resolve(code)));
await Promise.race([urlFound, new Promise((r) => setTimeout(r, 20000))]);
check(url !== null, `the station serves its dashboard (${url})`);

// Nothing but GET without a login.
const anonymous = await fetch(url + 'api/action', { method: 'POST', headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ action: 'stop' }) });
check(anonymous.status === 401, `an unauthenticated POST is refused (${anonymous.status})`);

const browser = await puppeteer.launch({ executablePath: chromium, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
try {
  const page = await browser.newPage();
  page.on('dialog', (dialog) => dialog.accept(dialog.type() === 'prompt' ? 'cable replaced' : undefined));
  await page.setViewport({ width: 1920, height: 1080 });
  await page.goto(url, { waitUntil: 'domcontentloaded' });

  const finalStates = ['pass', 'reject', 'fault'];
  const tileStates = () => page.$$eval('#tiles li', (items) => items.map((i) => [i.dataset.fixture, i.dataset.state]));
  await page.waitForFunction((n, states) => {
    const items = [...document.querySelectorAll('#tiles li')];
    return items.length === n && items.every((i) => states.includes(i.dataset.state));
  }, { timeout: remaining(), polling: 500 }, count, finalStates);
  const states = Object.fromEntries(await tileStates());
  console.log('tiles: ' + JSON.stringify(states));
  check(states[`fixture ${stuck + 1}`] === 'reject', 'the stuck-GPIO fixture shows REJECT');
  if (full) check(states[`fixture ${faulty + 1}`] === 'fault', 'the faulting fixture shows FAULT');
  check(Object.entries(states).filter(([, s]) => s === 'pass').length === count - (full ? 2 : 1), 'every other fixture shows PASS');
  const words = await page.$$eval('#tiles li .state', (items) => items.map((i) => i.textContent));
  check(words.every((w) => /PASS|REJECT|FAULT/.test(w)), 'every state is a word beside its colour: ' + words.join(', '));
  const rejectText = await page.$eval(`#tiles li[data-fixture="fixture ${stuck + 1}"]`, (i) => i.textContent);
  check(rejectText.includes('gpio.4_5'), 'the reject tile gives the reason');
  if (full) {
    const faultText = await page.$eval(`#tiles li[data-fixture="fixture ${faulty + 1}"]`, (i) => i.textContent);
    check(faultText.includes('What to do') && faultText.includes('engineer'), 'the fault tile says what to do');
  }

  // The page's numbers are `espfab report --summary`'s.
  const summary = JSON.parse(espfabSync(['report', '--profile', profile, '--summary', '--json'])).total;
  const pct = (v) => (v * 100).toFixed(1) + ' %';
  await page.waitForFunction((n) => document.getElementById('finished').textContent === String(n),
    { timeout: remaining(), polling: 500 }, summary.finished);
  const shown = await page.evaluate(() => Object.fromEntries(['finished', 'provisioned', 'yield', 'fpy', 'rejected', 'faults']
    .map((id) => [id, document.getElementById(id).textContent])));
  const expected = { finished: String(summary.finished), provisioned: String(summary.provisioned ?? 0),
    yield: pct(summary.yield), fpy: pct(summary.first_pass_yield), rejected: String(summary.rejected ?? 0),
    faults: String(summary.fault ?? 0) };
  check(JSON.stringify(shown) === JSON.stringify(expected),
    `the shift numbers equal report --summary: ${JSON.stringify(shown)} vs ${JSON.stringify(expected)}`);
  const pareto = await page.$$eval('#pareto tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
  check(JSON.stringify(pareto.map((r) => [r[0], Number(r[1])])) === JSON.stringify(summary.rejects.map((r) => [r.reason, r.count])),
    'the reject Pareto equals report --summary\'s');
  const recentRows = await page.$$eval('#recent tbody tr', (rows) => rows.length);
  check(recentRows === count, `the last devices are listed (${recentRows})`);

  // A device record from the list.
  await page.click('#recent tbody tr a');
  await page.waitForSelector('#record[open]', { timeout: remaining() });
  const recordText = await page.$eval('#record', (d) => d.textContent);
  check(recordText.includes('Steps') && recordText.includes('connect'), 'a device link opens its record with its steps');
  await page.keyboard.press('Escape');
  const top = () => page.evaluate(() => { document.activeElement.blur(); window.scrollTo(0, 0); });

  await top();
  await page.screenshot({ path: path.join(shots, 'dashboard-1920x1080.png') });
  await page.setViewport({ width: 1280, height: 800 });
  await top();
  await page.screenshot({ path: path.join(shots, 'dashboard-1280x800.png') });
  // 200 % zoom: the same 1280x800 window with every CSS pixel twice the size.
  await page.setViewport({ width: 640, height: 400, deviceScaleFactor: 2 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `no horizontal scrolling at 200 % zoom (overflow ${overflow} px)`);
  await page.screenshot({ path: path.join(shots, 'dashboard-zoom200.png') });
  await page.setViewport({ width: 1920, height: 1080 });

  if (full) {
    // The operator logs in with the keyboard only.
    await page.focus('#login-user');
    await page.keyboard.type('otto');
    await page.keyboard.press('Tab');
    await page.keyboard.type('operator-pass');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#who:not([hidden])', { timeout: remaining() });
    const faultTile = `#tiles li[data-fixture="fixture ${faulty + 1}"]`;
    await page.waitForSelector(`${faultTile} button`, { timeout: remaining() });
    const operatorButtons = await page.$$eval(`${faultTile} button`, (b) => b.map((x) => x.textContent));
    check(!operatorButtons.some((t) => /Scrap|Resume device/.test(t)), `an operator gets no scrap button (${operatorButtons})`);
    const scrap = await page.evaluate(async (serial) => {
      const me = await (await fetch('/api/me')).json();
      const res = await fetch('/api/action', { method: 'POST', headers: { 'Content-Type': 'application/json',
        'X-CSRF-Token': me.csrf }, body: JSON.stringify({ action: 'device_scrap', device: serial, reason: 'x' }) });
      return res.status;
    }, devices[faulty].mac);
    check(scrap === 403, `an operator's scrap is refused (${scrap})`);
    // Keyboard: Tab reaches the fixtures' buttons.
    let reached = '';
    for (let i = 0; i < 40 && !reached.startsWith('Pause'); ++i) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement.textContent || '');
    }
    check(reached.startsWith('Pause'), `Tab reaches a fixture's action (${reached})`);

    // Reprint the last label: the preview shows it, the label sink gets it again.
    await page.waitForSelector('#reprint:not([hidden])', { timeout: remaining() });
    const serial = await page.$eval('#label-serial', (s) => s.textContent);
    const previewWidth = await page.$eval('#label-img', (img) => img.naturalWidth);
    check(previewWidth > 0, `the label preview of ${serial} is shown (${previewWidth} px wide)`);
    const labelFile = path.join(work, 'station-data', 'labels', serial + '.png');
    fs.rmSync(labelFile, { force: true });
    await page.focus('#reprint');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /wrote/.test(document.getElementById('message').textContent), { timeout: remaining() });
    check(fs.existsSync(labelFile), `the reprint reached the label directory (${labelFile})`);
    const audit = () => fs.readFileSync(path.join(work, 'station-data', 'audit.jsonl'), 'utf8');
    check(/"action":"label.reprint".*"operator":"otto"/.test(audit()), 'the reprint is an audit line with the operator');
    await page.click('#logout');

    // The engineer mends the link and resumes the faulted device from its tile; it finishes.
    check((await control(devices[faulty].control, `fault ${faulty} clear`)).startsWith('ok'), 'the link is mended');
    await page.waitForSelector('#login-form:not([hidden])', { timeout: remaining() });
    await page.$eval('#login-user', (input) => { input.value = ''; });
    await page.type('#login-user', 'anna');
    await page.type('#login-password', 'engineer-pass');
    await page.keyboard.press('Enter');
    await page.waitForSelector(`${faultTile} button.danger`, { timeout: remaining() });
    const [resume] = await page.$$(`xpath/.//li[@data-fixture="fixture ${faulty + 1}"]//button[contains(., "Resume device")]`);
    await resume.click();
    await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.state === 'pass',
      { timeout: remaining(), polling: 500 }, faultTile);
    check(true, 'the engineer\'s resume finished the faulted device');
    check(/"action":"device.resume".*"operator":"anna"/.test(audit()), 'the resume is the CLI\'s audit line, with the engineer');
    await top();
    await page.screenshot({ path: path.join(shots, 'dashboard-after-resume-1920x1080.png') });

    // Stop after the current devices, from the page.
    await page.click('#stop');
    const code = await Promise.race([stationExit, new Promise((r) => setTimeout(() => r('timeout'), 20000))]);
    check(code === 0, `the stop button ends the run cleanly (exit ${code})`);
    check(stationErr.includes('stopping: no new device'), 'the terminal says what the stop waits for');
  }
  // `espfab ui`: a read-only view of the same data dir, from another process.
  const viewer = spawn(espfab, ['--log-level', 'error', 'ui', '--profile', profile, '--listen', '127.0.0.1:0',
    '--ui-users', users], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(viewer);
  let viewerErr = '';
  const viewUrl = await new Promise((resolve) => {
    viewer.stderr.on('data', (data) => {
      viewerErr += data;
      const match = /(http:\/\/[0-9.:]+\/)/.exec(viewerErr);
      if (match) resolve(match[1]);
    });
    setTimeout(() => resolve(null), 10000);
  });
  check(viewUrl !== null, `espfab ui serves a view (${viewUrl})`);
  const viewPage = await browser.newPage();
  await viewPage.goto(viewUrl, { waitUntil: 'domcontentloaded' });
  await viewPage.waitForFunction((n) => document.querySelectorAll('#tiles li').length === n &&
    document.getElementById('finished').textContent === String(n), { timeout: remaining(), polling: 500 }, count);
  check((await viewPage.$eval('#mode', (m) => m.textContent)) === 'read-only view', 'the view shows every tile and says it is read-only');
  const viewState = await (await fetch(viewUrl + 'api/state')).json();
  check(viewState.read_only === true && viewState.shift.summary.total.finished === summary.finished,
    'the view\'s numbers are the station\'s');
  const viewLogin = await viewPage.evaluate(async () => {
    const login = await fetch('/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: 'otto', password: 'operator-pass' }) });
    const me = await login.json();
    const res = await fetch('/api/action', { method: 'POST', headers: { 'Content-Type': 'application/json',
      'X-CSRF-Token': me.csrf }, body: JSON.stringify({ action: 'stop' }) });
    return [login.status, res.status, (await res.json()).error];
  });
  check(viewLogin[0] === 200 && viewLogin[1] === 409 && viewLogin[2] === 'ui.read_only', `the view refuses actions (${viewLogin})`);
  viewer.kill('SIGINT');
} finally {
  await browser.close();
  for (const child of children) child.kill('SIGTERM');
}
console.log(`PASS (${mode}); screenshots in ${shots}`);
process.exit(0);
