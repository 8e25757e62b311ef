// Multi-resolution summaries of a field: per bucket of a fixed width (10 s,
// 1 min, 10 min, 1 h, 1 d, aligned on multiples of the width since the
// epoch) the first, last, minimum and maximum sample and how many there
// were. They are computed from the raw samples while a file is scanned,
// merged across files at query time, and let a request at screen
// resolution be answered without reading a .g3 file.
//
// Each statistic is a real sample (time and value), chosen by rules that do
// not depend on the order samples are met in, so merging per-file buckets in
// any order gives what one pass over all samples gives:
//   first: smallest time;  last: largest time (ties: the one met first);
//   min/max: smallest/largest value, ties to the earlier time; NaN never
//   wins (a bucket of NaNs only has no min/max).
// Strings keep first and last only.

/** Bucket widths of the ladder, seconds, finest first. Each divides the next. */
export const LEVEL_WIDTHS = [10, 60, 600, 3600, 86400] as const;

/** Width in seconds of level `i`. */
export function levelWidth(i: number): number {
  const w = LEVEL_WIDTHS[i];
  if (w === undefined) throw new RangeError(`no summary level ${i}`);
  return w;
}

/** The level of a width in seconds (as stored). */
export function levelIndex(width: number): number {
  const i = (LEVEL_WIDTHS as readonly number[]).indexOf(width);
  if (i < 0) throw new RangeError(`no summary level of width ${width} s`);
  return i;
}

/** Buckets per stored chunk (one row per series, level, chunk and file). */
export const CHUNK_BUCKETS = 128;

/**
 * A level is kept for a series only where its buckets hold at least this
 * many samples on average; below that, reading the raw frames costs about
 * as much as reading the summary.
 */
export const MIN_SAMPLES_PER_BUCKET = 16;

export type SummaryKind = 'number' | 'string';

/** The statistics of one bucket of one field. */
export interface Bucket {
  /** Bucket number: floor(t / width). */
  n: number;
  count: number;
  tFirst: number;
  vFirst: number | string;
  tLast: number;
  vLast: number | string;
  /** NaN when the bucket has no number (strings, or only NaN values). */
  tMin: number;
  vMin: number;
  tMax: number;
  vMax: number;
}

/** Index of the finest level worth keeping for a series sampled at `rate` Hz. */
export function minLevelFor(rate: number | undefined): number {
  // Unknown rate (one sample per frame): assume a sample a minute.
  const r = rate !== undefined && Number.isFinite(rate) && rate > 0 ? rate : 1 / 60;
  for (let i = 0; i < LEVEL_WIDTHS.length; i++) if (r * LEVEL_WIDTHS[i]! >= MIN_SAMPLES_PER_BUCKET) return i;
  return LEVEL_WIDTHS.length - 1;
}

/** Adds `b`'s samples to `a` (in place) by the rules above. */
export function mergeInto(a: Bucket, b: Bucket): void {
  a.count += b.count;
  if (b.tFirst < a.tFirst) {
    a.tFirst = b.tFirst;
    a.vFirst = b.vFirst;
  }
  if (b.tLast > a.tLast) {
    a.tLast = b.tLast;
    a.vLast = b.vLast;
  }
  if (b.vMin === b.vMin && (!(a.vMin === a.vMin) || b.vMin < a.vMin || (b.vMin === a.vMin && b.tMin < a.tMin))) {
    a.vMin = b.vMin;
    a.tMin = b.tMin;
  }
  if (b.vMax === b.vMax && (!(a.vMax === a.vMax) || b.vMax > a.vMax || (b.vMax === a.vMax && b.tMax < a.tMax))) {
    a.vMax = b.vMax;
    a.tMax = b.tMax;
  }
}

function copyBucket(b: Bucket, n: number): Bucket {
  return { n, count: b.count, tFirst: b.tFirst, vFirst: b.vFirst, tLast: b.tLast, vLast: b.vLast, tMin: b.tMin, vMin: b.vMin, tMax: b.tMax, vMax: b.vMax };
}

/** Values of one field, as numbers (NaN for none) or strings. */
export type SummaryValues = { kind: 'number'; v: Float64Array } | { kind: 'string'; v: readonly string[] };

