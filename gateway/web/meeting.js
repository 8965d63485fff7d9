// SPDX-License-Identifier: MIT
// The meeting page: /j/<room-code>?t=<token>. Pre-join, the meeting itself, and a screen for
// every refusal of docs/protocol.md. Debug hooks (no server needed): ?debug=screen:<name>,
// ?debug=meeting:<n>[:screen][:host][:panel][:lobby] — see meeting-debug.js.

import { STRINGS, LANG, DATE_LOCALES, fmt } from './meeting-strings.js';
import {
  parseLocation, refusalScreen, refusalIsRetryable, backoffDelay, retryDelayForOpensAt, sameDay, participantId,
} from './meeting-logic.js';
import { openDevice, listDevices, LevelMeter } from './meeting-media.js';
import { Publisher, Subscriber } from './meeting-rtc.js';
import { Signal, signalUrl } from './meeting-signal.js';
import * as ui from './meeting-ui.js';

const { $ } = ui;
const RESUME_WINDOW_MS = 30000;   // docs/protocol.md: resume within 30 s
const RESUME_MARGIN_MS = 2000;    // do not try a resume that would arrive just too late
const ANSWER_TIMEOUT_MS = 15000;
const LS = { name: 'meetgate.name', micDev: 'meetgate.micDevice', camDev: 'meetgate.camDevice', micOn: 'meetgate.micOn', camOn: 'meetgate.camOn' };

// Phases: prejoin, connecting, waiting (not_started), lobby, meeting, reconnecting,
// refused, ended, left.
export const S = {
  phase: 'prejoin',
  debug: false,
  code: '',
  token: '',
  name: '',
  me: null,                  // { id, name, role }
  room: {},                  // as in `joined`
  participants: new Map(),   // id -> { id, name, role, tracks: Map(trackId -> track) }
  lobby: new Map(),          // id -> { id, name }
  remote: [],                // from the last subscribe_offer: [{ mid, participant, track, kind, source, media }]
  activeSpeaker: '',
  recording: false,
  live: { active: false },   // the room's live stream: { active, kind, url } (url for HLS)
  resume: '',
  dropAt: 0,
  attempt: 0,
  joinId: null,
  joinMode: 'fresh',
  closing: null,
  signal: null,
  pub: null,
  sub: null,
  mic: { track: null, error: null, on: true, deviceId: '' },
  cam: { track: null, error: null, on: true, deviceId: '' },
  screen: { track: null },
  timers: { reconnect: 0, retry: 0, closing: 0, layer: 0 },
  layers: new Map(),
};

let meter = null;
let stage = null;
let audio = null;
let pubChain = Promise.resolve();
let subChain = Promise.resolve();
let pendingPublish = null; // { id, resolve, reject, timer }

function store(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {}
}
function load(key, fallback = '') {
  try {
    return localStorage.getItem(key) ?? fallback;
  } catch {
    return fallback;
  }
}

// ---------------------------------------------------------------- screens

function timeText(d) {
  return d.toLocaleTimeString(DATE_LOCALES, { hour: 'numeric', minute: '2-digit' });
}

export function showScreen(name, data = {}) {
  S.screenName = name;
  const retry = (label = STRINGS.retryNow, primary = false) => ({ label, primary, onClick: () => retryJoin() });
  const M = {
    connecting: { spinner: true, title: STRINGS.connectingTitle, text: STRINGS.connectingText },
    ended: { icon: 'clock', title: STRINGS.endedTitle, text: STRINGS.endedText },
    wrong_room: { icon: 'link', tone: 'warn', title: STRINGS.wrongRoomTitle, text: STRINGS.wrongRoomText },
    not_invited: { icon: 'block', tone: 'warn', title: STRINGS.notInvitedTitle, text: STRINGS.notInvitedText },
    token: { icon: 'link', tone: 'warn', title: STRINGS.tokenTitle, text: STRINGS.tokenText },
    room_full: { icon: 'people', tone: 'warn', title: STRINGS.roomFullTitle, text: STRINGS.roomFullText, actions: [retry(STRINGS.retryNow, true)] },
    locked: { icon: 'lock', tone: 'warn', title: STRINGS.lockedTitle, text: STRINGS.lockedText, actions: [retry(STRINGS.retryNow, true)] },
    removed: { icon: 'block', tone: 'bad', title: STRINGS.removedTitle, text: STRINGS.removedText },
    removed_by_admin: { icon: 'block', tone: 'bad', title: STRINGS.removedAdminTitle, text: STRINGS.removedAdminText },
    lobby: { icon: 'hourglass', title: STRINGS.lobbyTitle, text: STRINGS.lobbyText, actions: [{ label: STRINGS.leaveWaiting, onClick: () => leave() }] },
    admitted: { spinner: true, title: STRINGS.admittedTitle, text: STRINGS.admittedText },
    not_admitted: { icon: 'block', tone: 'bad', title: STRINGS.notAdmittedTitle, text: STRINGS.notAdmittedText },
    left: { icon: 'wave', title: STRINGS.leftTitle, text: STRINGS.leftText, actions: [{ label: STRINGS.rejoin, primary: true, onClick: () => location.reload() }] },
    unreachable: { icon: 'wifi', tone: 'warn', title: STRINGS.unreachableTitle, text: STRINGS.unreachableText, actions: [retry()] },
    lost: { icon: 'wifi', tone: 'warn', title: STRINGS.lostTitle, text: STRINGS.lostText, actions: [{ label: STRINGS.rejoin, primary: true, onClick: () => location.reload() }] },
    unsupported: { icon: 'block', tone: 'warn', title: STRINGS.unsupportedTitle, text: STRINGS.unsupportedText },
    server_error: { icon: 'info', tone: 'warn', title: STRINGS.serverErrorTitle, text: fmt('serverErrorText', { detail: data.detail || data.code || '?' }), actions: [retry(STRINGS.retryNow, true)] },
  };
  if (name === 'not_started') {
    const opens = new Date(data.opens_at);
    let text = STRINGS.notStartedUnknown;
    if (!Number.isNaN(opens.getTime())) {
      text = sameDay(opens, new Date())
        ? fmt('notStartedText', { time: timeText(opens) })
        : fmt('notStartedTextDay', { time: timeText(opens), date: opens.toLocaleDateString(DATE_LOCALES, { weekday: 'long', day: 'numeric', month: 'long' }) });
    }
    ui.showMessage({ icon: 'clock', title: STRINGS.notStartedTitle, text, detail: roomLine(), actions: [retry()] });
    return;
  }
  if (name === 'room_closing') {
    const why = { ended_by_host: STRINGS.closingEndedByHost, schedule_end: STRINGS.closingSchedule, closed_by_admin: STRINGS.closingAdmin, cancelled: STRINGS.closingCancelled }[data.reason];
    // An admin's message (plain text) says why, in their words.
    const detail = data.message ? data.message : why ? STRINGS.closingText : '';
    ui.showMessage({ icon: 'clock', title: STRINGS.closingTitle, text: why || STRINGS.closingText, detail });
    return;
  }
  const m = M[name] || M.server_error;
  ui.showMessage({ ...m, detail: m.detail ?? roomLine() });
}

