// SPDX-License-Identifier: MIT
// DOM side of the meeting page: views, message screens, tiles, participant list, toasts.
// It knows nothing about the protocol; meeting.js tells it what to show.

import { STRINGS, LOCALE, fmt } from './meeting-strings.js';
import { gridShape, initials, avatarHue } from './meeting-logic.js';

export const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

function icon(name, cls = 'icon') {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', cls);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const use = document.createElementNS(ns, 'use');
  use.setAttribute('href', '#i-' + name);
  svg.appendChild(use);
  return svg;
}

function setIcon(button, name) {
  const use = button.querySelector('use');
  if (use) use.setAttribute('href', '#i-' + name);
}

// Fills data-i18n (text) and data-i18n-label (aria-label and tooltip) from STRINGS, and
// sets <html lang> to the page's language.
export function applyStrings(root = document) {
  if (root === document) document.documentElement.lang = LOCALE;
  for (const e of root.querySelectorAll('[data-i18n]')) e.textContent = STRINGS[e.dataset.i18n] ?? '';
  for (const e of root.querySelectorAll('[data-i18n-label]')) {
    const s = STRINGS[e.dataset.i18nLabel] ?? '';
    e.setAttribute('aria-label', s);
    e.title = s;
  }
}

const VIEWS = ['prejoin', 'message', 'meeting'];
export function showView(name) {
  for (const v of VIEWS) $(v).hidden = v !== name;
  document.body.dataset.view = name;
}

// A message screen: { icon, tone, title, text, detail, spinner, actions: [{ label, primary, onClick }] }
export function showMessage(m) {
  showView('message');
  const card = $('message');
  card.dataset.tone = m.tone || 'info';
  $('message-icon').hidden = !!m.spinner;
  setIcon($('message-icon'), m.icon || 'info');
  $('message-spinner').hidden = !m.spinner;
  $('message-title').textContent = m.title || '';
  $('message-text').textContent = m.text || '';
  $('message-detail').textContent = m.detail || '';
  $('message-detail').hidden = !m.detail;
  const actions = $('message-actions');
  actions.replaceChildren();
  for (const a of m.actions || []) {
    const b = el('button', a.primary ? 'primary-btn' : 'ghost-btn', a.label);
    b.type = 'button';
    b.addEventListener('click', a.onClick);
    actions.appendChild(b);
  }
  document.title = m.title ? `${m.title} · ${STRINGS.brand}` : STRINGS.pageTitle;
  // Move focus to the heading so screen readers announce the new screen.
  $('message-title').focus({ preventScroll: true });
}

export function setMessageDetail(text) {
  $('message-detail').textContent = text || '';
  $('message-detail').hidden = !text;
}

export function banner(text) {
  const b = $('banner');
  b.textContent = text || '';
  b.hidden = !text;
}

export function toast(text, ms = 5000) {
  const t = el('div', 'toast', text);
  $('toasts').appendChild(t);
  setTimeout(() => {
    t.classList.add('out');
    setTimeout(() => t.remove(), 300);
  }, ms);
}

export function confirmDialog({ title, text, ok }) {
  const d = $('confirm');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = ok;
  return new Promise((resolve) => {
    d.returnValue = '';
    d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true });
    d.showModal();
    $('confirm-cancel').focus();
  });
}

// A toggle button for mic / camera: on, off or unavailable.
export function setToggle(button, { on, available = true, kind }) {
  const isMic = kind === 'mic';
  button.setAttribute('aria-pressed', String(on && available));
  button.disabled = !available;
  button.classList.toggle('off', !on || !available);
  const label = !available
    ? STRINGS[isMic ? 'micUnavailable' : 'camUnavailable']
    : STRINGS[isMic ? (on ? 'micOnLabel' : 'micOffLabel') : (on ? 'camOnLabel' : 'camOffLabel')];
  button.setAttribute('aria-label', label);
  button.title = label;
  setIcon(button, isMic ? (on && available ? 'mic' : 'mic-off') : (on && available ? 'cam' : 'cam-off'));
}

export function setShareButton(button, sharing, supported) {
  button.setAttribute('aria-pressed', String(sharing));
  button.classList.toggle('active', sharing);
  button.disabled = !supported;
  const label = !supported ? STRINGS.shareUnsupported : sharing ? STRINGS.shareStop : STRINGS.shareStart;
  button.setAttribute('aria-label', label);
  button.title = label;
}

