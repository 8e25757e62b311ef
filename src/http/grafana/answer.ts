// Shaping /query answers that every Grafana generation reads (grafana-json-
// protocol 4.3 and 6): time series `{target, datapoints: [[value, ms]]}` for
// numbers; tables `{type: "table", columns, rows}` for string and bool
// fields and for `type: "table"` targets; DataFrames on request. Always a
// JSON array, `refId` echoed, times ascending integer ms, `null` for
// NaN/Infinity, warnings as `meta.notices` (shown by Grafana 7+).
// The sample arrays are the bulk of an answer, and formatting numbers is
// most of its cost. Values the node sent as JSON text (kept so by the
// client layer) are copied as that text; others are normalised in one pass
// and handed to the native JSON.stringify (which also turns NaN and
// Infinity into null), several times faster than building the text in JS.
// The time column of a timeline that several fields share is formatted
// once per answer.
import type { FieldInfo } from '../../protocol/types.js';
import type { Samples } from '../../protocol/data-reply.js';
import type { QueryTarget } from './request.js';
import { JsonBytes } from '../json-bytes.js';

export interface SeriesData {
  /** `node::field` */
  name: string;
  info: FieldInfo;
  samples: Samples;
}

export interface TargetAnswer {
  target: QueryTarget;
  /** the fields the target resolved to, with their samples (empty if it failed) */
  series: SeriesData[];
  /** messages for the panel: unknown field, node timed out, ... */
  notices: string[];
}

// sisock units as written by the nodes -> Grafana unit ids; anything else is
// shown as a suffix, which Grafana supports as `suffix:<text>`
const UNITS: Record<string, string> = {
  C: 'celsius',
  degC: 'celsius',
  '°C': 'celsius',
  F: 'fahrenheit',
  K: 'kelvin',
  '%': 'percent',
  mBar: 'pressurembar',
  mbar: 'pressurembar',
  hPa: 'pressurehpa',
  Pa: 'pressurepa',
  bar: 'pressurebar',
  'km/h': 'velocitykmh',
  'm/s': 'velocityms',
  deg: 'degree',
  '°': 'degree',
  mm: 'lengthmm',
  m: 'lengthm',
  km: 'lengthkm',
  V: 'volt',
  mV: 'mvolt',
  A: 'amp',
  mA: 'mamp',
  W: 'watt',
  kW: 'kwatt',
  Hz: 'hertz',
  s: 's',
  ms: 'ms',
};

/** The Grafana unit id for a sisock unit, or undefined for none. */
export function grafanaUnit(units: string | null): string | undefined {
  if (units === null) return undefined;
  const u = units.trim();
  if (u === '') return undefined;
  return UNITS[u] ?? `suffix: ${u}`;
}

const q = JSON.stringify;

