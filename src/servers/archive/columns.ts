// Two growable Float64 columns (time, value) that parsed archive files are
// kept in. Growing by doubling keeps appends to a file that is still being
// written amortised O(1); views (`subarray`) hand ranges out without copying.

export class Columns {
  private tBuf: Float64Array;
  private vBuf: Float64Array;
  length = 0;

  constructor(capacity = 256) {
    this.tBuf = new Float64Array(Math.max(1, capacity));
    this.vBuf = new Float64Array(Math.max(1, capacity));
  }

  /** sample times; valid up to `length` */
  get t(): Float64Array {
    return this.tBuf.subarray(0, this.length);
  }

  /** values, aligned with `t` */
  get v(): Float64Array {
    return this.vBuf.subarray(0, this.length);
  }

  /** bytes held, for cache accounting */
  get bytes(): number {
    return this.tBuf.byteLength + this.vBuf.byteLength;
  }

  push(t: number, v: number): void {
    if (this.length === this.tBuf.length) this.grow(this.length * 2);
    this.tBuf[this.length] = t;
    this.vBuf[this.length] = v;
    this.length++;
  }

  /** drops every row from index `n` on */
  truncate(n: number): void {
    if (n < this.length) this.length = Math.max(0, n);
  }

  /** releases spare capacity (after a file was read whole) */
  shrinkToFit(): void {
    if (this.tBuf.length > this.length * 1.25 + 16) this.grow(this.length);
  }

  /** true when `t` never decreases */
  isSorted(from = 0): boolean {
    const t = this.tBuf;
    for (let i = Math.max(1, from); i < this.length; i++) if (t[i]! < t[i - 1]!) return false;
    return true;
  }

  /** stable sort of the rows by time (rare: archive files are written in order) */
  sortByTime(): void {
    const n = this.length;
    const order = Array.from({ length: n }, (_, i) => i);
    const t = this.tBuf;
    order.sort((a, b) => t[a]! - t[b]! || a - b);
    const nt = new Float64Array(this.tBuf.length);
    const nv = new Float64Array(this.vBuf.length);
    for (let i = 0; i < n; i++) {
      nt[i] = t[order[i]!]!;
      nv[i] = this.vBuf[order[i]!]!;
    }
    this.tBuf = nt;
    this.vBuf = nv;
  }

  private grow(capacity: number): void {
    const c = Math.max(1, capacity);
    const nt = new Float64Array(c);
    const nv = new Float64Array(c);
    nt.set(this.tBuf.subarray(0, this.length));
    nv.set(this.vBuf.subarray(0, this.length));
    this.tBuf = nt;
    this.vBuf = nv;
  }
}

/**
 * Joins per-file ranges of one field into one timeline. The pieces come in
 * file order; when files overlap in time the result is re-sorted so times
 * stay ascending, as the contract requires.
 */
export function concatRanges(pieces: { t: Float64Array; v: Float64Array }[]): { t: Float64Array; v: Float64Array } {
  let n = 0;
  for (const p of pieces) n += p.t.length;
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let at = 0;
  let sorted = true;
  for (const p of pieces) {
    if (p.t.length === 0) continue;
    if (at > 0 && p.t[0]! < t[at - 1]!) sorted = false;
    t.set(p.t, at);
    v.set(p.v, at);
    at += p.t.length;
  }
  if (sorted) return { t, v };
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => t[a]! - t[b]! || a - b);
  const st = new Float64Array(n);
  const sv = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    st[i] = t[order[i]!]!;
    sv[i] = v[order[i]!]!;
  }
  return { t: st, v: sv };
}

/**
 * `fn` over `items` with at most `limit` calls in flight (results in
 * order); checks `signal` before each call so a cancelled request stops
 * reading files.
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      signal?.throwIfAborted();
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
