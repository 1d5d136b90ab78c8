// espfab dashboard: one EventSource for the live state (the server pushes; nothing polls), the
// actions as JSON POSTs with the session's CSRF token. No framework, no build step.
'use strict';

const STATES = {
  waiting: ['…', 'WAITING'], running: ['▶', 'RUNNING'], pass: ['✓', 'PASS'], reject: ['✗', 'REJECT'],
  fault: ['⚠', 'FAULT'], paused: ['⏸', 'PAUSED'], skipped: ['↷', 'SKIPPED'], interrupted: ['■', 'INTERRUPTED'],
  stopped: ['⚠', 'STOPPED'], finished: ['■', 'FINISHED'],
};
let me = { user: null };
let state = null;
let received = 0;  // when the state arrived (ms), for the elapsed clocks between updates

const $ = (id) => document.getElementById(id);
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value; else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}
function pct(value) { return value === undefined || value === null ? '–' : (value * 100).toFixed(1) + ' %'; }
function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
}
function say(text) { $('message').textContent = text; }
function can(role) { return me.user && !(state && state.read_only) && (role === 'operator' || me.role === 'engineer'); }

async function post(path, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (me.csrf) headers['X-CSRF-Token'] = me.csrf;
  const res = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body), credentials: 'same-origin' });
  const out = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error((out.message || res.statusText) + (out.hint ? ' — ' + out.hint : ''));
  return out;
}
async function act(body) {
  try {
    const out = await post('/api/action', body);
    say(out.message);
  } catch (error) { say('Refused: ' + error.message); }
}

function tile(t) {
  const [symbol, word] = STATES[t.state] || ['?', t.state.toUpperCase()];
  const device = [t.serial, t.mac].filter(Boolean).join('  ');
  const item = el('li', { class: 'tile ' + t.state, 'data-fixture': t.fixture, 'data-state': t.state });
  item.append(el('h3', {}, el('span', {}, t.fixture), el('span', { class: 'elapsed', 'data-elapsed': t.elapsed_s,
    'data-running': t.state === 'running' ? '1' : '0' }, t.elapsed_s > 0 ? clock(t.elapsed_s) : '')));
  item.append(el('p', { class: 'state' }, symbol + ' ' + word));
  if (device) item.append(el('p', { class: 'device' }, device));
  if (t.state === 'running') {
    item.append(el('p', { class: 'detail' }, `step ${t.step_index} of ${t.step_count}: ${t.step}`));
    if (t.percent >= 0) {
      item.append(el('progress', { max: '100', value: String(t.percent), 'aria-label': t.step + ' progress' }));
      item.append(el('p', { class: 'detail' }, `${t.percent} %  ${t.kib_s.toFixed(1)} KiB/s`));
    }
  }
  if (t.message) item.append(el('p', { class: 'detail' }, t.message));
  if (t.what_to_do) item.append(el('p', { class: 'todo' }, 'What to do: ' + t.what_to_do));
  if (t.note) item.append(el('p', { class: 'note' }, t.note));
  const actions = el('div', { class: 'actions' });
  if (can('operator') && !['finished', 'stopped'].includes(t.state)) {
    if (t.state === 'paused') actions.append(el('button', { type: 'button', onclick: () => act({ action: 'resume_fixture', fixture: t.fixture }) }, 'Resume ' + t.fixture));
    else actions.append(el('button', { type: 'button', onclick: () => act({ action: 'pause', fixture: t.fixture }) }, 'Pause ' + t.fixture));
  }
  if (t.state === 'fault' && can('engineer')) {
    const who = t.serial || t.mac;
    const ask = (action, verb) => () => {
      const reason = window.prompt(`${verb} ${who}: why? (goes into the audit log)`);
      if (reason) act({ action, device: who, reason });
    };
    actions.append(el('button', { type: 'button', onclick: ask('device_resume', 'Resume') }, 'Resume device'));
    actions.append(el('button', { type: 'button', class: 'danger', onclick: ask('device_scrap', 'Scrap') }, 'Scrap device'));
  }
  if (actions.childNodes.length) item.append(actions);
  return item;
}

function renderShift(shift) {
  const total = (shift.summary && shift.summary.total) || {};
  $('rate').textContent = shift.devices_per_hour !== undefined ? String(shift.devices_per_hour) : '–';
  $('finished').textContent = total.finished ?? '–';
  $('provisioned').textContent = total.provisioned ?? 0;
  $('yield').textContent = pct(total.yield);
  $('fpy').textContent = pct(total.first_pass_yield);
  $('rejected').textContent = total.rejected ?? 0;
  $('faults').textContent = total.fault ?? 0;
  const pareto = $('pareto').tBodies[0];
  pareto.replaceChildren(...(total.rejects || []).map((r) =>
    el('tr', {}, el('td', {}, r.reason), el('td', {}, String(r.count)), el('td', {}, (r.cumulative_percent ?? 0).toFixed(1) + ' %'))));
  const recent = $('recent').tBodies[0];
  recent.replaceChildren(...(shift.recent || []).map((d) => {
    const id = d.serial || d.mac;
    const link = el('a', { href: '#device-' + encodeURIComponent(id), onclick: (e) => { e.preventDefault(); openRecord(id); } }, d.serial || '(none)');
    return el('tr', {}, el('td', {}, link), el('td', {}, d.mac), el('td', {}, d.status), el('td', {}, d.fixture),
      el('td', {}, d.updated), el('td', {}, d.reason || ''));
  }));
}