/** The statistics of samples [i, j) as one bucket numbered `n`. */
function statsOf(t: Float64Array, values: SummaryValues, i: number, j: number, n: number): Bucket {
  let f = i;
  let l = i;
  let mn = -1;
  let mx = -1;
  if (values.kind === 'number') {
    const v = values.v;
    let vMin = NaN;
    let vMax = NaN;
    for (let k = i; k < j; k++) {
      const tk = t[k]!;
      if (tk < t[f]!) f = k;
      if (tk > t[l]!) l = k;
      const x = v[k]!;
      if (x !== x) continue;
      if (mn < 0 || x < vMin || (x === vMin && tk < t[mn]!)) {
        vMin = x;
        mn = k;
      }
      if (mx < 0 || x > vMax || (x === vMax && tk < t[mx]!)) {
        vMax = x;
        mx = k;
      }
    }
    return {
      n,
      count: j - i,
      tFirst: t[f]!,
      vFirst: v[f]!,
      tLast: t[l]!,
      vLast: v[l]!,
      tMin: mn < 0 ? NaN : t[mn]!,
      vMin: mn < 0 ? NaN : v[mn]!,
      tMax: mx < 0 ? NaN : t[mx]!,
      vMax: mx < 0 ? NaN : v[mx]!,
    };
  }
  for (let k = i + 1; k < j; k++) {
    if (t[k]! < t[f]!) f = k;
    if (t[k]! > t[l]!) l = k;
  }
  const v = values.v;
  return { n, count: j - i, tFirst: t[f]!, vFirst: v[f]!, tLast: t[l]!, vLast: v[l]!, tMin: NaN, vMin: NaN, tMax: NaN, vMax: NaN };
}

/** Buckets of one field at one width, by bucket number. */
export type BucketMap = Map<number, Bucket>;

/**
 * The bucket number of time `t` at level `level`. Every level derives from
 * the finest one, so a sample's buckets nest exactly whatever the rounding
 * of the division.
 */
export function bucketOf(t: number, level: number): number {
  const fine = Math.floor(t / LEVEL_WIDTHS[0]);
  return level === 0 ? fine : Math.floor(fine / (LEVEL_WIDTHS[level]! / LEVEL_WIDTHS[0]));
}

/** Adds samples (times `t`, values aligned with them) to `into`, in buckets of the finest level. */
export function accumulate(into: BucketMap, t: Float64Array, values: SummaryValues): void {
  const count = t.length;
  const width = LEVEL_WIDTHS[0];
  let i = 0;
  while (i < count) {
    const n = Math.floor(t[i]! / width);
    // Samples of a block are in time order: take the run in this bucket at once.
    let j = i + 1;
    while (j < count && Math.floor(t[j]! / width) === n) j++;
    const part = statsOf(t, values, i, j, n);
    const have = into.get(n);
    if (have) mergeInto(have, part);
    else into.set(n, part);
    i = j;
  }
}

/** Buckets of level `level` made from finer ones of level `from` (the widths nest). */
export function coarsen(fine: Iterable<Bucket>, from: number, level: number): BucketMap {
  const out: BucketMap = new Map();
  const ratio = LEVEL_WIDTHS[level]! / LEVEL_WIDTHS[from]!;
  for (const b of fine) {
    const n = Math.floor(b.n / ratio);
    const have = out.get(n);
    if (have) mergeInto(have, b);
    else out.set(n, copyBucket(b, n));
  }
  return out;
}

/** Merges bucket lists (each in any order) into one list sorted by bucket number. */
export function mergeBuckets(lists: Iterable<Iterable<Bucket>>): Bucket[] {
  const map: BucketMap = new Map();
  for (const list of lists) {
    for (const b of list) {
      const have = map.get(b.n);
      if (have) mergeInto(have, b);
      else map.set(b.n, copyBucket(b, b.n));
    }
  }
  return [...map.values()].sort((a, b) => a.n - b.n);
}

/** Chunk number of a bucket. */
export function chunkOf(n: number): number {
  return Math.floor(n / CHUNK_BUCKETS);
}

