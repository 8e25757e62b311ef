import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequest, checkRange, parseGrafanaTime, parseInterval, parseRestTime, strideSeconds } from '../../src/http/time.js';

test('Grafana times: ISO with ms and Z, fractional seconds, epoch ms as number or numeric string', () => {
  assert.equal(parseGrafanaTime('2017-07-13T00:00:00.000Z', 'range.from'), 1499904000000);
  assert.equal(parseGrafanaTime('2017-07-13T00:00:00.5Z', 'range.from'), 1499904000500);
  assert.equal(parseGrafanaTime(1499904000000, 'range.from'), 1499904000000);
  assert.equal(parseGrafanaTime(' 1499904000000 ', 'range.from'), 1499904000000);
});

test('Grafana times: garbage, absence and non-finite numbers are BadRequest naming the key', () => {
  assert.throws(() => parseGrafanaTime('now-6h', 'range.from'), (e: unknown) => e instanceof BadRequest && /range\.from.*now-6h/.test(e.message));
  assert.throws(() => parseGrafanaTime(undefined, 'range.to'), /range\.to is missing/);
  assert.throws(() => parseGrafanaTime(Infinity, 'range.to'), /finite/);
  assert.throws(() => parseGrafanaTime({}, 'range.to'), /string or a number/);
  assert.throws(() => parseGrafanaTime('2017-13-45T99:00:00Z', 'range.to'), BadRequest);
});

test('interval text in every unit Grafana prints, and w/M for hand-made requests', () => {
  assert.equal(parseInterval('500ms'), 500);
  assert.equal(parseInterval('30s'), 30_000);
  assert.equal(parseInterval('20m'), 1_200_000);
  assert.equal(parseInterval('6h'), 21_600_000);
  assert.equal(parseInterval('7d'), 604_800_000);
  assert.equal(parseInterval('1w'), 604_800_000);
  assert.equal(parseInterval('1M'), 2_592_000_000);
  assert.equal(parseInterval('1y'), 31_536_000_000);
  assert.equal(parseInterval('1.5s'), 1500);
  assert.equal(parseInterval('20'), null);
  assert.equal(parseInterval('m'), null);
  assert.equal(parseInterval(20), null);
});

test('stride is max(intervalMs, ceil(range / maxDataPoints)) in seconds (protocol doc 7.3)', () => {
  // 16 days on 1164 px, intervalMs 20 min: ceil(1382400000 / 1164) = 1187629 < 1200000
  assert.equal(strideSeconds({ fromMs: 1499904000000, toMs: 1501286400000, intervalMs: 1200000, maxDataPoints: 1164 }), 1200);
  // 1 day at 1000 points, intervalMs 1 min: 86400 ms per point wins
  assert.equal(strideSeconds({ fromMs: 0, toMs: 86_400_000, intervalMs: 60_000, maxDataPoints: 1000 }), 86.4);
  // only the interval text (Grafana 3.x had no intervalMs)
  assert.equal(strideSeconds({ fromMs: 0, toMs: 1000, interval: '2m' }), 120);
  // intervalMs preferred over the (truncated) text: a 90 s min interval prints as 1m
  assert.equal(strideSeconds({ fromMs: 0, toMs: 1000, intervalMs: 90_000, interval: '1m' }), 90);
  // no hint at all: raw data
  assert.equal(strideSeconds({ fromMs: 0, toMs: 1000 }), null);
  assert.equal(strideSeconds({ fromMs: 0, toMs: 1000, intervalMs: 0, maxDataPoints: 0 }), null);
});

test('REST times: ISO, now, now-<n><unit>, UNIX seconds, and sisock relative seconds', () => {
  const now = 1_500_000_000_000;
  assert.equal(parseRestTime('now', 'from', now), now);
  assert.equal(parseRestTime('now-6h', 'from', now), now - 6 * 3_600_000);
  assert.equal(parseRestTime('now - 30m', 'from', now), now - 30 * 60_000);
  assert.equal(parseRestTime('1499990400', 'from', now), 1499990400000);
  assert.equal(parseRestTime('1499990400.25', 'from', now), 1499990400250);
  assert.equal(parseRestTime('-3600', 'from', now), now - 3_600_000);
  assert.equal(parseRestTime('0', 'from', now), now);
  assert.equal(parseRestTime('2017-07-14T00:00:00Z', 'from', now), 1499990400000);
  assert.throws(() => parseRestTime('yesterday', 'from', now), /from is not a time: 'yesterday'/);
});

test('a range whose from is after to is refused with both times in the message', () => {
  checkRange(1, 1);
  checkRange(1, 2);
  assert.throws(() => checkRange(2000, 1000), /bad time range: from \(1970-01-01T00:00:02\.000Z\) is after to \(1970-01-01T00:00:01\.000Z\)/);
  assert.throws(() => checkRange(NaN, 1), /not finite/);
  assert.throws(() => checkRange(1e300, 1), /bad time range: from \(1e\+300\)/);
});