/** A sample value for a number column: numbers as they are (NaN/Infinity become null in JSON), bools as 1/0, numeric text as its number, else null. */
export function numberValue(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** A sample value for a column of `type`, as a JSON value. */
export function cellValue(v: unknown, type: FieldInfo['type']): number | string | boolean | null {
  if (v === null || v === undefined) return null;
  if (type === 'number') return numberValue(v);
  if (type === 'bool') return typeof v === 'boolean' ? v : typeof v === 'number' ? v !== 0 : null;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null;
  return String(v);
}

/** Values for a column of `type`; plain number arrays (the common case) pass as they are. */
export function columnValues(v: ArrayLike<unknown>, type: FieldInfo['type']): unknown[] {
  if (type === 'number' && Array.isArray(v)) {
    let plain = true;
    for (let i = 0; i < v.length && plain; i++) {
      const x = v[i];
      plain = typeof x === 'number' || x === null;
    }
    if (plain) return v;
  }
  const out = new Array<unknown>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = cellValue(v[i], type);
  return out;
}

/**
 * A value column as JSON: the bytes of the node's own text where it can be
 * copied (a number column the client layer kept as text), else the values
 * normalised for `type` and stringified.
 */
export function valuesJson(samples: Samples, type: FieldInfo['type']): string | Uint8Array {
  return type === 'number' && samples.vJson ? samples.vJson.bytes : q(columnValues(samples.v, type));
}

const columnType = (t: FieldInfo['type']): string => (t === 'bool' ? 'boolean' : t);

/**
 * The time columns of one answer, as JSON lists of epoch ms: the fields of
 * one timeline share its time array (the same object from the decoded
 * reply), so ten fields on one timeline format its times once and copy
 * them nine times.
 */
class TimeColumns {
  private readonly written = new Map<ArrayLike<number>, [number, number]>();

  write(out: JsonBytes, t: ArrayLike<number>): void {
    const at = this.written.get(t);
    if (at) out.copyOf(at[0], at[1]);
    else {
      const from = out.end;
      this.written.set(t, [from, out.millis(t).end]);
    }
  }
}

function metaJson(notices: string[]): string {
  if (notices.length === 0) return '';
  return `,"meta":{"notices":${q(notices.map((text) => ({ severity: 'warning', text })))}}`;
}

function refIdJson(target: QueryTarget): string {
  return target.refId === undefined ? '' : `,"refId":${q(target.refId)}`;
}

function timeSeriesJson(out: JsonBytes, name: string, target: QueryTarget, s: SeriesData | null, notices: string[]): void {
  out.add(`{"target":${q(name)}${refIdJson(target)},"datapoints":`);
  if (s?.samples.vJson) {
    out.datapoints(s.samples.vJson, s.samples.t);
  } else if (s) {
    const { t } = s.samples;
    const v = columnValues(s.samples.v, 'number') as (number | null)[];
    const pairs = new Array<[number | null, number]>(t.length);
    for (let i = 0; i < t.length; i++) pairs[i] = [v[i] as number | null, Math.round((t[i] as number) * 1000)];
    out.add(q(pairs));
  } else out.add('[]');
  const unit = s ? grafanaUnit(s.info.units) : undefined;
  out.add(`${unit ? `,"unit":${q(unit)}` : ''}${metaJson(notices)}}`);
}

/** A string or bool field: a two-column table, time and the field. */
function fieldTableJson(out: JsonBytes, target: QueryTarget, s: SeriesData, notices: string[]): void {
  const type = s.info.type;
  const { t, v } = s.samples;
  const rows = new Array<[number, unknown]>(t.length);
  for (let i = 0; i < t.length; i++) rows[i] = [Math.round((t[i] as number) * 1000), cellValue(v[i], type)];
  out.add(
    `{"type":"table"${refIdJson(target)},"name":${q(s.name)},"columns":[{"text":"Time","type":"time"},` +
      `{"text":${q(s.name)},"type":"${columnType(type)}"}],"rows":${q(rows)}${metaJson(notices)}}`,
  );
}

/** A `type: "table"` target: one table, rows (time, field, value) of every field it names, oldest first. */
function targetTableJson(out: JsonBytes, target: QueryTarget, series: SeriesData[], notices: string[]): void {
  const types = new Set(series.map((s) => s.info.type));
  const valueType: FieldInfo['type'] = types.size === 1 ? (series[0] as SeriesData).info.type : 'string';
  const rows: { t: number; k: number; i: number }[] = [];
  series.forEach((s, k) => {
    const { t } = s.samples;
    for (let i = 0; i < t.length; i++) rows.push({ t: t[i] as number, k, i });
  });
  rows.sort((a, b) => a.t - b.t || a.k - b.k);
  let head = `{"type":"table"${refIdJson(target)},"columns":[{"text":"Time","type":"time"},{"text":"Field","type":"string"},{"text":"Value","type":"${columnType(valueType)}"`;
  const units = new Set(series.map((s) => grafanaUnit(s.info.units)));
  const unit = units.size === 1 ? [...units][0] : undefined;
  if (unit) head += `,"unit":${q(unit)}`;
  const cells = rows.map((r) => {
    const s = series[r.k] as SeriesData;
    return [Math.round(r.t * 1000), s.name, cellValue(s.samples.v[r.i], valueType)];
  });
  out.add(`${head}}],"rows":${q(cells)}${metaJson(notices)}}`);
}

/** A DataFrame DTO: a time field and a typed value field named after the field, unit and description in config. */
function frameJson(out: JsonBytes, name: string, target: QueryTarget, s: SeriesData | null, notices: string[], timeColumns: TimeColumns): void {
  const type = s ? s.info.type : 'number';
  out.add(`{"name":${q(name)}${refIdJson(target)},"fields":[{"name":"Time","type":"time","values":`);
  if (s) timeColumns.write(out, s.samples.t);
  else out.add('[]');
  out.add(`},{"name":${q(name)},"type":"${columnType(type)}","values":`);
  out.add(s ? valuesJson(s.samples, type) : '[]');
  const config: Record<string, string> = { displayNameFromDS: name };
  const unit = s ? grafanaUnit(s.info.units) : undefined;
  if (unit) config.unit = unit;
  if (s?.info.description) config.description = s.info.description;
  out.add(`,"config":${q(config)}}]${metaJson(notices)}}`);
}

/** Writes the items answering one target, in the order of its fields, comma-separated. */
function targetJson(out: JsonBytes, a: TargetAnswer, times: TimeColumns): void {
  const { target, series, notices } = a;
  if (target.format === 'table') return targetTableJson(out, target, series, notices);
  if (series.length === 0) {
    if (target.format === 'frame') return frameJson(out, target.target, target, null, notices, times);
    return timeSeriesJson(out, target.target, target, null, notices);
  }
  series.forEach((s, i) => {
    const n = i === 0 ? notices : [];
    if (i > 0) out.add(',');
    if (target.format === 'frame') frameJson(out, s.name, target, s, n, times);
    else if (s.info.type === 'number') timeSeriesJson(out, s.name, target, s, n);
    else fieldTableJson(out, target, s, n);
  });
}

/** The whole /query answer, as the bytes of a JSON array: targets in request order (hand it to answerSent once sent). */
export function answerJson(answers: TargetAnswer[]): Buffer {
  const times = new TimeColumns();
  const out = new JsonBytes().add('[');
  answers.forEach((a, i) => {
    if (i > 0) out.add(',');
    targetJson(out, a, times);
  });
  return out.add(']').toBuffer();
}
