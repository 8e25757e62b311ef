// One field's samples as the monitor holds them (times in epoch ms,
// ascending; values numbers or null), and what is done to them: live
// samples appended, old ones dropped as the window moves, a dense live
// tail thinned so a long live view stays light, and CSV of what is shown.
// Pure: tested in Node.

export interface Samples {
  t: number[];
  v: (number | null)[];
}

/** A REST value as a plottable number: booleans as 0/1, text and missing as null. */
export function plottable(x: unknown): number | null {
  if (typeof x === 'number') return Number.isFinite(x) ? x : null;
  if (typeof x === 'boolean') return x ? 1 : 0;
  return null;
}

/** Samples from the REST API's columns. */
export function fromColumns(t: readonly number[], v: readonly unknown[]): Samples {
  return { t: t.slice(), v: v.map(plottable) };
}

/**
 * Appends the samples newer than the last one held (older or repeated ones
 * were already fetched: the live stream may resend after a reconnect).
 * Returns how many were added.
 */
export function appendNewer(s: Samples, t: readonly number[], v: readonly unknown[]): number {
  let last = s.t.length > 0 ? (s.t[s.t.length - 1] as number) : -Infinity;
  let added = 0;
  for (let i = 0; i < t.length; i++) {
    const ti = t[i] as number;
    if (!(ti > last)) continue;
    s.t.push(ti);
    s.v.push(plottable(v[i]));
    last = ti;
    added++;
  }
  return added;
}

/** Drops samples before `fromMs`; returns how many. */
export function dropBefore(s: Samples, fromMs: number): number {
  let i = 0;
  while (i < s.t.length && (s.t[i] as number) < fromMs) i++;
  if (i > 0) {
    s.t.splice(0, i);
    s.v.splice(0, i);
  }
  return i;
}

/**
 * Thins the samples from index `from` on to at most first, min, max and
 * last per bucket of `strideMs` (buckets aligned to multiples of the
 * stride, as the nodes downsample), so peaks survive. The last bucket,
 * still filling, is left whole. Returns the number of samples removed.
 */
export function thinTail(s: Samples, from: number, strideMs: number): number {
  if (!(strideMs > 0) || s.t.length - from < 8) return 0;
  const lastBucket = Math.floor((s.t[s.t.length - 1] as number) / strideMs);
  const keepT: number[] = [];
  const keepV: (number | null)[] = [];
  let i = from;
  while (i < s.t.length) {
    const bucket = Math.floor((s.t[i] as number) / strideMs);
    if (bucket >= lastBucket) break;
    let j = i;
    let min = -1;
    let max = -1;
    while (j < s.t.length && Math.floor((s.t[j] as number) / strideMs) === bucket) {
      const x = s.v[j] as number | null;
      if (x !== null) {
        if (min < 0 || x < (s.v[min] as number)) min = j;
        if (max < 0 || x > (s.v[max] as number)) max = j;
      }
      j++;
    }
    // first, min, max, last in time order, each once
    for (const k of [...new Set([i, min, max, j - 1])].filter((k) => k >= 0).sort((a, b) => a - b)) {
      keepT.push(s.t[k] as number);
      keepV.push(s.v[k] as number | null);
    }
    i = j;
  }
  const removed = i - from - keepT.length;
  if (removed > 0) {
    s.t.splice(from, i - from, ...keepT);
    s.v.splice(from, i - from, ...keepV);
  }
  return Math.max(0, removed);
}

export interface CsvColumn {
  id: string;
  samples: Samples;
}

function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * CSV of shown samples in the bridge's layout (`time,unix_time,field,value`,
 * one row per sample, fields in order), restricted to [fromMs, toMs].
 */
export function samplesCsv(columns: readonly CsvColumn[], fromMs = -Infinity, toMs = Infinity): string {
  let out = 'time,unix_time,field,value\n';
  for (const c of columns) {
    const name = csvCell(c.id);
    const { t, v } = c.samples;
    for (let i = 0; i < t.length; i++) {
      const ms = t[i] as number;
      if (ms < fromMs || ms > toMs) continue;
      const x = v[i];
      out += `${new Date(ms).toISOString()},${ms / 1000},${name},${x === null || x === undefined ? '' : String(x)}\n`;
    }
  }
  return out;
}

export interface Axis {
  /** the uPlot scale key */
  scale: string;
  /** units shown on the axis ('' when the fields have none) */
  units: string;
  /** 3: left, 1: right (uPlot's sides) */
  side: 1 | 3;
}

/** One y axis per distinct unit, in order of first use, alternating left and right. */
export function axesFor(fields: readonly { units: string | null }[]): { axes: Axis[]; scaleOf: string[] } {
  const axes: Axis[] = [];
  const scaleOf = fields.map((f) => {
    const units = (f.units ?? '').trim();
    let axis = axes.find((a) => a.units === units);
    if (!axis) {
      axis = { scale: `y${axes.length}`, units, side: axes.length % 2 === 0 ? 3 : 1 };
      axes.push(axis);
    }
    return axis.scale;
  });
  return { axes, scaleOf };
}
