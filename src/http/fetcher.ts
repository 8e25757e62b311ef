// Fetches samples for a set of fields: one get_data per data node, all nodes
// in parallel, each cut off after the per-node timeout so one slow node does
// not hold back the others, identical concurrent calls shared, everything
// aborted when the client that asked goes away. A node whose answer would
// be too large for one WAMP message is asked again in parts (its fields,
// then the window), up to a bound on the samples of one request.
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { InFlight } from './coalesce.js';
import { Slots } from './slots.js';
import type { ResolvedField } from './resolve.js';
import { checkDataReply, joinSamples, samplesOf, type Samples } from '../protocol/data-reply.js';
import { asUpstreamError, UpstreamError, type Upstream } from './upstream.js';
import type { DataReply } from '../protocol/types.js';

/** The smallest sisock time that still reads as an absolute UNIX time. */
const EPOCH_FLOOR = 0.001;

/** An absolute UNIX time (seconds) as a sisock time: at least EPOCH_FLOOR. */
export function absoluteTime(seconds: number): number {
  return seconds > EPOCH_FLOOR ? seconds : EPOCH_FLOOR;
}

export interface FetchRequest {
  fields: readonly ResolvedField[];
  /** window, UNIX seconds */
  start: number;
  end: number;
  /** min_stride in seconds, or null for raw data */
  stride: number | null;
}

export type FieldResult =
  | { ok: true; field: ResolvedField; samples: Samples }
  | { ok: false; field: ResolvedField; error: UpstreamError };

export interface FetcherOptions {
  logger?: Logger;
  /** per data node; a node slower than this is answered with an error for its fields */
  nodeTimeoutMs?: number;
  /** samples of one node for one request at most, when its answer must be asked for in parts (default 10 million) */
  maxSplitSamples?: number;
}

/** Windows shorter than this are not halved again. */
const MIN_SPLIT_SECONDS = 0.001;

/** Calls to one node for one request at most, when it is asked in parts. */
const MAX_PART_CALLS = 1000;

/**
 * Requests whose answers are fetched in parts at once: each may hold up to
 * maxSplitSamples samples, so a few exports at a time cannot exhaust the
 * bridge's memory; the others wait their turn.
 */
const PART_FETCHES_AT_ONCE = 2;

/** Counts the samples fetched for one node and request, the calls made, and whether they came in parts. */
interface SplitBudget {
  samples: number;
  calls: number;
  split: boolean;
  /** gives back the slot held while fetching in parts */
  release?: () => void;
}

export class Fetcher {
  private readonly inFlight = new InFlight<DataReply>();
  private readonly log: Logger;
  readonly nodeTimeoutMs: number;
  private readonly maxSplitSamples: number;
  private readonly partFetches = new Slots(PART_FETCHES_AT_ONCE);

  constructor(
    private readonly upstream: Upstream,
    options: FetcherOptions = {},
  ) {
    this.log = options.logger ?? silentLogger;
    this.nodeTimeoutMs = options.nodeTimeoutMs ?? 10_000;
    this.maxSplitSamples = options.maxSplitSamples ?? 10_000_000;
  }

  /** Requests that joined an identical call already in flight, since start. */
  get coalesced(): number {
    return this.inFlight.joined;
  }

  /** Results by `node::field`, one per distinct requested field. */
  async fetch(req: FetchRequest, signal?: AbortSignal): Promise<Map<string, FieldResult>> {
    const byNode = new Map<string, ResolvedField[]>();
    for (const f of req.fields) {
      const list = byNode.get(f.node);
      if (!list) byNode.set(f.node, [f]);
      else if (!list.some((x) => x.field === f.field)) list.push(f);
    }
    const out = new Map<string, FieldResult>();
    await Promise.all(
      [...byNode].map(async ([node, fields]) => {
        const budget: SplitBudget = { samples: 0, calls: 0, split: false };
        try {
          const samples = await this.fetchNode(node, fields, req, signal, budget);
          for (const f of fields) out.set(f.name, { ok: true, field: f, samples: samples.get(f.name)! });
        } catch (err) {
          const error = asUpstreamError(err);
          if (error.kind !== 'canceled') {
            this.log.warn({ node, kind: error.kind, err: error.message }, 'get_data failed');
          }
          for (const f of fields) out.set(f.name, { ok: false, field: f, error });
        } finally {
          budget.release?.();
        }
      }),
    );
    return out;
  }