function roomLine() {
  if (S.room && S.room.title) return S.room.title;
  return S.code ? fmt('prejoinRoom', { code: S.code }) : '';
}

// ---------------------------------------------------------------- pre-join

function setPreview() {
  const v = $('preview-video');
  const track = S.cam.on ? S.cam.track : null;
  if (v._track !== track) {
    v._track = track;
    v.srcObject = track ? new MediaStream([track]) : null;
  }
  v.hidden = !track;
  $('preview-off').hidden = !!track;
  let off = STRINGS.cameraOffPreview;
  if (S.cam.on && !S.cam.track && !S.cam.error) off = STRINGS.cameraStarting;
  $('preview-off-text').textContent = off;
  ui.setToggle($('pre-mic'), { on: S.mic.on, available: !S.mic.error, kind: 'mic' });
  ui.setToggle($('pre-cam'), { on: S.cam.on, available: !S.cam.error, kind: 'cam' });

  const notes = $('device-notes');
  notes.replaceChildren();
  const note = (kind, err) => {
    if (!err) return;
    const device = kind === 'mic' ? STRINGS.deviceNameMicrophone : STRINGS.deviceNameCamera;
    const key = { denied: 'deviceDenied', none: 'deviceNone', busy: 'deviceBusy', insecure: 'insecureContext' }[err] || 'deviceFailed';
    const li = document.createElement('li');
    li.textContent = fmt(key, { device });
    notes.appendChild(li);
  };
  note('mic', S.mic.error);
  if (S.cam.error !== S.mic.error || S.cam.error !== 'insecure') note('cam', S.cam.error);

  const hints = [];
  if (!S.mic.on && !S.mic.error) hints.push(STRINGS.joinWithMicOff);
  if (!S.cam.on && !S.cam.error) hints.push(STRINGS.joinWithCamOff);
  $('join-hints').textContent = hints.join(' ');
}

async function fillDeviceLists() {
  const { audio: mics, video: cams } = await listDevices();
  const fill = (select, list, current) => {
    select.replaceChildren();
    if (!list.length) {
      select.appendChild(new Option(STRINGS.noDeviceOption, ''));
      select.disabled = true;
      return;
    }
    select.disabled = false;
    list.forEach((d, i) => select.appendChild(new Option(d.label || `${select === $('mic-select') ? STRINGS.microphoneLabel : STRINGS.cameraLabel} ${i + 1}`, d.deviceId)));
    const settingsId = current ? current.getSettings().deviceId : '';
    const want = settingsId || (select === $('mic-select') ? S.mic.deviceId : S.cam.deviceId);
    if (want && list.some((d) => d.deviceId === want)) select.value = want;
  };
  fill($('mic-select'), mics, S.mic.track);
  fill($('cam-select'), cams, S.cam.track);
}

async function openMic() {
  const { track, error } = await openDevice('audio', S.mic.deviceId);
  if (S.mic.track) S.mic.track.stop();
  S.mic.track = track;
  S.mic.error = error;
  if (track) {
    track.enabled = S.mic.on;
    S.mic.deviceId = track.getSettings().deviceId || S.mic.deviceId;
  }
  if (meter && S.phase === 'prejoin') meter.attach(track);
  if (S.pub && S.pub.has('microphone')) await S.pub.replaceTrack('microphone', track);
}

async function openCam() {
  const { track, error } = await openDevice('video', S.cam.deviceId);
  if (S.cam.track) S.cam.track.stop();
  S.cam.track = track;
  S.cam.error = error;
  if (track) S.cam.deviceId = track.getSettings().deviceId || S.cam.deviceId;
  return track;
}

function closeCam() {
  if (S.cam.track) {
    S.cam.track.enabled = false;
    S.cam.track.stop();
  }
  S.cam.track = null;
}