// ---- stored form of a chunk --------------------------------------------------
//
// Little-endian: u8 format (1), u8 kind (0 number, 1 string), u16 0, u32
// count n; then f64[n] tFirst, tLast; for numbers f64[n] tMin, tMax,
// vFirst, vLast, vMin, vMax; then i32[n] bucket numbers, u32[n] counts; for
// strings then, per bucket, first and last as u32 byte length + UTF-8.

const FORMAT = 1;

export function encodeChunk(kind: SummaryKind, buckets: readonly Bucket[]): Uint8Array {
  const n = buckets.length;
  const floats = kind === 'number' ? 8 : 2;
  let size = 8 + floats * 8 * n + 8 * n;
  let strings: Buffer[] | undefined;
  if (kind === 'string') {
    strings = [];
    for (const b of buckets) strings.push(Buffer.from(String(b.vFirst), 'utf8'), Buffer.from(String(b.vLast), 'utf8'));
    for (const s of strings) size += 4 + s.length;
  }
  const out = Buffer.alloc(size);
  out.writeUInt8(FORMAT, 0);
  out.writeUInt8(kind === 'number' ? 0 : 1, 1);
  out.writeUInt32LE(n, 4);
  let at = 8;
  const column = (get: (b: Bucket) => number): void => {
    for (const b of buckets) {
      out.writeDoubleLE(get(b), at);
      at += 8;
    }
  };
  column((b) => b.tFirst);
  column((b) => b.tLast);
  if (kind === 'number') {
    column((b) => b.tMin);
    column((b) => b.tMax);
    column((b) => b.vFirst as number);
    column((b) => b.vLast as number);
    column((b) => b.vMin);
    column((b) => b.vMax);
  }
  for (const b of buckets) {
    out.writeInt32LE(b.n, at);
    at += 4;
  }
  for (const b of buckets) {
    out.writeUInt32LE(b.count, at);
    at += 4;
  }
  for (const s of strings ?? []) {
    out.writeUInt32LE(s.length, at);
    s.copy(out, at + 4);
    at += 4 + s.length;
  }
  return out;
}

export class SummaryFormatError extends Error {
  override name = 'SummaryFormatError';
}

export function decodeChunk(bytes: Uint8Array): { kind: SummaryKind; buckets: Bucket[] } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8 || buf.readUInt8(0) !== FORMAT) throw new SummaryFormatError('summary chunk of an unknown format');
  const kind: SummaryKind = buf.readUInt8(1) === 0 ? 'number' : 'string';
  const n = buf.readUInt32LE(4);
  const floats = kind === 'number' ? 8 : 2;
  if (buf.length < 8 + (floats + 1) * 8 * n) throw new SummaryFormatError('summary chunk is short');
  const col = (k: number, i: number): number => buf.readDoubleLE(8 + (k * n + i) * 8);
  const intsAt = 8 + floats * 8 * n;
  const buckets: Bucket[] = new Array<Bucket>(n);
  let at = intsAt + 8 * n;
  for (let i = 0; i < n; i++) {
    const b: Bucket = {
      n: buf.readInt32LE(intsAt + 4 * i),
      count: buf.readUInt32LE(intsAt + 4 * n + 4 * i),
      tFirst: col(0, i),
      vFirst: NaN,
      tLast: col(1, i),
      vLast: NaN,
      tMin: NaN,
      vMin: NaN,
      tMax: NaN,
      vMax: NaN,
    };
    if (kind === 'number') {
      b.tMin = col(2, i);
      b.tMax = col(3, i);
      b.vFirst = col(4, i);
      b.vLast = col(5, i);
      b.vMin = col(6, i);
      b.vMax = col(7, i);
    } else {
      const read = (): string => {
        if (at + 4 > buf.length) throw new SummaryFormatError('summary chunk is short');
        const len = buf.readUInt32LE(at);
        if (at + 4 + len > buf.length) throw new SummaryFormatError('summary chunk is short');
        const s = buf.toString('utf8', at + 4, at + 4 + len);
        at += 4 + len;
        return s;
      };
      b.vFirst = read();
      b.vLast = read();
    }
    buckets[i] = b;
  }
  return { kind, buckets };
}
