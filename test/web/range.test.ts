// Time ranges of the monitor: spans, absolute times, zoom and pan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSpan, formatTime, panRange, parseSpan, parseTime, resolveRange, zoomRange, MIN_SPAN_MS } from '../../web/src/range.js';

test('spans read and write in the largest exact unit', () => {
  assert.equal(parseSpan('15m'), 900_000);
  assert.equal(parseSpan(' 6H '), 6 * 3_600_000);
  assert.equal(parseSpan('2w'), 14 * 86_400_000);
  assert.equal(parseSpan('1.5h'), 5_400_000);
  for (const bad of ['', '15', 'm', '-5m', '0s', '15 minutes', '99999w']) assert.equal(parseSpan(bad), null, bad);
  assert.equal(formatSpan(900_000), '15m');
  assert.equal(formatSpan(86_400_000), '1d');
  assert.equal(formatSpan(14 * 86_400_000), '14d');
  assert.equal(formatSpan(5_400_000), '90m');
  assert.equal(formatSpan(90_000), '90s');
});

test('times: ISO with or without zone (UTC when none), dates, UNIX seconds or ms', () => {
  assert.equal(parseTime('2017-07-14T03:00:00Z'), Date.UTC(2017, 6, 14, 3));
  assert.equal(parseTime('2017-07-14T03:00:00+02:00'), Date.UTC(2017, 6, 14, 1));
  assert.equal(parseTime('2017-07-14 03:00'), Date.UTC(2017, 6, 14, 3));
  assert.equal(parseTime('2017-07-14'), Date.UTC(2017, 6, 14));
  assert.equal(parseTime('1500000000'), 1_500_000_000_000);
  assert.equal(parseTime('1500000000123'), 1_500_000_000_123);
  assert.equal(parseTime('tomorrow'), null);
  assert.equal(formatTime(Date.UTC(2017, 6, 14, 3)), '2017-07-14T03:00:00Z');
  assert.equal(formatTime(Date.UTC(2017, 6, 14, 3) + 5), '2017-07-14T03:00:00.005Z');
});

test('a relative range ends now; an absolute one is what it says', () => {
  assert.deepEqual(resolveRange({ kind: 'relative', spanMs: 1000 }, 5000), { fromMs: 4000, toMs: 5000 });
  assert.deepEqual(resolveRange({ kind: 'absolute', fromMs: 1, toMs: 2 }, 5000), { fromMs: 1, toMs: 2 });
});

test('zoom keeps the point under the cursor in place; pan moves by a share of the span', () => {
  const z = zoomRange(0, 1000_000, 0.5, 250_000);
  assert.deepEqual(z, { fromMs: 125_000, toMs: 625_000 });
  assert.deepEqual(zoomRange(0, 10_000, 2), { fromMs: -5000, toMs: 15_000 });
  // never narrower than the least span
  assert.equal(zoomRange(0, 1200, 0.1).toMs - zoomRange(0, 1200, 0.1).fromMs, MIN_SPAN_MS);
  assert.deepEqual(panRange(0, 1000, -0.5), { fromMs: -500, toMs: 500 });
});
