import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RingBuffer, decodeSnapshot, encodeSnapshot, type RingBufferSnapshot } from '../../src/datanode/ring-buffer.js';

function times(b: RingBuffer): number[] {
  return Array.from(b.range(-Infinity, Infinity).t);
}

test('samples appended in order come back by half-open range, with inclusiveEnd on request', () => {
  const b = new RingBuffer({ columns: { x: 'number', y: 'number' }, capacity: 10 });
  for (let i = 0; i < 5; i++) assert.equal(b.append(100 + i, { x: i, y: -i }), 'appended');
  const r = b.range(101, 103);
  assert.deepEqual(Array.from(r.t), [101, 102]);
  assert.deepEqual(Array.from(r.fields.get('x') as Float64Array), [1, 2]);
  assert.deepEqual(Array.from(r.fields.get('y') as Float64Array), [-1, -2]);
  assert.deepEqual(Array.from(b.range(101, 103, { inclusiveEnd: true }).t), [101, 102, 103]);
  assert.deepEqual(Array.from(b.range(200, 300).t), []);
  assert.deepEqual(Array.from(b.range(103, 101).t), [], 'an inverted range is empty');
  assert.equal(b.firstTime, 100);
  assert.equal(b.lastTime, 104);
});

test('range selects fields, ignores unknown ones and returns copies that later appends do not change', () => {
  const b = new RingBuffer({ columns: { x: 'number', y: 'number' }, capacity: 4 });
  for (let i = 0; i < 4; i++) b.append(i + 1, { x: i, y: i * 10 });
  const r = b.range(0, 10, { fields: ['y', 'nope'] });
  assert.deepEqual([...r.fields.keys()], ['y']);
  for (let i = 4; i < 200; i++) b.append(i + 1, { x: -1, y: -1 });
  assert.deepEqual(Array.from(r.t), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(r.fields.get('y') as Float64Array), [0, 10, 20, 30]);
});

test('the count bound keeps exactly the newest `capacity` samples across many compactions', () => {
  const b = new RingBuffer({ columns: { v: 'number' }, capacity: 100 });
  for (let i = 0; i < 10_000; i++) b.append(i, { v: i * 2 });
  assert.equal(b.length, 100);
  const r = b.range(0, Infinity);
  assert.deepEqual(Array.from(r.t), Array.from({ length: 100 }, (_, i) => 9900 + i));
  assert.deepEqual(Array.from(r.fields.get('v') as Float64Array), Array.from({ length: 100 }, (_, i) => (9900 + i) * 2));
});

test('the age bound counts back from the newest sample by default', () => {
  const b = new RingBuffer({ columns: { v: 'number' }, capacity: 1000, maxAge: 10 });
  for (let t = 0; t <= 30; t++) b.append(t, { v: t });
  assert.deepEqual(times(b), Array.from({ length: 11 }, (_, i) => 20 + i));
  assert.equal(b.append(5, { v: 5 }), 'expired', 'a late sample beyond the age bound is dropped');
  assert.equal(b.length, 11);
});

test('the age bound can follow a clock, so a stopped feed is forgotten', () => {
  let now = 1000;
  const b = new RingBuffer({ columns: { v: 'number' }, capacity: 1000, maxAge: 60, now: () => now });
  for (let t = 950; t < 1000; t++) b.append(t, { v: 1 });
  assert.equal(b.length, 50);
  now = 1030;
  assert.equal(b.range(0, Infinity).t.length, 30, 'reads drop what aged out');
  now = 2000;
  assert.equal(b.range(0, Infinity).t.length, 0);
  assert.equal(b.length, 0);
});

