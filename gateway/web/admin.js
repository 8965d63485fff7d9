// SPDX-License-Identifier: MIT
// The admin dashboard: sign in with an admin key (kept in sessionStorage),
// a live rooms table pushed over /api/v1/admin/live, a room view with each
// participant's stream health, and the operator actions (docs/admin.md).
'use strict';

const KEY_STORE = 'meetgate-admin-key';
const LOSS_WARN = 5; // percent
const $ = (id) => document.getElementById(id);

const S = {
  key: null, name: null, role: null, ws: null, retry: null,
  rooms: [], watch: null, room: null,
  history: new Map(), // participant id -> [{t, bitrate, loss}]
  prev: new Map(),    // participant id -> {packets, lost}
  cards: new Map(),   // participant id -> element
};

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c.nodeType ? c : String(c));
  return e;
}

function toast(text) {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 4000);
}

function timeText(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

async function api(method, path, body) {
  const headers = { Authorization: 'Bearer ' + S.key };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  return { status: r.status, data };
}

// ---------------------------------------------------------------- sign in

function showSignIn(error) {
  if (S.ws) { S.ws.onclose = null; S.ws.close(); S.ws = null; }
  clearTimeout(S.retry);
  S.key = null;
  sessionStorage.removeItem(KEY_STORE);
  $('app').hidden = true;
  $('who').hidden = true;
  $('signin').hidden = false;
  $('signin-error').hidden = !error;
  $('signin-error').textContent = error || '';
  $('key').value = '';
  $('key').focus();
}

async function signIn(key) {
  S.key = key;
  let r;
  try {
    r = await api('GET', '/api/v1/admin/rooms');
  } catch (e) {
    return showSignIn('meetgate cannot be reached.');
  }
  if (r.status === 401) return showSignIn('That key is not valid.');
  if (r.status !== 200) return showSignIn('meetgate answered ' + r.status + '.');
  sessionStorage.setItem(KEY_STORE, key);
  $('signin').hidden = true;
  $('app').hidden = false;
  renderRooms(r.data.rooms, new Date());
  connect();
  loadSchedule();
  loadAudit();
}

// ---------------------------------------------------------------- live feed

function setLive(state) {
  const t = $('live-state');
  t.textContent = state;
  t.className = 'tag ' + (state === 'live' ? 'ok' : 'off');
}

function connect() {
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/v1/admin/live';
  const ws = new WebSocket(url);
  S.ws = ws;
  setLive('connecting');
  ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', key: S.key }));
  ws.onmessage = (ev) => {
    let msg;
    try { msg = JSON.parse(ev.data); } catch (e) { return; }
    if (msg.type === 'hello') {
      S.name = msg.name;
      S.role = msg.role;
      $('who-name').textContent = msg.name;
      $('who-role').textContent = msg.role;
      $('who').hidden = false;
      setLive('live');
      if (S.watch) ws.send(JSON.stringify({ type: 'watch', room: S.watch }));
    } else if (msg.type === 'rooms') {
      renderRooms(msg.rooms, new Date(msg.at_ms));
    } else if (msg.type === 'room' && msg.id === S.watch) {
      renderRoom(msg.room, msg.at_ms);
    }
  };
  ws.onclose = (ev) => {
    if (S.ws !== ws) return;
    S.ws = null;
    if (ev.code === 4401) return showSignIn('The key was refused.');
    setLive('reconnecting');
    S.retry = setTimeout(connect, 2000);
  };
}

function watch(roomId) {
  S.watch = roomId;
  S.room = null;
  S.cards.clear();
  $('people').replaceChildren();
  $('room').hidden = !roomId;
  if (S.ws && S.ws.readyState === WebSocket.OPEN) S.ws.send(JSON.stringify({ type: 'watch', room: roomId }));
  for (const tr of $('rooms').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.room === roomId);
}

// ---------------------------------------------------------------- rooms table

function stateTag(r) {
  const cls = { live: 'ok', locked: 'warn', media_only: 'off' }[r.state] || 'off';
  return el('span', { class: 'tag ' + cls }, r.state.replace('_', ' '));
}

function renderRooms(rooms, at) {
  S.rooms = rooms;
  const body = $('rooms').tBodies[0];
  const rows = rooms.slice().sort((a, b) => (b.participants - a.participants) || String(a.title).localeCompare(String(b.title)));
  body.replaceChildren(...rows.map((r) => el('tr', { dataset: { room: r.id }, class: r.id === S.watch ? 'selected' : '', onclick: () => watch(r.id) },
    el('td', { class: 'wrap' }, el('strong', {}, r.title || r.id), ' ', el('span', { class: 'muted small' }, r.code || '')),
    el('td', {}, stateTag(r)),
    el('td', { class: 'small' }, r.opens_at ? timeText(r.opens_at) + ' – ' + timeText(r.closes_at) : 'ad hoc'),
    el('td', { class: 'small wrap' }, r.meeting ? r.meeting.title + ' (' + r.meeting.source + ')' : '—'),
    el('td', { class: 'num', dataset: { field: 'participants' } }, r.participants),
    el('td', { class: 'num' }, r.lobby),
    el('td', { class: 'num' }, r.tracks),
    el('td', { class: 'num' }, MgCharts.fmtRate(r.bitrate || 0)),
    el('td', {}, r.recording ? el('span', { class: 'tag bad' }, 'recording') : el('span', { class: 'muted' }, 'no')))));
  $('room-count').textContent = '(' + rooms.length + ')';
  $('no-rooms').hidden = rooms.length > 0;
  $('updated').textContent = 'updated ' + at.toLocaleTimeString();
  if (S.watch && !rooms.some((r) => r.id === S.watch)) {
    toast('The room closed.');
    watch(null);
  }
}

// ---------------------------------------------------------------- room view

function sumLayers(tracks, field) {
  let n = 0;
  for (const t of tracks || []) for (const l of t.layers || []) n += l[field] || 0;
  return n;
}

// One sample of a participant's stream health from the room snapshot.
function sample(p, atMs) {
  const pub = p.media && p.media.publish;
  const sub = p.media && p.media.subscribe;
  const tracks = pub ? pub.tracks : [];
  const packets = sumLayers(tracks, 'packets'), lost = sumLayers(tracks, 'lost');
  const prev = S.prev.get(p.id);
  S.prev.set(p.id, { packets, lost });
  let loss = 0;
  if (prev) {
    const dp = packets - prev.packets, dl = lost - prev.lost;
    if (dp + dl > 0) loss = (100 * Math.max(dl, 0)) / (dp + dl);
  }
  // What this participant's subscribers report back (RTCP receiver reports).
  for (const s of (sub && sub.streams) || []) loss = Math.max(loss, (s.loss || 0) * 100);
  const h = S.history.get(p.id) || [];
  h.push({ t: atMs, bitrate: sumLayers(tracks, 'bitrate'), loss });
  while (h.length && h[0].t < atMs - MgCharts.WINDOW_MS) h.shift();
  S.history.set(p.id, h);
  // A muted track may stop sending: only unmuted ones count as stalled.
  const muted = new Set((p.tracks || []).filter((t) => t.muted).map((t) => t.id));
  const stalled = tracks.filter((t) => t.stalled && !muted.has(t.id)).map((t) => t.kind);
  return { loss, stalled };
}

function trackRows(p) {
  const rows = [];
  const pub = p.media && p.media.publish;
  const sub = p.media && p.media.subscribe;
  for (const t of (pub && pub.tracks) || []) {
    const layers = t.layers || [];
    const packets = sumLayers([t], 'packets'), lost = sumLayers([t], 'lost');
    rows.push(el('tr', {},
      el('td', {}, '↑ ' + t.kind + ' ' + t.codec + (layers.length > 1 ? ' ×' + layers.length : '')),
      el('td', {}, MgCharts.fmtRate(sumLayers([t], 'bitrate'))),
      el('td', {}, packets + lost ? ((100 * lost) / (packets + lost)).toFixed(1) + '%' : '0%'),
      el('td', {}, '—'), el('td', {}, '—'),
      el('td', {}, layers.map((l) => l.rid || '·').join(' ')),
      el('td', {}, '—'),
      el('td', {}, t.audio_level !== undefined ? t.audio_level + ' dB' : '')));
  }
  for (const s of (sub && sub.streams) || []) {
    rows.push(el('tr', {},
      el('td', {}, '↓ ' + s.kind),
      el('td', {}, MgCharts.fmtRate(s.bitrate || 0)),
      el('td', {}, ((s.loss || 0) * 100).toFixed(1) + '%'),
      el('td', {}, s.jitter),
      el('td', {}, s.rtt_ms === null || s.rtt_ms === undefined ? '—' : Math.round(s.rtt_ms) + ' ms'),
      el('td', {}, s.layer),
      el('td', {}, s.nacks + '/' + s.plis),
      el('td', {}, '')));
  }
  return el('table', { class: 'tracks' },
    el('thead', {}, el('tr', {}, ...['track', 'bitrate', 'loss', 'jitter', 'RTT', 'layer', 'NACK/PLI', 'level'].map((h) => el('th', {}, h)))),
    el('tbody', {}, rows));
}

function card(p) {
  let c = S.cards.get(p.id);
  if (c) return c;
  const operator = S.role === 'operator';
  c = el('article', { class: 'person', dataset: { participant: p.id, name: p.name } },
    el('header', {},
      el('span', {}, el('span', { class: 'name' }, p.name), ' ', el('span', { class: 'tag' }, p.role)),
      el('span', { class: 'actions' },
        el('button', { type: 'button', class: 'ghost small act-mute', disabled: !operator, onclick: () => act('mute', p, { source: 'microphone' }) }, 'Mute mic'),
        el('button', { type: 'button', class: 'ghost small act-mute-cam', disabled: !operator, onclick: () => act('mute', p, { source: 'camera' }) }, 'Stop cam'),
        el('button', { type: 'button', class: 'danger small act-remove', disabled: !operator, onclick: () => act('remove', p) }, 'Remove'))),
    el('div', { class: 'meta' }),
    el('div', { class: 'warnings' }),
    el('canvas', { 'aria-label': 'bitrate and loss over the last 5 minutes' }),
    el('div', { class: 'legend' }, el('span', { class: 'b' }, 'bitrate'), el('span', { class: 'l' }, 'loss %')),
    el('div', { class: 'track-table' }));
  S.cards.set(p.id, c);
  $('people').append(c);
  return c;
}

function renderRoom(data, atMs) {
  if (!data) {
    toast('The room closed.');
    return watch(null);
  }
  S.room = data;
  const r = data.room;
  $('room-title').textContent = r.title || r.id;
  $('room-meta').textContent = [r.code, r.policy, r.opens_at ? 'window ' + timeText(r.opens_at) + ' – ' + timeText(r.closes_at) : 'ad hoc',
    r.meeting ? 'meeting ' + r.meeting.title + ' (' + r.meeting.source + ')' : null,
    'worker ' + (r.worker ?? '—')].filter(Boolean).join(' · ');
  const lock = $('act-lock');
  lock.textContent = r.locked ? 'Unlock' : 'Lock';
  lock.disabled = S.role !== 'operator' || !r.code;
  $('act-close').disabled = S.role !== 'operator' || !r.code;
  // Lobby
  const lobby = data.lobby || [];
  $('lobby').hidden = lobby.length === 0;
  $('lobby-list').replaceChildren(...lobby.map((p) => el('li', {}, el('span', {}, p.name, ' ', el('span', { class: 'muted small' }, p.role)),
    el('button', { type: 'button', class: 'small act-admit', disabled: S.role !== 'operator', onclick: () => act('admit', p) }, 'Admit'))));
  // Participants
  const seen = new Set();
  for (const p of data.participants || []) {
    seen.add(p.id);
    const c = card(p);
    const { loss, stalled } = sample(p, atMs);
    const warnings = [];
    if (loss > LOSS_WARN) warnings.push('packet loss ' + loss.toFixed(1) + '%');
    for (const k of stalled) warnings.push(k + ' stalled');
    if (!p.connected) warnings.push('disconnected (may resume)');
    c.classList.toggle('warn', warnings.length > 0);
    c.querySelector('.warnings').textContent = warnings.length ? '⚠ ' + warnings.join(' · ') : '';
    c.querySelector('.meta').textContent = [p.ip, 'joined ' + timeText(p.joined_at), p.muted && p.muted.length ? 'muted: ' + p.muted.join(', ') : null, p.client]
      .filter(Boolean).join(' · ');
    c.querySelector('.meta').title = p.client || '';
    c.querySelector('.track-table').replaceChildren(trackRows(p));
    MgCharts.draw(c.querySelector('canvas'), S.history.get(p.id) || [], atMs);
  }
  for (const [id, c] of S.cards) {
    if (!seen.has(id)) {
      c.remove();
      S.cards.delete(id);
    }
  }
  if (!seen.size) $('people').replaceChildren(el('p', { class: 'muted' }, 'Nobody has joined.'));
  else $('people').querySelector('p.muted')?.remove();
}

// ---------------------------------------------------------------- actions

function confirmAction(title, text, withMessage) {
  const d = $('confirm');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-message-box').hidden = !withMessage;
  $('confirm-message').value = '';
  return new Promise((resolve) => {
    d.onclose = () => resolve(d.returnValue === 'ok' ? { message: $('confirm-message').value.trim() } : null);
    d.returnValue = '';
    d.showModal();
  });
}

const ACTIONS = {
  remove: (p) => ['Remove ' + p.name + '?', p.name + ' leaves the meeting and sees that an admin removed them. They cannot rejoin with the same link.'],
  mute: (p, b) => [(b.source === 'camera' ? 'Stop the camera of ' : 'Mute ') + p.name + '?', 'Everyone in the room sees that an admin did this.'],
  admit: (p) => ['Admit ' + p.name + '?', p.name + ' joins the meeting from the lobby.'],
};

async function act(action, p, body = {}) {
  const [title, text] = ACTIONS[action](p, body);
  const ok = await confirmAction(title, text, false);
  if (!ok) return;
  const path = '/api/v1/admin/rooms/' + encodeURIComponent(S.watch) + '/participants/' + encodeURIComponent(p.id) + '/' + action;
  report(await api('POST', path, body), title);
}

async function roomAction(action) {
  const r = S.room && S.room.room;
  if (!r) return;
  let body = {};
  if (action === 'close') {
    const ok = await confirmAction('Close ' + (r.title || r.id) + '?', 'Everyone is disconnected and told the meeting was closed by an admin.', true);
    if (!ok) return;
    if (ok.message) body = { message: ok.message };
  } else {
    const ok = await confirmAction((r.locked ? 'Unlock ' : 'Lock ') + (r.title || r.id) + '?',
      r.locked ? 'People with a link may join again.' : 'Nobody new may join (hosts still can).', false);
    if (!ok) return;
    action = r.locked ? 'unlock' : 'lock';
  }
  report(await api('POST', '/api/v1/admin/rooms/' + encodeURIComponent(r.id) + '/' + action, body), action);
}

function report(r, what) {
  if (r.status === 200) toast('Done: ' + what.replace(/\?$/, ''));
  else if (r.status === 401) showSignIn('The key was refused.');
  else toast('Failed: ' + ((r.data && r.data.error && r.data.error.message) || r.status));
  loadAudit();
}

// ---------------------------------------------------------------- schedule and audit

async function loadSchedule() {
  const r = await api('GET', '/api/v1/admin/schedule?hours=24');
  const body = $('schedule').tBodies[0];
  if (r.status !== 200) return body.replaceChildren(el('tr', {}, el('td', { colspan: 3, class: 'muted' }, 'unavailable')));
  const rows = r.data.openings.map((o) => el('tr', {}, el('td', {}, timeText(o.opens_at)), el('td', { class: 'wrap' }, o.title), el('td', {}, o.source)));
  body.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: 3, class: 'muted' }, 'Nothing opens in the next 24 hours.'))]));
}

async function loadAudit() {
  const r = await api('GET', '/api/v1/admin/audit?limit=30');
  const body = $('audit').tBodies[0];
  if (r.status !== 200) return;
  const rows = r.data.entries.map((e) => el('tr', {}, el('td', {}, new Date(e.at).toLocaleTimeString()), el('td', {}, e.key), el('td', {}, e.action),
    el('td', { class: 'wrap small' }, e.target + (e.detail ? ' — ' + e.detail : '')),
    el('td', {}, el('span', { class: 'tag ' + (e.result === 'ok' ? 'ok' : 'bad') }, e.result))));
  body.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: 5, class: 'muted' }, 'No actions yet.'))]));
}

// ---------------------------------------------------------------- start

$('signin-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  signIn($('key').value.trim());
});
$('sign-out').addEventListener('click', () => showSignIn(null));
$('room-hide').addEventListener('click', () => watch(null));
$('act-lock').addEventListener('click', () => roomAction('lock'));
$('act-close').addEventListener('click', () => roomAction('close'));
$('schedule-refresh').addEventListener('click', loadSchedule);
$('audit-refresh').addEventListener('click', loadAudit);

const saved = sessionStorage.getItem(KEY_STORE);
if (saved) signIn(saved);
else showSignIn(null);
