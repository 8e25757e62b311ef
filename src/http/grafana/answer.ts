// Shaping /query answers that every Grafana generation reads (grafana-json-
// protocol 4.3 and 6): time series `{target, datapoints: [[value, ms]]}` for
// numbers; tables `{type: "table", columns, rows}` for string and bool
// fields and for `type: "table"` targets; DataFrames on request. Always a
// JSON array, `refId` echoed, times ascending integer ms, `null` for
// NaN/Infinity, warnings as `meta.notices` (shown by Grafana 7+).
// The sample arrays are the bulk of an answer: they are normalised in one
// pass and handed to the native JSON.stringify (which also turns NaN and
// Infinity into null), several times faster than building the text in JS.
// Formatting numbers is most of the cost, so the time column of a timeline
// that several frames share is formatted once per answer.
import type { FieldInfo } from '../../protocol/types.js';
import type { Samples } from '../../protocol/data-reply.js';
import type { QueryTarget } from './request.js';

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

/** Epoch ms of each UNIX time. */
export function millis(t: ArrayLike<number>): number[] {
  const out = new Array<number>(t.length);
  for (let i = 0; i < t.length; i++) out[i] = Math.round((t[i] as number) * 1000);
  return out;
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

/** A sample value in a number column, as JSON text. */
export function numberJson(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? String(n) : 'null';
  }
  return 'null';
}

const columnType = (t: FieldInfo['type']): string => (t === 'bool' ? 'boolean' : t);

/**
 * Time columns of frames, as JSON text, for one answer: the fields of one
 * timeline share its time array (the same object from the decoded reply),
 * so ten frames on one timeline format its times once (half the work of
 * such an answer), not ten times.
 */
class FrameTimes {
  private readonly text = new Map<ArrayLike<number>, string>();

  json(t: ArrayLike<number>): string {
    let j = this.text.get(t);
    if (j === undefined) this.text.set(t, (j = q(millis(t))));
    return j;
  }
}

function metaJson(notices: string[]): string {
  if (notices.length === 0) return '';
  return `,"meta":{"notices":${q(notices.map((text) => ({ severity: 'warning', text })))}}`;
}

function refIdJson(target: QueryTarget): string {
  return target.refId === undefined ? '' : `,"refId":${q(target.refId)}`;
}

function timeSeriesJson(name: string, target: QueryTarget, s: SeriesData | null, notices: string[]): string {
  let datapoints = '[]';
  if (s) {
    const { t } = s.samples;
    const v = columnValues(s.samples.v, 'number') as (number | null)[];
    const pairs = new Array<[number | null, number]>(t.length);
    for (let i = 0; i < t.length; i++) pairs[i] = [v[i] as number | null, Math.round((t[i] as number) * 1000)];
    datapoints = q(pairs);
  }
  let out = `{"target":${q(name)}${refIdJson(target)},"datapoints":${datapoints}`;
  const unit = s ? grafanaUnit(s.info.units) : undefined;
  if (unit) out += `,"unit":${q(unit)}`;
  return out + metaJson(notices) + '}';
}

/** A string or bool field: a two-column table, time and the field. */
function fieldTableJson(target: QueryTarget, s: SeriesData, notices: string[]): string {
  const type = s.info.type;
  const { t, v } = s.samples;
  const rows = new Array<[number, unknown]>(t.length);
  for (let i = 0; i < t.length; i++) rows[i] = [Math.round((t[i] as number) * 1000), cellValue(v[i], type)];
  return (
    `{"type":"table"${refIdJson(target)},"name":${q(s.name)},"columns":[{"text":"Time","type":"time"},` +
    `{"text":${q(s.name)},"type":"${columnType(type)}"}],"rows":${q(rows)}${metaJson(notices)}}`
  );
}

/** A `type: "table"` target: one table, rows (time, field, value) of every field it names, oldest first. */
function targetTableJson(target: QueryTarget, series: SeriesData[], notices: string[]): string {
  const types = new Set(series.map((s) => s.info.type));
  const valueType: FieldInfo['type'] = types.size === 1 ? (series[0] as SeriesData).info.type : 'string';
  const rows: { t: number; k: number; i: number }[] = [];
  series.forEach((s, k) => {
    const { t } = s.samples;
    for (let i = 0; i < t.length; i++) rows.push({ t: t[i] as number, k, i });
  });
  rows.sort((a, b) => a.t - b.t || a.k - b.k);
  let out = `{"type":"table"${refIdJson(target)},"columns":[{"text":"Time","type":"time"},{"text":"Field","type":"string"},{"text":"Value","type":"${columnType(valueType)}"`;
  const units = new Set(series.map((s) => grafanaUnit(s.info.units)));
  const unit = units.size === 1 ? [...units][0] : undefined;
  if (unit) out += `,"unit":${q(unit)}`;
  const cells = rows.map((r) => {
    const s = series[r.k] as SeriesData;
    return [Math.round(r.t * 1000), s.name, cellValue(s.samples.v[r.i], valueType)];
  });
  return out + `}],"rows":${q(cells)}${metaJson(notices)}}`;
}

/** A DataFrame DTO: a time field and a typed value field named after the field, unit and description in config. */
function frameJson(name: string, target: QueryTarget, s: SeriesData | null, notices: string[], frameTimes: FrameTimes): string {
  const type = s ? s.info.type : 'number';
  const times = s ? frameTimes.json(s.samples.t) : '[]';
  const values = s ? q(columnValues(s.samples.v, type)) : '[]';
  const config: Record<string, string> = { displayNameFromDS: name };
  const unit = s ? grafanaUnit(s.info.units) : undefined;
  if (unit) config.unit = unit;
  if (s?.info.description) config.description = s.info.description;
  return (
    `{"name":${q(name)}${refIdJson(target)},"fields":[{"name":"Time","type":"time","values":${times}},` +
    `{"name":${q(name)},"type":"${columnType(type)}","values":${values},"config":${q(config)}}]` +
    metaJson(notices) +
    '}'
  );
}

/** The items answering one target, in the order of its fields. */
export function targetJson(a: TargetAnswer, times = new FrameTimes()): string[] {
  const { target, series, notices } = a;
  if (target.format === 'table') return [targetTableJson(target, series, notices)];
  if (series.length === 0) {
    return [
      target.format === 'frame'
        ? frameJson(target.target, target, null, notices, times)
        : timeSeriesJson(target.target, target, null, notices),
    ];
  }
  return series.map((s, i) => {
    const n = i === 0 ? notices : [];
    if (target.format === 'frame') return frameJson(s.name, target, s, n, times);
    return s.info.type === 'number' ? timeSeriesJson(s.name, target, s, n) : fieldTableJson(target, s, n);
  });
}

/** The whole /query answer: a JSON array, targets in request order. */
export function answerJson(answers: TargetAnswer[]): string {
  const times = new FrameTimes();
  const items: string[] = [];
  for (const a of answers) items.push(...targetJson(a, times));
  return `[${items.join(',')}]`;
}
