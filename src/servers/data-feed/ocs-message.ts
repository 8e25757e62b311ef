// Reading what an OCS agent publishes on a feed (see docs/servers.md and
// the OCS feed format): the WAMP event carries one positional argument,
// `[message, feed]`. The message comes in every shape OCS has used:
//
//   block map (ocs >= 0.4.3):  {block: {block_name, data: {f: [..]}, timestamps: [..]}}
//   one sample:                {block_name, timestamp: t, data: {f: v}}
//   several samples:           {block_name, timestamps: [..], data: {f: [..]}}
//   list of samples (2019):    [{block_name, timestamp, data}, ...]
//   channel map (2018):        {channel: [t, value]}
//   no feed dict (2018):       {agent_address, data: {channel: [t, value]}} as the only argument
//
// Unknown keys (`prefix`, `influxdb_tags`, ...) are ignored. A block that
// does not hold together is reported and skipped; the rest of the message
// is kept. Integral numbers may arrive as ints or floats: both are numbers.

export type ScalarValue = number | string | boolean | null;

/** Co-sampled fields: `data[f][i]` was read at `t[i]`. */
export interface SampleBlock {
  name: string | null;
  t: number[];
  data: Record<string, ScalarValue[]>;
}

/** What the feed dict says about the publisher (null when it does not say). */
export interface FeedIdentity {
  agentAddress: string | null;
  feedName: string | null;
  address: string | null;
  record: boolean | null;
}

export type FeedEvent =
  | { kind: 'data'; identity: FeedIdentity; blocks: SampleBlock[]; problems: string[] }
  /** a well-formed message that carries no samples (a heartbeat, say) */
  | { kind: 'other'; identity: FeedIdentity; why: string }
  | { kind: 'malformed'; identity: FeedIdentity | null; why: string };

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function isScalar(x: unknown): x is ScalarValue {
  return x === null || typeof x === 'number' || typeof x === 'string' || typeof x === 'boolean';
}

