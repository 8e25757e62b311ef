// A simulated OCS agent: publishes feeds the way real agents do, so the
// data-feed node (and anything else that reads OCS feeds) can be seen
// working without OCS. Two styles of feed:
//   fake      like OCS's FakeDataAgent: one block `temps`, fields
//             channel_00.., every channel in every sample
//   lakeshore like a Lakeshore 372 agent: the scanner reads one channel at a
//             time, one block per channel (`Channel 01`, with a space),
//             fields Channel_01_T (K) and Channel_01_R (Ohm)
// plus the 1 Hz `heartbeat` feed every agent has (record: false).
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { OcsFeed, type FeedDict, type FeedPublication } from './ocs-feed.js';

export type FeedStyle = 'fake' | 'lakeshore';

export interface SimulatedFeedSpec {
  name: string;
  channels: number;
  /** samples per second */
  rate: number;
  style: FeedStyle;
}

export interface SimulatedAgentOptions {
  /** the agent's instance-id, e.g. `fake-data1` */
  agentId: string;
  addressRoot?: string;
  feeds: SimulatedFeedSpec[];
  /** seconds a feed buffers before publishing (OCS agents typically use 1) */
  bufferTime?: number;
  heartbeat?: boolean;
  sessionId?: string;
  /** sends one event: the topic and its positional arguments */
  publish: (topic: string, args: unknown[]) => void | Promise<void>;
  /** told of every data publication after it was handed to `publish` */
  onPublished?: (p: FeedPublication) => void;
  logger?: Logger;
  /** UNIX seconds */
  now?: () => number;
}

/** `name[:channels[:rate[:style]]]`, e.g. `temperatures:8:10:lakeshore` */
export function parseFeedSpec(spec: string): SimulatedFeedSpec {
  const [name = '', channels = '4', rate = '10', style = 'fake'] = spec.split(':');
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`feed name '${name}': lower-case letters, digits and _ only (OCS feed name rules)`);
  const c = Number(channels);
  const r = Number(rate);
  if (!Number.isInteger(c) || c < 1 || c > 1000) throw new Error(`feed ${name}: channels must be an integer 1..1000, got '${channels}'`);
  if (!(r > 0 && r <= 1000)) throw new Error(`feed ${name}: rate must be in (0, 1000] samples/s, got '${rate}'`);
  if (style !== 'fake' && style !== 'lakeshore') throw new Error(`feed ${name}: style must be fake or lakeshore, got '${style}'`);
  return { name, channels: c, rate: r, style };
}

/** typical stage temperatures of a dilution refrigerator, K */
const STAGES = [300, 40, 4, 1, 0.1, 0.01];

class Channel {
  private v: number;
  constructor(readonly base: number) {
    this.v = base;
  }
  /** a slow random walk around the base value */
  next(): number {
    const gauss = Math.random() + Math.random() + Math.random() - 1.5;
    this.v += (this.base - this.v) * 0.01 + this.base * 0.0005 * gauss;
    return this.v;
  }
}

export class SimulatedAgent {
  readonly address: string;
  private readonly feeds: { spec: SimulatedFeedSpec; feed: OcsFeed; channels: Channel[]; next: number }[];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly heartbeatFeed: FeedDict;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly sending = new Set<Promise<void>>();
  /** data publications sent so far */
  published = 0;

  constructor(private readonly options: SimulatedAgentOptions) {
    this.address = `${options.addressRoot ?? 'observatory'}.${options.agentId}`;
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? (() => Date.now() / 1000);
    const sessionId = options.sessionId ?? String(this.now());
    const agentClass = 'SimulatedAgent';
    this.feeds = options.feeds.map((spec) => ({
      spec,
      feed: new OcsFeed({ agentAddress: this.address, feedName: spec.name, bufferTime: options.bufferTime ?? 1, sessionId, agentClass }),
      channels: Array.from({ length: spec.channels }, (_, i) => new Channel(STAGES[i % STAGES.length]!)),
      next: 0,
    }));
    this.heartbeatFeed = new OcsFeed({ agentAddress: this.address, feedName: 'heartbeat', record: false, aggParams: {}, sessionId, agentClass }).feed;
  }

  start(): void {
    for (const f of this.feeds) {
      this.timers.push(setInterval(() => this.sample(f), 1000 / f.spec.rate));
    }
    if (this.options.heartbeat ?? true) {
      // op codes are ints in OCS: plain numbers here
      this.timers.push(setInterval(() => this.send(this.heartbeatFeed.address, [[{ acq: 3 }, this.heartbeatFeed]]), 1000));
    }
  }

  /** Stops sampling and publishes whatever the feeds still buffer. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    for (const f of this.feeds) this.emit(f.feed.flush());
    await Promise.all([...this.sending]);
  }

  private sample(f: SimulatedAgent['feeds'][number]): void {
    const t = this.now();
    try {
      if (f.spec.style === 'fake') {
        const data: Record<string, number> = {};
        f.channels.forEach((c, i) => (data[`channel_${String(i).padStart(2, '0')}`] = c.next()));
        this.emit(f.feed.add('temps', t, data, t));
      } else {
        const i = f.next;
        f.next = (i + 1) % f.channels.length;
        const n = String(i + 1).padStart(2, '0');
        const temp = f.channels[i]!.next();
        // a RuOx-like thermometer: resistance rises as it cools
        const resistance = 1000 * Math.exp(1 / Math.max(temp, 0.005) / 50);
        this.emit(f.feed.add(`Channel ${n}`, t, { [`Channel_${n}_T`]: temp, [`Channel_${n}_R`]: resistance }, t));
      }
    } catch (err) {
      this.logger.error({ err, feed: f.spec.name }, 'simulated sample failed');
    }
  }

  private emit(p: FeedPublication | null): void {
    if (!p) return;
    this.send(p.topic, [[p.message, p.feed]]);
    this.published++;
    this.options.onPublished?.(p);
  }

  private send(topic: string, args: unknown[]): void {
    const p = Promise.resolve()
      .then(() => this.options.publish(topic, args))
      .catch((err: unknown) => this.logger.warn({ topic, err: (err as Error).message }, 'publish failed'))
      .finally(() => this.sending.delete(p));
    this.sending.add(p);
  }
}
