// The REST API's data requests (GET or POST /api/v1/data): several
// `node::field`s over a range, downsampled to about N points, as compact
// columnar JSON or as CSV.
import type { DataService } from '../data-service.js';
import { failureStatus, type FailureKind } from '../data-service.js';
import type { FieldResult } from '../fetcher.js';
import type { ResolvedField } from '../resolve.js';
import type { Samples } from '../../protocol/data-reply.js';
import { BadRequest, checkRange, parseRestTime } from '../time.js';
import { valuesJson } from '../grafana/answer.js';
import { jsonText, millisBytes } from '../json-bytes.js';

export interface DataQuery {
  names: string[];
  fromMs: number;
  toMs: number;
  /** min_stride seconds, null for raw */
  stride: number | null;
  format: 'json' | 'csv';
}

export const MAX_NAMES = 1000;
export const MAX_POINTS = 1_000_000;

/** A list given as repeated parameters, an array, or comma-separated text. */
export function nameList(x: unknown): string[] {
  const items = Array.isArray(x) ? x : x === undefined || x === null ? [] : [x];
  return items
    .flatMap((s) => (typeof s === 'string' ? s.split(',') : []))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function positive(x: unknown, what: string): number | null {
  if (x === undefined || x === null || x === '') return null;
  const n = typeof x === 'number' ? x : Number(String(x));
  if (!Number.isFinite(n) || n <= 0) throw new BadRequest(`${what} must be a positive number, got '${String(x)}'`);
  return n;
}

/** A REST time: ISO 8601, `now-6h`, or UNIX seconds (0 or less: seconds before now). */
export function restTime(x: unknown, what: string, dflt: number, nowMs: number): number {
  if (x === undefined || x === null || x === '') return dflt;
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) throw new BadRequest(`${what} must be finite`);
    return x <= 0 ? nowMs + x * 1000 : x * 1000;
  }
  return parseRestTime(String(x), what, nowMs);
}

/**
 * Reads `fields` (repeated or comma-separated), `from`/`to` (ISO 8601,
 * `now-6h`, or UNIX seconds; default the last hour), `points` (about that
 * many per field) or `stride` (seconds), `format` (json, csv).
 */
export function parseDataQuery(input: Record<string, unknown>, nowMs: number = Date.now()): DataQuery {
  const names = [...new Set(nameList(input.fields ?? input.field))];
  if (names.length === 0) throw new BadRequest('name at least one field: fields=<node>::<field>[,...]');
  if (names.length > MAX_NAMES) throw new BadRequest(`at most ${MAX_NAMES} fields per request, got ${names.length}`);
  const fromMs = restTime(input.from, 'from', nowMs - 3_600_000, nowMs);
  const toMs = restTime(input.to, 'to', nowMs, nowMs);
  checkRange(fromMs, toMs);
  const points = positive(input.points, 'points');
  const strideArg = positive(input.stride, 'stride');
  if (points !== null && points > MAX_POINTS) throw new BadRequest(`points must be at most ${MAX_POINTS}`);
  let stride: number | null = strideArg;
  if (points !== null) {
    const perPoint = (toMs - fromMs) / 1000 / points;
    stride = Math.max(stride ?? 0, perPoint) || null;
  }
  const format = input.format === undefined || input.format === '' ? 'json' : String(input.format).toLowerCase();
  if (format !== 'json' && format !== 'csv') throw new BadRequest(`format must be json or csv, got '${format}'`);
  return { names, fromMs, toMs, stride, format };
}

export type DataOutcome =
  | { ok: true; fields: ResolvedField[]; results: Map<string, FieldResult> }
  | { ok: false; status: number; message: string };

/** Resolves strictly (every name must exist) and fetches. */
export async function fetchData(q: DataQuery, service: DataService, signal?: AbortSignal): Promise<DataOutcome> {
  const resolutions = await service.resolve(q.names);
  const unknown = resolutions.flatMap((r) => (r.ok ? [] : [r.message]));
  if (unknown.length > 0) return { ok: false, status: 404, message: unknown.join('; ') };
  const fields = new Map<string, ResolvedField>();
  for (const r of resolutions) if (r.ok) for (const f of r.fields) fields.set(f.name, f);
  const list = [...fields.values()];
  const results = await service.fetch(list, q.fromMs / 1000, q.toMs / 1000, q.stride, signal);
  const failed: FailureKind[] = [];
  for (const r of results.values()) if (!r.ok) failed.push(r.error.kind);
  if (results.size > 0 && failed.length === results.size) {
    const messages = [...new Set([...results.values()].flatMap((r) => (r.ok ? [] : [r.error.message])))];
    return { ok: false, status: failureStatus(failed), message: messages.join('; ') };
  }
  return { ok: true, fields: list, results };
}

const q = JSON.stringify;

/** One field's samples as JSON arrays: times (epoch ms) and values, from index `fromIndex` on. */
export function columnsJson(f: ResolvedField, samples: Samples, fromIndex = 0): string {
  let out = '';
  for (const part of columnsParts(f, samples, fromIndex)) out += jsonText(part);
  return out;
}

/** Elements per piece of a long JSON list written in pieces. */
const LIST_PIECE = 65_536;

/** Elements `from`..`to` of a list: the list itself when that is all of it, a typed array's as a view. */
function sliceOf<T>(x: ArrayLike<T>, from: number, to: number): ArrayLike<T> {
  if (from === 0 && to === x.length) return x;
  return ArrayBuffer.isView(x) ? (x as unknown as Float64Array).subarray(from, to) as unknown as ArrayLike<T> : Array.prototype.slice.call(x, from, to);
}

