// S3MP head-end dashboard: plain JS against the REST API; the token stays in this tab's sessionStorage.
'use strict';

// the registers the charts draw; names, units and scalers of all registers come from GET /api/obis
const POWER_OBIS = '1.0.1.7.0.255';
const ENERGY_OBIS = '1.0.1.8.0.255';
const LIVE_POINTS = 300;

const state = { token: sessionStorage.getItem('s3mp.token'), role: null, meter: null, live: null, chart: null,
  profileChart: null, xs: [], ys: [], continuous: false, registers: [] };
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
  await loadRegisters();
  await refreshMeters();
  await refreshAlarms();
  await refreshRollouts();
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
    if (m.id === state.meter) { setContinuousButton(m.continuous); showDrift(m); }
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

// --- Alarms (GET /api/alarms): open ones first in view; operators acknowledge them (audited by the head-end).
const ALARM_KINDS = { not_read: 'not read', association_failures: 'association failures',
  command_refused: 'command refused', push_refused: 'push refused', failover_storm: 'failover storm' };

async function refreshAlarms() {
  const filter = $('alarms-state').value;
  const [list, open] = await Promise.all([
    api('GET', '/api/alarms?limit=50' + (filter ? '&state=' + filter : '')),
    filter === 'open' ? null : api('GET', '/api/alarms?state=open&limit=1000')]);
  const openCount = (open || list).length;
  $('alarms-open').textContent = '(' + openCount + ' open)';
  $('alarms-open').dataset.open = String(openCount);
  const body = $('alarms').tBodies[0];
  body.replaceChildren();
  for (const a of list) {
    const tr = cells(document.createElement('tr'), [new Date(a.raisedAt).toLocaleString(), ALARM_KINDS[a.kind] || a.kind,
      a.subject, a.detail || '', String(a.occurrences), a.active ? 'active' : 'over',
      a.state === 'open' ? 'open' : 'acknowledged by ' + a.acknowledgedBy]);
    tr.dataset.id = String(a.id);
    tr.dataset.kind = a.kind;
    tr.dataset.state = a.state;
    tr.classList.toggle('active', a.active);
    const td = document.createElement('td');
    // only operators may acknowledge: viewers get no button at all (the API would answer 403)
    if (a.state === 'open' && state.role === 'operator') {
      const b = document.createElement('button');
      b.textContent = 'Ack';
      b.className = 'ack operator';
      b.addEventListener('click', () => action('Acknowledge alarm ' + a.id, async () => {
        await api('POST', '/api/alarms/' + a.id + '/ack');
        await refreshAlarms();
      }));
      td.appendChild(b);
    }
    tr.appendChild(td);
    body.appendChild(tr);
  }
  if (!list.length) body.appendChild(cells(document.createElement('tr'), ['no ' + (filter || '') + ' alarms']));
}
$('alarms-state').addEventListener('change', () => refreshAlarms().catch(() => {}));
setInterval(() => { if (state.token && !$('app-view').hidden) refreshAlarms().catch(() => {}); }, 3000);

// --- Firmware rollouts (GET /api/firmware/rollouts): the newest ones with each meter's progress; operators
// pause, resume or cancel them (audited by the head-end).
const ROLLOUT_DETAILS = 5;

