// Picks each requested field's samples out of a get_data reply, whatever
// timeline shape the node used: the contract's named timelines (field ->
// timeline from get_fields), or the g3 reader's `group0...` timelines that
// list their own `fields`. Shared by every consumer (the HTTP bridge,
// `sisock query`). Lists the client layer kept as JSON text (NumberListText)
// are read where needed: times always, values only when asked for.
import type { SampleValue } from './types.js';

/**
 * A list of numbers and nulls still as the JSON text it arrived in: what
 * the client layer hands out for calls made with `numberLists: 'text'`
 * (its JsonNumberList). No decoder makes such an object from a message,
 * so its shape tells it apart.
 */
export interface NumberListText {
  /** the list's JSON text, brackets included, as bytes (ASCII) */
  readonly bytes: Uint8Array;
  /** the same as a string */
  readonly text: string;
  readonly length: number;
  /** the text can be copied into other JSON as is */
  readonly copyable: boolean;
  /** the elements as JSON.parse gives them */
  values(): (number | null)[];
  /** the same as doubles, NaN for null */
  numbers(): Float64Array;
}

function isNumberListText(x: unknown): x is NumberListText {
  return typeof x === 'object' && x !== null && (x as NumberListText).bytes instanceof Uint8Array && typeof (x as NumberListText).values === 'function';
}

/** A get_data reply that cannot be used: the node refused (the original's `false`) or sent a malformed reply. */
export class DataReplyError extends Error {
  override readonly name = 'DataReplyError';
  constructor(
    readonly kind: 'refused' | 'bad-reply',
    message: string,
  ) {
    super(message);
  }
}

export interface Samples {
  /** UNIX seconds, ascending */
  t: ArrayLike<number>;
  /** values aligned with t */
  v: ArrayLike<SampleValue>;
  /**
   * v as the JSON text the node sent, numbers and nulls only, fit to be
   * copied into a JSON answer as is; present only when the reply was kept
   * as text and v needed no repair
   */
  vJson?: NumberListText;
  /** data before this time will not change; null when all of it is final */
  finalizedUntil: number | null;
  /** set when the reply was inconsistent and had to be repaired */
  problem?: string;
}

export const EMPTY: Samples = Object.freeze({ t: [], v: [], finalizedUntil: null }) as Samples;

interface ReplyTimeline {
  t: unknown;
  finalized_until?: unknown;
  fields?: unknown;
}

/**
 * Checks the outer shape of a get_data reply. The original allowed `false`
 * for "too much data"; that becomes a clear error.
 */
export function checkDataReply(reply: unknown): {
  data: Record<string, unknown>;
  timeline: Record<string, ReplyTimeline>;
} {
  if (reply === false) throw new DataReplyError('refused', 'the data node refused: too much data requested');
  if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) {
    throw new DataReplyError('bad-reply', 'get_data reply is not an object');
  }
  const r = reply as Record<string, unknown>;
  const data = r.data;
  const timeline = r.timeline;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new DataReplyError('bad-reply', "get_data reply has no 'data' object");
  }
  if (typeof timeline !== 'object' || timeline === null || Array.isArray(timeline)) {
    throw new DataReplyError('bad-reply', "get_data reply has no 'timeline' object");
  }
  return { data: data as Record<string, unknown>, timeline: timeline as Record<string, ReplyTimeline> };
}

function isTimeArray(x: unknown): x is ArrayLike<number> | NumberListText {
  return Array.isArray(x) || ArrayBuffer.isView(x) || isNumberListText(x);
}

/** Times as numbers (a kept text read once: the same array every time, so fields of one timeline share it). */
function timesOf(x: ArrayLike<number> | NumberListText): ArrayLike<number> {
  // a null among them (NaN in numbers()) is caught by the repair, as in any other list
  return isNumberListText(x) ? x.numbers() : x;
}

/**
 * The samples of `field` in `reply`. `timelineHint` is the field's timeline
 * from get_fields. Returns EMPTY when the node sent nothing for it.
 */
export function samplesOf(
  reply: ReturnType<typeof checkDataReply>,
  field: string,
  timelineHint: string | undefined,
): Samples {
  const values = reply.data[field];
  if (!isTimeArray(values) || values.length === 0) return EMPTY;
  const tl = findTimeline(reply.timeline, field, timelineHint, values.length);
  if (!tl) {
    return { ...EMPTY, problem: `no timeline in the reply for field '${field}'` };
  }
  const t = timesOf(tl.t as ArrayLike<number> | NumberListText);
  const finalizedUntil = typeof tl.finalized_until === 'number' ? tl.finalized_until : null;
  if (isNumberListText(values)) {
    if (values.length === t.length && inOrder(t)) {
      // the values are read only if someone asks (a JSON answer copies their text)
      return { t, get v() { return values.values(); }, ...(values.copyable ? { vJson: values } : {}), finalizedUntil };
    }
    return repair(t, values.values(), finalizedUntil, field);
  }
  return repair(t, values as ArrayLike<SampleValue>, finalizedUntil, field);
}

