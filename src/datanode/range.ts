// Binary search on ascending sample times, for sources that answer a
// [start, end) request from sorted arrays.

/** First index whose time is >= x (t.length if none). */
export function lowerBound(t: ArrayLike<number>, x: number, lo = 0, hi = t.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index bounds [from, to) of the samples with start <= t < end. */
export function indexRange(t: ArrayLike<number>, start: number, end: number): [number, number] {
  const from = lowerBound(t, start);
  return [from, Math.max(from, lowerBound(t, end, from))];
}