async function refreshRollouts() {
  const list = await api('GET', '/api/firmware/rollouts');
  const running = list.filter((r) => r.state === 'running').length;
  $('rollouts-running').textContent = list.length ? '(' + running + ' running)' : '';
  $('rollouts-running').dataset.running = String(running);
  const details = await Promise.all(list.slice(0, ROLLOUT_DETAILS)
    .map((r) => api('GET', '/api/firmware/rollouts/' + r.id)));
  const box = $('rollouts');
  box.replaceChildren();
  if (!details.length) {
    const p = document.createElement('p');
    p.textContent = 'no rollouts';
    box.appendChild(p);
  }
  for (const r of details) {
    const div = document.createElement('div');
    div.className = 'rollout';
    div.dataset.id = String(r.id);
    div.dataset.state = r.state;
    const h = document.createElement('h3');
    h.textContent = 'Rollout ' + r.id + ': ' + r.firmwareId + ' - ' + r.state + ' (' + r.counts.active + ' of '
      + r.meterCount + ' active, ' + r.concurrency + ' at once'
      + (r.activateAt ? ', activation at ' + new Date(r.activateAt).toLocaleString() : '') + ')';
    div.appendChild(h);
    const buttons = document.createElement('div');
    buttons.className = 'controls operator';
    // only operators get buttons (the API would answer 403 to viewers)
    if (state.role === 'operator') {
      for (const [label, op, allowed] of [['Pause', 'pause', r.state === 'running'],
        ['Resume', 'resume', r.state === 'paused'],
        ['Cancel', 'cancel', r.state === 'running' || r.state === 'paused']]) {
        if (!allowed) continue;
        const b = document.createElement('button');
        b.textContent = label;
        b.className = 'rollout-' + op + (op === 'cancel' ? ' danger' : '');
        b.addEventListener('click', () => action(label + ' rollout ' + r.id, async () => {
          const after = await api('POST', '/api/firmware/rollouts/' + r.id + '/' + op);
          await refreshRollouts();
          return after;
        }));
        buttons.appendChild(b);
      }
    }
    div.appendChild(buttons);
    const table = document.createElement('table');
    table.className = 'rollout-meters';
    table.appendChild(cells(document.createElement('tr'), ['Meter', 'State', 'Progress', 'Firmware', 'Reason']));
    for (const m of r.meters) {
      const tr = document.createElement('tr');
      tr.dataset.meter = m.meterId;
      tr.dataset.state = m.state;
      cells(tr, [m.meterId, m.state.replace('_', ' ')]);
      const td = document.createElement('td');
      const bar = document.createElement('progress');
      bar.max = Math.max(1, m.bytesTotal);
      bar.value = m.bytesDone;
      td.appendChild(bar);
      td.appendChild(document.createTextNode(' ' + Math.floor(100 * m.bytesDone / Math.max(1, m.bytesTotal)) + ' %'));
      tr.appendChild(td);
      cells(tr, [m.firmwareId || '', m.reason || '']);
      table.appendChild(tr);
    }
    div.appendChild(table);
    box.appendChild(div);
  }
}
setInterval(() => { if (state.token && !$('app-view').hidden) refreshRollouts().catch(() => {}); }, 2000);

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
  showDrift(m);
  const recent = await api('GET', '/api/meters/' + encodeURIComponent(id) + '/readings?limit=' + LIVE_POINTS);
  for (const r of recent) addPoint(r);
  if (recent.length) showValues(recent[recent.length - 1]);
  drawLive();
  startLive(id);
  setProfileRange(new Date(Date.now() - 7 * 24 * 3600 * 1000), new Date());
  loadProfile(id).catch((e) => { $('profile-status').textContent = 'profile: ' + e.message; });
  loadPushFeed(id).catch((e) => { $('push-settings').textContent = 'push: ' + e.message; });
  showPaths(id, m.path).catch((e) => setStatus('paths: ' + e.message, true));
  showKeys(id).catch((e) => { $('v-keys').textContent = e.message; });
}

function fmtAge(s) {
  if (s == null) return '-';
  if (s < 3600) return Math.floor(s / 60) + ' min';
  if (s < 2 * 86400) return Math.floor(s / 3600) + ' h';
  return Math.floor(s / 86400) + ' days';
}

// Key id and age of the meter's keys (DRKey keys rotate by themselves every epoch).
async function showKeys(id) {
  const k = await api('GET', '/api/meters/' + encodeURIComponent(id) + '/keys');
  if (state.meter !== id) return;
  $('v-keys').textContent = k.source === 'drkey' ? 'from DRKey (renewed every epoch)'
    : k.keyId + ', ' + (k.source === 'rotated' ? 'rotated ' : 'keys file, ') + fmtAge(k.ageSeconds) + ' old'
      + (k.pending ? ', transfer of ' + k.pending.keyId + ' not confirmed' : '');
  $('rotate-keys').disabled = !k.rotatable;
}

// One row per register of the meter's OBIS table, in its order, with the head-end's names and units.
async function loadRegisters() {
  state.registers = await api('GET', '/api/obis');
  const body = $('registers');
  body.replaceChildren();
  for (const reg of state.registers) {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.textContent = reg.name.charAt(0).toUpperCase() + reg.name.slice(1);
    th.title = reg.obis;
    const td = document.createElement('td');
    td.dataset.obis = reg.obis;
    td.textContent = '-';
    tr.append(th, td);
    body.appendChild(tr);
  }
}

// the unit symbol GET /api/obis gives for a register ('' before it is loaded)
function unitOf(obis) {
  const reg = state.registers.find((r) => r.obis === obis);
  return reg && reg.unit ? reg.unit : '';
}

function value(reading, obis) {
  const v = reading.values.find((x) => x.obis === obis);
  return v ? Number(v.value) : null;
}

