// The g3 reader's answers on a generated archive (fast and slow fields of
// every type): from the summaries when the stride allows, without opening a
// .g3 file, with the same points M4 would pick from the raw samples; from
// the frames otherwise, through the bounded cache.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rename } from 'node:fs/promises';
import { generateArchive, type ArchiveSpec } from '../../../src/g3/index.js';
import { TooMuchDataError } from '../../../src/datanode/errors.js';
import type { TimelineSamples } from '../../../src/datanode/source.js';
import { IndexScanner } from '../../../src/index/scanner.js';
import type { IndexStore } from '../../../src/index/store.js';
import { bucketOf, LEVEL_WIDTHS } from '../../../src/index/summaries.js';
import { pointBudget } from '../../../src/index/summary-query.js';
import { G3ReaderSource } from '../../../src/servers/g3-reader/source.js';
import { referenceCopy, sqliteFactory, type StoreFactory } from '../../index/helpers.js';

const T0 = 1700000003.5;
const SPEC: ArchiveSpec = {
  start: T0,
  duration: 6 * 3600,
  fileSeconds: 1800,
  seed: 11,
  providers: [
    {
      address: 'observatory.fast.feeds.fast',
      frameLength: 60,
      blocks: [
        {
          name: 'fast',
          rate: 10,
          jitter: 0.002,
          fields: [
            { name: 'az', kind: 'float', range: [0, 360] },
            { name: 'el', kind: 'float', range: [20, 90] },
            { name: 'locked', kind: 'bool' },
          ],
        },
      ],
    },
    { address: 'observatory.slow.feeds.slow', frameLength: 600, blocks: [{ name: 'slow', rate: 0.2, jitter: 0.01, fields: [{ name: 'state', kind: 'string' }, { name: 'temp', kind: 'float' }] }] },
  ],
};
const AZ = 'observatory.fast.feeds.fast.az';
const EL = 'observatory.fast.feeds.fast.el';
const LOCKED = 'observatory.fast.feeds.fast.locked';
const STATE = 'observatory.slow.feeds.slow.state';

let dir: string;
let cleanup: () => Promise<void>;
let factory: StoreFactory;
let store: IndexStore;
let reader: G3ReaderSource;
/** Raw samples of each field (read before the files are moved away). */
const raw = new Map<string, { t: Float64Array; v: ArrayLike<unknown> }>();

function ofField(tls: TimelineSamples[], field: string): { t: Float64Array; v: ArrayLike<unknown> } {
  const tl = tls.find((x) => x.fields.has(field))!;
  return { t: tl.t, v: tl.fields.get(field) as ArrayLike<unknown> };
}

before(async () => {
  ({ dir, cleanup } = await referenceCopy([]));
  await generateArchive(dir, SPEC);
  factory = await sqliteFactory();
  store = await factory.make();
  await new IndexScanner({ root: dir, store, interval: 0, watch: false }).pass();
  reader = new G3ReaderSource({ store: factory.again(), refreshInterval: 0, cacheBytes: 64 << 20 });
  await reader.start();
  const all = await reader.getData({ fields: [AZ, EL, LOCKED, STATE], start: 0, end: 4e9, minStride: null, maxPoints: null });
  for (const f of [AZ, EL, LOCKED, STATE]) raw.set(f, ofField(all, f));
});

after(async () => {
  await reader?.close();
  await store?.close();
  await factory?.cleanup();
  await cleanup?.();
});

/** The M4 points (first, min, max, last; real samples, by time) of raw samples per output bucket. */
function m4(t: Float64Array, v: ArrayLike<unknown>, level: number, k: number, start: number, end: number): Map<number, [number, unknown][]> {
  const byBucket = new Map<number, number[]>();
  for (let i = 0; i < t.length; i++) {
    if (!(t[i]! >= start && t[i]! < end)) continue;
    const n = Math.floor(bucketOf(t[i]!, level) / k);
    const list = byBucket.get(n);
    if (list) list.push(i);
    else byBucket.set(n, [i]);
  }
  const out = new Map<number, [number, unknown][]>();
  for (const [n, idx] of byBucket) {
    let f = idx[0]!;
    let l = idx[0]!;
    let mn = -1;
    let mx = -1;
    for (const i of idx) {
      if (t[i]! < t[f]!) f = i;
      if (t[i]! > t[l]!) l = i;
      const x = Number(v[i]);
      if (typeof v[i] === 'string' || x !== x) continue;
      if (mn < 0 || x < Number(v[mn]) || (x === Number(v[mn]) && t[i]! < t[mn]!)) mn = i;
      if (mx < 0 || x > Number(v[mx]) || (x === Number(v[mx]) && t[i]! < t[mx]!)) mx = i;
    }
    const picks = [...new Set([f, mn, mx, l].filter((i) => i >= 0))].sort((a, b) => t[a]! - t[b]!);
    out.set(n, picks.map((i) => [t[i]!, v[i]]));
  }
  return out;
}

