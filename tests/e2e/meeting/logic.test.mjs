// SPDX-License-Identifier: MIT
// Pure helpers of the meeting page (gateway/web/meeting-logic.js) and the string table.
//   node --test tests/e2e/meeting/logic.test.mjs
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  parseLocation, refusalScreen, REFUSAL_CODES, gridShape, tracksByMid, initials, backoffDelay,
  retryDelayForOpensAt, participantId,
} from '../../../gateway/web/meeting-logic.js';
import { STRINGS, fmt } from '../../../gateway/web/meeting-strings.js';

test('parseLocation reads the room code, the token and the debug hook', () => {
  assert.deepEqual(parseLocation('/j/ABCD-EFGH', '?t=eyJ.x.y'), { code: 'ABCD-EFGH', token: 'eyJ.x.y', debug: '' });
  assert.deepEqual(parseLocation('/j/AB%20CD', '?t=1&debug=meeting:3'), { code: 'AB CD', token: '1', debug: 'meeting:3' });
  assert.equal(parseLocation('/', '').token, '');
});

test('every refusal code of docs/protocol.md has a screen', () => {
  for (const code of ['not_started', 'ended', 'wrong_room', 'not_invited', 'token_expired', 'token_forged',
    'token_malformed', 'token_algorithm', 'room_full', 'locked', 'removed', 'not_admitted']) {
    assert.ok(refusalScreen(code), code);
  }
  assert.equal(refusalScreen('bad_request'), null);
  assert.ok(REFUSAL_CODES.includes('token_forged'));
});

test('gridShape: 1 full, 2 side by side, 4 as 2x2, at most 4 columns', () => {
  assert.deepEqual(gridShape(1, 1280, 700), { cols: 1, rows: 1 });
  assert.deepEqual(gridShape(2, 1280, 700), { cols: 2, rows: 1 });
  assert.deepEqual(gridShape(4, 1280, 700), { cols: 2, rows: 2 });
  assert.equal(gridShape(30, 1280, 700).cols, 4);
  assert.deepEqual(gridShape(2, 374, 720, 2, 1), { cols: 1, rows: 2 }); // phone: stacked
  assert.deepEqual(gridShape(5, 374, 720, 2, 1), { cols: 2, rows: 3 });
});

test('tracksByMid indexes the subscribe_offer tracks', () => {
  const m = tracksByMid([{ mid: '0', participant: 'p3', track: 'p3-0' }, { mid: 1, participant: 'p4' }]);
  assert.equal(m.get('0').track, 'p3-0');
  assert.equal(m.get('1').participant, 'p4');
  assert.equal(tracksByMid(undefined).size, 0);
});

test('initials, participant ids', () => {
  assert.equal(initials('Ada Lovelace'), 'AL');
  assert.equal(initials('bob'), 'B');
  assert.equal(initials('  '), '?');
  assert.equal(initials('Émile van der Berg'), 'ÉB');
  assert.equal(participantId('p3'), 'p3');
  assert.equal(participantId({ id: 'p9', name: 'x' }), 'p9');
});

test('backoff grows to 5 s; not_started retries at opens_at', () => {
  assert.equal(backoffDelay(0, () => 0.5), 500);
  assert.equal(backoffDelay(3, () => 0.5), 4000);
  assert.equal(backoffDelay(10, () => 0.5), 5000);
  const now = Date.parse('2026-11-26T09:00:00Z');
  assert.equal(retryDelayForOpensAt('2026-11-26T09:50:00Z', now, 3000, () => 0), 50 * 60000);
  assert.equal(retryDelayForOpensAt('2026-11-26T08:00:00Z', now, 3000, () => 0), 3000);
  assert.equal(retryDelayForOpensAt('garbage', now), 30000);
});

test('strings: placeholders are filled, none are empty', () => {
  assert.equal(fmt('you', { name: 'Ada' }), 'Ada (you)');
  for (const [k, v] of Object.entries(STRINGS)) assert.ok(typeof v === 'string' && v.length, k);
});

test('every data-i18n key of meeting.html is in STRINGS', async () => {
  const { readFile } = await import('node:fs/promises');
  const html = await readFile(new URL('../../../gateway/web/meeting.html', import.meta.url), 'utf8');
  const keys = [...html.matchAll(/data-i18n(?:-label)?="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(keys.length > 10);
  for (const k of keys) assert.ok(k in STRINGS, k);
});
