// S3MP head-end dashboard: plain JS against the REST API; the token stays in this tab's sessionStorage.
'use strict';

const OBIS = {
  voltage: '1.0.32.7.0.255', current: '1.0.31.7.0.255', power: '1.0.1.7.0.255', powerExport: '1.0.2.7.0.255',
  reactive: '1.0.3.7.0.255', apparent: '1.0.9.7.0.255', energy: '1.0.1.8.0.255', energyExport: '1.0.2.8.0.255',
  frequency: '1.0.14.7.0.255', pf: '1.0.13.7.0.255',
};
const LIVE_POINTS = 300;

const state = { token: sessionStorage.getItem('s3mp.token'), role: null, meter: null, live: null, chart: null,
  profileChart: null, xs: [], ys: [], continuous: false };
const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const headers = { Authorization: 'Bearer ' + state.token };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401) { logout('Token not accepted'); throw new Error('unauthorized'); }
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error((json && json.error) || res.statusText);
  return json;
}

async function login(token) {
  state.token = token;
  const me = await api('GET', '/api/me');
  sessionStorage.setItem('s3mp.token', token);
  state.role = me.role;
  document.body.classList.toggle('viewer', me.role !== 'operator');
  $('who').textContent = me.name + ' (' + me.role + ')';
  $('logout').hidden = false;
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  await refreshMeters();
  await refreshAudit();
}

function logout(reason) {
  stopLive();
  sessionStorage.removeItem('s3mp.token');
  state.token = null;
  $('app-view').hidden = true;
  $('login-view').hidden = false;
  $('logout').hidden = true;
  $('who').textContent = '';
  $('login-error').textContent = reason || '';
}

function fmtTime(iso) { return iso ? new Date(iso).toLocaleTimeString() : '-'; }
function fmtDrift(s) { return s == null ? '-' : (s >= 0 ? '+' : '') + s.toFixed(1) + ' s'; }

// The fleet table is one page from the server (GET /api/fleet): a fleet of 10,000 meters is never sent whole.
const STATES = { on_time: 'read on time', waiting: 'not read yet', late: 'late', failing: 'failing',
  disconnected: 'disconnected', refused: 'refused' };
const fleet = { q: '', state: '', transport: '', sort: 'id', order: 'asc', page: 0, size: 25, pages: 1 };

async function refreshMeters() {
  const params = new URLSearchParams({ sort: fleet.sort, order: fleet.order, page: String(fleet.page),
    size: String(fleet.size) });
  if (fleet.q) params.set('q', fleet.q);
  if (fleet.state) params.set('state', fleet.state);
  if (fleet.transport) params.set('transport', fleet.transport);
  const view = await api('GET', '/api/fleet?' + params);
  if (view.page > 0 && view.items.length === 0 && view.matching > 0) { // the fleet shrank under this page
    fleet.page = Math.max(0, view.pages - 1);
    return refreshMeters();
  }
  fleet.pages = Math.max(1, view.pages);
  $('fleet-total').textContent = '(' + view.total + ')';
  $('fleet-page').textContent = 'page ' + (view.page + 1) + ' of ' + fleet.pages + ', ' + view.matching + ' meters';
  $('fleet-prev').disabled = view.page === 0;
  $('fleet-next').disabled = view.page + 1 >= fleet.pages;
  const chips = $('fleet-states');
  chips.replaceChildren();
  for (const [key, label] of Object.entries({ '': 'all', ...STATES })) {
    const b = document.createElement('button');
    const n = key ? view.matchingCounts[key] : Object.values(view.matchingCounts).reduce((a, c) => a + c, 0);
    b.textContent = label + ' ' + n;
    b.dataset.state = key;
    b.classList.toggle('active', fleet.state === key);
    b.addEventListener('click', () => { fleet.state = key; fleet.page = 0; refreshMeters().catch(() => {}); });
    chips.appendChild(b);
  }
  const body = $('meters').tBodies[0];
  body.replaceChildren();
  for (const m of view.items) {
    const tr = document.createElement('tr');
    tr.dataset.id = m.id;
    tr.dataset.state = m.state;
    tr.classList.toggle('selected', m.id === state.meter);
    for (const text of [m.id, STATES[m.state] || m.state, m.transport, m.connected ? 'open' : 'closed', m.relay || '-',
      fmtTime(m.lastReadingAt), fmtDrift(m.clockDriftSeconds), m.path ? m.path.notation : '-', m.lastError || '']) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.appendChild(td);
    }
    tr.addEventListener('click', () => selectMeter(m.id));
    body.appendChild(tr);
    if (m.id === state.meter) setContinuousButton(m.continuous);
  }
  if (!state.meter && view.items.length > 0) selectMeter(view.items[0].id);
}