/** A JSON list of n elements in pieces of LIST_PIECE; `piece(from, to)` writes the list of those elements. */
function* listPieces(n: number, piece: (from: number, to: number) => string | Uint8Array): Generator<string | Uint8Array> {
  if (n <= LIST_PIECE) {
    yield piece(0, n);
    return;
  }
  for (let i = 0; i < n; i += LIST_PIECE) {
    const p = piece(i, Math.min(n, i + LIST_PIECE));
    yield i === 0 ? '[' : ',';
    yield typeof p === 'string' ? p.slice(1, -1) : p.subarray(1, p.length - 1);
  }
  yield ']';
}

/** columnsJson in pieces (text or ASCII bytes), for a streamed answer: no piece holds more than LIST_PIECE samples' text. */
export function* columnsParts(f: ResolvedField, samples: Samples, fromIndex = 0): Generator<string | Uint8Array> {
  const n = Math.max(0, samples.t.length - fromIndex);
  const t = sliceOf(samples.t, fromIndex, fromIndex + n);
  yield '"t":';
  yield* listPieces(n, (a, b) => millisBytes(sliceOf(t, a, b)));
  yield ',"v":';
  // values the node wrote as number text (one message's worth) are copied whole
  if (fromIndex === 0 && f.info.type === 'number' && samples.vJson) {
    yield samples.vJson.bytes;
    return;
  }
  const v = sliceOf(samples.v, fromIndex, fromIndex + n); // read once: it may be a getter that parses
  yield* listPieces(n, (a, b) => valuesJson({ t: [], v: sliceOf(v, a, b), finalizedUntil: null }, f.info.type));
}

/** Compact columnar JSON: per field its metadata and two arrays, times (epoch ms) and values. */
export function dataJson(qy: DataQuery, fields: ResolvedField[], results: Map<string, FieldResult>): string {
  let out = '';
  for (const part of dataJsonParts(qy, fields, results)) out += jsonText(part);
  return out;
}

/** dataJson in parts (text or ASCII bytes), for a streamed answer. */
export function* dataJsonParts(qy: DataQuery, fields: ResolvedField[], results: Map<string, FieldResult>): Generator<string | Uint8Array> {
  const stride = qy.stride === null ? 'null' : String(qy.stride);
  yield `{"from":${qy.fromMs},"to":${qy.toMs},"stride":${stride},"series":[`;
  let first = true;
  for (const f of fields) {
    const r = results.get(f.name);
    const meta =
      `${first ? '' : ','}{"id":${q(f.name)},"node":${q(f.node)},"field":${q(f.field)},"type":${q(f.info.type)},` +
      `"units":${q(f.info.units)},"description":${q(f.info.description)}`;
    first = false;
    if (!r || !r.ok) {
      yield `${meta},"t":[],"v":[],"finalizedUntil":null,"error":${q(r && !r.ok ? r.error.message : 'no data')}}`;
      continue;
    }
    const { finalizedUntil } = r.samples;
    const fin = finalizedUntil === null ? 'null' : String(Math.round(finalizedUntil * 1000));
    yield `${meta},`;
    yield* columnsParts(f, r.samples);
    yield `,"finalizedUntil":${fin}}`;
  }
  yield ']}';
}

function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV, one row per sample: `time` (ISO 8601), `unix_time` (seconds), `field`, `value`; fields in request order. */
export function dataCsv(fields: ResolvedField[], results: Map<string, FieldResult>): string {
  return [...dataCsvParts(fields, results)].join('');
}

/** Rows per part of a streamed CSV answer. */
const CSV_ROWS_PER_PART = 8192;

/** `.mmmZ` for each millisecond of a second. */
const MILLIS_SUFFIX = Array.from({ length: 1000 }, (_, i) => `.${String(i).padStart(3, '0')}Z`);

/** The largest |epoch ms| a Date holds. */
const MAX_DATE_MS = 8.64e15;

/**
 * ISO 8601 texts of ascending times, the date and time of day formatted
 * once per second rather than once per sample ('' for a time no Date holds).
 */
class IsoTimes {
  private second = NaN;
  private head = '';

  of(seconds: number): string {
    const ms = Math.round(seconds * 1000);
    if (!(Math.abs(ms) <= MAX_DATE_MS)) return '';
    const second = Math.floor(ms / 1000);
    if (second !== this.second) {
      this.second = second;
      this.head = new Date(second * 1000).toISOString().slice(0, -5);
    }
    return this.head + MILLIS_SUFFIX[ms - second * 1000]!;
  }
}

/** dataCsv in parts of a few thousand rows, for a streamed answer: no text the size of the whole. */
export function* dataCsvParts(fields: ResolvedField[], results: Map<string, FieldResult>): Generator<string> {
  let out = 'time,unix_time,field,value\n';
  let rows = 0;
  for (const f of fields) {
    const r = results.get(f.name);
    if (!r || !r.ok) continue;
    const name = csvCell(f.name);
    const { t, v } = r.samples;
    const iso = new IsoTimes();
    for (let i = 0; i < t.length; i++) {
      const sec = t[i] as number;
      const value = v[i];
      const cell =
        typeof value === 'number'
          ? Number.isFinite(value)
            ? String(value)
            : ''
          : value === null || value === undefined
            ? ''
            : csvCell(String(value));
      out += `${iso.of(sec)},${sec},${name},${cell}\n`;
      if (++rows === CSV_ROWS_PER_PART) {
        yield out;
        out = '';
        rows = 0;
      }
    }
  }
  if (out !== '') yield out;
}