async function initPrejoin() {
  S.phase = 'prejoin';
  ui.showView('prejoin');
  document.title = S.code ? `${fmt('prejoinRoom', { code: S.code })} · ${STRINGS.brand}` : STRINGS.pageTitle;
  $('prejoin-room').textContent = S.code ? fmt('prejoinRoom', { code: S.code }) : '';
  $('name-input').placeholder = STRINGS.namePlaceholder;
  $('name-input').value = load(LS.name);
  $('meter').setAttribute('aria-label', STRINGS.micLevelLabel);
  S.mic.on = load(LS.micOn, '1') === '1';
  S.cam.on = load(LS.camOn, '1') === '1';
  S.mic.deviceId = load(LS.micDev);
  S.cam.deviceId = load(LS.camDev);
  meter = new LevelMeter((level) => {
    $('meter-fill').style.width = `${(level * 100).toFixed(1)}%`;
    $('meter-fill').classList.toggle('hot', level > 0.85);
    $('meter').setAttribute('aria-valuenow', String(Math.round(level * 100)));
  });
  setPreview();
  // Joining waits for the devices, so a quick click still publishes them.
  S.devicesReady = Promise.all([openMic(), S.cam.on ? openCam() : Promise.resolve()]);
  await S.devicesReady;
  setPreview();
  await fillDeviceLists();
  if (navigator.mediaDevices && 'ondevicechange' in navigator.mediaDevices) {
    navigator.mediaDevices.addEventListener('devicechange', () => {
      if (S.phase === 'prejoin') fillDeviceLists();
    });
  }
  if (!$('name-input').value) $('name-input').focus();
  else $('join-btn').focus();
}

function bindPrejoin() {
  $('pre-mic').addEventListener('click', () => {
    S.mic.on = !S.mic.on;
    if (S.mic.track) S.mic.track.enabled = S.mic.on;
    store(LS.micOn, S.mic.on ? '1' : '0');
    meter && meter.resume();
    setPreview();
  });
  $('pre-cam').addEventListener('click', async () => {
    S.cam.on = !S.cam.on;
    store(LS.camOn, S.cam.on ? '1' : '0');
    if (S.cam.on) {
      setPreview();
      await openCam();
      if (!S.cam.track) S.cam.on = false;
    } else closeCam();
    setPreview();
  });
  $('mic-select').addEventListener('change', async (e) => {
    S.mic.deviceId = e.target.value;
    store(LS.micDev, S.mic.deviceId);
    await openMic();
    setPreview();
  });
  $('cam-select').addEventListener('change', async (e) => {
    S.cam.deviceId = e.target.value;
    store(LS.camDev, S.cam.deviceId);
    if (S.cam.on) await openCam();
    setPreview();
  });
  $('join-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const name = $('name-input').value.trim();
    if (!name) {
      $('name-error').textContent = STRINGS.nameRequired;
      $('name-error').hidden = false;
      $('name-input').setAttribute('aria-invalid', 'true');
      $('name-input').focus();
      return;
    }
    $('name-error').hidden = true;
    $('name-input').removeAttribute('aria-invalid');
    S.name = name;
    store(LS.name, name);
    meter && meter.resume();
    if (S.debug) return;
    startJoin();
  });
}

// ---------------------------------------------------------------- connection and join

async function startJoin() {
  S.phase = 'connecting';
  S.attempt = 0;
  $('join-btn').disabled = true;
  $('join-btn').textContent = STRINGS.joiningButton;
  showScreen('connecting');
  try {
    await S.devicesReady;
  } catch {
    // joining without devices is allowed; the pre-join screen said why
  }
  connect();
}

function connect() {
  clearTimeout(S.timers.reconnect);
  S.timers.reconnect = 0;
  if (!S.signal) S.signal = new Signal(signalUrl(), { onOpen, onMessage, onClose });
  S.signal.connect();
}

function onOpen() {
  S.attempt = 0;
  sendJoin();
}

function sendJoin() {
  const canResume = S.resume && S.phase === 'reconnecting' && Date.now() - S.dropAt < RESUME_WINDOW_MS - RESUME_MARGIN_MS;
  if (canResume) {
    S.joinMode = 'resume';
    S.joinId = S.signal.send({ type: 'join', resume: S.resume });
  } else {
    S.joinMode = 'fresh';
    const join = { type: 'join', token: S.token, name: S.name };
    if (S.code) join.room = S.code; // a token for another room must not open it
    S.joinId = S.signal.send(join);
  }
}

// "Try again" on a refusal screen, and the automatic not_started retry.
function retryJoin() {
  clearTimeout(S.timers.retry);
  if (S.debug) return;
  if (S.phase !== 'waiting') {
    S.phase = 'connecting';
    showScreen('connecting');
  }
  if (S.signal && S.signal.open) sendJoin();
  else connect();
}

function onClose({ intentional }) {
  failPendingPublish(new Error('connection lost'));
  if (intentional) return;
  switch (S.phase) {
    case 'meeting':
      if (S.closing && Date.now() >= S.closing.at - 5000) {
        endMeeting(S.closing.reason);
        return;
      }
      S.phase = 'reconnecting';
      S.dropAt = Date.now();
      S.attempt = 0;
      ui.banner(STRINGS.reconnecting);
      scheduleReconnect();
      return;
    case 'reconnecting':
    case 'lobby':
    case 'admitted':
      scheduleReconnect();
      return;
    case 'connecting':
      if (S.attempt >= 2) showScreen('unreachable');
      scheduleReconnect();
      return;
    default:
      // waiting: the not_started timer reconnects; refused/ended/left: nothing to do.
      return;
  }
}

