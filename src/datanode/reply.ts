// Replies in the exact shape of the wire contract, built from what a source
// returns. get_data: requested fields only, every requested field present
// (an empty list when it has no data, as the original base class did),
// timelines only when a requested field on them has samples, downsampled to
// the request's min_stride and max_points.
//
// Numbers that are not finite (NaN for missing values, infinities) become
// null: JSON cannot carry them (Python's json would write an invalid `NaN`
// token, JavaScript's writes null), and the same reply then reads the same
// over JSON, msgpack and CBOR. Grafana and the original bridge treat null as
// a gap.
import type { DataReply, FieldInfo, FieldsReply, SampleValue, TimelineData, TimelineInfo } from '../protocol/types.js';
import { gather, pickSamples, type DownsampleMethod } from './downsample.js';
import type { DataRequest, FieldSamples, TimelineSamples } from './source.js';

/** A source returned something outside its contract: a bug of that data node. */
export class SourceContractError extends Error {
  override name = 'SourceContractError';
}

function finiteOrNull(x: number | null | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/** Plain array for the serializer; numbers that are not finite become null. */
export function toWireArray(col: FieldSamples): SampleValue[] {
  const n = col.length;
  const out = new Array<SampleValue>(n);
  if (col instanceof Float64Array) {
    for (let i = 0; i < n; i++) {
      const x = col[i]!;
      out[i] = Number.isFinite(x) ? x : null;
    }
    return out;
  }
  for (let i = 0; i < n; i++) {
    const x = col[i];
    out[i] = typeof x === 'number' ? (Number.isFinite(x) ? x : null) : x === undefined ? null : x;
  }
  return out;
}

/** Checks a timeline's shape; `seen` holds time arrays already found ascending (timelines may share one). */
function checkTimeline(node: string, tl: TimelineSamples, seen: Set<Float64Array>): void {
  if (typeof tl.name !== 'string') throw new SourceContractError(`${node}: getData returned a timeline without a name`);
  if (!(tl.t instanceof Float64Array)) throw new SourceContractError(`${node}: timeline '${tl.name}': t must be a Float64Array`);
  if (!(tl.fields instanceof Map)) throw new SourceContractError(`${node}: timeline '${tl.name}': fields must be a Map`);
  const t = tl.t;
  if (seen.has(t)) return;
  seen.add(t);
  for (let i = 1; i < t.length; i++) {
    if (!(t[i]! >= t[i - 1]!)) {
      throw new SourceContractError(`${node}: timeline '${tl.name}': times must be ascending (t[${i - 1}]=${t[i - 1]}, t[${i}]=${t[i]})`);
    }
  }
}

export interface DataReplyOptions {
  /** data node name, for error messages */
  node?: string;
  method?: DownsampleMethod;
}

/** The get_data reply for `request` from the timelines a source returned. */
export function buildDataReply(request: DataRequest, timelines: readonly TimelineSamples[], options: DataReplyOptions = {}): DataReply {
  const node = options.node ?? 'data node';
  const requested = new Set(request.fields);
  const data: Record<string, SampleValue[]> = {};
  for (const f of request.fields) data[f] = [];
  const timeline: Record<string, TimelineData> = {};
  const ascending = new Set<Float64Array>();
  for (const tl of timelines) {
    checkTimeline(node, tl, ascending);
    const names = [...tl.fields.keys()].filter((f) => requested.has(f));
    if (names.length === 0 || tl.t.length === 0) continue;
    const cols = names.map((f) => {
      const col = tl.fields.get(f)!;
      if (col === null || typeof col !== 'object' || col.length !== tl.t.length) {
        throw new SourceContractError(
          `${node}: timeline '${tl.name}': field '${f}' has ${String(col?.length)} values for ${tl.t.length} times`,
        );
      }
      return col;
    });
    const idx = tl.downsampled
      ? null
      : pickSamples(tl.t, cols, { minStride: request.minStride, maxPoints: request.maxPoints, method: options.method ?? 'm4' });
    const entry: TimelineData = {
      t: toWireArray(idx ? gather(tl.t, idx) : tl.t) as number[],
      finalized_until: finiteOrNull(tl.finalizedUntil),
    };
    if (tl.listFields) entry.fields = names;
    timeline[tl.name] = entry;
    names.forEach((f, i) => {
      data[f] = toWireArray(idx ? gather(cols[i]!, idx) : cols[i]!);
    });
  }
  return { data, timeline };
}

const FIELD_TYPES = new Set(['number', 'string', 'bool']);

/**
 * Checks a source's get_fields answer against the contract's shape and
 * returns it; a wrong shape is the node's bug, reported with what is wrong.
 */
export function checkFieldsReply(node: string, reply: unknown): FieldsReply {
  if (!Array.isArray(reply) || reply.length !== 2) throw new SourceContractError(`${node}: getFields must return [fields, timelines]`);
  const [fields, timelines] = reply as [unknown, unknown];
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw new SourceContractError(`${node}: getFields: fields must be an object`);
  }
  if (timelines === null || typeof timelines !== 'object' || Array.isArray(timelines)) {
    throw new SourceContractError(`${node}: getFields: timelines must be an object`);
  }
  for (const [name, info] of Object.entries(fields as Record<string, FieldInfo>)) {
    if (info === null || typeof info !== 'object') throw new SourceContractError(`${node}: getFields: field '${name}' is not an object`);
    if (typeof info.timeline !== 'string') throw new SourceContractError(`${node}: getFields: field '${name}' has no timeline name`);
    if (!FIELD_TYPES.has(info.type)) throw new SourceContractError(`${node}: getFields: field '${name}' has type ${String(info.type)}`);
  }
  for (const [name, info] of Object.entries(timelines as Record<string, TimelineInfo>)) {
    if (info === null || typeof info !== 'object' || !Array.isArray(info.field)) {
      throw new SourceContractError(`${node}: getFields: timeline '${name}' must have a 'field' list`);
    }
  }
  return reply as FieldsReply;
}
