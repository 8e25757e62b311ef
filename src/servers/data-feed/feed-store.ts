// The data-feed node's memory: every field of the followed feeds, each on
// its own timeline in a ring buffer that keeps BUFFER_TIME seconds (by the
// wall clock, as the original did) and at most a number of samples. Events
// from the router go in through `ingest`; nothing a publisher sends can
// throw out of it or damage what is already buffered.
import type { DataRequest, FieldsRequest, TimelineSamples } from '../../datanode/source.js';
import { RingBuffer, type ColumnKind, type ColumnValue } from '../../datanode/ring-buffer.js';
import type { FieldInfo, FieldsReply, TimelineInfo } from '../../protocol/types.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import { fieldNames, topicMatches, type FeedSelector } from './naming.js';
import { parseFeedEvent, type FeedEvent, type ScalarValue } from './ocs-message.js';

export interface FieldMeta {
  field: string;
  timeline: string;
  kind: ColumnKind;
}

export interface FeedStoreOptions {
  selector: FeedSelector;
  /** seconds of data kept per field (BUFFER_TIME, 3600 in the original) */
  bufferTime: number;
  /** samples kept per field at most */
  maxSamples: number;
  logger?: Logger;
  /** UNIX seconds; the reference for BUFFER_TIME */
  now?: () => number;
  /** told of every batch stored (the spool writes them to disk) */
  onStored?: (meta: FieldMeta, t: ArrayLike<number>, values: ArrayLike<ColumnValue>) => void;
  /** told when a field gets samples while it had none (new, or emptied by age): the field list grew */
  onFieldAppeared?: (meta: FieldMeta) => void;
}

export interface IngestCounts {
  /** messages read; their good parts stored */
  accepted: number;
  /** messages from agents or feeds not followed, or without data (heartbeats) */
  ignored: number;
  /** messages that could not be read at all */
  malformed: number;
  /** blocks or fields dropped from otherwise good messages */
  droppedParts: number;
  samples: number;
}

interface FieldState {
  meta: FieldMeta;
  buffer: RingBuffer;
}

/** at most this many warnings a minute; the rest are counted and summarised */
const WARNINGS_PER_MINUTE = 20;

export class FeedStore {
  private readonly fields = new Map<string, FieldState>();
  private readonly logger: Logger;
  private readonly now: () => number;
  readonly counts: IngestCounts = { accepted: 0, ignored: 0, malformed: 0, droppedParts: 0, samples: 0 };
  private warnWindow = 0;
  private warnCount = 0;
  private warnSuppressed = 0;

  constructor(private readonly options: FeedStoreOptions) {
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? (() => Date.now() / 1000);
  }

  /** One event's positional arguments; `topic` is where it was published. */
  ingest(args: readonly unknown[], topic?: string): FeedEvent['kind'] | 'ignored' {
    // the subscription delivers only followed feeds; this guards against a
    // router that matches patterns more loosely
    if (topic !== undefined && !topicMatches(this.options.selector, topic)) {
      this.counts.ignored++;
      this.logger.debug({ topic }, 'not a followed feed: ignored');
      return 'ignored';
    }
    let event: FeedEvent;
    try {
      event = parseFeedEvent(args);
    } catch (err) {
      // parseFeedEvent does not throw on any JSON/msgpack value; be safe anyway
      event = { kind: 'malformed', identity: null, why: (err as Error).message };
    }
    if (event.kind === 'malformed') {
      this.counts.malformed++;
      this.warn({ topic, why: event.why }, 'malformed feed message dropped');
      return 'malformed';
    }
    const who = this.identify(event, topic);
    if (typeof who === 'string') {
      this.counts.ignored++;
      this.logger.debug({ topic, why: who }, 'feed message ignored');
      return 'ignored';
    }
    if (event.kind === 'other') {
      this.counts.ignored++;
      this.logger.debug({ topic, why: event.why }, 'feed message without samples ignored');
      return 'ignored';
    }
    const problems = [...event.problems];
    let stored = 0;
    for (const block of event.blocks) {
      for (const [ocsField, values] of Object.entries(block.data)) {
        const names = fieldNames(this.options.selector, who.instance, who.feed, ocsField);
        try {
          stored += this.store(names.field, names.timeline, block.t, values);
        } catch (err) {
          problems.push(`field '${ocsField}': ${(err as Error).message}`);
        }
      }
    }
    if (problems.length > 0) {
      this.counts.droppedParts += problems.length;
      this.warn({ topic, problems }, 'parts of a feed message dropped');
    }
    this.counts.accepted++;
    this.counts.samples += stored;
    return 'data';
  }

  /** Puts samples read back from the spool in place (same checks as live ones). */
  restore(meta: FieldMeta, t: ArrayLike<number>, values: ArrayLike<ColumnValue>): number {
    const existing = this.fields.get(meta.field);
    if (existing && existing.meta.timeline !== meta.timeline) throw new TypeError(`field '${meta.field}' is on another timeline`);
    return this.store(meta.field, meta.timeline, t, values, meta.kind, false);
  }