function scheduleReconnect() {
  clearTimeout(S.timers.reconnect);
  const delay = backoffDelay(S.attempt++);
  if (S.phase === 'reconnecting' && delay >= 2000) ui.banner(fmt('reconnectingIn', { s: Math.round(delay / 1000) }));
  S.timers.reconnect = setTimeout(() => {
    if (S.phase === 'reconnecting') ui.banner(STRINGS.reconnecting);
    connect();
  }, delay);
}

window.addEventListener('online', () => {
  if (S.timers.reconnect) connect();
});

// ---------------------------------------------------------------- messages

function onMessage(msg) {
  switch (msg.type) {
    case 'joined': return onJoined(msg);
    case 'lobby':
      S.phase = 'lobby';
      showScreen('lobby');
      return;
    case 'admitted':
      S.phase = 'admitted';
      showScreen('admitted');
      return;
    case 'error': return onError(msg);
    case 'publish_answer': return onPublishAnswer(msg);
    case 'subscribe_offer': return onSubscribeOffer(msg);
    case 'candidate': return onRemoteCandidate(msg);
    case 'participant_joined': {
      const p = addParticipant(msg.participant);
      if (p) {
        S.lobby.delete(p.id);
        ui.toast(fmt('joinedToast', { name: p.name }), 3000);
      }
      return renderMeeting();
    }
    case 'participant_left': {
      const id = participantId(msg.participant);
      const p = S.participants.get(id);
      S.participants.delete(id);
      S.lobby.delete(id);
      S.remote = S.remote.filter((r) => r.participant !== id);
      if (S.activeSpeaker === id) S.activeSpeaker = '';
      if (p) ui.toast(fmt('leftToast', { name: p.name }), 3000);
      return renderMeeting();
    }
    case 'track_added': {
      const p = S.participants.get(participantId(msg.participant));
      if (p && msg.track && msg.track.id != null) p.tracks.set(String(msg.track.id), { ...msg.track, id: String(msg.track.id) });
      return renderMeeting();
    }
    case 'track_removed': {
      const pid = participantId(msg.participant);
      const tid = msg.track && typeof msg.track === 'object' ? String(msg.track.id) : String(msg.track);
      const p = S.participants.get(pid);
      if (p) p.tracks.delete(tid);
      S.remote = S.remote.filter((r) => !(r.participant === pid && r.track === tid));
      return renderMeeting();
    }
    case 'muted': return onMuted(msg);
    case 'active_speaker':
      S.activeSpeaker = participantId(msg.participant);
      return renderMeeting();
    case 'lobby_waiting': {
      const p = msg.participant;
      const id = participantId(p);
      if (!id) return;
      const name = (p && typeof p === 'object' && p.name) || msg.name || STRINGS.unknownName;
      if (!S.lobby.has(id) && isHost()) ui.toast(fmt('lobbyToast', { name }), 6000);
      S.lobby.set(id, { id, name });
      return renderMeeting();
    }
    case 'room_locked':
      S.room.locked = !!msg.locked;
      if (S.phase === 'meeting') ui.toast(S.room.locked ? STRINGS.roomLockedToast : STRINGS.roomUnlockedToast, 4000);
      return renderMeeting();
    case 'room_closing': return onRoomClosing(msg);
    case 'removed':
      refuse(msg.reason === 'by_admin' ? 'removed_by_admin' : 'removed');
      return;
    case 'recording':
      S.recording = !!msg.active;
      return renderMeeting();
    case 'live':
      S.live = liveState(msg);
      // The stream failed (or its output ended): the badge goes, and the host learns why.
      if (!msg.active && msg.reason === 'failed' && isHost() && S.phase === 'meeting') {
        ui.toast(fmt('liveStreamFailed', { reason: String(msg.error || '?') }), 10000);
      }
      return renderMeeting();
    case 'room_overtime':
      if (S.phase === 'meeting') ui.toast(STRINGS.overtimeToast, 10000);
      return;
    default:
      return; // unknown events are ignored so that a newer server does not break this page
  }
}

function liveState(m) {
  if (!m || !m.active) return { active: false };
  return { active: true, kind: String(m.kind || 'hls'), url: typeof m.url === 'string' ? m.url : '' };
}

function isHost() {
  return !!S.me && S.me.role === 'host';
}

function addParticipant(raw) {
  if (!raw || raw.id == null) return null;
  const id = String(raw.id);
  if (S.me && id === String(S.me.id)) return null;
  const tracks = new Map();
  for (const t of raw.tracks || []) if (t && t.id != null) tracks.set(String(t.id), { ...t, id: String(t.id) });
  const p = { id, name: raw.name || STRINGS.unknownName, role: raw.role || 'attendee', tracks };
  S.participants.set(id, p);
  return p;
}

function onJoined(msg) {
  const wasReconnecting = S.phase === 'reconnecting';
  const resumed = !!msg.resumed;
  clearTimeout(S.timers.retry);
  S.me = { ...msg.me, id: String(msg.me && msg.me.id) };
  S.room = msg.room || {};
  S.resume = msg.resume || '';
  S.participants = new Map();
  for (const p of msg.participants || []) addParticipant(p);
  if (!resumed) S.lobby = new Map();
  S.remote = [];
  S.activeSpeaker = '';
  S.layers = new Map();
  S.recording = !!msg.recording;
  S.live = liveState(msg.live);
  S.phase = 'meeting';
  ui.banner(null);
  if (wasReconnecting) ui.toast(resumed ? STRINGS.reconnected : STRINGS.rejoinedFresh, 3000);
  // A resumed session publishes again on a new connection and gets a fresh subscribe_offer.
  closePeerConnections();
  enterMeetingView();
  startPublishing();
}