function attachTrack(video, track) {
  if (video._track === track) return;
  video._track = track;
  video.srcObject = track ? new MediaStream([track]) : null;
  if (track) video.play().catch(() => {});
}

// Tiles. A tile descriptor: { key, type: 'camera'|'screen', name, label, pid, track,
// mirror, micMuted, speaking, local }
export class Stage {
  constructor() {
    this.grid = $('grid');
    this.screens = $('screens');
    this.stage = $('stage');
    this.tiles = new Map();
    this.count = 0;
    this.ro = new ResizeObserver(() => this.layout());
    this.ro.observe(this.stage);
  }

  makeTile(d) {
    const t = el('div', 'tile');
    t.dataset.key = d.key;
    t.setAttribute('role', 'group');
    const video = el('video');
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true; // sound plays through the audio sink
    const avatar = el('div', 'avatar');
    const circle = el('span', 'avatar-circle');
    avatar.appendChild(circle);
    const label = el('div', 'tile-label');
    const mic = icon('mic-off', 'icon small mic-off');
    const name = el('span', 'tile-name');
    label.append(mic, name);
    t.append(video, avatar, label);
    t._parts = { video, avatar, circle, label, mic, name };
    return t;
  }

  render(list) {
    const seen = new Set();
    const screens = list.filter((d) => d.type === 'screen');
    const cams = list.filter((d) => d.type !== 'screen');
    const place = (parent, items) => {
      let prev = null;
      for (const d of items) {
        seen.add(d.key);
        let t = this.tiles.get(d.key);
        if (!t) {
          t = this.makeTile(d);
          this.tiles.set(d.key, t);
        }
        this.update(t, d);
        const want = prev ? prev.nextSibling : parent.firstChild;
        if (t.parentNode !== parent || want !== t) parent.insertBefore(t, want);
        prev = t;
      }
    };
    place(this.screens, screens);
    place(this.grid, cams);
    for (const [key, t] of this.tiles) {
      if (!seen.has(key)) {
        attachTrack(t._parts.video, null);
        t.remove();
        this.tiles.delete(key);
      }
    }
    this.screens.hidden = screens.length === 0;
    this.stage.classList.toggle('has-screen', screens.length > 0);
    this.count = cams.length;
    this.layout();
  }

  update(t, d) {
    const p = t._parts;
    const showVideo = !!d.track && d.track.readyState !== 'ended';
    attachTrack(p.video, showVideo ? d.track : null);
    p.video.hidden = !showVideo;
    p.video.classList.toggle('mirror', !!d.mirror);
    p.video.classList.toggle('contain', d.type === 'screen');
    p.avatar.hidden = showVideo;
    p.circle.textContent = initials(d.name);
    p.circle.style.setProperty('--hue', avatarHue(d.pid || d.key));
    p.name.textContent = d.label;
    p.mic.style.display = d.micMuted && d.type !== 'screen' ? '' : 'none';
    t.classList.toggle('speaking', !!d.speaking);
    t.classList.toggle('screen', d.type === 'screen');
    let aria = d.label;
    if (d.micMuted && d.type !== 'screen') aria += ', ' + STRINGS.micMuted;
    if (d.speaking) aria += ', ' + STRINGS.speaking;
    t.setAttribute('aria-label', aria);
  }

  layout() {
    const r = this.grid.getBoundingClientRect();
    const narrow = window.innerWidth < 640;
    let shape;
    if (this.stage.classList.contains('has-screen')) {
      // Cameras go in a strip next to (or under) the shared screen.
      shape = narrow ? { cols: Math.min(this.count, 4), rows: 1 } : { cols: 1, rows: Math.max(1, this.count) };
    } else {
      // Phones in portrait: squarer tiles, two columns at most.
      const portrait = r.height > r.width;
      shape = gridShape(this.count, r.width, r.height, narrow ? 2 : 4, portrait ? 1 : 16 / 9);
    }
    this.grid.style.setProperty('--cols', shape.cols);
    this.grid.style.setProperty('--rows', shape.rows);
    this.grid.dataset.count = this.count;
    this.grid.classList.toggle('scroll', shape.rows > (narrow ? 3 : 4) && !this.stage.classList.contains('has-screen'));
  }

  tileWidth(key) {
    const t = this.tiles.get(key);
    return t ? t.getBoundingClientRect().width : 0;
  }
}

// One <audio> per remote audio track.
export class AudioSink {
  constructor() {
    this.root = $('audio-sink');
    this.els = new Map();
  }

