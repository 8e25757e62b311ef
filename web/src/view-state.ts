// What the monitor shows, as a URL query string, so that a link restores
// the view: `?plot=a::x,a::y&plot=b::z&last=15m&live=1&node=a&tz=local`,
// or `from=<ISO>&to=<ISO>` for an absolute range. Pure: tested in Node.
import { formatSpan, formatTime, parseSpan, parseTime, type TimeRange } from './range.js';

export interface ViewState {
  /** per plot, its fields as `node::field` */
  plots: string[][];
  /** nodes opened in the field browser */
  nodes: string[];
  range: TimeRange;
  /** follow the present (relative ranges only) */
  live: boolean;
  /** show times in UTC (default) or the browser's zone */
  utc: boolean;
}

export const DEFAULT_VIEW: ViewState = {
  plots: [],
  nodes: [],
  range: { kind: 'relative', spanMs: 15 * 60_000 },
  live: true,
  utc: true,
};

/** Names in a list are separated by commas (as in the bridge's REST API). */
function names(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Reads a query string (with or without `?`); what is missing or unreadable takes the default. */
export function parseViewState(search: string): ViewState {
  const q = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  const plots = q
    .getAll('plot')
    .map((p) => [...new Set(names(p))])
    .filter((p) => p.length > 0);
  const nodes = [...new Set(q.getAll('node').flatMap(names))];
  const from = parseTime(q.get('from') ?? '');
  const to = parseTime(q.get('to') ?? '');
  const last = parseSpan(q.get('last') ?? '');
  let range: TimeRange = DEFAULT_VIEW.range;
  if (from !== null && to !== null && to > from) range = { kind: 'absolute', fromMs: from, toMs: to };
  else if (last !== null) range = { kind: 'relative', spanMs: last };
  const liveParam = q.get('live');
  const live = range.kind === 'relative' && (liveParam === null ? DEFAULT_VIEW.live : liveParam === '1' || liveParam === 'true');
  return { plots, nodes, range, live, utc: q.get('tz') !== 'local' };
}

// `:` and `,` are left readable; everything else a name may hold is escaped
function escape(s: string): string {
  return encodeURIComponent(s).replace(/%3A/gi, ':').replace(/%2C/gi, ',');
}

/** The query string (with `?`, or empty) that `parseViewState` reads back to `s`. */
export function formatViewState(s: ViewState): string {
  const parts: string[] = [];
  for (const p of s.plots) if (p.length > 0) parts.push(`plot=${p.map(escape).join(',')}`);
  if (s.range.kind === 'relative') {
    parts.push(`last=${formatSpan(s.range.spanMs)}`);
    parts.push(`live=${s.live ? 1 : 0}`);
  } else {
    parts.push(`from=${escape(formatTime(s.range.fromMs))}`, `to=${escape(formatTime(s.range.toMs))}`);
  }
  for (const n of s.nodes) parts.push(`node=${escape(n)}`);
  if (!s.utc) parts.push('tz=local');
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}
