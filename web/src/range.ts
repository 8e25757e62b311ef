// Time ranges of the monitor: "the last N minutes/hours/days" (which can
// follow the present, live) or an absolute span. Pure: no DOM, tested in Node.

export type TimeRange =
  | { kind: 'relative'; spanMs: number }
  | { kind: 'absolute'; fromMs: number; toMs: number };

const UNITS: [suffix: string, ms: number, name: string][] = [
  ['w', 7 * 86_400_000, 'week'],
  ['d', 86_400_000, 'day'],
  ['h', 3_600_000, 'hour'],
  ['m', 60_000, 'minute'],
  ['s', 1000, 'second'],
];

/** The spans offered as buttons. */
export const PRESET_SPANS = ['5m', '15m', '1h', '6h', '1d', '7d', '30d'];

/** Shortest span a range may have (zooming stops there). */
export const MIN_SPAN_MS = 1000;
/** Longest span a relative range may have: 20 years. */
export const MAX_SPAN_MS = 20 * 366 * 86_400_000;

/** `15m`, `6h`, `7d`, `2w`, `90s` to milliseconds; null when it is not such a span. */
export function parseSpan(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/i.exec(text);
  if (!m) return null;
  const unit = UNITS.find(([s]) => s === (m[2] as string).toLowerCase());
  const ms = Number(m[1]) * (unit as [string, number, string])[1];
  if (!Number.isFinite(ms) || ms < MIN_SPAN_MS || ms > MAX_SPAN_MS) return null;
  return Math.round(ms);
}

/** Milliseconds to the shortest exact span text: 900000 -> `15m`, 86400000 -> `1d`. */
export function formatSpan(ms: number): string {
  for (const [suffix, unit] of UNITS) {
    if (suffix === 'w') continue; // weeks read worse than days (`14d`)
    if (ms % unit === 0) return `${ms / unit}${suffix}`;
  }
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}

/** `15m` -> `15 minutes`, `1d` -> `1 day`. */
export function describeSpan(ms: number): string {
  for (const [suffix, unit, name] of UNITS) {
    if (suffix === 'w') continue;
    if (ms % unit === 0) {
      const n = ms / unit;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${(ms / 1000).toFixed(1)} seconds`;
}

/** The range's ends now. */
export function resolveRange(r: TimeRange, nowMs: number): { fromMs: number; toMs: number } {
  return r.kind === 'relative' ? { fromMs: nowMs - r.spanMs, toMs: nowMs } : { fromMs: r.fromMs, toMs: r.toMs };
}

export function spanOf(r: TimeRange): number {
  return r.kind === 'relative' ? r.spanMs : r.toMs - r.fromMs;
}

/**
 * An absolute time as the user or a URL gives it: ISO 8601 (a date alone
 * or without zone is taken as UTC), or UNIX seconds or milliseconds.
 */
export function parseTime(text: string): number | null {
  const s = text.trim();
  if (s === '') return null;
  if (/^-?\d+(\.\d+)?$/.test(s)) {
    const n = Number(s);
    // seconds until the year 5138, milliseconds after
    return n < 1e11 ? Math.round(n * 1000) : Math.round(n);
  }
  const zoned = /([zZ]|[+-]\d\d:?\d\d)$/.test(s) ? s : /T|\s\d/.test(s) ? `${s.replace(' ', 'T')}Z` : `${s}T00:00:00Z`;
  const ms = Date.parse(zoned);
  return Number.isFinite(ms) ? ms : null;
}

/** ISO 8601 without milliseconds when they are zero (shorter links). */
export function formatTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/** Zooms by `factor` (< 1 narrows) around `centreMs`, within the span limits. */
export function zoomRange(fromMs: number, toMs: number, factor: number, centreMs = (fromMs + toMs) / 2): { fromMs: number; toMs: number } {
  const span = Math.min(MAX_SPAN_MS, Math.max(MIN_SPAN_MS, (toMs - fromMs) * factor));
  const ratio = toMs > fromMs ? (centreMs - fromMs) / (toMs - fromMs) : 0.5;
  const from = Math.round(centreMs - span * ratio);
  return { fromMs: from, toMs: from + Math.round(span) };
}

/** Moves by `fraction` of the span (negative: into the past). */
export function panRange(fromMs: number, toMs: number, fraction: number): { fromMs: number; toMs: number } {
  const d = Math.round((toMs - fromMs) * fraction);
  return { fromMs: fromMs + d, toMs: toMs + d };
}