function onError(msg) {
  if (pendingPublish && msg.id != null && msg.id === pendingPublish.id) {
    failPendingPublish(new Error(msg.message || msg.code));
    return;
  }
  const code = String(msg.code || '');
  if (code === 'not_host') return ui.toast(STRINGS.notHost, 4000);
  if (code === 'record_failed') return ui.toast(STRINGS.recordFailed, 6000);
  if (code === 'live_failed' || code === 'live_unavailable') return ui.toast(STRINGS.liveFailed, 6000);
  const screen = refusalScreen(code);
  const isJoinAnswer = msg.id != null && msg.id === S.joinId;
  if (S.phase === 'meeting' && !(screen && isJoinAnswer)) {
    console.warn('meetgate: server error', msg);
    return;
  }
  if (S.joinMode === 'resume' && S.phase === 'reconnecting' && (isJoinAnswer || msg.id == null) && !['removed', 'ended', 'not_admitted'].includes(code)) {
    // The resume token was not accepted (too late, or the server restarted): join afresh.
    S.resume = '';
    S.dropAt = 0;
    sendJoin();
    return;
  }
  if (screen) {
    refuse(screen, msg);
    return;
  }
  if (['connecting', 'reconnecting', 'lobby', 'admitted', 'waiting'].includes(S.phase)) {
    closeEverything(false);
    S.phase = 'refused';
    showScreen('server_error', { code, detail: msg.message });
  }
}

// A refusal: a screen instead of the meeting. Retryable ones keep the devices open.
function refuse(screen, msg = {}) {
  const retryable = refusalIsRetryable(msg.code || screen);
  closeEverything(!retryable);
  if (screen === 'not_started') {
    S.phase = 'waiting';
    showScreen('not_started', msg);
    if (!S.debug) {
      clearTimeout(S.timers.retry);
      S.timers.retry = setTimeout(retryJoin, retryDelayForOpensAt(msg.opens_at));
    }
    return;
  }
  S.phase = 'refused';
  showScreen(screen, msg);
}

function onRoomClosing(msg) {
  const at = Date.parse(msg.at);
  if (!Number.isNaN(at) && at - Date.now() > 10000 && S.phase === 'meeting') {
    // An announcement ahead of time: say when, and close at that time.
    S.closing = { reason: msg.reason, at };
    ui.toast(fmt('closingSoon', { time: timeText(new Date(at)) }), 10000);
    clearTimeout(S.timers.closing);
    S.timers.closing = setTimeout(() => endMeeting(msg.reason), at - Date.now());
    return;
  }
  endMeeting(msg.reason, msg.message);
}

function endMeeting(reason, message) {
  closeEverything(true);
  S.phase = 'ended';
  showScreen('room_closing', { reason, message });
}

function onMuted(msg) {
  const pid = participantId(msg.participant);
  const source = msg.source;
  const muted = !!msg.muted;
  if (S.me && pid === S.me.id) {
    if (msg.by && muted) {
      if (source === 'microphone' && S.mic.on) {
        S.mic.on = false;
        if (S.mic.track) S.mic.track.enabled = false;
        ui.toast(STRINGS.hostMutedYou, 6000);
      } else if (source === 'camera' && S.cam.on) {
        S.cam.on = false;
        closeCam();
        if (S.pub) S.pub.replaceTrack('camera', null).catch(() => {});
        ui.toast(STRINGS.hostMutedYourCamera, 6000);
      }
    }
    return renderMeeting();
  }
  const p = S.participants.get(pid);
  if (p) {
    let found = false;
    for (const t of p.tracks.values()) {
      if (t.source === source) {
        t.muted = muted;
        found = true;
      }
    }
    if (!found) p.tracks.set(`${pid}:${source}`, { id: `${pid}:${source}`, kind: source === 'microphone' ? 'audio' : 'video', source, muted });
  }
  renderMeeting();
}

// ---------------------------------------------------------------- media

function sendCandidate(pc, candidate, mid) {
  if (!S.signal) return;
  const m = { type: 'candidate', pc, candidate };
  if (mid != null) m.mid = mid;
  S.signal.send(m, false);
}

function startPublishing() {
  if (S.debug) return;
  const pub = new Publisher({ onCandidate: sendCandidate });
  S.pub = pub;
  if (S.mic.track) pub.add('microphone', 'audio', S.mic.track);
  // The camera m-line is there even when the camera is off at join, so turning it on later
  // is a replaceTrack and not a new offer.
  if (!S.cam.error) pub.add('camera', 'video', S.cam.on ? S.cam.track : null);
  if (S.screen.track) pub.add('screen', 'video', S.screen.track);
  if (!pub.transceivers.size) return; // nothing to send: listen only
  publish().then(() => {
    if (S.pub !== pub) return;
    if (pub.has('microphone') && !S.mic.on) sendMute('microphone', true);
    if (pub.has('camera') && !(S.cam.on && S.cam.track)) sendMute('camera', true);
  });
}

