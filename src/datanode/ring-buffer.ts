// An in-memory buffer of live samples for one timeline: several fields
// sampled at the same times, bounded by a sample count and by an age.
//
// Storage is columnar (Float64Array for times and numbers, Uint8Array for
// booleans, arrays for strings) in a linear window with slack: samples live in
// [head, tail) of arrays of `capacity + slack` slots; when the tail reaches the
// end the live window is copied back to slot 0. Each sample is thus copied at
// most once per `slack` appends (amortized O(1)), and every range is one
// contiguous slice, so range queries are a binary search and a memcpy.
import { Packr } from 'msgpackr';
import type { FieldSamples } from './source.js';

export type ColumnKind = 'number' | 'string' | 'bool';

/** One sample's value; null or undefined means "missing" (NaN for numbers). */
export type ColumnValue = number | string | boolean | null | undefined;

/** What to do with a sample whose time equals one already buffered. */
export type DuplicatePolicy = 'replace' | 'ignore';

export interface RingBufferOptions {
  /** fields kept on this timeline, and the kind of each */
  columns: Record<string, ColumnKind>;
  /** maximum number of samples kept; the oldest go first (required, >= 1) */
  capacity: number;
  /** seconds of data kept, counted back from `now()`; unset: no age bound */
  maxAge?: number;
  /**
   * The reference for `maxAge`, in UNIX seconds. Default: the newest buffered
   * sample's time, so a feed that stops keeps its last `maxAge` seconds. Pass
   * `() => Date.now() / 1000` to forget by the wall clock instead (the
   * original data-feed server did that).
   */
  now?: () => number;
  /** a sample at a time already buffered replaces it (default) or is ignored */
  onDuplicate?: DuplicatePolicy;
}

/** What `append` did with one sample. */
export type AppendOutcome =
  /** newer than every buffered sample: added at the end */
  | 'appended'
  /** older than the newest: inserted in time order */
  | 'inserted'
  /** same time as a buffered sample: its values were replaced */
  | 'replaced'
  /** same time as a buffered sample, policy 'ignore': dropped */
  | 'ignored'
  /** older than what the bounds keep (age, or full and older than the oldest): dropped */
  | 'expired';

export interface AppendCounts {
  appended: number;
  inserted: number;
  replaced: number;
  ignored: number;
  expired: number;
}

/** Samples of a time range: `t` ascending, each field aligned with it. */
export interface BufferedRange {
  t: Float64Array;
  fields: Map<string, FieldSamples>;
}

export interface RangeOptions {
  /** only these fields (unknown names are left out); default all */
  fields?: readonly string[];
  /** include samples at exactly `end` (the contract's range is [start, end)) */
  inclusiveEnd?: boolean;
}

/**
 * Plain data of a buffer's content, for spooling to disk (`encodeSnapshot`
 * makes bytes of it). Booleans are bytes 0 = false, 1 = true, 2 = missing.
 */
export interface RingBufferSnapshot {
  version: 1;
  columns: Record<string, ColumnKind>;
  t: Float64Array;
  values: Record<string, Float64Array | Uint8Array | (string | null)[]>;
}

const BOOL_MISSING = 2;
/** msgpack with typed arrays kept as such (plain msgpack would make them bytes) */
const snapshotPackr = new Packr({ moreTypes: true });

/** A snapshot as compact bytes (msgpack, typed arrays stored raw). */
export function encodeSnapshot(snapshot: RingBufferSnapshot): Uint8Array {
  return snapshotPackr.pack(snapshot);
}

/**
 * Bytes from `encodeSnapshot` back to a snapshot. Throws on bytes that are not
 * msgpack; `RingBuffer.restore` checks the shape.
 */
export function decodeSnapshot(bytes: Uint8Array): RingBufferSnapshot {
  return snapshotPackr.unpack(bytes) as RingBufferSnapshot;
}
const MIN_ALLOC = 64;

type Column =
  | { kind: 'number'; data: Float64Array }
  | { kind: 'bool'; data: Uint8Array }
  | { kind: 'string'; data: (string | null)[] };

function newColumn(kind: ColumnKind, size: number): Column {
  switch (kind) {
    case 'number':
      return { kind, data: new Float64Array(size) };
    case 'bool':
      return { kind, data: new Uint8Array(size) };
    case 'string':
      return { kind, data: new Array<string | null>(size).fill(null) };
    default:
      throw new TypeError(`unknown column kind '${String(kind)}' (expected number, string or bool)`);
  }
}

function checkValue(name: string, kind: ColumnKind, v: ColumnValue): void {
  if (v === null || v === undefined) return;
  const ok = kind === 'number' ? typeof v === 'number' : kind === 'bool' ? typeof v === 'boolean' : typeof v === 'string';
  if (!ok) throw new TypeError(`field '${name}' holds ${kind} values, got ${typeof v} ${JSON.stringify(v)}`);
}

