import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gather, lttbIndices, m4Indices, pickSamples } from '../../src/datanode/downsample.js';

/** n samples every `dt` seconds from t0, values from f(i). */
function series(n: number, dt: number, f: (i: number) => number, t0 = 1_500_000_000): { t: Float64Array; v: Float64Array } {
  return { t: Float64Array.from({ length: n }, (_, i) => t0 + i * dt), v: Float64Array.from({ length: n }, (_, i) => f(i)) };
}

function noise(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

test('without min_stride or a cap nothing is dropped', () => {
  const { t, v } = series(1000, 1, (i) => i);
  assert.equal(pickSamples(t, [v], { minStride: null, maxPoints: null }), null);
  assert.equal(pickSamples(t, [v], { minStride: null, maxPoints: 1000 }), null, 'a cap that is not reached changes nothing');
});

test('M4 keeps a one-sample spike that naive striding would drop', () => {
  const r = noise(1);
  const { t, v } = series(100_000, 0.1, () => r());
  v[54_321] = 1000;
  v[77_777] = -1000;
  for (const method of ['m4', 'lttb'] as const) {
    const idx = pickSamples(t, [v], { minStride: 60, maxPoints: null, method })!;
    const kept = gather(v, idx);
    assert.ok(kept.includes(1000), `${method} keeps the maximum`);
    assert.ok(kept.includes(-1000), `${method} keeps the minimum`);
  }
  const naive = Array.from({ length: 100_000 / 600 }, (_, k) => v[k * 600]);
  assert.ok(!naive.includes(1000), 'the spike is not on the naive stride grid (the test means something)');
});

test('min_stride bounds the density: no more points than sampling every min_stride seconds', () => {
  const r = noise(2);
  const { t, v } = series(864_000, 0.1, () => r()); // one day at 10 Hz
  for (const method of ['m4', 'lttb'] as const) {
    for (const stride of [1, 86.4, 600]) {
      const idx = pickSamples(t, [v], { minStride: stride, maxPoints: null, method })!;
      const span = t[t.length - 1]! - t[0]!;
      assert.ok(idx.length <= Math.ceil(span / stride) + 9, `${method} stride ${stride}: ${idx.length} points`);
      assert.ok(idx.length >= (span / stride) * 0.5, `${method} stride ${stride}: not reduced to nothing (${idx.length})`);
      for (let i = 1; i < idx.length; i++) assert.ok(idx[i]! > idx[i - 1]!, 'indices ascend');
    }
  }
});

test('data already sparser than min_stride comes back unchanged', () => {
  const { t, v } = series(500, 3600, (i) => Math.sin(i));
  assert.equal(pickSamples(t, [v], { minStride: 60, maxPoints: null }), null);
});

test('M4 keeps first, min, max and last of every bucket, aligned on multiples of the bucket width', () => {
  const t = Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  const v = Float64Array.from([5, 1, 9, 4, 4, 4, 7, 0, 8, 6, 2, 3]);
  // width 4: buckets [0,4) [4,8) [8,12)
  assert.deepEqual(m4Indices(t, [v], 4), [0, 1, 2, 3, 4, 6, 7, 8, 10, 11]);
  // the same samples are picked when the window moves (stable on refresh)
  const shifted = m4Indices(t.subarray(4), [v.subarray(4)], 4).map((i) => i + 4);
  assert.deepEqual(shifted, [4, 6, 7, 8, 10, 11]);
});

test('missing values never win the min or max, and an all-missing bucket keeps its ends', () => {
  const t = Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
  const v = Float64Array.from([NaN, 3, NaN, 1, NaN, NaN, NaN, NaN]);
  assert.deepEqual(m4Indices(t, [v], 4), [0, 1, 3, 4, 7]);
  const nulls = [null, 3, null, 1, null, null, null, null];
  assert.deepEqual(m4Indices(t, [nulls], 4), [0, 1, 3, 4, 7], 'null works like NaN in plain arrays');
});

test('several fields on one timeline keep each field\'s peaks, within the density bound', () => {
  const r = noise(3);
  const n = 36_000;
  const t = Float64Array.from({ length: n }, (_, i) => i * 0.1);
  const fields = Array.from({ length: 10 }, (_, f) => Float64Array.from({ length: n }, (_, i) => (i === 1000 * (f + 1) ? 50 + f : r())));
  const idx = pickSamples(t, fields, { minStride: 36, maxPoints: null })!;
  assert.ok(idx.length <= Math.ceil((t[n - 1]! - t[0]!) / 36) + 9, `union fits the density bound (${idx.length})`);
  fields.forEach((v, f) => assert.ok(gather(v, idx).includes(50 + f), `field ${f} keeps its spike`));
});

test('max_points caps every timeline, also without min_stride', () => {
  const r = noise(4);
  const { t, v } = series(100_000, 1, () => r());
  v[12_345] = 99;
  for (const method of ['m4', 'lttb'] as const) {
    for (const cap of [1, 2, 3, 10, 1000]) {
      const idx = pickSamples(t, [v], { minStride: null, maxPoints: cap, method })!;
      assert.ok(idx.length <= cap && idx.length >= 1, `${method} cap ${cap}: ${idx.length}`);
      if (cap >= 10) assert.ok(gather(v, idx).includes(99), `${method} cap ${cap} keeps the spike`);
    }
    const both = pickSamples(t, [v], { minStride: 10, maxPoints: 500, method })!;
    assert.ok(both.length <= 500);
  }
});

test('LTTB keeps the first and last samples and one per bucket', () => {
  const { t, v } = series(1000, 1, (i) => Math.sin(i / 10));
  const idx = lttbIndices(t, [v], 100);
  assert.equal(idx[0], 0);
  assert.equal(idx[idx.length - 1], 999);
  assert.ok(idx.length <= 12, `${idx.length}`);
});

test('string and boolean fields keep the ends of each bucket; gather keeps each column\'s representation', () => {
  const t = Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
  const s = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  assert.deepEqual(m4Indices(t, [s], 4), [0, 3, 4, 7]);
  const idx = Int32Array.from([0, 3, 4, 7]);
  assert.deepEqual(gather(s, idx), ['a', 'd', 'e', 'h']);
  assert.ok(gather(Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]), idx) instanceof Float64Array);
  assert.deepEqual(gather([true, false, null, true, false, true, true, false], idx), [true, true, false, false]);
});

