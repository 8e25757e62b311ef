// Times and intervals as Grafana and scripts send them, and the stride the
// bridge asks data nodes for (grafana-json-protocol 7.2 to 7.4).

/** A request the sender must fix; answered with HTTP 400 and this message. */
export class BadRequest extends Error {
  override readonly name = 'BadRequest';
}

const ISO_LIKE = /^\d{4}-\d{2}-\d{2}/;
const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A Grafana time: an ISO-8601 instant (`2017-07-13T00:00:00.000Z`, fractional
 * seconds allowed), or epoch milliseconds as a number or numeric string
 * (hand-made clients). Returns epoch ms; throws BadRequest naming `what`.
 */
export function parseGrafanaTime(value: unknown, what: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    throw new BadRequest(`${what} must be a finite number of milliseconds`);
  }
  if (typeof value === 'string') {
    const s = value.trim();
    if (NUMERIC.test(s)) return Number(s);
    if (ISO_LIKE.test(s)) {
      const ms = Date.parse(s);
      if (Number.isFinite(ms)) return ms;
    }
    throw new BadRequest(`${what} is not a time: '${value}' (expected ISO 8601 or epoch milliseconds)`);
  }
  if (value === undefined || value === null) throw new BadRequest(`${what} is missing`);
  throw new BadRequest(`${what} must be a string or a number, got ${typeof value}`);
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  M: 2_592_000_000,
  y: 31_536_000_000,
};
const INTERVAL = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|M|y)$/;

/** Grafana's `interval` text (`20m`, `500ms`, `1y`) in ms, or null if it is not one. */
export function parseInterval(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const m = INTERVAL.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * (UNIT_MS[m[2] as string] as number);
}

export interface StrideHints {
  fromMs: number;
  toMs: number;
  /** Grafana's intervalMs (preferred) */
  intervalMs?: number | null;
  /** Grafana's interval text, used only when intervalMs is absent */
  interval?: string | null;
  /** points the panel can show */
  maxDataPoints?: number | null;
}

/**
 * The min_stride (seconds) to ask a data node for, honouring both hints:
 * max(intervalMs, ceil(range / maxDataPoints)) ms. Null (raw data) when the
 * request gives neither hint.
 */
export function strideSeconds(h: StrideHints): number | null {
  let interval = typeof h.intervalMs === 'number' && Number.isFinite(h.intervalMs) && h.intervalMs > 0 ? h.intervalMs : null;
  if (interval === null) interval = parseInterval(h.interval);
  const span = h.toMs - h.fromMs;
  const perPoint =
    typeof h.maxDataPoints === 'number' && Number.isFinite(h.maxDataPoints) && h.maxDataPoints > 0 && span > 0
      ? Math.ceil(span / h.maxDataPoints)
      : null;
  if (interval === null && perPoint === null) return null;
  return Math.max(interval ?? 0, perPoint ?? 0) / 1000;
}

const RELATIVE = /^now(?:\s*-\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|M|y))?$/;

/**
 * A time as scripts give it to the REST API: ISO 8601; `now` or `now-6h`;
 * a number of UNIX seconds (sisock's convention: 0 or less means that many
 * seconds before now). Returns epoch ms.
 */
export function parseRestTime(value: string, what: string, nowMs: number = Date.now()): number {
  const s = value.trim();
  const rel = RELATIVE.exec(s);
  if (rel) {
    if (rel[1] === undefined) return nowMs;
    return nowMs - Number(rel[1]) * (UNIT_MS[rel[2] as string] as number);
  }
  if (NUMERIC.test(s)) {
    const sec = Number(s);
    return sec <= 0 ? nowMs + sec * 1000 : sec * 1000;
  }
  if (ISO_LIKE.test(s)) {
    const ms = Date.parse(s);
    if (Number.isFinite(ms)) return ms;
  }
  throw new BadRequest(`${what} is not a time: '${value}' (expected ISO 8601, now-<n><unit> or UNIX seconds)`);
}

/** Checks a window; throws BadRequest for an inverted or non-finite one. */
export function checkRange(fromMs: number, toMs: number): void {
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) throw new BadRequest('bad time range: not finite');
  if (fromMs > toMs) {
    throw new BadRequest(`bad time range: from (${iso(fromMs)}) is after to (${iso(toMs)})`);
  }
}

function iso(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}
