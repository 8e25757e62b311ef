// An OCS feed as an agent's `Feed` object publishes it (ocs >= 0.9.3):
// samples are buffered per block and the whole block map goes out, with
// the feed dict, once `bufferTime` seconds have passed since the first
// buffered sample; like OCS, that is checked only when a new sample comes,
// so a 1 Hz publisher with bufferTime 1 publishes every ~2 s. Values and
// timestamps are Float64Array so they go on the wire as floats.

export interface FeedDict {
  agent_address: string;
  agg_params: Record<string, unknown>;
  feed_name: string;
  address: string;
  record: boolean;
  session_id: string;
  agent_class: string;
}

export interface Block {
  block_name: string;
  data: Record<string, Float64Array>;
  timestamps: Float64Array;
}

/** what one publish sends: the single WAMP argument is [message, feed] */
export interface FeedPublication {
  topic: string;
  message: Record<string, Block>;
  feed: FeedDict;
}

export interface OcsFeedOptions {
  agentAddress: string;
  feedName: string;
  record?: boolean;
  aggParams?: Record<string, unknown>;
  /** seconds samples are held before a publish (0: publish each sample at once) */
  bufferTime?: number;
  sessionId: string;
  agentClass: string;
}

/** OCS's rule for field names (Feed.verify_data_field_string) */
const FIELD_NAME = /^_*[A-Za-z][A-Za-z0-9_]*$/;

export function checkFieldName(name: string): void {
  if (!FIELD_NAME.test(name) || name.length > 255) {
    throw new Error(`invalid OCS field name '${name}': letters, digits and _, starting with a letter, at most 255 characters`);
  }
}

interface PendingBlock {
  fields: string[];
  t: number[];
  data: Map<string, number[]>;
}

export class OcsFeed {
  readonly topic: string;
  readonly feed: FeedDict;
  private readonly bufferTime: number;
  private readonly blocks = new Map<string, PendingBlock>();
  private firstBuffered: number | null = null;

  constructor(options: OcsFeedOptions) {
    this.topic = `${options.agentAddress}.feeds.${options.feedName}`;
    this.bufferTime = options.bufferTime ?? 1;
    this.feed = {
      agent_address: options.agentAddress,
      agg_params: options.aggParams ?? { frame_length: 60 },
      feed_name: options.feedName,
      address: this.topic,
      record: options.record ?? true,
      session_id: options.sessionId,
      agent_class: options.agentClass,
    };
  }

  /**
   * Buffers one sample of a block; returns the publication when the buffer
   * time has passed (checked, as in OCS, only when a sample arrives).
   */
  add(blockName: string, timestamp: number, data: Record<string, number>, now: number): FeedPublication | null {
    const fields = Object.keys(data);
    let block = this.blocks.get(blockName);
    if (!block) {
      for (const f of fields) checkFieldName(f);
      block = { fields, t: [], data: new Map(fields.map((f) => [f, []])) };
      this.blocks.set(blockName, block);
    } else if (fields.length !== block.fields.length || !fields.every((f) => block!.data.has(f))) {
      // OCS raises here too: a block's structure never changes
      throw new Error(`block '${blockName}' has fields ${block.fields.join(', ')}, not ${fields.join(', ')}`);
    }
    block.t.push(timestamp);
    for (const f of fields) block.data.get(f)!.push(data[f]!);
    this.firstBuffered ??= now;
    if (now - this.firstBuffered >= this.bufferTime) return this.flush();
    return null;
  }

  /** Publishes whatever is buffered (null when nothing is). */
  flush(): FeedPublication | null {
    const message: Record<string, Block> = {};
    for (const [name, b] of this.blocks) {
      if (b.t.length === 0) continue;
      message[name] = {
        block_name: name,
        data: Object.fromEntries([...b.data].map(([f, vs]) => [f, Float64Array.from(vs)])),
        timestamps: Float64Array.from(b.t),
      };
      b.t = [];
      for (const f of b.fields) b.data.set(f, []);
    }
    this.firstBuffered = null;
    return Object.keys(message).length > 0 ? { topic: this.topic, message, feed: this.feed } : null;
  }
}