function isTime(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function str(x: unknown): string | null {
  return typeof x === 'string' ? x : null;
}

function identityOf(feed: Obj): FeedIdentity {
  return {
    agentAddress: str(feed.agent_address),
    feedName: str(feed.feed_name),
    address: str(feed.address),
    record: typeof feed.record === 'boolean' ? feed.record : null,
  };
}

const NO_IDENTITY: FeedIdentity = { agentAddress: null, feedName: null, address: null, record: null };

/** Reads the positional arguments of one feed event. */
export function parseFeedEvent(args: readonly unknown[]): FeedEvent {
  let message: unknown;
  let feed: unknown;
  if (args.length === 1 && Array.isArray(args[0]) && args[0].length === 2 && isObj(args[0][1])) {
    [message, feed] = args[0] as [unknown, unknown];
  } else if (args.length === 2 && isObj(args[1])) {
    // a publisher that spread [message, feed] into two arguments
    [message, feed] = args;
  } else if (args.length === 1 && isObj(args[0]) && isObj(args[0].data) && 'agent_address' in args[0]) {
    // 2018: one dict {agent_address, data: {channel: [t, value]}}, no feed dict
    const m = args[0];
    const identity = { ...NO_IDENTITY, agentAddress: str(m.agent_address) };
    const channels = parseChannelMap(m.data as Obj);
    if (!channels) return { kind: 'malformed', identity, why: 'data is not a map of channel -> [time, value]' };
    return { kind: 'data', identity, ...channels };
  } else {
    return { kind: 'malformed', identity: null, why: 'expected one argument [message, feed]' };
  }
  const identity = identityOf(feed as Obj);
  if (identity.agentAddress === null) return { kind: 'malformed', identity, why: 'feed dict has no agent_address' };
  return parseMessage(message, identity);
}

function parseMessage(message: unknown, identity: FeedIdentity): FeedEvent {
  if (Array.isArray(message)) {
    if (message.length === 0) return { kind: 'data', identity, blocks: [], problems: [] };
    if (!message.every((m) => isObj(m) && looksLikeSample(m))) {
      return identity.record === false
        ? { kind: 'other', identity, why: 'unrecorded feed, list that is not of samples' }
        : { kind: 'malformed', identity, why: 'list message whose items are not sample dicts' };
    }
    return collect(message.map((m, i) => parseSample(m as Obj, `item ${i}`)), identity);
  }
  if (!isObj(message)) {
    return identity.record === false
      ? { kind: 'other', identity, why: `unrecorded feed, ${typeof message} message` }
      : { kind: 'malformed', identity, why: `message is a ${message === null ? 'null' : typeof message}, not a map` };
  }
  if (looksLikeSample(message)) return collect([parseSample(message, 'message')], identity);
  const values = Object.values(message);
  if (values.length === 0) return { kind: 'data', identity, blocks: [], problems: [] };
  if (values.every(isObj)) {
    return collect(
      Object.entries(message).map(([key, block]) => parseSample(block as Obj, `block '${key}'`, key)),
      identity,
    );
  }
  const channels = parseChannelMap(message);
  if (channels) return { kind: 'data', identity, ...channels };
  if (identity.record === false) return { kind: 'other', identity, why: 'unrecorded feed, not a data message' };
  return { kind: 'malformed', identity, why: 'message is neither a block map nor a sample' };
}

function looksLikeSample(m: Obj): boolean {
  return typeof m.block_name === 'string' || ('data' in m && ('timestamps' in m || 'timestamp' in m));
}

/** one block, or a problem saying why it cannot be used */
function parseSample(m: Obj, where: string, key?: string): SampleBlock | string {
  const name = str(m.block_name) ?? key ?? null;
  if (!isObj(m.data)) return `${where}: data is not a map of field -> values`;
  const data: Record<string, ScalarValue[]> = {};
  if ('timestamps' in m) {
    const t = m.timestamps;
    if (!Array.isArray(t) || !t.every(isTime)) return `${where}: timestamps is not a list of finite numbers`;
    for (const [field, vs] of Object.entries(m.data)) {
      if (field === '') return `${where}: empty field name`;
      if (!Array.isArray(vs)) return `${where}: field '${field}' is not a list`;
      if (vs.length !== t.length) return `${where}: field '${field}' has ${vs.length} values for ${t.length} timestamps`;
      if (!vs.every(isScalar)) return `${where}: field '${field}' holds a value that is not a number, string or bool`;
      data[field] = vs;
    }
    return { name, t, data };
  }
  if (!isTime(m.timestamp)) return `${where}: no timestamps list and no finite timestamp`;
  for (const [field, v] of Object.entries(m.data)) {
    if (field === '') return `${where}: empty field name`;
    if (!isScalar(v)) return `${where}: field '${field}' is not a number, string or bool`;
    data[field] = [v];
  }
  return { name, t: [m.timestamp], data };
}

/** 2018 shape: {channel: [t, value]}, each channel its own one-sample block */
function parseChannelMap(m: Obj): { blocks: SampleBlock[]; problems: string[] } | null {
  const entries = Object.entries(m);
  if (entries.length === 0) return null;
  const pairs = entries.every(([, v]) => Array.isArray(v) && v.length === 2 && isTime(v[0]) && isScalar(v[1]));
  if (!pairs) return null;
  return {
    blocks: entries.map(([ch, v]) => ({ name: ch, t: [(v as number[])[0]!], data: { [ch]: [(v as ScalarValue[])[1]!] } })),
    problems: [],
  };
}

function collect(parts: (SampleBlock | string)[], identity: FeedIdentity): FeedEvent {
  const blocks: SampleBlock[] = [];
  const problems: string[] = [];
  for (const p of parts) {
    if (typeof p === 'string') problems.push(p);
    else blocks.push(p);
  }
  if (blocks.length === 0 && problems.length > 0) return { kind: 'malformed', identity, why: problems.join('; ') };
  return { kind: 'data', identity, blocks, problems };
}