  getFields(_request?: FieldsRequest): FieldsReply {
    // Like the original: every buffered field, whatever the range.
    const fields: Record<string, FieldInfo> = {};
    const timelines: Record<string, TimelineInfo> = {};
    for (const { meta, buffer } of this.fields.values()) {
      buffer.expire();
      if (buffer.length === 0) continue;
      fields[meta.field] = { description: null, timeline: meta.timeline, type: meta.kind, units: null };
      const tl = (timelines[meta.timeline] ??= { interval: null, field: [] });
      tl.field.push(meta.field);
    }
    return [fields, timelines];
  }

  getData(request: DataRequest): TimelineSamples[] {
    const out: TimelineSamples[] = [];
    for (const name of new Set(request.fields)) {
      const state = this.fields.get(name);
      if (!state) continue;
      const r = state.buffer.range(request.start, request.end, { fields: [name] });
      if (r.t.length === 0) continue;
      out.push({ name: state.meta.timeline, t: r.t, fields: r.fields, finalizedUntil: null });
    }
    return out;
  }

  /** every field and its buffer (for the spool's compaction) */
  entries(): IterableIterator<{ meta: FieldMeta; buffer: RingBuffer }> {
    return this.fields.values();
  }

  /** samples held over all fields */
  get sampleCount(): number {
    let n = 0;
    for (const { buffer } of this.fields.values()) n += buffer.length;
    return n;
  }

  /** which agent and feed sent this, or why it is not for us */
  private identify(event: Exclude<FeedEvent, { kind: 'malformed' }>, topic: string | undefined): { instance: string; feed: string } | string {
    const sel = this.options.selector;
    const address = event.identity.agentAddress;
    const rootDot = `${sel.addressRoot}.`;
    if (address === null || !address.startsWith(rootDot)) return `agent address ${String(address)} is not under ${sel.addressRoot}`;
    const instance = address.slice(rootDot.length);
    if (sel.target !== null && instance !== sel.target) return `from agent ${address}, not ${rootDot}${sel.target}`;
    const feed = event.identity.feedName ?? feedFromAddress(event.identity.address) ?? feedFromAddress(topic ?? null) ?? sel.feed;
    if (feed === null) return 'feed name unknown';
    if (sel.feed !== null && feed !== sel.feed) return `feed ${feed}, not ${sel.feed}`;
    return { instance, feed };
  }

  private store(
    field: string,
    timeline: string,
    t: ArrayLike<number>,
    values: ArrayLike<ScalarValue | ColumnValue>,
    kindHint?: ColumnKind,
    notify = true,
  ): number {
    let state = this.fields.get(field);
    const hadNone = !state || state.buffer.length === 0;
    if (!state) {
      const kind = kindHint ?? kindOf(values);
      if (kind === null) return 0; // nothing but missing values: wait for a real one to type the field
      state = {
        meta: { field, timeline, kind },
        buffer: new RingBuffer({
          columns: { [field]: kind },
          capacity: this.options.maxSamples,
          maxAge: this.options.bufferTime,
          now: this.now,
          onDuplicate: 'replace',
        }),
      };
      this.fields.set(field, state);
    } else if (kindHint !== undefined && kindHint !== state.meta.kind) {
      throw new TypeError(`holds ${state.meta.kind} values, not ${kindHint}`);
    }
    // throws TypeError (buffer unchanged) on a value of another kind
    const c = state.buffer.appendMany(t, { [field]: values as ArrayLike<ColumnValue> });
    if (notify) this.options.onStored?.(state.meta, t, values as ArrayLike<ColumnValue>);
    if (hadNone && state.buffer.length > 0) this.options.onFieldAppeared?.(state.meta);
    return c.appended + c.inserted + c.replaced;
  }

  private warn(obj: Record<string, unknown>, msg: string): void {
    const minute = Math.floor(Date.now() / 60_000);
    if (minute !== this.warnWindow) {
      if (this.warnSuppressed > 0) this.logger.warn({ suppressed: this.warnSuppressed }, 'further feed warnings suppressed in the last minute');
      this.warnWindow = minute;
      this.warnCount = 0;
      this.warnSuppressed = 0;
    }
    if (++this.warnCount <= WARNINGS_PER_MINUTE) this.logger.warn(obj, msg);
    else this.warnSuppressed++;
  }
}

function kindOf(values: ArrayLike<ScalarValue | ColumnValue>): ColumnKind | null {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number') return 'number';
    if (typeof v === 'string') return 'string';
    if (typeof v === 'boolean') return 'bool';
  }
  return null;
}

function feedFromAddress(address: string | null): string | null {
  if (address === null) return null;
  const i = address.lastIndexOf('.feeds.');
  return i >= 0 ? address.slice(i + '.feeds.'.length) : null;
}