test('late samples are inserted in time order; duplicates replace or are ignored by policy', () => {
  const b = new RingBuffer({ columns: { v: 'number', s: 'string' }, capacity: 10 });
  b.append(10, { v: 1, s: 'a' });
  b.append(30, { v: 3, s: 'c' });
  assert.equal(b.append(20, { v: 2, s: 'b' }), 'inserted');
  assert.equal(b.append(5, { v: 0, s: 'z' }), 'inserted');
  assert.equal(b.append(30, { v: 33, s: 'cc' }), 'replaced');
  const r = b.range(0, 100);
  assert.deepEqual(Array.from(r.t), [5, 10, 20, 30]);
  assert.deepEqual(Array.from(r.fields.get('v') as Float64Array), [0, 1, 2, 33]);
  assert.deepEqual(r.fields.get('s'), ['z', 'a', 'b', 'cc']);

  const keep = new RingBuffer({ columns: { v: 'number' }, capacity: 10, onDuplicate: 'ignore' });
  keep.append(1, { v: 1 });
  assert.equal(keep.append(1, { v: 2 }), 'ignored');
  assert.deepEqual(Array.from(keep.range(0, 2).fields.get('v') as Float64Array), [1]);
});

test('a full buffer drops a late sample older than its oldest, and inserts a newer one by evicting the oldest', () => {
  const b = new RingBuffer({ columns: { v: 'number' }, capacity: 3 });
  for (const t of [10, 20, 30]) b.append(t, { v: t });
  assert.equal(b.append(5, { v: 5 }), 'expired');
  assert.equal(b.append(25, { v: 25 }), 'inserted');
  assert.deepEqual(times(b), [20, 25, 30]);
});

test('strings and booleans keep their values; missing values are NaN or null', () => {
  const b = new RingBuffer({ columns: { n: 'number', s: 'string', ok: 'bool' }, capacity: 8 });
  b.append(1, { n: 1, s: 'on', ok: true });
  b.append(2, { s: 'off', ok: false });
  b.append(3, { n: 3 });
  const r = b.range(0, 10);
  const n = r.fields.get('n') as Float64Array;
  assert.equal(n[0], 1);
  assert.ok(Number.isNaN(n[1]));
  assert.deepEqual(r.fields.get('s'), ['on', 'off', null]);
  assert.deepEqual(r.fields.get('ok'), [true, false, null]);
});

test('a bad sample throws a clear TypeError and changes nothing', () => {
  const b = new RingBuffer({ columns: { n: 'number', ok: 'bool' }, capacity: 8 });
  b.append(1, { n: 1, ok: true });
  assert.throws(() => b.append(2, { n: 'x' as unknown as number }), /field 'n' holds number values, got string/);
  assert.throws(() => b.append(2, { ok: 1 as unknown as boolean }), /field 'ok' holds bool values/);
  assert.throws(() => b.append(2, { nope: 1 }), /unknown field 'nope'/);
  assert.throws(() => b.append(NaN, { n: 1 }), /finite number/);
  assert.throws(() => b.appendMany([2, 3], { n: [1, 'x' as unknown as number] }), /field 'n'/);
  assert.throws(() => b.appendMany([2, 3], { n: [1] }), /1 values for 2 times/);
  assert.deepEqual(times(b), [1]);
  assert.throws(() => new RingBuffer({ columns: {}, capacity: 0 }), RangeError);
  assert.throws(() => new RingBuffer({ columns: { a: 'float' as 'number' }, capacity: 1 }), /unknown column kind/);
});

test('appendMany copies an ordered batch in bulk and keeps only what the bounds allow', () => {
  const b = new RingBuffer({ columns: { x: 'number', s: 'string' }, capacity: 50, maxAge: 1000 });
  const t = Float64Array.from({ length: 80 }, (_, i) => i);
  const x = Float64Array.from({ length: 80 }, (_, i) => i * i);
  const counts = b.appendMany(t, { x });
  assert.deepEqual(counts, { appended: 50, inserted: 0, replaced: 0, ignored: 0, expired: 30 });
  const r = b.range(0, Infinity);
  assert.equal(r.t[0], 30);
  assert.equal((r.fields.get('x') as Float64Array)[0], 900);
  assert.deepEqual((r.fields.get('s') as (string | null)[]).slice(0, 2), [null, null]);

  const aged = new RingBuffer({ columns: { x: 'number' }, capacity: 1000, maxAge: 10 });
  assert.deepEqual(aged.appendMany([0, 5, 10, 15, 20], { x: [0, 1, 2, 3, 4] }).expired, 2);
  assert.deepEqual(times(aged), [10, 15, 20]);
});

