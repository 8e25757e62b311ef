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

/**
 * From this level on, the index also keeps each chunk merged across files
 * (stored under file 0), so a query over a long range reads a few rows
 * instead of one per file. Finer levels are read per file: a range they
 * serve spans a few days at most.
 */
export const MERGED_FROM_LEVEL = 2;

/** Buckets per stored chunk (one row per series, level, chunk and file). */
export const CHUNK_BUCKETS = 128;

/**
 * A level is kept for a series only where its buckets hold at least this
 * many samples on average. A bucket takes 72 bytes, a sample 8 to 16: finer
 * levels would cost a large share of the archive's size, and the raw frames
 * of so few samples are quick to read.
 */
export const MIN_SAMPLES_PER_BUCKET = 64;

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

/**
 * Runs of samples in one bucket of the finest level: [start, end, bucket
 * number] triples. Computed once per block (its fields share the times).
 */
export function bucketRuns(t: Float64Array): Int32Array {
  const out: number[] = [];
  const count = t.length;
  const width = LEVEL_WIDTHS[0];
  let i = 0;
  while (i < count) {
    const n = Math.floor(t[i]! / width);
    // Samples of a block are in time order: take the run in this bucket at once.
    let j = i + 1;
    while (j < count && Math.floor(t[j]! / width) === n) j++;
    out.push(i, j, n);
    i = j;
  }
  return Int32Array.from(out);
}

/** Folds samples [i, j) into a bucket that already has some (same rules as mergeInto, sample by sample). */
function foldInto(b: Bucket, t: Float64Array, values: SummaryValues, i: number, j: number): void {
  b.count += j - i;
  const v = values.v;
  for (let k = i; k < j; k++) {
    const tk = t[k]!;
    if (tk < b.tFirst) {
      b.tFirst = tk;
      b.vFirst = v[k]!;
    }
    if (tk > b.tLast) {
      b.tLast = tk;
      b.vLast = v[k]!;
    }
    if (values.kind !== 'number') continue;
    const x = values.v[k]!;
    if (x !== x) continue;
    if (!(b.vMin === b.vMin) || x < b.vMin || (x === b.vMin && tk < b.tMin)) {
      b.vMin = x;
      b.tMin = tk;
    }
    if (!(b.vMax === b.vMax) || x > b.vMax || (x === b.vMax && tk < b.tMax)) {
      b.vMax = x;
      b.tMax = tk;
    }
  }
}

/** Adds samples (times `t`, values aligned with them) to `into`, in buckets of the finest level. */
export function accumulate(into: BucketMap, t: Float64Array, values: SummaryValues, runs: Int32Array = bucketRuns(t)): void {
  for (let r = 0; r < runs.length; r += 3) {
    const n = runs[r + 2]!;
    const have = into.get(n);
    if (have) foldInto(have, t, values, runs[r]!, runs[r + 1]!);
    else into.set(n, statsOf(t, values, runs[r]!, runs[r + 1]!, n));
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
// vFirst, vLast, vMin, vMax; then i32[n] bucket numbers, i32[n] counts; for
// strings then, per bucket, first and last as u32 byte length + UTF-8.

const FORMAT = 1;

export function encodeChunk(kind: SummaryKind, buckets: readonly Bucket[]): Uint8Array {
  const n = buckets.length;
  const floats = kind === 'number' ? 8 : 2;
  const f64 = new Float64Array(floats * n);
  buckets.forEach((b, i) => {
    f64[i] = b.tFirst;
    f64[n + i] = b.tLast;
    if (kind === 'number') {
      f64[2 * n + i] = b.tMin;
      f64[3 * n + i] = b.tMax;
      f64[4 * n + i] = b.vFirst as number;
      f64[5 * n + i] = b.vLast as number;
      f64[6 * n + i] = b.vMin;
      f64[7 * n + i] = b.vMax;
    }
  });
  const ints = new Int32Array(2 * n);
  buckets.forEach((b, i) => {
    ints[i] = b.n;
    ints[n + i] = b.count;
  });
  let strings: Buffer[] | undefined;
  let extra = 0;
  if (kind === 'string') {
    strings = [];
    for (const b of buckets) strings.push(Buffer.from(String(b.vFirst), 'utf8'), Buffer.from(String(b.vLast), 'utf8'));
    for (const s of strings) extra += 4 + s.length;
  }
  const out = Buffer.alloc(8 + f64.byteLength + ints.byteLength + extra);
  out.writeUInt8(FORMAT, 0);
  out.writeUInt8(kind === 'number' ? 0 : 1, 1);
  out.writeUInt32LE(n, 4);
  // Little-endian hosts (every one Node runs on in practice) copy the arrays as they are.
  out.set(new Uint8Array(f64.buffer), 8);
  out.set(new Uint8Array(ints.buffer), 8 + f64.byteLength);
  let at = 8 + f64.byteLength + ints.byteLength;
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
  // Aligned copies of the arrays (a stored value need not be aligned in memory).
  const f64 = new Float64Array(floats * n);
  new Uint8Array(f64.buffer).set(buf.subarray(8, 8 + f64.byteLength));
  const ints = new Int32Array(2 * n);
  new Uint8Array(ints.buffer).set(buf.subarray(8 + f64.byteLength, 8 + f64.byteLength + ints.byteLength));
  let at = 8 + f64.byteLength + ints.byteLength;
  const read = (): string => {
    if (at + 4 > buf.length) throw new SummaryFormatError('summary chunk is short');
    const len = buf.readUInt32LE(at);
    if (at + 4 + len > buf.length) throw new SummaryFormatError('summary chunk is short');
    const s = buf.toString('utf8', at + 4, at + 4 + len);
    at += 4 + len;
    return s;
  };
  const buckets = new Array<Bucket>(n);
  for (let i = 0; i < n; i++) {
    const number = kind === 'number';
    buckets[i] = {
      n: ints[i]!,
      count: ints[n + i]!,
      tFirst: f64[i]!,
      vFirst: number ? f64[4 * n + i]! : read(),
      tLast: f64[n + i]!,
      vLast: number ? f64[5 * n + i]! : read(),
      tMin: number ? f64[2 * n + i]! : NaN,
      vMin: number ? f64[6 * n + i]! : NaN,
      tMax: number ? f64[3 * n + i]! : NaN,
      vMax: number ? f64[7 * n + i]! : NaN,
    };
  }
  return { kind, buckets };
}

/** A merged chunk with `delta` (new samples) added; `old` is the stored chunk, if any. */
export function addToChunk(old: Uint8Array | undefined, kind: SummaryKind, delta: readonly Bucket[]): Uint8Array {
  return encodeChunk(kind, mergeBuckets(old ? [decodeChunk(old).buckets, delta] : [delta]));
}

/** Several files' chunks of one series, level and chunk number merged into one (undefined for none). */
export function mergeChunks(chunks: readonly Uint8Array[]): Uint8Array | undefined {
  if (chunks.length === 0) return undefined;
  const decoded = chunks.map(decodeChunk);
  return encodeChunk(decoded[0]!.kind, mergeBuckets(decoded.map((d) => d.buckets)));
}
