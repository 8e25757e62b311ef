// The samples a plot holds: live appends, the moving window, thinning of a
// dense live tail, CSV of what is shown, one axis per unit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendNewer, axesFor, dropBefore, fromColumns, samplesCsv, thinTail } from '../../web/src/series.js';

test('REST values become plottable numbers: bools 0/1, text and non-finite values gaps', () => {
  assert.deepEqual(fromColumns([1, 2, 3, 4, 5], [1.5, true, false, 'x', null]), { t: [1, 2, 3, 4, 5], v: [1.5, 1, 0, null, null] });
});

test('live samples are appended only when newer than what is held (a resend adds nothing)', () => {
  const s = fromColumns([10, 20], [1, 2]);
  assert.equal(appendNewer(s, [15, 20, 30, 40], [9, 9, 3, 4]), 2);
  assert.deepEqual(s, { t: [10, 20, 30, 40], v: [1, 2, 3, 4] });
  assert.equal(appendNewer(s, [30, 40], [3, 4]), 0);
  // out of order within one batch: only the increasing ones
  assert.equal(appendNewer(s, [50, 45, 60], [5, 0, 6]), 2);
  assert.deepEqual(s.t, [10, 20, 30, 40, 50, 60]);
});

test('moving the window drops what left it', () => {
  const s = fromColumns([1, 2, 3, 4], [1, 2, 3, 4]);
  assert.equal(dropBefore(s, 3), 2);
  assert.deepEqual(s, { t: [3, 4], v: [3, 4] });
  assert.equal(dropBefore(s, 0), 0);
});

test('thinning keeps first, min, max and last of each full bucket, and the filling bucket whole', () => {
  // fetched part (index 0..1) is left alone; then 3 buckets of 10 ms with 10 samples each
  const t = [0, 5];
  const v: number[] = [100, 100];
  for (let i = 10; i < 40; i++) {
    t.push(i);
    v.push(i === 13 ? -50 : i === 17 ? 80 : i % 10);
  }
  const s = fromColumns(t, v);
  const removed = thinTail(s, 2, 10);
  // buckets [10,20) and [20,30) thinned to 4 and 3 samples (first, min, max, last; min == first there), [30,40) kept
  assert.deepEqual(s.t.slice(0, 2), [0, 5]);
  assert.deepEqual(s.t.slice(2, 6), [10, 13, 17, 19]);
  assert.deepEqual(s.v.slice(2, 6), [0, -50, 80, 9]);
  assert.deepEqual(s.t.slice(6, 8), [20, 29]);
  assert.deepEqual(s.t.slice(8), [30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
  assert.equal(removed, 30 - 4 - 2 - 10);
  // the peak survived
  assert.ok(s.v.includes(-50) && s.v.includes(80));
  // thinning again changes nothing
  assert.equal(thinTail(s, 2, 10), 0);
});

test('CSV of shown samples has the bridge\'s layout, within the window', () => {
  const csv = samplesCsv(
    [
      { id: 'a::x', samples: fromColumns([1_500_000_000_000, 1_500_000_001_500], [1.25, null]) },
      { id: 'b::"odd",name', samples: fromColumns([1_500_000_002_000, 1_600_000_000_000], [7, 8]) },
    ],
    0,
    1_500_000_100_000,
  );
  assert.equal(
    csv,
    'time,unix_time,field,value\n' +
      '2017-07-14T02:40:00.000Z,1500000000,a::x,1.25\n' +
      '2017-07-14T02:40:01.500Z,1500000001.5,a::x,\n' +
      '2017-07-14T02:40:02.000Z,1500000002,"b::""odd"",name",7\n',
  );
});

test('one y axis per unit, in order of first use, alternating sides', () => {
  const { axes, scaleOf } = axesFor([{ units: 'C' }, { units: '%' }, { units: 'C' }, { units: null }, { units: '' }]);
  assert.deepEqual(axes, [
    { scale: 'y0', units: 'C', side: 3 },
    { scale: 'y1', units: '%', side: 1 },
    { scale: 'y2', units: '', side: 3 },
  ]);
  assert.deepEqual(scaleOf, ['y0', 'y1', 'y0', 'y2', 'y2']);
});
