// Peak-keeping downsampling of one timeline (several fields sampled at the
// same times) to what a caller can use, on typed arrays.
//
// Every kept point is a real sample. Time is cut into buckets aligned on
// multiples of the bucket width (so a moving window picks the same points on
// each refresh), and each bucket keeps, for every numeric field:
//   m4:   the first and last sample, and the samples holding the minimum and
//         maximum (so no spike is ever lost: M4, Jugel et al. 2014);
//   lttb: the sample that best keeps the shape of the line (Largest Triangle
//         Three Buckets, Steinarsson 2013).
// A timeline keeps the union of its fields' picks, so each field keeps its
// own peaks. String and boolean fields keep the first and last sample of
// each bucket.
//
// How many points: with `min_stride` s a timeline gets no more points than
// sampling every s seconds would give (span/s, plus a few at the bucket
// edges): M4 buckets are 4s wide, LTTB buckets s wide. Single neighbours may
// be closer than s (the min and max of a bucket can be adjacent); the
// density is what min_stride bounds. `max_points` is a hard cap per timeline.
// When a timeline's union of picks exceeds either bound (many fields on one
// timeline), buckets are widened until it fits.
import type { FieldSamples } from './source.js';

export type DownsampleMethod = 'm4' | 'lttb';

export interface DownsampleOptions {
  /** seconds: at most one point per min_stride of time span, on average; null: no bound */
  minStride: number | null;
  /** at most this many points; null: no cap */
  maxPoints: number | null;
  /** default 'm4' */
  method?: DownsampleMethod;
}

/** M4 bucket edges leave at most this many points beyond span/min_stride. */
const EDGE_ALLOWANCE = 8;

/** A field column prepared for selection. */
type Column = { numeric: true; v: Float64Array } | { numeric: false };

function prepare(col: FieldSamples): Column {
  if (col instanceof Float64Array) return { numeric: true, v: col };
  const n = col.length;
  let kind: string | undefined;
  for (let i = 0; i < n && kind === undefined; i++) {
    const x = col[i];
    if (x !== null && x !== undefined) kind = typeof x;
  }
  if (kind !== 'number') return { numeric: false };
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = col[i];
    v[i] = typeof x === 'number' ? x : NaN;
  }
  return { numeric: true, v };
}

/**
 * Index one past the last sample of the bucket that starts at index i.
 * Galloping search: O(log k) for a bucket of k samples, so dense data costs
 * little per bucket and sparse data (one sample per bucket) stays O(1).
 */
function bucketEnd(t: Float64Array, i: number, width: number): number {
  const n = t.length;
  const edge = (Math.floor(t[i]! / width) + 1) * width;
  let lo = i + 1; // t[lo - 1] < edge
  let step = 1;
  let hi = lo;
  while (hi < n && t[hi]! < edge) {
    lo = hi + 1;
    hi = i + 1 + step;
    step *= 2;
  }
  if (hi > n) hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid]! < edge) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function appendSortedUnique(out: number[], picks: number[]): void {
  picks.sort((a, b) => a - b);
  let last = out.length > 0 ? out[out.length - 1]! : -1;
  for (const p of picks) {
    if (p !== last) {
      out.push(p);
      last = p;
    }
  }
}

/** M4: per bucket of `width` seconds, first, last and each numeric field's min and max. */
export function m4Indices(t: Float64Array, columns: readonly FieldSamples[], width: number): number[] {
  const cols = columns.map(prepare);
  const out: number[] = [];
  const picks: number[] = [];
  const n = t.length;
  let i = 0;
  while (i < n) {
    const j = bucketEnd(t, i, width);
    picks.length = 0;
    picks.push(i, j - 1);
    for (const c of cols) {
      if (!c.numeric) continue;
      const v = c.v;
      let minI = -1;
      let maxI = -1;
      let minV = Infinity;
      let maxV = -Infinity;
      for (let k = i; k < j; k++) {
        const x = v[k]!;
        // NaN fails both comparisons: missing values never win.
        if (x < minV) {
          minV = x;
          minI = k;
        }
        if (x > maxV) {
          maxV = x;
          maxI = k;
        }
      }
      if (minI >= 0) picks.push(minI);
      if (maxI >= 0) picks.push(maxI);
    }
    appendSortedUnique(out, picks);
    i = j;
  }
  return out;
}

/**
 * LTTB on time buckets of `width` seconds: the first and last samples, and
 * per bucket, for each numeric field, the sample forming the largest triangle
 * with the field's previous pick and the average of the next bucket.
 * Non-numeric fields keep each bucket's first sample.
 */