/** Checks a reduced answer against M4 of the raw samples, bucket by bucket. */
function assertM4(field: string, got: { t: Float64Array; v: ArrayLike<unknown> }, level: number, width: number, start: number, end: number): void {
  const k = width / LEVEL_WIDTHS[level]!;
  const r = raw.get(field)!;
  const want = m4(r.t, r.v, level, k, start, end);
  const gotBy = new Map<number, [number, unknown][]>();
  for (let i = 0; i < got.t.length; i++) {
    const n = Math.floor(bucketOf(got.t[i]!, level) / k);
    const list = gotBy.get(n);
    if (list) list.push([got.t[i]!, got.v[i]]);
    else gotBy.set(n, [[got.t[i]!, got.v[i]]]);
  }
  const first = Math.floor(bucketOf(start, level) / k);
  const last = Math.floor(bucketOf(end, level) / k);
  const rawPoints = new Map<number, unknown>();
  for (let i = 0; i < r.t.length; i++) rawPoints.set(r.t[i]!, r.v[i]);
  for (const [n, points] of gotBy) {
    for (const [t, v] of points) {
      assert.ok(t >= start && t < end, `${field}: ${t} inside the range`);
      assert.deepEqual(v, rawPoints.get(t), `${field}: the point at ${t} is a real sample`);
    }
    // Buckets cut by the range ends may miss an extreme outside it; the others are exact.
    if (n !== first && n !== last) assert.deepEqual(points, want.get(n), `${field}: bucket ${n}`);
  }
  assert.deepEqual([...gotBy.keys()].filter((n) => n !== first && n !== last), [...want.keys()].filter((n) => n !== first && n !== last), `${field}: the same buckets`);
}

test('at screen resolution the answer comes from the summaries, with the points M4 picks from the raw samples, and no .g3 file opened', async () => {
  const away = `${dir}-away`;
  await rename(dir, away);
  try {
    const misses = reader.cacheStats!.misses;
    const start = T0 + 1234.567;
    const end = T0 + 5.5 * 3600 + 0.25;
    const tls = await reader.getData({ fields: [AZ, EL], start, end, minStride: 30, maxPoints: null });
    assert.equal(reader.cacheStats!.misses, misses, 'no frame was read');
    assert.deepEqual(reader.lastRoute.raw, []);
    assert.deepEqual(reader.lastRoute.summaries.map((s) => s.field), [AZ, EL]);
    for (const s of reader.lastRoute.summaries) {
      assert.equal(s.level, 1, 'minute buckets for a 2-minute output bucket');
      const got = ofField(tls, s.field);
      assertM4(s.field, got, s.level, s.width, start, end);
      assert.ok(got.t.length <= pointBudget(end - start, 30, null), `${got.t.length} points`);
    }
    // Each field keeps its own real times; timelines are named as so3g names them, and list their field.
    assert.deepEqual(tls.map((t) => [t.name, [...t.fields.keys()], t.downsampled, t.listFields]), [['group0', [AZ], true, true], ['group1', [EL], true, true]]);
  } finally {
    await rename(away, dir);
  }
});

test('a day-wide stride over the whole archive uses the coarse levels and keeps the extremes', async () => {
  const tls = await reader.getData({ fields: [AZ], start: 0, end: 4e9, minStride: 900, maxPoints: null });
  const s = reader.lastRoute.summaries[0]!;
  assert.equal(LEVEL_WIDTHS[s.level], 3600);
  const got = ofField(tls, AZ);
  const extremes = (v: Float64Array): [number, number] => v.reduce(([lo, hi], x) => [Math.min(lo, x), Math.max(hi, x)], [Infinity, -Infinity]);
  assert.deepEqual(extremes(got.v as Float64Array), extremes(raw.get(AZ)!.v as Float64Array), 'the minimum and maximum survive');
  assertM4(AZ, got, s.level, s.width, 0, 4e9);
});

