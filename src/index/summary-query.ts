// Answering a request from the summaries: the coarsest level fine enough for
// the requested stride, merged into output buckets of about four strides
// (M4: first, min, max, last per bucket), with no .g3 file opened.
//
// The range is covered like a segment tree: whole buckets of the chosen
// level inside [start, end), and the two ends from finer and finer levels
// down to the finest one kept, so an end cutting a day bucket does not drag
// in the rest of that day. Only buckets of the finest level can straddle
// the ends; of those, only samples inside the range are returned. Every
// point returned is a real sample (its time and value).
import { bucketOf, chunkOf, decodeChunk, LEVEL_WIDTHS, mergeBuckets, type Bucket } from './summaries.js';
import type { IndexStore, StoredSeries } from './store.js';

/** How M4 spends a bucket: up to four points. */
export const POINTS_PER_BUCKET = 4;
/** Points the downsampling library allows beyond span / min_stride (bucket edges). */
export const EDGE_ALLOWANCE = 8;

/** The most points a timeline may have for a request (as the DataNodeServer library counts them). */
export function pointBudget(span: number, minStride: number | null, maxPoints: number | null): number {
  let budget = Infinity;
  if (minStride !== null) budget = Math.ceil(span / minStride) + 1 + EDGE_ALLOWANCE;
  if (maxPoints !== null) budget = Math.min(budget, Math.max(1, maxPoints));
  return budget;
}

/**
 * Output bucket width (s) a request asks for: a bucket gives up to
 * `perBucket` points (4 for numbers, 2 for strings: first and last), so it
 * spans that many strides, or that share of the span under a point cap.
 */
export function targetWidth(span: number, minStride: number | null, maxPoints: number | null, perBucket = POINTS_PER_BUCKET): number {
  let w = 0;
  if (minStride !== null) w = perBucket * minStride;
  if (maxPoints !== null) w = Math.max(w, (perBucket * span) / Math.max(1, maxPoints - 2));
  return w;
}

/** The coarsest level (>= `minLevel`) whose buckets are no wider than `width`, or undefined. */
export function chooseLevel(width: number, minLevel: number): number | undefined {
  let chosen: number | undefined;
  for (let i = minLevel; i < LEVEL_WIDTHS.length; i++) if (LEVEL_WIDTHS[i]! <= width) chosen = i;
  return chosen;
}

/** A fetched bucket and the level it is of. */
export interface LevelBucket {
  level: number;
  bucket: Bucket;
}

async function fetchLevel(store: IndexStore, seriesId: number, level: number, first: number, last: number): Promise<LevelBucket[]> {
  if (first > last) return [];
  const chunks = await store.summaryChunks(seriesId, level, chunkOf(first), chunkOf(last));
  const out: LevelBucket[] = [];
  for (const data of chunks) {
    for (const b of decodeChunk(data).buckets) if (b.n >= first && b.n <= last) out.push({ level, bucket: b });
  }
  return out;
}

/** Buckets covering [a, b): whole buckets of `level` inside it, the ends from finer levels down to `floor`. */
async function cover(store: IndexStore, seriesId: number, level: number, floor: number, a: number, b: number, out: LevelBucket[]): Promise<void> {
  if (!(a < b)) return;
  const w = LEVEL_WIDTHS[level]!;
  if (level === floor) {
    // Straddling buckets included; their samples outside [a, b) are dropped later.
    out.push(...(await fetchLevel(store, seriesId, level, bucketOf(a, level), bucketOf(b, level) - (bucketOf(b, level) * w >= b ? 1 : 0))));
    return;
  }
  const na = bucketOf(a, level);
  const first = na * w >= a ? na : na + 1;
  const last = bucketOf(b, level) - 1;
  if (first > last) {
    await cover(store, seriesId, level - 1, floor, a, b, out);
    return;
  }
  const [inner, left, right] = await Promise.all([
    fetchLevel(store, seriesId, level, first, last),
    (async () => {
      const part: LevelBucket[] = [];
      await cover(store, seriesId, level - 1, floor, a, first * w, part);
      return part;
    })(),
    (async () => {
      const part: LevelBucket[] = [];
      await cover(store, seriesId, level - 1, floor, (last + 1) * w, b, part);
      return part;
    })(),
  ]);
  out.push(...left, ...inner, ...right);
}

export interface SummaryAnswer {
  /** Output buckets, ascending (each the merge of the level buckets inside it). */
  buckets: Bucket[];
  /** Samples counted in them (those of straddling end buckets included). */
  count: number;
}

/** The stored buckets covering [start, end) for `series`: whole ones of `level`, the ends from finer levels. */
export async function summaryBuckets(store: IndexStore, series: StoredSeries, level: number, start: number, end: number): Promise<LevelBucket[]> {
  const out: LevelBucket[] = [];
  await cover(store, series.id, level, series.minLevel, start, end, out);
  return out;
}

/** Merges level buckets into output buckets of `k` buckets of `level` each. */
export function mergeToWidth(parts: readonly LevelBucket[], level: number, k: number): SummaryAnswer {
  const groups = new Map<number, Bucket[]>();
  let count = 0;
  for (const { level: l, bucket } of parts) {
    // Finer buckets nest in the level's buckets.
    const n = Math.floor(Math.floor(bucket.n / (LEVEL_WIDTHS[level]! / LEVEL_WIDTHS[l]!)) / k);
    const list = groups.get(n);
    const renumbered = { ...bucket, n };
    if (list) list.push(renumbered);
    else groups.set(n, [renumbered]);
    count += bucket.count;
  }
  return { buckets: mergeBuckets(groups.values()), count };
}

export interface SummaryPoints {
  t: Float64Array;
  /** Numbers (NaN for missing) or strings. */
  v: Float64Array | string[];
}

/** The samples a bucket list stands for inside [start, end): per bucket first, min, max, last in time order. */
export function bucketPoints(buckets: readonly Bucket[], kind: 'number' | 'string', start: number, end: number): SummaryPoints {
  const t: number[] = [];
  const nums: number[] = [];
  const strs: string[] = [];
  const cand: { t: number; v: number | string }[] = [];
  for (const b of buckets) {
    cand.length = 0;
    cand.push({ t: b.tFirst, v: b.vFirst });
    if (kind === 'number') {
      if (b.tMin === b.tMin) cand.push({ t: b.tMin, v: b.vMin });
      if (b.tMax === b.tMax) cand.push({ t: b.tMax, v: b.vMax });
    }
    cand.push({ t: b.tLast, v: b.vLast });
    cand.sort((x, y) => x.t - y.t);
    let prev = NaN;
    for (const c of cand) {
      if (c.t === prev || !(c.t >= start && c.t < end)) continue;
      prev = c.t;
      t.push(c.t);
      if (kind === 'number') nums.push(c.v as number);
      else strs.push(String(c.v));
    }
  }
  return { t: Float64Array.from(t), v: kind === 'number' ? Float64Array.from(nums) : strs };
}