let searchTimer = null;
$('fleet-search').addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => { fleet.q = $('fleet-search').value.trim(); fleet.page = 0;
    refreshMeters().catch(() => {}); }, 200);
});
$('fleet-transport').addEventListener('change', () => {
  fleet.transport = $('fleet-transport').value; fleet.page = 0; refreshMeters().catch(() => {});
});
$('fleet-prev').addEventListener('click', () => { fleet.page = Math.max(0, fleet.page - 1);
  refreshMeters().catch(() => {}); });
$('fleet-next').addEventListener('click', () => { fleet.page = Math.min(fleet.pages - 1, fleet.page + 1);
  refreshMeters().catch(() => {}); });
for (const th of document.querySelectorAll('#meters th[data-sort]')) {
  th.addEventListener('click', () => {
    fleet.order = fleet.sort === th.dataset.sort && fleet.order === 'asc' ? 'desc' : 'asc';
    fleet.sort = th.dataset.sort;
    refreshMeters().catch(() => {});
  });
}
// live without reloading: the page of the table follows the fleet's state
setInterval(() => { if (state.token && !$('app-view').hidden) refreshMeters().catch(() => {}); }, 3000);

async function refreshAudit() {
  const entries = await api('GET', '/api/audit?limit=20');
  const body = $('audit').tBodies[0];
  body.replaceChildren();
  for (const e of entries) {
    const tr = document.createElement('tr');
    for (const text of [fmtTime(e.requestedAt), e.actor, e.action + (e.argument ? ' "' + e.argument + '"' : ''),
      e.meterId || '', e.result, e.detail || '']) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

function setContinuousButton(on) {
  state.continuous = on;
  $('continuous').textContent = on ? 'Stop reading every second' : 'Start reading every second';
}

async function selectMeter(id) {
  stopLive();
  state.meter = id;
  $('meter-id').textContent = id;
  $('meter-view').hidden = false;
  for (const tr of $('meters').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.id === id);
  state.xs = []; state.ys = [];
  const m = await api('GET', '/api/meters/' + encodeURIComponent(id));
  setContinuousButton(m.continuous);
  const recent = await api('GET', '/api/meters/' + encodeURIComponent(id) + '/readings?limit=' + LIVE_POINTS);
  for (const r of recent) addPoint(r);
  if (recent.length) showValues(recent[recent.length - 1]);
  drawLive();
  startLive(id);
  loadProfile(id);
}

function value(reading, obis) {
  const v = reading.values.find((x) => x.obis === obis);
  return v ? Number(v.value) : null;
}

function showValues(r) {
  const set = (id, obis, unit, scale, digits) => {
    const v = value(r, obis);
    $(id).textContent = v === null ? '-' : (v / (scale || 1)).toFixed(digits) + (unit ? ' ' + unit : '');
  };
  set('v-voltage', OBIS.voltage, 'V', 1, 1);
  set('v-current', OBIS.current, 'A', 1, 3);
  set('v-power', OBIS.power, 'W', 1, 0);
  set('v-power-export', OBIS.powerExport, 'W', 1, 0);
  set('v-reactive', OBIS.reactive, 'var', 1, 0);
  set('v-apparent', OBIS.apparent, 'VA', 1, 0);
  set('v-energy', OBIS.energy, 'kWh', 1000, 3);
  set('v-energy-export', OBIS.energyExport, 'kWh', 1000, 3);
  set('v-frequency', OBIS.frequency, 'Hz', 1, 2);
  set('v-pf', OBIS.pf, '', 1, 3);
  $('relay').textContent = r.relay || '-';
  $('relay').className = r.relay ? 'relay-' + r.relay : '';
  $('v-time').textContent = new Date(r.readAt).toLocaleTimeString();
  $('v-latency').textContent = r.latencyMs.toFixed(1) + ' ms' + (r.path ? ' via ' + r.path.notation : '');
}

function addPoint(r) {
  const w = value(r, OBIS.power);
  if (w === null) return;
  state.xs.push(new Date(r.readAt).getTime() / 1000);
  state.ys.push(w);
  if (state.xs.length > LIVE_POINTS) { state.xs.shift(); state.ys.shift(); }
}

function drawLive() {
  const el = $('live-chart');
  if (!state.chart) {
    state.chart = new uPlot({ width: 640, height: 260, series: [{}, { label: 'W', stroke: '#1565c0', width: 2 }],
      scales: { x: { time: true } } }, [state.xs, state.ys], el);
  } else {
    state.chart.setData([state.xs, state.ys]);
  }
  el.dataset.points = String(state.xs.length);
}

// Server-Sent Events over fetch: EventSource cannot send the Authorization header.
function startLive(id) {
  const controller = new AbortController();
  state.live = controller;
  (async () => {
    try {
      const res = await fetch('/api/meters/' + encodeURIComponent(id) + '/live', {
        headers: { Authorization: 'Bearer ' + state.token, Accept: 'text/event-stream' }, signal: controller.signal });
      if (!res.ok) throw new Error('live stream: HTTP ' + res.status);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value: chunk, done } = await reader.read();
        if (done) break;
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message'; let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5);
          }
          if (event === 'reading' && state.meter === id) onReading(JSON.parse(data));
        }
      }
    } catch (e) {
      if (controller.signal.aborted) return;
      setStatus('live stream lost: ' + e.message + '; retrying', true);
    }
    if (!controller.signal.aborted && state.meter === id) setTimeout(() => startLive(id), 2000);
  })();
}