test('M4 picks match a plain reference on random irregular data', () => {
  const r = noise(7);
  for (let round = 0; round < 20; round++) {
    const n = 1 + Math.floor(r() * 3000);
    const t = new Float64Array(n);
    let clock = 1000 * r();
    for (let i = 0; i < n; i++) {
      clock += r() < 0.1 ? 0 : r() < 0.9 ? r() : 50 * r(); // repeats, dense runs and gaps
      t[i] = clock;
    }
    const v = Float64Array.from({ length: n }, () => (r() < 0.05 ? NaN : r()));
    const width = 0.5 + 20 * r();
    // reference: group by bucket number, keep first, last, min, max
    const expected: number[] = [];
    let i = 0;
    while (i < n) {
      const b = Math.floor(t[i]! / width);
      let j = i;
      while (j < n && Math.floor(t[j]! / width) === b) j++;
      const picks = new Set([i, j - 1]);
      let minI = -1;
      let maxI = -1;
      for (let k = i; k < j; k++) {
        if (Number.isNaN(v[k]!)) continue;
        if (minI < 0 || v[k]! < v[minI]!) minI = k;
        if (maxI < 0 || v[k]! > v[maxI]!) maxI = k;
      }
      if (minI >= 0) picks.add(minI).add(maxI);
      expected.push(...[...picks].sort((a, c) => a - c));
      i = j;
    }
    assert.deepEqual(m4Indices(t, [v], width), expected, `round ${round}`);
  }
});