function renderLabel(serial) {
  const img = $('label-img');
  if (!serial) return;
  if (img.dataset.serial !== serial) {
    img.src = '/api/label/' + encodeURIComponent(serial) + '.png';
    img.alt = 'label of ' + serial;
    img.dataset.serial = serial;
  }
  img.hidden = false;
  $('label-none').hidden = true;
  $('label-serial').textContent = serial;
  $('reprint').hidden = !can('operator');
}

function render() {
  if (!state) return;
  $('station').textContent = state.station;
  $('mode').textContent = state.read_only ? 'read-only view' : 'live station';
  $('banner').hidden = !state.banner;
  $('banner').textContent = state.banner || '';
  $('tiles').replaceChildren(...state.fixtures.map(tile));
  renderShift(state.shift || {});
  const lastSerial = state.last_provisioned || (((state.shift || {}).recent || []).find((d) => d.status === 'provisioned') || {}).serial;
  renderLabel(lastSerial);
  $('stop').hidden = !can('operator');
}

function tick() {  // the elapsed clocks of running fixtures, between server updates (display only)
  const extra = (Date.now() - received) / 1000;
  for (const span of document.querySelectorAll('.elapsed[data-running="1"]')) span.textContent = clock(Number(span.dataset.elapsed) + extra);
}

async function openRecord(id) {
  const res = await fetch('/api/device/' + encodeURIComponent(id));
  const record = await res.json();
  const body = $('record-body');
  $('record-title').textContent = `Device ${record.serial || ''} ${record.mac || ''} — ${record.status || record.message || ''}`;
  const parts = [];
  const steps = record.steps || [];
  if (steps.length) {
    parts.push(el('h3', {}, 'Steps'));
    const rows = steps.map((s) => el('tr', {}, el('td', {}, s.name || s.step || ''), el('td', {}, s.outcome || ''),
      el('td', {}, s.seconds !== undefined ? s.seconds.toFixed(1) + ' s' : ''), el('td', {}, s.error || '')));
    parts.push(el('table', {}, el('thead', {}, el('tr', {}, ...['Step', 'Outcome', 'Time', 'Error'].map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, ...rows)));
    const measurements = steps.flatMap((s) => (s.measurements || []).map((m) => ({ step: s.name || s.step, ...m })));
    if (measurements.length) {
      parts.push(el('h3', {}, 'Measurements'));
      parts.push(el('table', {}, el('thead', {}, el('tr', {}, ...['Name', 'Value', 'Low', 'High', 'Result'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, ...measurements.map((m) => el('tr', {}, el('td', {}, m.name || ''), el('td', {}, String(m.value ?? '')),
          el('td', {}, String(m.low ?? m.min ?? '')), el('td', {}, String(m.high ?? m.max ?? '')),
          el('td', { class: m.passed === false ? 'limit-fail' : '' }, m.passed === false ? 'FAIL' : m.passed === true ? 'pass' : String(m.result ?? '')))))));
    }
  }
  if (record.efuses) { parts.push(el('h3', {}, 'eFuse snapshots')); parts.push(el('pre', {}, JSON.stringify(record.efuses, null, 1))); }
  if (record.console_excerpt) { parts.push(el('h3', {}, 'Console excerpt')); parts.push(el('pre', {}, String(record.console_excerpt))); }
  parts.push(el('details', {}, el('summary', {}, 'Whole record (JSON)'), el('pre', {}, JSON.stringify(record, null, 1))));
  body.replaceChildren(...parts);
  $('record').showModal();
}

async function whoAmI() {
  me = await (await fetch('/api/me', { credentials: 'same-origin' })).json();
  $('login-form').hidden = !!me.user || me.login === false;
  $('who').hidden = !me.user;
  if (me.user) { $('who-name').textContent = me.user; $('who-role').textContent = me.role; }
  render();
}

function connect() {
  const events = new EventSource('/api/events');
  events.onopen = () => { $('connection').textContent = 'live'; };
  events.onmessage = (message) => {
    state = JSON.parse(message.data);
    received = Date.now();
    document.body.dataset.version = state.version;
    render();
  };
  events.onerror = () => { $('connection').textContent = 'connection lost: retrying…'; };
}

window.addEventListener('DOMContentLoaded', () => {
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await post('/api/login', { user: $('login-user').value, password: $('login-password').value });
      $('login-password').value = '';
      say('');
      await whoAmI();
    } catch (error) { say('Login failed: ' + error.message); }
  });
  $('logout').addEventListener('click', async () => { await post('/api/logout', {}).catch(() => {}); me = { user: null }; whoAmI(); });
  $('stop').addEventListener('click', () => {
    if (window.confirm('Stop the station after the devices now in the fixtures?')) act({ action: 'stop' });
  });
  $('reprint').addEventListener('click', () => act({ action: 'reprint', device: $('label-serial').textContent }));
  whoAmI();
  connect();
  setInterval(tick, 1000);
});