function publish() {
  const pub = S.pub;
  pubChain = pubChain
    .then(() => doPublish(pub))
    .catch((err) => {
      if (S.pub === pub && S.phase === 'meeting') ui.toast(fmt('mediaFailed', { detail: err.message || err }), 8000);
    });
  return pubChain;
}

async function doPublish(pub) {
  if (!pub || pub !== S.pub || !S.signal || !S.signal.open) return;
  const { sdp, tracks } = await pub.offer();
  const id = S.signal.send({ type: 'publish', sdp, tracks });
  const answer = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pendingPublish = null;
      reject(new Error(STRINGS.mediaTimeout));
    }, ANSWER_TIMEOUT_MS);
    pendingPublish = { id, resolve, reject, timer };
  });
  if (pub !== S.pub) return;
  await pub.answer(answer.sdp);
}

function onPublishAnswer(msg) {
  const p = pendingPublish;
  if (!p) return;
  pendingPublish = null;
  clearTimeout(p.timer);
  p.resolve(msg);
}

function failPendingPublish(err) {
  const p = pendingPublish;
  if (!p) return;
  pendingPublish = null;
  clearTimeout(p.timer);
  p.reject(err);
}

function onSubscribeOffer(msg) {
  if (S.debug || S.phase !== 'meeting') return;
  if (!S.sub) S.sub = new Subscriber({ onCandidate: sendCandidate });
  const sub = S.sub;
  subChain = subChain
    .then(async () => {
      const { sdp, received } = await sub.handleOffer(msg.sdp, msg.tracks);
      if (sub !== S.sub) return;
      S.signal.send({ type: 'subscribe_answer', sdp });
      S.remote = received.filter((r) => !S.me || r.participant !== S.me.id);
      for (const r of received) r.media.addEventListener('unmute', () => renderMeeting());
      renderMeeting();
    })
    .catch((err) => console.warn('meetgate: subscribe_offer failed', err));
}

function onRemoteCandidate(msg) {
  const pc = msg.pc === 'subscribe' ? S.sub : S.pub;
  if (pc) pc.addRemoteCandidate(msg.candidate, msg.mid).catch(() => {});
}

function sendMute(source, muted) {
  if (S.signal && S.signal.open && S.phase === 'meeting') S.signal.send({ type: 'mute', source, muted }, false);
}

function closePeerConnections() {
  failPendingPublish(new Error('closed'));
  if (S.pub) S.pub.close();
  if (S.sub) S.sub.close();
  S.pub = null;
  S.sub = null;
  pubChain = Promise.resolve();
  subChain = Promise.resolve();
}

// Stops the media; with releaseDevices also the camera, microphone and screen.
function closeEverything(releaseDevices) {
  ui.banner(null);
  clearTimeout(S.timers.reconnect);
  clearTimeout(S.timers.closing);
  S.timers.reconnect = 0;
  closePeerConnections();
  S.remote = [];
  if (audio) audio.sync([]);
  if (releaseDevices) {
    for (const t of [S.mic.track, S.cam.track, S.screen.track]) if (t) t.stop();
    S.mic.track = S.cam.track = S.screen.track = null;
    if (meter) meter.close();
    if (S.signal) S.signal.close('done');
  }
}

function leave() {
  S.phase = 'left';
  if (S.signal) S.signal.close('leave'); // says leave first: others see us go at once
  closeEverything(true);
  showScreen('left');
}

window.addEventListener('pagehide', () => {
  if (S.signal) S.signal.close('leave');
});

// ---------------------------------------------------------------- meeting view

export function enterMeetingView() {
  ui.showView('meeting');
  if (meter) meter.detach();
  if (!stage) stage = new ui.Stage();
  if (!audio) audio = new ui.AudioSink();
  document.title = S.room.title ? fmt('pageTitleWith', { title: S.room.title }) : STRINGS.pageTitle;
  renderMeeting();
}

function isOff(p, source) {
  for (const t of p.tracks.values()) {
    if (t.source === source && !t.muted) return false;
  }
  return true; // no track of that source, or all of them muted
}

function remoteMedia(pid, source, kind) {
  const r = S.remote.find((x) => x.participant === pid && x.source === source && x.kind === kind && x.media.readyState !== 'ended');
  return r ? r.media : null;
}