export function lttbIndices(t: Float64Array, columns: readonly FieldSamples[], width: number): number[] {
  const n = t.length;
  if (n <= 2) return Array.from({ length: n }, (_, i) => i);
  const cols = columns.map(prepare);
  // Bucket boundaries over the inner samples 1..n-2 (the ends are always kept).
  const starts: number[] = [];
  for (let i = 1; i < n - 1; ) {
    starts.push(i);
    i = Math.min(bucketEnd(t, i, width), n - 1);
  }
  starts.push(n - 1);
  const prev = cols.map(() => 0);
  const out: number[] = [0];
  const picks: number[] = [];
  for (let b = 0; b + 1 < starts.length; b++) {
    const lo = starts[b]!;
    const hi = starts[b + 1]!;
    const nextLo = hi;
    const nextHi = b + 2 < starts.length ? starts[b + 2]! : n;
    picks.length = 0;
    let anyCategorical = false;
    cols.forEach((c, f) => {
      if (!c.numeric) {
        anyCategorical = true;
        return;
      }
      const v = c.v;
      // Average of the next bucket (the last sample when this is the last bucket).
      let sumT = 0;
      let sumV = 0;
      let cnt = 0;
      for (let k = nextLo; k < nextHi; k++) {
        const x = v[k]!;
        if (Number.isFinite(x)) {
          sumT += t[k]!;
          sumV += x;
          cnt++;
        }
      }
      const a = prev[f]!;
      const ta = t[a]!;
      const va = Number.isFinite(v[a]!) ? v[a]! : 0;
      const avgT = cnt > 0 ? sumT / cnt : t[nextLo]!;
      const avgV = cnt > 0 ? sumV / cnt : va;
      let best = -1;
      let bestArea = -1;
      for (let k = lo; k < hi; k++) {
        const x = v[k]!;
        if (!Number.isFinite(x)) continue;
        const area = Math.abs((ta - avgT) * (x - va) - (ta - t[k]!) * (avgV - va));
        if (area > bestArea) {
          bestArea = area;
          best = k;
        }
      }
      if (best < 0) best = lo; // nothing finite here: keep the gap visible
      picks.push(best);
      prev[f] = best;
    });
    if (anyCategorical || picks.length === 0) picks.push(lo);
    appendSortedUnique(out, picks);
  }
  if (out[out.length - 1] !== n - 1) out.push(n - 1);
  return out;
}

/** Picks `k` entries of a sorted index list, evenly, keeping the last. */
function thin(idx: number[], k: number): number[] {
  if (k <= 0) return [];
  if (k === 1) return [idx[idx.length - 1]!];
  const out: number[] = [];
  const step = (idx.length - 1) / (k - 1);
  for (let i = 0; i < k; i++) out.push(idx[Math.round(i * step)]!);
  return out;
}

/**
 * Indices (ascending) of the samples of one timeline to keep under the
 * options, or null when every sample is kept.
 */
export function pickSamples(t: Float64Array, columns: readonly FieldSamples[], options: DownsampleOptions): Int32Array | null {
  const n = t.length;
  const { minStride, maxPoints } = options;
  const method = options.method ?? 'm4';
  if (n <= 1 || (minStride === null && maxPoints === null)) return null;
  const span = t[n - 1]! - t[0]!;
  let budget = Infinity;
  if (minStride !== null) budget = Math.ceil(span / minStride) + 1 + EDGE_ALLOWANCE;
  if (maxPoints !== null) budget = Math.min(budget, Math.max(1, maxPoints));
  if (minStride === null && n <= budget) return null;

  const perBucket = method === 'm4' ? 4 : 1;
  const select = method === 'm4' ? m4Indices : lttbIndices;
  let width = minStride !== null ? minStride * perBucket : (perBucket * span) / Math.max(1, budget - 2);
  if (!(width > 0)) width = 1;
  let idx = select(t, columns, width);
  // Widen until the union of picks fits; each pass is O(samples x fields).
  for (let pass = 0; idx.length > budget && pass < 40; pass++) {
    width *= Math.max(1.1, idx.length / budget);
    idx = select(t, columns, width);
  }
  if (idx.length > budget) idx = thin(idx, budget);
  return idx.length === n ? null : Int32Array.from(idx);
}

/** The values of one column at the given indices, in the column's own representation. */
export function gather<T extends FieldSamples>(col: T, idx: Int32Array): T {
  if (col instanceof Float64Array) {
    const out = new Float64Array(idx.length);
    for (let i = 0; i < idx.length; i++) out[i] = col[idx[i]!]!;
    return out as T;
  }
  const out = new Array<unknown>(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = col[idx[i]!];
  return out as unknown as T;
}
