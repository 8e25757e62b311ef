// The work behind a data node's two procedures, from the call's raw
// arguments to the reply in the contract's shape. The server runs these for
// each WAMP invocation; benchmarks and tests can run them in process.
import type { CallArguments } from './arguments.js';
import { parseGetData, parseGetFields } from './arguments.js';
import type { DownsampleMethod } from './downsample.js';
import { buildDataReply, checkFieldsReply } from './reply.js';
import type { DataNodeSource } from './source.js';
import type { DataReply, FieldsReply } from '../protocol/types.js';

export interface AnswerOptions {
  /** cap on points per timeline (MAX_POINTS); null: none */
  maxPoints?: number | null;
  method?: DownsampleMethod;
  signal?: AbortSignal;
}

/** get_fields(start, end) of `source`. */
export async function answerGetFields(source: DataNodeSource, call: CallArguments): Promise<FieldsReply> {
  const request = parseGetFields(call);
  return checkFieldsReply(source.name, await source.getFields(request));
}

/** get_data(field, start, end, min_stride) of `source`. */
export async function answerGetData(source: DataNodeSource, call: CallArguments, options: AnswerOptions = {}): Promise<DataReply> {
  const request = { ...parseGetData(call, options.maxPoints ?? null), ...(options.signal ? { signal: options.signal } : {}) };
  const timelines = await source.getData(request);
  return buildDataReply(request, timelines, { node: source.name, ...(options.method ? { method: options.method } : {}) });
}