function showValues(r) {
  for (const reg of state.registers) {
    const v = value(r, reg.obis);
    // as many decimals as the register's resolution (10^scaler) has
    const text = v === null ? '-' : v.toFixed(Math.max(0, -reg.scaler)) + (reg.unit ? ' ' + reg.unit : '');
    document.querySelector('#registers td[data-obis="' + reg.obis + '"]').textContent = text;
  }
  $('relay').textContent = r.relay || '-';
  $('relay').className = r.relay ? 'relay-' + r.relay : '';
  $('v-time').textContent = new Date(r.readAt).toLocaleTimeString();
  $('v-latency').textContent = r.latencyMs.toFixed(1) + ' ms' + (r.path ? ' via ' + r.path.notation : '');
}

function addPoint(r) {
  const w = value(r, POWER_OBIS);
  if (w === null) return;
  state.xs.push(new Date(r.readAt).getTime() / 1000);
  state.ys.push(w);
  if (state.xs.length > LIVE_POINTS) { state.xs.shift(); state.ys.shift(); }
}

function drawLive() {
  const el = $('live-chart');
  if (!state.chart) {
    state.chart = new uPlot({ width: 640, height: 260, series: [{}, { label: unitOf(POWER_OBIS), stroke: '#1565c0', width: 2 }],
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
  onReadingPath(r);
  if (!meterRefreshPending) {
    meterRefreshPending = true;
    setTimeout(() => { meterRefreshPending = false; refreshMeters().catch(() => {}); }, 1000);
  }
}

function showDrift(m) {
  $('v-drift').textContent = m.clockDriftSeconds == null ? 'not checked yet'
    : fmtDrift(m.clockDriftSeconds) + ' at ' + fmtTime(m.clockCheckedAt);
  $('v-drift').dataset.drift = m.clockDriftSeconds == null ? '' : String(m.clockDriftSeconds);
}

// datetime-local inputs show and take local time; the API takes ISO instants
function localInput(d) {
  const pad = (n) => String(n).padStart(2, '0');
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' + pad(d.getHours()) + ':'
    + pad(d.getMinutes());
}
function setProfileRange(from, to) {
  $('profile-from').value = localInput(from);
  $('profile-to').value = localInput(to);
}
$('profile-range').addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (state.meter) loadProfile(state.meter).catch((e) => { $('profile-status').textContent = 'profile: ' + e.message; });
});

/** The load profile in the chosen range (GET /api/meters/{id}/profile?from=&to=). */
async function loadProfile(id) {
  const from = new Date($('profile-from').value);
  const to = new Date($('profile-to').value);
  if (isNaN(from) || isNaN(to) || from >= to) {
    $('profile-status').textContent = 'choose a "from" before "to"';
    return;
  }
  const entries = await api('GET', '/api/meters/' + encodeURIComponent(id) + '/profile?from=' + from.toISOString()
    + '&to=' + to.toISOString());
  $('profile-status').textContent = entries.length + ' intervals';
  const xs = []; const ys = [];
  let previous = null;
  for (const e of entries) {
    const v = e.values.find((x) => x.obis === ENERGY_OBIS);
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
    series: [{}, { label: unitOf(ENERGY_OBIS) + ' per interval', stroke: '#6a1b9a', fill: 'rgba(106,27,154,0.1)', width: 1 }],
    scales: { x: { time: true } } }, [xs, ys], el);
  el.dataset.points = String(xs.length);
}

/** The meter's pushed events, its push setups (read from the meter) and the readings it pushed. */
async function loadPushFeed(id) {
  const since = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
  const [events, readings] = await Promise.all([
    api('GET', '/api/meters/' + encodeURIComponent(id) + '/events?limit=50&from=' + encodeURIComponent(since)),
    api('GET', '/api/meters/' + encodeURIComponent(id) + '/readings?limit=500&from=' + encodeURIComponent(since))]);
  if (state.meter !== id) return;
  const body = $('events').tBodies[0];
  body.replaceChildren();
  for (const e of [...events].reverse()) {
    body.appendChild(cells(document.createElement('tr'), [fmtTime(e.receivedAt), new Date(e.meterTime).toLocaleString(),
      e.event, e.relayConnected == null ? '-' : (e.relayConnected ? 'connected' : 'disconnected')]));
  }
  if (!events.length) body.appendChild(cells(document.createElement('tr'), ['none', '', '', '']));
  const pushed = readings.filter((r) => r.source === 'push').slice(-10).reverse();
  const feed = $('push-readings').tBodies[0];
  feed.replaceChildren();
  for (const r of pushed) {
    const w = value(r, POWER_OBIS);
    feed.appendChild(cells(document.createElement('tr'), [fmtTime(r.readAt), w === null ? '-' : w.toFixed(1) + ' W']));
  }
  if (!pushed.length) feed.appendChild(cells(document.createElement('tr'), ['no pushed readings', '']));
  try {
    const p = await api('GET', '/api/meters/' + encodeURIComponent(id) + '/push');
    if (state.meter !== id) return;
    $('push-settings').textContent = p.registersDestination
      ? 'registers to ' + p.registersDestination + (p.periodSeconds ? ' every ' + p.periodSeconds + ' s' : ' (no period)')
        + ', events to ' + (p.eventsDestination || '-')
      : 'the meter pushes nothing';
  } catch (e) {
    $('push-settings').textContent = 'push setups not readable: ' + e.message;
  }
}

