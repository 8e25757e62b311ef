// Parsing and validation of what callers send to get_fields and get_data.
// Callers are original Python consumers (autobahn), Grafana's bridge and
// anything else speaking WAMP, so each argument may come positionally or by
// keyword, as in Python. Anything wrong becomes an InvalidArgumentError whose
// message names the argument and what was expected.
import { InvalidArgumentError } from './errors.js';
import type { DataRequest, FieldsRequest } from './source.js';
import { toUnixTime, unixNow } from './time.js';

/** The arguments of one WAMP call, as they arrived. */
export interface CallArguments {
  args?: readonly unknown[];
  kwargs?: Readonly<Record<string, unknown>>;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/**
 * Binds positional and keyword arguments to parameter names, Python style:
 * too many positionals, unknown keywords and a parameter given twice are errors.
 */
function bind(procedure: string, params: readonly string[], call: CallArguments): Map<string, unknown> {
  const args = call.args ?? [];
  const kwargs = call.kwargs ?? {};
  const signature = `${procedure}(${params.join(', ')})`;
  if (!Array.isArray(args)) throw new InvalidArgumentError(`${signature}: positional arguments must be a list`);
  if (args.length > params.length) {
    throw new InvalidArgumentError(`${signature} takes at most ${params.length} positional arguments, got ${args.length}`);
  }
  const bound = new Map<string, unknown>();
  args.forEach((v, i) => bound.set(params[i]!, v));
  for (const [key, v] of Object.entries(kwargs)) {
    if (!params.includes(key)) throw new InvalidArgumentError(`${signature} got an unexpected keyword argument '${key}'`);
    if (bound.has(key)) throw new InvalidArgumentError(`${signature} got '${key}' both as a positional and as a keyword argument`);
    bound.set(key, v);
  }
  return bound;
}

function sisockTime(procedure: string, name: string, v: unknown, now: number): number {
  if (v === undefined) throw new InvalidArgumentError(`${procedure}: missing argument '${name}' (a sisock time: UNIX seconds, or <= 0 for seconds before now)`);
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new InvalidArgumentError(`${procedure}: '${name}' must be a number (UNIX seconds, or <= 0 for seconds before now), got ${describe(v)}`);
  }
  return toUnixTime(v, now);
}

function timeRange(procedure: string, bound: Map<string, unknown>, now: number): { start: number; end: number } {
  const start = sisockTime(procedure, 'start', bound.get('start'), now);
  const end = sisockTime(procedure, 'end', bound.get('end'), now);
  if (start > end) {
    throw new InvalidArgumentError(
      `${procedure}: start (${start}) is after end (${end}); times <= 0 count back from now, so start must be the more negative one`,
    );
  }
  return { start, end };
}

/** get_fields(start, end) */
export function parseGetFields(call: CallArguments, now: number = unixNow()): FieldsRequest {
  const bound = bind('get_fields', ['start', 'end'], call);
  return timeRange('get_fields', bound, now);
}

/**
 * get_data(field, start, end, min_stride=None). `field` is a list of field
 * names; a single name is accepted as a list of one (scripts write it so; the
 * original would have iterated over its characters). Duplicates are dropped.
 * `min_stride` null, absent or 0 means raw data. `maxPoints` is the node's cap.
 */
export function parseGetData(call: CallArguments, maxPoints: number | null = null, now: number = unixNow()): DataRequest {
  const bound = bind('get_data', ['field', 'start', 'end', 'min_stride'], call);
  const raw = bound.get('field');
  let fields: string[];
  if (typeof raw === 'string') {
    fields = [raw];
  } else if (Array.isArray(raw)) {
    raw.forEach((f, i) => {
      if (typeof f !== 'string') throw new InvalidArgumentError(`get_data: 'field' must be a list of field names, item ${i} is ${describe(f)}`);
    });
    fields = [...new Set(raw as string[])];
  } else if (raw === undefined) {
    throw new InvalidArgumentError(`get_data: missing argument 'field' (a list of field names)`);
  } else {
    throw new InvalidArgumentError(`get_data: 'field' must be a list of field names, got ${describe(raw)}`);
  }
  const { start, end } = timeRange('get_data', bound, now);
  const stride = bound.get('min_stride');
  let minStride: number | null = null;
  if (stride !== undefined && stride !== null) {
    if (typeof stride !== 'number' || !Number.isFinite(stride) || stride < 0) {
      throw new InvalidArgumentError(`get_data: 'min_stride' must be a number of seconds >= 0 or null, got ${describe(stride)}`);
    }
    if (stride > 0) minStride = stride;
  }
  return { fields, start, end, minStride, maxPoints: maxPoints !== null && maxPoints > 0 ? Math.floor(maxPoints) : null };
}