function findTimeline(
  timelines: Record<string, ReplyTimeline>,
  field: string,
  hint: string | undefined,
  length: number,
): ReplyTimeline | null {
  // the g3 reader's variant: each group says which fields it carries
  for (const tl of Object.values(timelines)) {
    if (tl && Array.isArray(tl.fields) && tl.fields.includes(field) && isTimeArray(tl.t)) return tl;
  }
  if (hint !== undefined && Object.prototype.hasOwnProperty.call(timelines, hint)) {
    const tl = timelines[hint];
    if (tl && isTimeArray(tl.t)) return tl;
  }
  // no usable hint: the only timeline, or the only one of the right length
  const usable = Object.values(timelines).filter((tl) => tl && isTimeArray(tl.t));
  if (usable.length === 1) return usable[0] as ReplyTimeline;
  const sameLength = usable.filter((tl) => (tl.t as ArrayLike<number> | NumberListText).length === length);
  return sameLength.length === 1 ? (sameLength[0] as ReplyTimeline) : null;
}

/** Whether the first n times are finite numbers, ascending. */
function inOrder(t: ArrayLike<unknown>, n = t.length): boolean {
  let prev = -Infinity;
  for (let i = 0; i < n; i++) {
    const ti = t[i];
    if (typeof ti !== 'number' || !Number.isFinite(ti) || ti < prev) return false;
    prev = ti;
  }
  return true;
}

/**
 * Makes samples safe to serve: equal lengths, finite times, ascending.
 * The common case (already clean) costs one pass and no copy.
 */
function repair(
  t: ArrayLike<number>,
  v: ArrayLike<SampleValue>,
  finalizedUntil: number | null,
  field: string,
): Samples {
  let problem: string | undefined;
  let n = t.length;
  if (v.length !== n) {
    problem = `field '${field}' has ${v.length} values for ${n} times`;
    n = Math.min(n, v.length);
  }
  if (inOrder(t, n)) {
    if (n === t.length && n === v.length) return { t, v, finalizedUntil };
    return { t: Array.prototype.slice.call(t, 0, n), v: Array.prototype.slice.call(v, 0, n), finalizedUntil, problem };
  }
  const idx: number[] = [];
  for (let i = 0; i < n; i++) {
    const ti = t[i] as number;
    if (typeof ti === 'number' && Number.isFinite(ti)) idx.push(i);
  }
  idx.sort((a, b) => (t[a] as number) - (t[b] as number));
  return {
    t: idx.map((i) => t[i] as number),
    v: idx.map((i) => v[i] as SampleValue),
    finalizedUntil,
    problem: problem ?? `field '${field}' had unordered or invalid times`,
  };
}

/**
 * The samples of adjacent windows, in order, as one: samples of a window at
 * or before the last time of those before it are dropped (a node may count
 * a boundary sample in both windows). Data before the earliest of their
 * `finalizedUntil`s is final.
 */
export function joinSamples(parts: readonly Samples[]): Samples {
  const kept: { t: ArrayLike<number>; v: ArrayLike<SampleValue>; from: number }[] = [];
  let last = -Infinity;
  let total = 0;
  for (const p of parts) {
    let from = 0;
    while (from < p.t.length && (p.t[from] as number) <= last) from++;
    if (from === p.t.length) continue;
    kept.push({ t: p.t, v: p.v, from }); // v once: it may be a getter that reads a kept text
    total += p.t.length - from;
    last = p.t[p.t.length - 1] as number;
  }
  const t = new Float64Array(total);
  const v = new Array<SampleValue>(total);
  let k = 0;
  for (const p of kept) {
    for (let i = p.from; i < p.t.length; i++, k++) {
      t[k] = p.t[i] as number;
      v[k] = p.v[i] as SampleValue;
    }
  }
  const finals = parts.map((p) => p.finalizedUntil).filter((x): x is number => x !== null);
  const problems = parts.map((p) => p.problem).filter((x): x is string => x !== undefined);
  return {
    t,
    v,
    finalizedUntil: finals.length > 0 ? Math.min(...finals) : null,
    ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
  };
}
