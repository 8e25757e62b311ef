// Reading the bodies that Grafana's SimpleJson and JSON (simpod) plugins
// post, of every plugin and Grafana generation (grafana-json-protocol 4 and
// 5). The JSON schemas (schemas.ts) check the coarse shape; these functions
// apply the rules: unknown keys ignored, hidden and placeholder targets
// dropped, times in any of the accepted forms.
import { BadRequest, checkRange, parseGrafanaTime, strideSeconds } from '../time.js';

/** How a target's answer is shaped. */
export type AnswerFormat = 'timeseries' | 'table' | 'frame';

export interface QueryTarget {
  /** the metric name after Grafana's variable substitution */
  target: string;
  refId?: string;
  format: AnswerFormat;
}

export interface QueryRequest {
  fromMs: number;
  toMs: number;
  /** min_stride for the data nodes, seconds; null for raw data */
  stride: number | null;
  maxDataPoints: number | null;
  targets: QueryTarget[];
  /** Grafana's request id (`Q101`, `SQR101`), for logs */
  requestId?: string;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function finiteOrNull(x: unknown): number | null {
  if (typeof x === 'number' && Number.isFinite(x)) return x;
  if (typeof x === 'string' && x.trim() !== '' && Number.isFinite(Number(x))) return Number(x);
  return null;
}

/** Reads `range.from` / `range.to` (epoch ms); throws BadRequest with a message Grafana shows. */
export function parseRange(body: Record<string, unknown>, key = 'range'): { fromMs: number; toMs: number } {
  const range = body[key];
  if (!isObject(range)) throw new BadRequest(`${key} is missing: expected {"from": ..., "to": ...}`);
  const fromMs = parseGrafanaTime(range.from, `${key}.from`);
  const toMs = parseGrafanaTime(range.to, `${key}.to`);
  checkRange(fromMs, toMs);
  return { fromMs, toMs };
}

/**
 * The answer's shape: what simpod's payload (or its pre-0.3 `data`) asks
 * for; else a table for SimpleJson's `type: "table"`; else DataFrames for
 * simpod 0.3+ (a target with `payload`: Grafana 8 or newer, which reads
 * frames natively; typed, with units, and cheaper to build and to parse);
 * else legacy time series, which every Grafana reads.
 */
function formatOf(t: Record<string, unknown>): AnswerFormat {
  const payload = isObject(t.payload) ? t.payload : isObject(t.data) ? t.data : null;
  const asked = payload && typeof payload.format === 'string' ? payload.format.toLowerCase() : null;
  if (asked === 'table') return 'table';
  if (asked === 'frame' || asked === 'dataframe') return 'frame';
  if (asked === 'timeseries' || asked === 'timeserie' || asked === 'time_series') return 'timeseries';
  if (t.type === 'table') return 'table';
  return isObject(t.payload) ? 'frame' : 'timeseries';
}

/**
 * Most targets one /query may carry. A Grafana panel has a few dozen at
 * most; thousands of copies of one target cost seconds of work and an
 * answer of hundreds of MB (the fuzzer sent 9,000 in a 1 MB body).
 */
export const MAX_TARGETS = 1000;

/**
 * The targets to answer, in request order: skips those hidden (`hide:
 * true`, sent by simpod up to 0.6.3), those without a usable `target`
 * (absent, not a string, empty, or SimpleJson's "select metric" placeholder).
 */
export function parseTargets(targets: unknown): QueryTarget[] {
  if (targets === undefined || targets === null) return [];
  if (!Array.isArray(targets)) throw new BadRequest('targets must be an array');
  if (targets.length > MAX_TARGETS) throw new BadRequest(`at most ${MAX_TARGETS} targets per query, got ${targets.length}`);
  const out: QueryTarget[] = [];
  for (const t of targets) {
    if (!isObject(t)) continue;
    if (t.hide === true) continue;
    if (typeof t.target !== 'string') continue;
    const target = t.target.trim();
    if (target === '' || target === 'select metric') continue;
    const q: QueryTarget = { target, format: formatOf(t) };
    if (typeof t.refId === 'string' && t.refId !== '') q.refId = t.refId;
    out.push(q);
  }
  return out;
}

/** A /query body of either plugin, any Grafana version. */
export function parseQueryRequest(body: unknown): QueryRequest {
  if (!isObject(body)) throw new BadRequest('the body must be a JSON object');
  const { fromMs, toMs } = parseRange(body);
  const maxDataPoints = finiteOrNull(body.maxDataPoints);
  const intervalMs = finiteOrNull(body.intervalMs);
  const stride = strideSeconds({
    fromMs,
    toMs,
    intervalMs,
    interval: typeof body.interval === 'string' ? body.interval : null,
    maxDataPoints,
  });
  const req: QueryRequest = {
    fromMs,
    toMs,
    stride,
    maxDataPoints: maxDataPoints !== null && maxDataPoints > 0 ? maxDataPoints : null,
    targets: parseTargets(body.targets),
  };
  if (typeof body.requestId === 'string') req.requestId = body.requestId;
  return req;
}

/**
 * The text to filter names by, from /search (`target`), /metrics (`metric`)
 * or /variable (`payload.target`, or the payload itself when a string).
 */
export function nameFilter(body: unknown, ...path: string[]): string {
  let cur: unknown = body;
  for (const key of path) {
    if (typeof cur === 'string') break;
    if (!isObject(cur)) return '';
    cur = cur[key];
  }
  if (typeof cur === 'string') return cur.trim();
  if (typeof cur === 'number') return String(cur);
  return '';
}
