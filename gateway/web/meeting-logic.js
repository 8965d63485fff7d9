// SPDX-License-Identifier: MIT
// Pure helpers of the meeting page: no DOM, no network. Node can import this file for tests.

// /j/<room-code>?t=<token>[&debug=...]
export function parseLocation(pathname, search) {
  const m = /^\/j\/([^/?#]+)/.exec(pathname || '');
  const q = new URLSearchParams(search || '');
  return {
    code: m ? decodeURIComponent(m[1]) : '',
    token: q.get('t') || '',
    debug: q.get('debug') || '',
  };
}

// Protocol error codes that refuse a join, mapped to the screen that explains them.
const REFUSAL_SCREENS = {
  not_started: 'not_started',
  ended: 'ended',
  wrong_room: 'wrong_room',
  not_invited: 'not_invited',
  token_expired: 'token',
  token_forged: 'token',
  token_malformed: 'token',
  token_algorithm: 'token',
  room_full: 'room_full',
  locked: 'locked',
  removed: 'removed',
  not_admitted: 'not_admitted',
};

export function refusalScreen(code) {
  return REFUSAL_SCREENS[code] || null;
}

export const REFUSAL_CODES = Object.keys(REFUSAL_SCREENS);

// Screens the user can get past by trying again later (the others are final for this link).
export function refusalIsRetryable(code) {
  return code === 'not_started' || code === 'room_full' || code === 'locked';
}

// Columns and rows of the tile grid: the shape that gives the largest tiles of the given
// aspect ratio (width / height) in a width x height area, with at most maxCols columns.
// Beyond maxCols x maxCols the grid scrolls. Video fills its tile (object-fit: cover).
export function gridShape(n, width, height, maxCols = 4, aspect = 16 / 9) {
  if (n <= 1) return { cols: 1, rows: 1 };
  const w = Math.max(1, width);
  const h = Math.max(1, height);
  let best = { cols: 1, rows: n, size: 0 };
  for (let cols = 1; cols <= Math.min(n, maxCols); cols++) {
    const rows = Math.ceil(n / cols);
    const tw = w / cols;
    const th = h / rows;
    // Area of a tile of that aspect fitted in tw x th.
    const fitW = Math.min(tw, th * aspect);
    const size = fitW * fitW / aspect;
    if (size > best.size + 1e-6) best = { cols, rows, size };
  }
  return { cols: best.cols, rows: best.rows };
}

// The subscribe_offer's tracks list, indexed by mid.
export function tracksByMid(tracks) {
  const map = new Map();
  for (const t of Array.isArray(tracks) ? tracks : []) {
    if (t && t.mid != null) map.set(String(t.mid), t);
  }
  return map;
}

export function initials(name) {
  const parts = String(name || '').trim().split(/[\s._-]+/).filter(Boolean);
  if (!parts.length) return '?';
  const first = Array.from(parts[0])[0] || '';
  const last = parts.length > 1 ? (Array.from(parts[parts.length - 1])[0] || '') : '';
  return (first + last).toUpperCase();
}

// A calm, stable colour per participant (hue from the id).
export function avatarHue(key) {
  let h = 0;
  for (const ch of String(key || '')) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  // Golden-angle steps: ids that differ in one character (p2, p3) get far-apart hues.
  return Math.round((h * 137.508) % 360);
}

// Reconnect backoff: 0.5 s, 1 s, 2 s, 4 s, then every 5 s, with ±20 % jitter.
export function backoffDelay(attempt, random = Math.random) {
  const base = Math.min(5000, 500 * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.8 + 0.4 * random()));
}

// Delay before retrying a not_started join: at opens_at (plus a little spread so a crowd
// does not arrive in the same millisecond), never sooner than minMs, never later than 24 h
// in one step (timers overflow past ~24.8 days).
export function retryDelayForOpensAt(opensAt, now = Date.now(), minMs = 3000, random = Math.random) {
  const t = Date.parse(opensAt);
  if (Number.isNaN(t)) return 30000;
  const d = t - now + Math.round(random() * 2000);
  return Math.min(Math.max(d, minMs), 24 * 3600 * 1000);
}

export function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

// Participant id out of an event field that may be an id or a participant object.
export function participantId(p) {
  if (p && typeof p === 'object') return p.id != null ? String(p.id) : '';
  return p != null ? String(p) : '';
}

// The page's language ('en' or 'zh'): ?lang=zh|en in the URL wins; else the first zh* or en*
// entry of the browser's languages; else English.
export function pageLang(search, languages) {
  const want = new URLSearchParams(search || '').get('lang');
  if (want) {
    const l = want.toLowerCase();
    if (l === 'zh' || l.startsWith('zh-')) return 'zh';
    if (l === 'en' || l.startsWith('en-')) return 'en';
  }
  for (const raw of languages || []) {
    const l = String(raw || '').toLowerCase();
    if (l === 'zh' || l.startsWith('zh-')) return 'zh';
    if (l === 'en' || l.startsWith('en-')) return 'en';
  }
  return 'en';
}