function stopLive() {
  if (state.live) state.live.abort();
  state.live = null;
}

let meterRefreshPending = false;
function onReading(r) {
  addPoint(r);
  drawLive();
  showValues(r);
  if (!meterRefreshPending) {
    meterRefreshPending = true;
    setTimeout(() => { meterRefreshPending = false; refreshMeters().catch(() => {}); }, 1000);
  }
}

async function loadProfile(id) {
  const to = new Date();
  const from = new Date(to.getTime() - 7 * 24 * 3600 * 1000);
  const entries = await api('GET', '/api/meters/' + encodeURIComponent(id) + '/profile?from=' + from.toISOString()
    + '&to=' + to.toISOString());
  const xs = []; const ys = [];
  let previous = null;
  for (const e of entries) {
    const v = e.values.find((x) => x.obis === OBIS.energy);
    if (!v) continue;
    if (previous !== null) {
      xs.push(new Date(e.capturedAt).getTime() / 1000);
      ys.push(Number(v.value) - previous);
    }
    previous = Number(v.value);
  }
  const el = $('profile-chart');
  if (state.profileChart) state.profileChart.destroy();
  state.profileChart = new uPlot({ width: 900, height: 220,
    series: [{}, { label: 'Wh per interval', stroke: '#6a1b9a', fill: 'rgba(106,27,154,0.1)', width: 1 }],
    scales: { x: { time: true } } }, [xs, ys], el);
  el.dataset.points = String(xs.length);
}

function setStatus(text, error) {
  $('action-status').textContent = text;
  $('action-status').className = error ? 'error' : 'ok';
}

async function action(label, fn) {
  setStatus(label + ' ...', false);
  try {
    const result = await fn();
    setStatus(label + ': done', false);
    return result;
  } catch (e) {
    setStatus(label + ' failed: ' + e.message, true);
    return null;
  } finally {
    refreshAudit().catch(() => {});
    refreshMeters().catch(() => {});
  }
}

function meterPath(suffix) { return '/api/meters/' + encodeURIComponent(state.meter) + suffix; }

$('login-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  login($('token').value.trim()).catch((e) => { $('login-error').textContent = 'Login failed: ' + e.message; });
});
$('logout').addEventListener('click', () => logout(''));
$('read-once').addEventListener('click', () => action('Read', async () => {
  const r = await api('POST', meterPath('/read'));
  showValues(r);
  return r;
}));
$('continuous').addEventListener('click', () => action(state.continuous ? 'Stop' : 'Start', async () => {
  const m = await api('POST', meterPath('/continuous'), { enabled: !state.continuous });
  setContinuousButton(m.continuous);
}));
$('disconnect').addEventListener('click', () => action('Disconnect', () => api('POST', meterPath('/disconnect'))));
$('reconnect').addEventListener('click', () => action('Reconnect', () => api('POST', meterPath('/reconnect'))));
$('send-message').addEventListener('click', () => action('Message', () =>
  api('POST', meterPath('/message'), { text: $('message').value })));

if (state.token) login(state.token).catch(() => logout(''));
