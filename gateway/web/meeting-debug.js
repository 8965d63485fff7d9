// SPDX-License-Identifier: MIT
// Debug hooks: render a screen or the meeting view with sample data and no server.
//   ?debug=screen:<name>        prejoin, prejoin-denied, connecting, not_started, ended, wrong_room,
//                               not_invited, token, room_full, locked, removed, removed_by_admin,
//                               lobby, admitted, not_admitted, room_closing, left, unreachable,
//                               lost, unsupported, server_error
//   ?debug=meeting:<n>[:flags]  the meeting view with n participants (you included), each remote
//                               tile showing the (fake) camera. Flags: host, panel, lobby, screen,
//                               myscreen, recording, locked, reconnecting, camoff
// Nothing here talks to the network; the page's own rendering code does all the drawing.

import { STRINGS } from './meeting-strings.js';
import { openDevice } from './meeting-media.js';

const NAMES = [
  'Ada Lovelace', 'Bob Martin', 'Chen Wei', 'Dana Scully', 'Emeka Okafor', 'Fatima Zahra', 'Gustav Berg',
  'Hana Sato', 'Ivan Petrov', 'Julia Souza', 'Kofi Mensah', 'Lena Fischer', 'Mateo Ruiz', 'Nina Kowalski',
  'Omar Haddad', 'Priya Nair', 'Quinn Taylor', 'Rosa Diaz', 'Sven Larsen', 'Tariq Aziz',
];

export async function run(spec, api) {
  const [kind, arg, ...flags] = spec.split(':');
  const { S } = api;
  S.code = S.code || 'ABCD-EFGH';
  S.token = S.token || 'debug';
  if (kind === 'screen') return screen(arg || 'prejoin', api);
  if (kind === 'meeting') return meeting(Math.max(1, Math.min(40, parseInt(arg, 10) || 1)), new Set(flags), api);
  api.showScreen('server_error', { detail: `unknown debug hook ${spec}` });
}

async function screen(name, api) {
  const { S } = api;
  S.room = { title: 'Weekly sync', code: S.code };
  if (name === 'prejoin') return api.initPrejoin();
  if (name === 'prejoin-denied') {
    // What a user who blocked the camera and has no microphone sees.
    await api.initPrejoin();
    for (const t of [S.mic.track, S.cam.track]) if (t) t.stop();
    S.mic.track = S.cam.track = null;
    S.mic.error = 'none';
    S.cam.error = 'denied';
    api.setPreview();
    return;
  }
  const samples = {
    not_started: { code: 'not_started', opens_at: new Date(Math.ceil((Date.now() + 25 * 60000) / 300000) * 300000).toISOString() },
    room_closing: { reason: 'ended_by_host' },
    server_error: { code: 'bad_request', detail: 'bad_request' },
  };
  if (['not_started', 'ended', 'wrong_room', 'not_invited', 'token', 'room_full', 'locked', 'removed', 'not_admitted'].includes(name)) {
    return api.refuse(name, samples[name] || { code: name });
  }
  api.showScreen(name, samples[name] || {});
}

// A fake shared screen: a slide drawn on a canvas.
function fakeScreenTrack() {
  const c = document.createElement('canvas');
  c.width = 1280;
  c.height = 720;
  const g = c.getContext('2d');
  const draw = () => {
    g.fillStyle = '#f4f6fa';
    g.fillRect(0, 0, 1280, 720);
    g.fillStyle = '#2f6fde';
    g.fillRect(0, 0, 1280, 90);
    g.fillStyle = '#fff';
    g.font = 'bold 44px sans-serif';
    g.fillText('Q3 roadmap', 48, 62);
    g.fillStyle = '#1c2333';
    g.font = '32px sans-serif';
    ['Join by link in every chat', 'Lobby for external guests', 'Recording (preview)'].forEach((s, i) => g.fillText('• ' + s, 72, 200 + i * 70));
    g.fillStyle = '#9db7ea';
    [180, 260, 220, 320, 290].forEach((h, i) => g.fillRect(760 + i * 90, 620 - h, 60, h));
  };
  draw();
  const track = c.captureStream(5).getVideoTracks()[0];
  setInterval(draw, 500);
  return track;
}

async function meeting(n, flags, api) {
  const { S } = api;
  const host = flags.has('host') || flags.has('panel') || flags.has('lobby');
  S.name = NAMES[0];
  S.me = { id: 'p1', name: NAMES[0], role: host ? 'host' : 'attendee' };
  S.room = { id: 'r1', code: S.code, title: 'Weekly sync', policy: 'lobby', locked: flags.has('locked') };
  S.recording = flags.has('recording');
  const cam = await openDevice('video', '');
  const mic = await openDevice('audio', '');
  S.cam.track = flags.has('camoff') ? null : cam.track;
  S.cam.on = !flags.has('camoff');
  S.cam.error = cam.error;
  S.mic.track = mic.track;
  S.mic.error = mic.error;
  S.mic.on = true;
  for (let i = 1; i < n; i++) {
    const id = 'p' + (i + 1);
    const camOff = i % 5 === 3; // some people without video: avatar tiles
    const micMuted = i % 3 === 2;
    const tracks = new Map([
      [`${id}-0`, { id: `${id}-0`, kind: 'audio', source: 'microphone', muted: micMuted }],
      [`${id}-1`, { id: `${id}-1`, kind: 'video', source: 'camera', muted: camOff }],
    ]);
    const p = { id, name: NAMES[i % NAMES.length] + (i >= NAMES.length ? ' ' + (i + 1) : ''), role: i === 1 ? 'host' : 'attendee', tracks };
    if (cam.track && !camOff) p._fakeTrack = cam.track.clone();
    S.participants.set(id, p);
  }
  if (flags.has('screen') && n > 1) S.participants.get('p2')._fakeScreen = fakeScreenTrack();
  if (flags.has('myscreen')) S.screen.track = fakeScreenTrack();
  if (host && (flags.has('lobby') || flags.has('panel'))) {
    S.lobby.set('p90', { id: 'p90', name: 'Guest from Acme' });
    S.lobby.set('p91', { id: 'p91', name: 'Yuki Tanaka' });
  }
  S.activeSpeaker = n > 1 ? 'p2' : '';
  S.phase = 'meeting';
  api.enterMeetingView();
  if (flags.has('panel')) document.getElementById('ctl-people').click();
  if (flags.has('reconnecting')) api.ui.banner(STRINGS.reconnecting);
}