export function renderMeeting() {
  if (S.phase !== 'meeting' || !stage) return;
  const me = S.me || { id: 'me', name: S.name };
  const myName = S.name || me.name;
  const many = S.participants.size > 0;
  const tiles = [{
    key: 'me', type: 'camera', pid: me.id, name: myName, label: fmt('you', { name: myName }),
    track: S.cam.on ? S.cam.track : null, mirror: true, local: true,
    micMuted: !S.mic.on || !S.mic.track, speaking: many && S.activeSpeaker === me.id && S.mic.on,
  }];
  const screens = [];
  if (S.screen.track) screens.push({ key: 'screen:me', type: 'screen', pid: me.id, name: myName, label: STRINGS.yourScreen, track: S.screen.track });
  const audioTracks = [];
  for (const p of S.participants.values()) {
    const camOff = isOff(p, 'camera');
    const micMuted = isOff(p, 'microphone');
    tiles.push({
      key: 'p:' + p.id, type: 'camera', pid: p.id, name: p.name, label: p.name,
      track: camOff ? null : (p._fakeTrack || remoteMedia(p.id, 'camera', 'video')),
      micMuted, speaking: S.activeSpeaker === p.id && !micMuted,
    });
    const scr = p._fakeScreen || remoteMedia(p.id, 'screen', 'video');
    if (scr) screens.push({ key: 'screen:' + p.id, type: 'screen', pid: p.id, name: p.name, label: fmt('screenOf', { name: p.name }), track: scr });
  }
  for (const r of S.remote) if (r.kind === 'audio') audioTracks.push({ key: r.mid, track: r.media });
  stage.render([...screens, ...tiles]);
  audio.sync(audioTracks);

  $('room-title').textContent = S.room.title || fmt('prejoinRoom', { code: S.room.code || S.code });
  $('room-code').textContent = S.room.title ? (S.room.code || S.code) : '';
  $('locked-badge').hidden = !S.room.locked;
  $('recording').hidden = !S.recording;
  $('recording').setAttribute('aria-label', STRINGS.recordingLabel);
  $('live-badge').hidden = !S.live.active;
  $('live-badge').setAttribute('aria-label', STRINGS.liveLabel);

  ui.setToggle($('ctl-mic'), { on: S.mic.on, available: !!S.mic.track || (S.debug && !S.mic.error), kind: 'mic' });
  ui.setToggle($('ctl-cam'), { on: S.cam.on, available: !S.cam.error, kind: 'cam' });
  ui.setShareButton($('ctl-share'), !!S.screen.track, !!(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia));

  const people = [{ id: me.id, name: myName, role: me.role, micMuted: !S.mic.on || !S.mic.track, camOff: !S.cam.on || !S.cam.track, me: true }];
  for (const p of S.participants.values()) people.push({ id: p.id, name: p.name, role: p.role, micMuted: isOff(p, 'microphone'), camOff: isOff(p, 'camera') });
  ui.renderPeople({ people, lobby: [...S.lobby.values()], isHost: isHost(), locked: !!S.room.locked, recording: S.recording, live: S.live });
  scheduleLayerHints();
}

// Ask for the low layer of cameras shown small, automatic otherwise (the SFU decides what
// exists; without simulcast this is a no-op on its side).
function scheduleLayerHints() {
  if (S.debug || S.timers.layer) return;
  S.timers.layer = setTimeout(() => {
    S.timers.layer = 0;
    if (!S.signal || !S.signal.open || S.phase !== 'meeting') return;
    for (const r of S.remote) {
      if (r.kind !== 'video' || !r.track) continue;
      const key = r.source === 'screen' ? 'screen:' + r.participant : 'p:' + r.participant;
      const w = stage.tileWidth(key);
      if (!w) continue;
      const layer = r.source === 'camera' && w < 400 ? 0 : 'auto';
      if (S.layers.get(r.track) === layer) continue;
      S.layers.set(r.track, layer);
      S.signal.send({ type: 'layer', track: r.track, layer }, false);
    }
  }, 800);
}

window.addEventListener('resize', () => scheduleLayerHints());

async function toggleMic() {
  if (!S.mic.track && !S.debug) return;
  S.mic.on = !S.mic.on;
  if (S.mic.track) S.mic.track.enabled = S.mic.on;
  store(LS.micOn, S.mic.on ? '1' : '0');
  sendMute('microphone', !S.mic.on);
  renderMeeting();
}

async function toggleCam() {
  if (S.cam.error) return;
  if (S.cam.on) {
    S.cam.on = false;
    closeCam();
    if (S.pub) await S.pub.replaceTrack('camera', null).catch(() => {});
    sendMute('camera', true);
  } else {
    S.cam.on = true;
    const track = await openCam();
    if (!track) {
      S.cam.on = false;
      S.cam.error = null; // keep the button usable: the camera may be back later
      ui.toast(fmt('deviceFailed', { device: STRINGS.deviceNameCamera }), 5000);
    } else if (S.pub) {
      if (S.pub.has('camera')) await S.pub.replaceTrack('camera', track);
      else {
        S.pub.add('camera', 'video', track);
        await publish();
      }
      sendMute('camera', false);
    }
  }
  store(LS.camOn, S.cam.on ? '1' : '0');
  renderMeeting();
}

async function toggleShare() {
  if (S.screen.track) return stopShare();
  if (!navigator.mediaDevices || !navigator.mediaDevices.getDisplayMedia) return ui.toast(STRINGS.shareUnsupported);
  let stream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
  } catch (err) {
    if (err && err.name !== 'NotAllowedError' && err.name !== 'AbortError') ui.toast(STRINGS.shareFailed);
    return;
  }
  const track = stream.getVideoTracks()[0];
  if (!track) return;
  if ('contentHint' in track) track.contentHint = 'detail';
  // The browser's own "Stop sharing" button ends the track.
  track.addEventListener('ended', () => {
    if (S.screen.track === track) stopShare();
  });
  S.screen.track = track;
  if (S.pub) {
    S.pub.add('screen', 'video', track);
    publish();
  }
  renderMeeting();
}

function stopShare() {
  const track = S.screen.track;
  if (!track) return;
  S.screen.track = null;
  track.stop();
  if (S.pub && S.pub.has('screen')) {
    S.pub.remove('screen');
    publish();
  }
  renderMeeting();
}

function togglePanel(force) {
  const panel = $('panel');
  const open = force ?? panel.hidden;
  panel.hidden = !open;
  $('ctl-people').setAttribute('aria-pressed', String(open));
  document.body.classList.toggle('panel-open', open);
  if (open) $('panel-close').focus();
  else $('ctl-people').focus();
  if (stage) stage.layout();
}