// --- Paths: the SCION topology the head-end's readings crossed, the path of this meter's latest reading
// highlighted on it, the meter's path history (shares, failovers) and the check of its geofence.
const paths = { cy: null, meter: null, notation: null, historyTimer: null };

const TOPOLOGY_STYLE = [
  { selector: 'node', style: { label: 'data(label)', 'text-wrap': 'wrap', 'font-size': 12, 'text-valign': 'center',
    'text-halign': 'center', shape: 'round-rectangle', width: 112, height: 40, 'background-color': '#eceff1',
    'border-width': 1, 'border-color': '#90a4ae' } },
  { selector: 'node.isd', style: { 'text-valign': 'top', 'text-halign': 'center', 'font-size': 13, 'font-weight': 'bold',
    'background-color': '#f5f9ff', 'border-style': 'dashed', 'border-color': '#64b5f6', padding: 16 } },
  { selector: 'edge', style: { width: 2, 'line-color': '#b0bec5', 'curve-style': 'bezier', label: 'data(label)',
    'font-size': 10, 'text-rotation': 'autorotate', 'text-background-color': '#fff', 'text-background-opacity': 1 } },
  { selector: 'node.on-path', style: { 'background-color': '#ffe0b2', 'border-color': '#e65100', 'border-width': 3 } },
  { selector: 'edge.on-path', style: { width: 5, 'line-color': '#e65100', color: '#e65100', 'font-weight': 'bold' } },
];

/** The id of an inter-AS link by its two ends, in the order GET /api/topology gives them (the smaller end first). */
function linkId(ia1, if1, ia2, if2) {
  const one = ia1 + '#' + if1; const two = ia2 + '#' + if2;
  return one <= two ? one + ' ' + two : two + ' ' + one;
}

async function drawTopology() {
  const topology = await api('GET', '/api/topology');
  const elements = [];
  for (const isd of topology.isds) {
    elements.push({ data: { id: 'ISD ' + isd.isd, label: 'ISD ' + isd.isd }, classes: 'isd' });
    for (const as of isd.ases) {
      elements.push({ data: { id: as.isdAs, parent: 'ISD ' + isd.isd,
        label: as.isdAs + (as.countries.length ? '\n' + as.countries.join(', ') : '') }, classes: 'as' });
    }
  }
  for (const l of topology.links) {
    elements.push({ data: { id: linkId(l.a, l.aInterface, l.b, l.bInterface), source: l.a, target: l.b,
      label: l.aInterface + ' \u2013 ' + l.bInterface } });
  }
  if (paths.cy) paths.cy.destroy();
  paths.cy = cytoscape({ container: $('topology'), elements, style: TOPOLOGY_STYLE, minZoom: 0.3, maxZoom: 1.5,
    layout: { name: 'cose', animate: false, nodeDimensionsIncludeLabels: true, padding: 16 } });
  $('topology').dataset.ases = String(paths.cy.nodes('.as').length);
  $('topology').dataset.links = String(paths.cy.edges().length);
}

/** Marks the path's ASes and links; false when the drawing lacks one of them (a path new since it was drawn). */
function markPath(path) {
  const cy = paths.cy;
  cy.elements().removeClass('on-path');
  if (!path) return true;
  let complete = true;
  const mark = (el) => { if (el.empty()) complete = false; else el.addClass('on-path'); };
  path.hops.forEach((h, i) => {
    mark(cy.getElementById(h.isdAs));
    const next = path.hops[i + 1];
    if (next) mark(cy.getElementById(linkId(h.isdAs, h.egress ?? 0, next.isdAs, next.ingress ?? 0)));
  });
  return complete;
}