function store(col: Column, i: number, v: ColumnValue): void {
  switch (col.kind) {
    case 'number':
      col.data[i] = typeof v === 'number' ? v : NaN;
      break;
    case 'bool':
      col.data[i] = typeof v === 'boolean' ? (v ? 1 : 0) : BOOL_MISSING;
      break;
    case 'string':
      col.data[i] = typeof v === 'string' ? v : null;
      break;
  }
}

export class RingBuffer {
  readonly capacity: number;
  readonly maxAge: number | undefined;
  private readonly now: (() => number) | undefined;
  private readonly onDuplicate: DuplicatePolicy;
  /** slots beyond capacity, so that compaction happens once per `slack` appends */
  private readonly slack: number;
  private alloc: number;
  private times: Float64Array;
  private readonly cols = new Map<string, Column>();
  private head = 0;
  private tail = 0;

  constructor(options: RingBufferOptions) {
    const { capacity, maxAge } = options;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${String(capacity)}`);
    }
    if (maxAge !== undefined && !(maxAge >= 0)) {
      throw new RangeError(`maxAge must be a number of seconds >= 0, got ${String(maxAge)}`);
    }
    this.capacity = capacity;
    this.maxAge = maxAge;
    this.now = options.now;
    this.onDuplicate = options.onDuplicate ?? 'replace';
    this.slack = Math.max(16, Math.ceil(capacity / 4));
    this.alloc = Math.min(capacity + this.slack, MIN_ALLOC);
    this.times = new Float64Array(this.alloc);
    for (const [name, kind] of Object.entries(options.columns)) this.cols.set(name, newColumn(kind, this.alloc));
  }

  /** number of buffered samples */
  get length(): number {
    return this.tail - this.head;
  }

  /** time of the oldest buffered sample, or undefined when empty */
  get firstTime(): number | undefined {
    return this.length > 0 ? this.times[this.head] : undefined;
  }

  /** time of the newest buffered sample, or undefined when empty */
  get lastTime(): number | undefined {
    return this.length > 0 ? this.times[this.tail - 1] : undefined;
  }

  /** the fields and their kinds */
  get columns(): Record<string, ColumnKind> {
    return Object.fromEntries([...this.cols].map(([name, c]) => [name, c.kind]));
  }

  hasColumn(name: string): boolean {
    return this.cols.has(name);
  }

  /** Adds a field; samples already buffered get a missing value for it. */
  addColumn(name: string, kind: ColumnKind): void {
    const existing = this.cols.get(name);
    if (existing) {
      if (existing.kind !== kind) throw new TypeError(`field '${name}' already holds ${existing.kind} values, not ${kind}`);
      return;
    }
    const col = newColumn(kind, this.alloc);
    for (let i = this.head; i < this.tail; i++) store(col, i, null);
    this.cols.set(name, col);
  }

  /**
   * Adds one sample at time `t` (UNIX seconds) with the given field values;
   * fields left out get a missing value. Unknown fields, a value of the wrong
   * kind or a non-finite time throw a TypeError and change nothing.
   */
  append(t: number, values: Record<string, ColumnValue>): AppendOutcome {
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new TypeError(`sample time must be a finite number, got ${String(t)}`);
    for (const [name, v] of Object.entries(values)) {
      const col = this.cols.get(name);
      if (!col) throw new TypeError(`unknown field '${name}' (buffer holds ${[...this.cols.keys()].join(', ') || 'no fields'})`);
      checkValue(name, col.kind, v);
    }
    const outcome = this.place(t, (col, name, i) => store(col, i, values[name]));
    this.expire();
    return outcome;
  }

  /**
   * Adds many samples: `t[i]` with `columns[f][i]` for each field `f`. Fields
   * left out get missing values. The whole batch is checked before anything
   * is stored. Samples in time order after the newest buffered one take a
   * bulk-copy path.
   */
  appendMany(t: ArrayLike<number>, columns: Record<string, ArrayLike<ColumnValue>>): AppendCounts {
    const n = t.length;
    for (let i = 0; i < n; i++) {
      const ti = t[i];
      if (typeof ti !== 'number' || !Number.isFinite(ti)) throw new TypeError(`sample time #${i} must be a finite number, got ${String(ti)}`);
    }
    for (const [name, vs] of Object.entries(columns)) {
      const col = this.cols.get(name);
      if (!col) throw new TypeError(`unknown field '${name}' (buffer holds ${[...this.cols.keys()].join(', ') || 'no fields'})`);
      if (vs.length !== n) throw new TypeError(`field '${name}' has ${vs.length} values for ${n} times`);
      if (!(col.kind === 'number' && vs instanceof Float64Array)) {
        for (let i = 0; i < n; i++) checkValue(name, col.kind, vs[i]);
      }
    }
    const counts: AppendCounts = { appended: 0, inserted: 0, replaced: 0, ignored: 0, expired: 0 };
    if (n === 0) return counts;