  /**
   * Samples of some fields of one node. An answer too large for one message
   * is asked for again in parts: the fields, then (for one field) the
   * window; until the parts fetched hold `budget`'s bound of samples.
   */
  private async fetchNode(node: string, fields: ResolvedField[], req: FetchRequest, signal: AbortSignal | undefined, budget: SplitBudget): Promise<Map<string, Samples>> {
    let reply: ReturnType<typeof checkDataReply>;
    if (++budget.calls > MAX_PART_CALLS) {
      throw new UpstreamError('too-large', `data node '${node}' could not answer in ${MAX_PART_CALLS} parts: ask for fewer fields, a shorter range or fewer points`);
    }
    try {
      reply = checkDataReply(await this.getData(node, fields, req, signal));
    } catch (err) {
      const error = asUpstreamError(err);
      const start = absoluteTime(req.start);
      const end = absoluteTime(req.end);
      if (error.kind !== 'too-large' || (fields.length === 1 && end - start < MIN_SPLIT_SECONDS)) throw error;
      budget.split = true;
      if (!budget.release) {
        if (this.partFetches.inUse === this.partFetches.size) this.log.info({ node, waiting: this.partFetches.queued + 1 }, 'an answer too large for one message waits for other requests fetched in parts');
        budget.release = await this.partFetches.take(signal).catch(() => {
          throw new UpstreamError('canceled', 'the request was canceled');
        });
      }
      // as many parts as the answer was times too large, with a margin; halves when the node did not say
      const parts = Math.min(64, Math.max(2, Math.ceil((error.oversize ?? 1.6) * 1.25)));
      const out = new Map<string, Samples>();
      // one part after the other: the node is not asked for more at once than before
      if (fields.length > 1) {
        const size = Math.ceil(fields.length / Math.min(parts, fields.length));
        for (let i = 0; i < fields.length; i += size) {
          for (const [name, samples] of await this.fetchNode(node, fields.slice(i, i + size), req, signal, budget)) out.set(name, samples);
        }
        return out;
      }
      const name = fields[0]!.name;
      this.log.debug({ node, field: fields[0]!.field, start, end, parts }, 'answer too large for one message: asking for the window in parts');
      const windows: Samples[] = [];
      for (let i = 0; i < parts; i++) {
        const window = { ...req, start: start + ((end - start) * i) / parts, end: i === parts - 1 ? end : start + ((end - start) * (i + 1)) / parts };
        windows.push((await this.fetchNode(node, fields, window, signal, budget)).get(name)!);
      }
      return out.set(name, joinSamples(windows));
    }
    const out = new Map<string, Samples>();
    for (const f of fields) {
      const samples = samplesOf(reply, f.field, f.info.timeline || undefined);
      if (samples.problem) this.log.warn({ node, field: f.field, problem: samples.problem }, 'repaired a get_data reply');
      out.set(f.name, samples);
      budget.samples += samples.t.length;
    }
    // an answer that came whole is served whatever its size (one message bounds it)
    if (budget.split && budget.samples > this.maxSplitSamples) {
      throw new UpstreamError(
        'too-large',
        `data node '${node}' has more than ${this.maxSplitSamples.toLocaleString('en')} samples for this request: ask for fewer fields, a shorter range or fewer points`,
      );
    }
    return out;
  }

  private getData(node: string, fields: ResolvedField[], req: FetchRequest, signal?: AbortSignal): Promise<DataReply> {
    const names = fields.map((f) => f.field).sort();
    // sisock times of 0 or less mean "seconds before now": an absolute window at or
    // before the epoch must not turn into one ending now
    req = { ...req, start: absoluteTime(req.start), end: absoluteTime(req.end) };
    const key = JSON.stringify([node, names, req.start, req.end, req.stride]);
    return this.inFlight.run(key, signal, (shared) => this.callWithTimeout(node, names, req, shared));
  }

  private callWithTimeout(node: string, fields: string[], req: FetchRequest, signal: AbortSignal): Promise<DataReply> {
    const timeoutMs = this.nodeTimeoutMs;
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    // enforced here as well, so a node is cut off even if the upstream ignores timeoutMs
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new UpstreamError('timeout', `data node '${node}' did not answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
    });
    const canceled = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(new UpstreamError('canceled', 'the request was canceled'));
      signal.addEventListener('abort', () => reject(new UpstreamError('canceled', 'the request was canceled')), {
        once: true,
      });
    });
    const call = this.upstream.getData(node, fields, req.start, req.end, req.stride, {
      signal: controller.signal,
      timeoutMs,
    });
    call.catch(() => undefined);
    return Promise.race([call, deadline, canceled]).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  }
}