test('appendMany with an unordered batch sorts it in and counts what it did', () => {
  const b = new RingBuffer({ columns: { x: 'number' }, capacity: 100 });
  b.appendMany([10, 20, 30], { x: [1, 2, 3] });
  const counts = b.appendMany([25, 40, 20, 35, 5], { x: [2.5, 4, 22, 3.5, 0.5] });
  assert.deepEqual(counts, { appended: 1, inserted: 3, replaced: 1, ignored: 0, expired: 0 });
  const r = b.range(0, 100);
  assert.deepEqual(Array.from(r.t), [5, 10, 20, 25, 30, 35, 40]);
  assert.deepEqual(Array.from(r.fields.get('x') as Float64Array), [0.5, 1, 22, 2.5, 3, 3.5, 4]);
});

test('a field added later reads as missing for older samples', () => {
  const b = new RingBuffer({ columns: { a: 'number' }, capacity: 10 });
  b.append(1, { a: 1 });
  b.addColumn('b', 'string');
  b.append(2, { a: 2, b: 'x' });
  assert.deepEqual(b.range(0, 10).fields.get('b'), [null, 'x']);
  assert.throws(() => b.addColumn('a', 'string'), /already holds number/);
  assert.deepEqual(b.columns, { a: 'number', b: 'string' });
});

test('a snapshot survives encoding to bytes and restores under new bounds', () => {
  const b = new RingBuffer({ columns: { x: 'number', s: 'string', ok: 'bool' }, capacity: 100 });
  for (let i = 0; i < 30; i++) b.append(1000 + i, { x: i / 3, s: `v${i}`, ok: i % 3 === 0 ? null : i % 2 === 0 });
  const back = decodeSnapshot(encodeSnapshot(b.snapshot()));
  const same = RingBuffer.restore(back, { columns: {}, capacity: 100 });
  assert.deepEqual(same.range(0, Infinity), b.range(0, Infinity));

  const smaller = RingBuffer.restore(back, { columns: { extra: 'number' }, capacity: 10 });
  const r = smaller.range(0, Infinity);
  assert.deepEqual(Array.from(r.t), Array.from({ length: 10 }, (_, i) => 1020 + i));
  assert.deepEqual(r.fields.get('ok'), b.range(1020, Infinity).fields.get('ok'));
  assert.ok(r.fields.has('extra'));

  const viaJson = JSON.parse(JSON.stringify({ ...b.snapshot(), t: Array.from(b.snapshot().t), values: {} })) as RingBufferSnapshot;
  assert.equal(RingBuffer.restore(viaJson, { columns: {}, capacity: 100 }).length, 30);
  assert.throws(() => RingBuffer.restore({ version: 2 } as unknown as RingBufferSnapshot, { columns: {}, capacity: 1 }), /not a ring buffer snapshot/);
  assert.throws(
    () => RingBuffer.restore(b.snapshot(), { columns: { x: 'string' }, capacity: 1 }),
    /snapshot field 'x' holds number values, the buffer expects string/,
  );
});

test('random appends in any order match a sorted reference model', () => {
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (const capacity of [1, 7, 64, 500]) {
    const b = new RingBuffer({ columns: { v: 'number' }, capacity });
    let model: [number, number][] = [];
    let clock = 0;
    for (let i = 0; i < 5000; i++) {
      clock += rand() < 0.9 ? 1 : 0;
      const t = rand() < 0.8 ? clock : Math.max(0, clock - Math.floor(rand() * 40));
      const v = i;
      const outcome = b.append(t, { v });
      const at = model.findIndex(([mt]) => mt === t);
      if (at >= 0) {
        assert.equal(outcome, 'replaced');
        model[at] = [t, v];
      } else if (model.length >= capacity && t < model[0]![0]) {
        assert.equal(outcome, 'expired');
      } else {
        model.push([t, v]);
        model.sort((a, c) => a[0] - c[0]);
        if (model.length > capacity) model = model.slice(model.length - capacity);
      }
    }
    const r = b.range(-Infinity, Infinity);
    assert.deepEqual(Array.from(r.t), model.map(([t]) => t), `capacity ${capacity}`);
    assert.deepEqual(Array.from(r.fields.get('v') as Float64Array), model.map(([, v]) => v), `capacity ${capacity}`);
  }
});
