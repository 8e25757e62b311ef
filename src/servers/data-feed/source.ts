// The data-feed node: follows OCS feeds on the router's open port and
// serves what it buffered. Three parts, each with one job: the FeedStore
// (what is kept and how it is named), the FeedSpool (the same on disk, for
// restarts) and a WAMP client subscribed to the feeds.
import { WampClient, type ClientOptions } from '../../client/client.js';
import { describeError } from '../../client/errors.js';
import type { DataNodeSource, DataRequest, FieldsRequest, TimelineSamples } from '../../datanode/source.js';
import { FieldsChangedSignal } from '../../datanode/fields-signal.js';
import type { FieldsReply } from '../../protocol/types.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import { FeedStore, type FeedStoreOptions } from './feed-store.js';
import { subscriptionFor, type FeedSelector, type Subscription } from './naming.js';
import { FeedSpool, type RestoreReport } from './spool.js';

export interface DataFeedOptions {
  name: string;
  description: string;
  selector: FeedSelector;
  /** seconds kept per field (BUFFER_TIME) */
  bufferTime: number;
  /** samples kept per field at most */
  maxSamples: number;
  /** where the feeds are published (the open port), anonymous unless auth is given */
  feedConnection: ClientOptions;
  /** the spool file, or null to keep the buffer in memory only */
  spool: { path: string; maxBytes: number; flushInterval?: number } | null;
  logger?: Logger;
  now?: FeedStoreOptions['now'];
  /** ms `open` waits for the feed subscription before returning anyway (default 10000) */
  joinWait?: number;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export class DataFeedSource implements DataNodeSource {
  readonly name: string;
  readonly description: string;
  readonly store: FeedStore;
  readonly subscription: Subscription;
  readonly feedClient: WampClient;
  private readonly spool: FeedSpool | null;
  private readonly logger: Logger;
  private readonly fieldsChanged = new FieldsChangedSignal();

  private constructor(options: DataFeedOptions) {
    this.name = options.name;
    this.description = options.description;
    this.logger = options.logger ?? silentLogger;
    this.subscription = subscriptionFor(options.selector);
    this.spool = options.spool ? new FeedSpool({ ...options.spool, logger: this.logger }) : null;
    this.store = new FeedStore({
      selector: options.selector,
      bufferTime: options.bufferTime,
      maxSamples: options.maxSamples,
      logger: this.logger,
      ...(options.now ? { now: options.now } : {}),
      onStored: (meta, t, v) => this.spool?.record(meta, t, v),
      // fields are learned as the feeds publish them: tell consumers
      onFieldAppeared: () => this.fieldsChanged.notify(),
    });
    this.feedClient = new WampClient({ ...options.feedConnection, logger: this.logger.child({ part: 'feeds' }) });
  }

  /**
   * Restores the spool, subscribes, and starts connecting to the feeds'
   * router (in the background: the node serves what it has meanwhile).
   */
  static async open(options: DataFeedOptions): Promise<DataFeedSource> {
    const source = new DataFeedSource(options);
    if (source.spool) {
      const report: RestoreReport = await source.spool.open(source.store);
      if (report.samples > 0) source.logger.info({ ...report, fields: Object.keys(source.store.getFields()[0]).length }, 'buffer restored from the spool');
    }
    const { topic, match } = source.subscription;
    await source.feedClient.subscribe(topic, (ev) => void source.store.ingest(ev.args, ev.details.topic ?? topic), { match });
    source.feedClient.on('join', () => source.logger.info({ topic, match, url: source.feedClient.url }, 'following OCS feeds'));
    source.feedClient.on('fatal', (err: unknown) => source.logger.error({ err: describeError(err) }, 'gave up on the feeds connection'));
    // Wait (a while) for the subscription, so that a node reported as up
    // already receives; past that, it keeps trying in the background and
    // serves its buffer meanwhile.
    const joined = source.feedClient.start().then(
      () => true,
      () => false, // reported through 'fatal'
    );
    const waited = await Promise.race([joined, delay(options.joinWait ?? 10_000).then(() => false)]);
    if (!waited) source.logger.warn({ url: source.feedClient.url }, 'not subscribed to the feeds yet; serving the buffer while trying');
    return source;
  }

  onFieldsChanged(listener: () => void): () => void {
    return this.fieldsChanged.listen(listener);
  }

  getFields(request: FieldsRequest): FieldsReply {
    return this.store.getFields(request);
  }

  getData(request: DataRequest): TimelineSamples[] {
    return this.store.getData(request);
  }

  async close(): Promise<void> {
    await this.feedClient.close();
    await this.spool?.close();
  }
}