async function highlightPath(path) {
  if (!paths.cy || !markPath(path)) {
    await drawTopology();
    markPath(path);
  }
  paths.notation = path ? path.notation : null;
  $('active-path').textContent = path ? path.notation : 'no SCION path (plain TCP/IP)';
  // what the drawing shows, for tests and scripts: the notation and the marked links
  $('paths-panel').dataset.activePath = paths.notation || '';
  $('paths-panel').dataset.onPathLinks = String(paths.cy.edges('.on-path').length);
}

async function showPaths(id, path) {
  paths.meter = id;
  paths.notation = undefined;
  await highlightPath(path || null);
  await refreshPathHistory();
}

function onReadingPath(r) {
  const notation = r.path ? r.path.notation : null;
  if (paths.meter === r.meterId && notation !== paths.notation) {
    // the history after the drawing: its table marks the path now taken
    highlightPath(r.path || null).then(refreshPathHistory).catch(() => {});
  } else if (!paths.historyTimer) { // the counts follow the readings, at most every 2 s
    paths.historyTimer = setTimeout(() => { paths.historyTimer = null; refreshPathHistory().catch(() => {}); }, 2000);
  }
}

function cells(tr, texts) {
  for (const text of texts) {
    const td = document.createElement('td');
    td.textContent = text;
    tr.appendChild(td);
  }
  return tr;
}

async function refreshPathHistory() {
  const id = paths.meter;
  if (!id) return;
  const from = new Date(Date.now() - Number($('paths-range').value) * 1000).toISOString();
  const h = await api('GET', '/api/meters/' + encodeURIComponent(id) + '/paths?from=' + encodeURIComponent(from));
  if (paths.meter !== id) return;
  const shares = $('path-shares').tBodies[0];
  shares.replaceChildren();
  for (const p of h.paths) {
    const tr = cells(document.createElement('tr'), [p.path.notation, (p.share * 100).toFixed(1) + ' %',
      String(p.readings)]);
    tr.classList.toggle('selected', p.path.notation === paths.notation);
    shares.appendChild(tr);
  }
  if (!h.paths.length) shares.appendChild(cells(document.createElement('tr'), ['no readings with a SCION path', '', '']));
  const failovers = $('failovers').tBodies[0];
  failovers.replaceChildren();
  for (const f of [...h.failovers].reverse()) { // newest first
    const tr = cells(document.createElement('tr'), [new Date(f.at).toLocaleString(), f.from, f.to, f.reason || '-']);
    tr.dataset.to = f.to;
    failovers.appendChild(tr);
  }
  if (!h.failovers.length) failovers.appendChild(cells(document.createElement('tr'), ['none in this range', '', '', '']));
  showGeofence(h);
}

/** The policy's geofence and the API's count of readings whose stored path left it: a checked fact, or an alarm. */
function showGeofence(h) {
  const el = $('geofence');
  const fence = h.geofence;
  if (!fence) {
    el.textContent = 'No geofence: this meter has no SCION path policy with allowed ISDs, ASes or countries.';
    el.className = '';
    delete el.dataset.outside;
    return;
  }
  const rules = [];
  if (fence.isds) rules.push('ISDs ' + fence.isds.join(', '));
  if (fence.ases) rules.push('ASes ' + fence.ases.join(', '));
  if (fence.countries) rules.push('countries ' + fence.countries.join(', '));
  const outside = h.outsideGeofence;
  el.dataset.outside = String(outside.readings);
  const checked = ' (' + outside.checkedReadings + ' readings over ' + outside.checkedPaths + ' paths checked)';
  let text = 'Geofence of policy ' + (fence.policy || '-') + ': ' + (rules.join('; ') || 'none') + '. ';
  if (outside.readings === 0) {
    text += 'Readings outside: 0 \u2713' + checked;
  } else {
    text += '\u26a0 Readings outside: ' + outside.readings + checked + ': '
      + outside.paths.map((v) => v.path + ' (' + v.readings + ': ' + v.reasons.join(', ') + ')').join('; ');
  }
  el.textContent = text;
  el.className = outside.readings === 0 ? 'ok' : 'alarm';
}

$('paths-range').addEventListener('change', () => refreshPathHistory().catch(() => {}));

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
$('rotate-keys').addEventListener('click', () => action('Key rotation', async () => {
  try {
    return await api('POST', meterPath('/keys/rotate'));
  } finally {
    showKeys(state.meter).catch(() => {});
  }
}));

if (state.token) login(state.token).catch(() => logout(''));