    let ordered = this.length === 0 || t[0]! > this.times[this.tail - 1]!;
    for (let i = 1; ordered && i < n; i++) ordered = t[i]! > t[i - 1]!;
    if (ordered) {
      // Only the newest `capacity` samples of the batch can survive.
      const from = Math.max(0, n - this.capacity);
      const k = n - from;
      counts.expired += from;
      this.makeRoom(k);
      const at = this.tail;
      for (let i = 0; i < k; i++) this.times[at + i] = t[from + i]!;
      for (const [name, col] of this.cols) {
        const vs = columns[name];
        if (vs === undefined) {
          for (let i = 0; i < k; i++) store(col, at + i, null);
        } else if (col.kind === 'number' && vs instanceof Float64Array) {
          col.data.set(vs.subarray(from), at);
        } else {
          for (let i = 0; i < k; i++) store(col, at + i, vs[from + i]);
        }
      }
      this.tail += k;
      // The batch's oldest samples may already be beyond the age bound.
      const batchStart = this.tail - k;
      this.expire();
      const lost = this.length === 0 ? k : Math.max(0, this.head - batchStart);
      counts.appended += k - lost;
      counts.expired += lost;
    } else {
      for (let i = 0; i < n; i++) {
        counts[this.place(t[i]!, (col, name, slot) => store(col, slot, columns[name]?.[i]))]++;
      }
      this.expire();
    }
    return counts;
  }

  /**
   * Samples with `start <= t < end` (or `<= end` with `inclusiveEnd`), copied
   * out: the result stays valid whatever is appended afterwards. Numbers come
   * as Float64Array (missing = NaN), strings and booleans as arrays (missing =
   * null).
   */
  range(start: number, end: number, options: RangeOptions = {}): BufferedRange {
    this.expire();
    const lo = this.lowerBound(start);
    const hi = options.inclusiveEnd ? this.upperBound(end) : this.lowerBound(end);
    const from = lo;
    const to = Math.max(lo, hi);
    const fields = new Map<string, FieldSamples>();
    const names = options.fields ?? [...this.cols.keys()];
    for (const name of names) {
      const col = this.cols.get(name);
      if (!col || fields.has(name)) continue;
      fields.set(name, this.copyColumn(col, from, to));
    }
    return { t: this.times.slice(from, to), fields };
  }

  /** Drops samples older than the age bound (reads and appends do this too). */
  expire(): void {
    if (this.maxAge === undefined || this.length === 0) return;
    const ref = this.now ? this.now() : this.times[this.tail - 1]!;
    const cutoff = ref - this.maxAge;
    if (this.times[this.head]! >= cutoff) return;
    this.head = this.lowerBound(cutoff);
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  /** Drops every sample with a time before `t`. */
  dropBefore(t: number): void {
    this.head = this.lowerBound(t);
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  clear(): void {
    this.head = this.tail = 0;
  }

  /** A copy of the content, for spooling to disk; see `RingBuffer.restore`. */
  snapshot(): RingBufferSnapshot {
    const values: RingBufferSnapshot['values'] = {};
    for (const [name, col] of this.cols) values[name] = col.data.slice(this.head, this.tail);
    return { version: 1, columns: this.columns, t: this.times.slice(this.head, this.tail), values };
  }

  /**
   * A buffer with the given bounds holding a snapshot's samples (typically
   * read back from disk). The snapshot is checked like any input: wrong
   * shapes throw a TypeError. Its columns are added to `options.columns`;
   * samples beyond the bounds are dropped, out-of-order ones sorted in.
   */
  static restore(snapshot: RingBufferSnapshot, options: RingBufferOptions): RingBuffer {
    if (snapshot === null || typeof snapshot !== 'object' || snapshot.version !== 1) {
      throw new TypeError('not a ring buffer snapshot (version 1)');
    }
    const t = snapshot.t;
    if (!(t instanceof Float64Array) && !Array.isArray(t)) throw new TypeError('snapshot.t must be a Float64Array or an array of numbers');
    if (snapshot.columns === null || typeof snapshot.columns !== 'object') throw new TypeError('snapshot.columns must be an object');
    const columns = { ...snapshot.columns, ...options.columns };
    const buffer = new RingBuffer({ ...options, columns });
    const batch: Record<string, ArrayLike<ColumnValue>> = {};
    for (const [name, kind] of Object.entries(snapshot.columns)) {
      if (columns[name] !== kind) throw new TypeError(`snapshot field '${name}' holds ${String(kind)} values, the buffer expects ${columns[name]}`);
      const raw = snapshot.values?.[name];
      if (raw === undefined) continue;
      if (typeof raw !== 'object' || raw === null || !('length' in raw)) throw new TypeError(`snapshot field '${name}' is not an array`);
      // Booleans are stored as bytes; the rest is checked by appendMany.
      batch[name] = kind === 'bool' ? Array.from(raw as ArrayLike<number>, (b) => (b === BOOL_MISSING ? null : b === 1)) : (raw as ArrayLike<ColumnValue>);
    }
    buffer.appendMany(t, batch);
    return buffer;
  }

  // ---- internals ----

  /** First index in [head, tail) whose time is >= t (tail if none). */
  private lowerBound(t: number): number {
    let lo = this.head;
    let hi = this.tail;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index in [head, tail) whose time is > t (tail if none). */
  private upperBound(t: number): number {
    let lo = this.head;
    let hi = this.tail;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private copyColumn(col: Column, from: number, to: number): FieldSamples {
    switch (col.kind) {
      case 'number':
        return col.data.slice(from, to);
      case 'string':
        return col.data.slice(from, to);
      case 'bool': {
        const out = new Array<boolean | null>(to - from);
        for (let i = from; i < to; i++) {
          const b = col.data[i];
          out[i - from] = b === BOOL_MISSING ? null : b === 1;
        }
        return out;
      }
    }
  }

  /** Places one sample in time order; `write` fills each field's slot. */
  private place(t: number, write: (col: Column, name: string, slot: number) => void): AppendOutcome {
    if (this.maxAge !== undefined) {
      const ref = this.now ? this.now() : Math.max(t, this.length > 0 ? this.times[this.tail - 1]! : t);
      if (t < ref - this.maxAge) return 'expired';
    }
    if (this.length === 0 || t > this.times[this.tail - 1]!) {
      this.makeRoom(1);
      this.times[this.tail] = t;
      for (const [name, col] of this.cols) write(col, name, this.tail);
      this.tail++;
      return 'appended';
    }
    let pos = this.lowerBound(t);
    if (pos < this.tail && this.times[pos] === t) {
      if (this.onDuplicate === 'ignore') return 'ignored';
      for (const [name, col] of this.cols) write(col, name, pos);
      return 'replaced';
    }
    if (this.length >= this.capacity && pos === this.head) return 'expired';
    pos -= this.makeRoom(1);
    this.times.copyWithin(pos + 1, pos, this.tail);
    for (const col of this.cols.values()) {
      if (col.kind === 'string') col.data.copyWithin(pos + 1, pos, this.tail);
      else col.data.copyWithin(pos + 1, pos, this.tail);
    }
    this.times[pos] = t;
    for (const [name, col] of this.cols) write(col, name, pos);
    this.tail++;
    return 'inserted';
  }

  /**
   * Makes `k` (<= capacity) free slots at the tail: evicts the oldest samples
   * beyond capacity, then compacts the window to slot 0 or grows the arrays.
   * Returns how far the buffered samples moved down (subtract it from any
   * index held across the call).
   */
  private makeRoom(k: number): number {
    const excess = this.length + k - this.capacity;
    if (excess > 0) this.head += excess;
    if (this.tail + k <= this.alloc) return 0;
    const shift = this.head;
    const len = this.length;
    const want = Math.min(this.capacity + this.slack, Math.max(this.alloc * 2, len + k));
    if (want > this.alloc && len + k > this.alloc / 2) {
      this.resize(want);
    } else {
      this.times.copyWithin(0, this.head, this.tail);
      for (const col of this.cols.values()) {
        if (col.kind === 'string') col.data.copyWithin(0, this.head, this.tail);
        else col.data.copyWithin(0, this.head, this.tail);
      }
    }
    this.head = 0;
    this.tail = len;
    return shift;
  }

  private resize(size: number): void {
    const times = new Float64Array(size);
    times.set(this.times.subarray(this.head, this.tail));
    this.times = times;
    for (const col of this.cols.values()) {
      switch (col.kind) {
        case 'number': {
          const d = new Float64Array(size);
          d.set(col.data.subarray(this.head, this.tail));
          col.data = d;
          break;
        }
        case 'bool': {
          const d = new Uint8Array(size);
          d.set(col.data.subarray(this.head, this.tail));
          col.data = d;
          break;
        }
        case 'string': {
          const d = col.data.slice(this.head, this.tail);
          d.length = size;
          col.data = d.fill(null, this.tail - this.head);
          break;
        }
      }
    }
    this.alloc = size;
  }
}