function bindMeeting() {
  $('ctl-mic').addEventListener('click', () => {
    audio && audio.resume();
    toggleMic();
  });
  $('ctl-cam').addEventListener('click', () => toggleCam());
  $('ctl-share').addEventListener('click', () => toggleShare());
  $('ctl-people').addEventListener('click', () => togglePanel());
  $('panel-close').addEventListener('click', () => togglePanel(false));
  $('ctl-leave').addEventListener('click', () => leave());
  $('panel').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') togglePanel(false);
  });
  $('lock-btn').addEventListener('click', () => {
    if (!S.signal) return;
    S.signal.send({ type: 'lock', locked: !S.room.locked });
  });
  $('record-btn').addEventListener('click', () => {
    if (!S.signal) return;
    S.signal.send({ type: 'record', active: !S.recording });
  });
  $('live-btn').addEventListener('click', () => {
    if (!S.signal) return;
    // Go live starts HLS; Stop live stops whatever kind runs (an operator may have started RTMP).
    S.signal.send(S.live.active ? { type: 'live', active: false, kind: S.live.kind } : { type: 'live', active: true, kind: 'hls' });
  });
  $('live-copy').addEventListener('click', async () => {
    const input = $('live-url');
    try {
      await navigator.clipboard.writeText(input.value);
      ui.toast(STRINGS.linkCopied, 2000);
    } catch {
      input.select(); // no clipboard access (plain http): the user copies the selected text
    }
  });
  $('end-btn').addEventListener('click', async () => {
    const ok = await ui.confirmDialog({ title: STRINGS.confirmEndTitle, text: STRINGS.confirmEndText, ok: STRINGS.confirmEndButton });
    if (ok && S.signal) S.signal.send({ type: 'end' });
  });
  $('panel').addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-action]');
    if (!b) return;
    const pid = b.dataset.pid;
    const action = b.dataset.action;
    const name = (S.participants.get(pid) || S.lobby.get(pid) || {}).name || '';
    if (action === 'remove') {
      const ok = await ui.confirmDialog({ title: fmt('confirmRemoveTitle', { name }), text: STRINGS.confirmRemoveText, ok: STRINGS.confirmRemoveButton });
      if (!ok) return;
    }
    if (S.signal) {
      if (action === 'host_mute') S.signal.send({ type: 'host_mute', participant: pid, source: 'microphone' });
      else S.signal.send({ type: action, participant: pid });
    }
    if (action === 'admit' || action === 'deny') {
      S.lobby.delete(pid);
      renderMeeting();
    }
  });
  // Keyboard shortcuts of the meeting view (not while typing).
  document.addEventListener('keydown', (e) => {
    if (S.phase !== 'meeting' || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target && /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName)) return;
    if ($('confirm').open) return;
    if (e.key === 'm' || e.key === 'M') toggleMic();
    else if (e.key === 'v' || e.key === 'V') toggleCam();
  });
}

// ---------------------------------------------------------------- start

function browserSupported() {
  return typeof RTCPeerConnection === 'function' && typeof WebSocket === 'function';
}

async function main() {
  ui.applyStrings();
  const loc = parseLocation(location.pathname, location.search);
  S.code = loc.code;
  S.token = loc.token;
  bindPrejoin();
  bindMeeting();
  if (loc.debug) {
    S.debug = true;
    const dbg = await import('./meeting-debug.js');
    await dbg.run(loc.debug, { S, showScreen, enterMeetingView, renderMeeting, initPrejoin, refuse, setPreview, ui });
    return;
  }
  if (!browserSupported()) return showScreen('unsupported');
  if (!S.token) {
    S.phase = 'refused';
    return showScreen('token');
  }
  await initPrejoin();
}

// What the page shows and receives, for tests and for support ("what does your page say?").
async function inboundSummary(pc) {
  const out = { audio: { packetsReceived: 0 }, video: { framesDecoded: 0, packetsReceived: 0 } };
  if (!pc) return out;
  const report = await pc.getStats();
  report.forEach((r) => {
    if (r.type !== 'inbound-rtp' || !out[r.kind]) return;
    out[r.kind].packetsReceived += r.packetsReceived || 0;
    if (r.kind === 'video') out.video.framesDecoded += r.framesDecoded || 0;
  });
  return out;
}

window.__meetgate = {
  async snapshot() {
    return {
      phase: S.phase,
      lang: LANG,
      screen: S.screenName || null,
      me: S.me,
      participants: [...S.participants.values()].map((p) => ({ id: p.id, name: p.name, role: p.role })),
      lobby: [...S.lobby.values()].map((p) => ({ id: p.id, name: p.name })),
      remote: S.remote.map((r) => ({ participant: r.participant, kind: r.kind, source: r.source })),
      sharing: !!S.screen.track,
      recording: S.recording,
      live: { ...S.live },
      inbound: await inboundSummary(S.sub && S.sub.pc),
      errors: window.__meetgateErrors.slice(),
    };
  },
};

// Errors are kept for tests (tests/e2e/meeting) that read them with the `ready` marker.
window.__meetgateErrors = [];
window.addEventListener('error', (e) => window.__meetgateErrors.push(String(e.message || e)));
window.addEventListener('unhandledrejection', (e) => window.__meetgateErrors.push(String(e.reason && (e.reason.stack || e.reason))));
main()
  .catch((err) => {
    window.__meetgateErrors.push(String(err && (err.stack || err)));
    console.error(err);
  })
  .finally(() => {
    document.documentElement.dataset.ready = '1';
  });