  sync(tracks) {
    const seen = new Set();
    for (const { key, track } of tracks) {
      seen.add(key);
      let a = this.els.get(key);
      if (!a) {
        a = document.createElement('audio');
        a.autoplay = true;
        this.root.appendChild(a);
        this.els.set(key, a);
      }
      if (a._track !== track) {
        a._track = track;
        a.srcObject = new MediaStream([track]);
        a.play().catch(() => {});
      }
    }
    for (const [key, a] of this.els) {
      if (!seen.has(key)) {
        a.srcObject = null;
        a.remove();
        this.els.delete(key);
      }
    }
  }

  // After a user gesture: retry playback that the autoplay policy blocked.
  resume() {
    for (const a of this.els.values()) if (a.paused) a.play().catch(() => {});
  }
}

// Participant list. people: [{ id, name, role, micMuted, camOff, me }], lobby: [{ id, name }]
export function renderPeople({ people, lobby, isHost, locked, recording, live }) {
  $('panel-title').textContent = fmt('participantsCount', { n: people.length });
  $('people-heading').textContent = fmt('inMeetingHeading', { n: people.length });
  $('people-count').textContent = String(people.length);
  $('host-tools').hidden = !isHost;
  $('host-end').hidden = !isHost;
  $('lock-text').textContent = locked ? STRINGS.unlockRoom : STRINGS.lockRoom;
  $('lock-btn').setAttribute('aria-pressed', String(!!locked));
  $('record-text').textContent = recording ? STRINGS.stopRecording : STRINGS.startRecording;
  $('record-btn').setAttribute('aria-pressed', String(!!recording));
  const streaming = !!(live && live.active);
  $('live-text').textContent = streaming ? STRINGS.stopLive : STRINGS.goLive;
  $('live-btn').setAttribute('aria-pressed', String(streaming));
  const url = streaming && live.url ? live.url : '';
  $('live-section').hidden = !url;
  if ($('live-url').value !== url) $('live-url').value = url;

  const lobbyList = $('lobby-list');
  lobbyList.replaceChildren();
  $('lobby-section').hidden = !isHost || lobby.length === 0;
  $('lobby-heading').textContent = fmt('waitingHeading', { n: lobby.length });
  for (const p of lobby) {
    const li = el('li', 'prow');
    li.append(avatarSmall(p), el('span', 'pname', p.name || STRINGS.unknownName));
    const acts = el('span', 'pacts');
    acts.append(
      actionButton('admit', p, STRINGS.admit, fmt('admitLabel', { name: p.name }), 'primary-btn small'),
      actionButton('deny', p, STRINGS.deny, fmt('denyLabel', { name: p.name }), 'ghost-btn small'),
    );
    li.appendChild(acts);
    lobbyList.appendChild(li);
  }

  const list = $('people-list');
  list.replaceChildren();
  for (const p of people) {
    const li = el('li', 'prow');
    const name = el('span', 'pname', p.me ? fmt('you', { name: p.name }) : p.name);
    li.append(avatarSmall(p), name);
    if (p.role === 'host') li.appendChild(el('span', 'role', STRINGS.roleHost));
    const state = el('span', 'pstate');
    state.appendChild(icon(p.micMuted ? 'mic-off' : 'mic', 'icon small' + (p.micMuted ? ' is-off' : '')));
    state.appendChild(icon(p.camOff ? 'cam-off' : 'cam', 'icon small' + (p.camOff ? ' is-off' : '')));
    state.setAttribute('aria-label', p.micMuted ? STRINGS.micMuted : '');
    li.appendChild(state);
    if (isHost && !p.me) {
      const acts = el('span', 'pacts');
      const mute = actionButton('host_mute', p, STRINGS.hostMute, fmt('hostMuteLabel', { name: p.name }), 'ghost-btn small');
      mute.disabled = !!p.micMuted;
      acts.append(mute, actionButton('remove', p, STRINGS.remove, fmt('removeLabel', { name: p.name }), 'ghost-btn small danger'));
      li.appendChild(acts);
    }
    list.appendChild(li);
  }
}

function avatarSmall(p) {
  const a = el('span', 'avatar-sm', initials(p.name));
  a.style.setProperty('--hue', avatarHue(p.id));
  a.setAttribute('aria-hidden', 'true');
  return a;
}

function actionButton(action, p, text, label, cls) {
  const b = el('button', cls, text);
  b.type = 'button';
  b.dataset.action = action;
  b.dataset.pid = p.id;
  b.setAttribute('aria-label', label);
  b.title = label;
  return b;
}