test('MAX_POINTS alone caps a summary answer; booleans and strings come back as such', async () => {
  const tls = await reader.getData({ fields: [AZ, LOCKED], start: 0, end: 4e9, minStride: null, maxPoints: 100 });
  assert.deepEqual(reader.lastRoute.summaries.map((x) => x.field), [AZ, LOCKED]);
  for (const f of [AZ, LOCKED]) {
    const got = ofField(tls, f);
    assert.ok(got.t.length <= 100 && got.t.length > 50, `${f}: ${got.t.length} points`);
  }
  assert.ok(Array.from(ofField(tls, LOCKED).v).every((x) => typeof x === 'boolean'));
  // Strings: the first and last sample of each bucket, real samples.
  const strings = await reader.getData({ fields: [STATE], start: 0, end: 4e9, minStride: null, maxPoints: 20 });
  assert.deepEqual(reader.lastRoute.summaries.map((x) => x.field), [STATE]);
  const state = ofField(strings, STATE);
  assert.ok(state.t.length <= 20 && state.t.length > 10, `${state.t.length} points`);
  const rawState = new Map(Array.from(raw.get(STATE)!.t, (t, i) => [t, raw.get(STATE)!.v[i]]));
  for (let i = 0; i < state.t.length; i++) {
    assert.equal(typeof state.v[i], 'string');
    assert.equal(state.v[i], rawState.get(state.t[i]!));
  }
  // A cap finer than the summaries this slow field keeps: raw samples (the library thins them).
  await reader.getData({ fields: [STATE], start: 0, end: 4e9, minStride: null, maxPoints: 100 });
  assert.deepEqual(reader.lastRoute.raw, [STATE]);
  // Fewer samples in the range than the cap: the raw samples are the answer.
  const start = T0 + 3600;
  const few = await reader.getData({ fields: [STATE], start, end: start + 300, minStride: null, maxPoints: 100 });
  assert.deepEqual(reader.lastRoute.raw, [STATE]);
  assert.deepEqual(Array.from(ofField(few, STATE).t), Array.from(raw.get(STATE)!.t).filter((t) => t >= start && t < start + 300));
});

test('finer strides read only the overlapping frames, through the cache', async () => {
  const start = T0 + 7200;
  const end = start + 600;
  const reader = new G3ReaderSource({ store: factory.again(), refreshInterval: 0, cacheBytes: 64 << 20 });
  await reader.start();
  try {
    await readsThroughCache(reader, start, end);
  } finally {
    await reader.close();
  }
});

async function readsThroughCache(reader: G3ReaderSource, start: number, end: number): Promise<void> {
  const before = { ...reader.cacheStats! };
  const first = await reader.getData({ fields: [AZ], start, end, minStride: 1, maxPoints: null });
  assert.deepEqual(reader.lastRoute.raw, [AZ]);
  const read = reader.cacheStats!.misses - before.misses;
  assert.ok(read >= 10 && read <= 13, `${read} frames read for 10 minutes of 1-minute frames`);
  const again = await reader.getData({ fields: [AZ], start, end, minStride: 1, maxPoints: null });
  assert.equal(reader.cacheStats!.misses - before.misses, read, 'the second time from the cache');
  assert.deepEqual(Array.from(again[0]!.t), Array.from(first[0]!.t));
  const r = raw.get(AZ)!;
  const inRange = Array.from(r.t).filter((t) => t >= start && t < end);
  assert.deepEqual(Array.from(first[0]!.t), inRange, 'raw samples of the range (the library downsamples them later)');
  assert.ok(reader.cacheStats!.bytes <= 64 << 20);
}

test('a raw request larger than the reader allows gets a clear error asking for a stride', async () => {
  const small = new G3ReaderSource({ store: factory.again(), refreshInterval: 0, maxRawValues: 10_000 });
  await small.start();
  try {
    await assert.rejects(
      small.getData({ fields: [AZ], start: 0, end: 4e9, minStride: null, maxPoints: null }),
      (err: unknown) => err instanceof TooMuchDataError && /min_stride/.test((err as Error).message),
    );
    const ok = await small.getData({ fields: [AZ], start: 0, end: 4e9, minStride: 600, maxPoints: null });
    assert.ok(ok[0]!.t.length > 0, 'the same range with a stride is answered');
  } finally {
    await small.close();
  }
});
