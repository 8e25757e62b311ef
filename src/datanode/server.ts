// The DataNodeServer: puts a DataNodeSource on the router. It registers
// `consumer.<name>.get_fields` and `.get_data`, announces the node to the
// hub, and announces it again whenever that can have been forgotten: after
// its own reconnection, when a (re)started hub publishes `hub_ready`, and
// when the hub reports the node subtracted while it is still here.
//
// Name conflicts: if the router refuses the procedures or the hub answers
// `false` to add, another session holds the name. That can be our own
// previous session, not yet noticed gone after a crash or a network cut, so
// the server retries for `claimTimeout` seconds; if the name is still taken
// then, it gives up (event `fatal` with a NameTakenError; `sisock node`
// exits with code 3).
//
// A source whose field list changes while it runs (onFieldsChanged) makes
// the server publish `consumer.<name>.fields_changed`, coalesced by a
// FieldsAnnouncer, so that consumers reload its fields without polling.
import { EventEmitter } from 'node:events';
import { WampClient, type ClientOptions, type Invocation } from '../client/client.js';
import { ClaimGrace } from '../client/claim.js';
import { describeError, NotConnectedError, WampError } from '../client/errors.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { dataNodeProcedures, fieldsChangedTopic, HUB } from '../protocol/uris.js';
import { answerGetData, answerGetFields } from './answer.js';
import type { DownsampleMethod } from './downsample.js';
import { InvalidArgumentError } from './errors.js';
import { FieldsAnnouncer } from './fields-announcer.js';
import { SourceContractError } from './reply.js';
import type { DataNodeSource } from './source.js';

export interface DataNodeServerOptions {
  source: DataNodeSource;
  connection: ClientOptions;
  /** cap on points per timeline in a get_data reply (MAX_POINTS); 0 or null: none */
  maxPoints?: number | null;
  /** default m4 */
  downsample?: DownsampleMethod;
  /** seconds to keep retrying while the name is taken (default 10) */
  claimTimeout?: number;
  /** ms between attempts to announce while no hub answers (default 5000) */
  announceRetry?: number;
  /** least ms between two fields_changed events (default 1000) */
  fieldsChangedGap?: number;
  logger?: Logger;
}

/** Another live session serves a data node of the same name. */
export class NameTakenError extends Error {
  override name = 'NameTakenError';
}

const RUNTIME_ERROR = 'wamp.error.runtime_error';

/**
 * Events: `announced` (sessionId) each time the hub accepted the node,
 * `fatal` (error) when the server gave up (it is closed then).
 */
export class DataNodeServer extends EventEmitter {
  readonly name: string;
  readonly client: WampClient;
  private readonly source: DataNodeSource;
  private readonly options: DataNodeServerOptions;
  private readonly log: Logger;
  private readonly grace: ClaimGrace;
  private readonly aborter = new AbortController();
  private announceTimer: NodeJS.Timeout | null = null;
  private announcing = false;
  private announcedIn: number | null = null;
  private closed = false;
  /** publishes fields_changed for sources that report changes */
  readonly fieldsAnnouncer: FieldsAnnouncer;
  private stopWatchingFields: (() => void) | null = null;

  constructor(options: DataNodeServerOptions) {
    super();
    this.options = options;
    this.source = options.source;
    this.name = options.source.name;
    this.log = (options.logger ?? silentLogger).child({ node: this.name });
    this.grace = new ClaimGrace((options.claimTimeout ?? 10) * 1000);
    this.client = new WampClient({
      ...options.connection,
      logger: this.log,
      isFatal: (err) => {
        if (err instanceof WampError && err.uri === 'wamp.error.procedure_already_exists') return this.nameConflict('the router already has its procedures');
        return options.connection.isFatal?.(err) ?? false;
      },
    });
    this.client.on('fatal', (err: unknown) => this.fail(err));
    this.fieldsAnnouncer = new FieldsAnnouncer({
      publish: () => this.client.publish(fieldsChangedTopic(this.name)),
      connected: () => this.client.joined && !this.closed,
      gapMs: options.fieldsChangedGap ?? 1000,
      logger: this.log,
    });
  }

  /** Registers and joins; resolves when the procedures are on the router (announcing goes on in the background). */
  async start(): Promise<void> {
    const uris = dataNodeProcedures(this.name);
    await this.client.register(uris.getFields, (inv) => this.getFields(inv));
    await this.client.register(uris.getData, (inv) => this.getData(inv));
    await this.client.subscribe(HUB.ready, () => {
      this.log.info('hub ready: announcing again');
      void this.announce();
    });
    await this.client.subscribe(HUB.subtracted, (ev) => {
      const info = ev.args[0] as { name?: unknown } | undefined;
      if (info?.name === this.name && this.client.joined && !this.closed) {
        this.log.warn('the hub dropped this node while it is alive: announcing again');
        this.announcedIn = null;
        void this.announce();
      }
    });
    this.client.onJoin(() => {
      this.announcedIn = null;
      void this.announce();
    });
    this.client.on('join', () => this.fieldsAnnouncer.joined());
    this.stopWatchingFields = this.source.onFieldsChanged?.(() => this.fieldsAnnouncer.changed()) ?? null;
    try {
      await this.client.start();
    } catch (err) {
      throw this.explain(err);
    }
  }

  /** Leaves the hub's list politely, then the router. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.aborter.abort();
    this.stopWatchingFields?.();
    this.fieldsAnnouncer.close();
    if (this.announceTimer) clearTimeout(this.announceTimer);
    const session = this.client.sessionId;
    if (session !== null && this.announcedIn === session) {
      try {
        await this.client.call(HUB.subtract, [this.name, session], undefined, { timeout: 2000, discloseMe: true });
      } catch (err) {
        this.log.debug({ err: describeError(err) }, 'could not subtract from the hub on close');
      }
    }
    await this.client.close();
    await this.source.close?.();
  }

  // ---- announcing ----

  private async announce(): Promise<void> {
    if (this.closed || this.announcing) return;
    const session = this.client.sessionId;
    if (session === null) return;
    this.announcing = true;
    if (this.announceTimer) clearTimeout(this.announceTimer);
    this.announceTimer = null;
    let retry = false;
    try {
      const reply = await this.client.call(HUB.add, [this.name, this.source.description, session], undefined, { discloseMe: true, timeout: 10_000 });
      if (reply.args[0] === true) {
        this.grace.reset();
        if (this.announcedIn !== session) {
          this.announcedIn = session;
          this.log.info({ session }, 'announced to the hub');
          this.emit('announced', session);
        }
      } else if (this.nameConflict('the hub lists another session under this name')) {
        this.fail(new NameTakenError(`data node name '${this.name}' is taken: another live session serves it`));
      } else {
        retry = true;
      }
    } catch (err) {
      if (err instanceof NotConnectedError) return; // the next session announces
      const noHub = err instanceof WampError && err.uri === 'wamp.error.no_such_procedure';
      this.log[noHub ? 'info' : 'warn']({ err: describeError(err) }, noHub ? 'no hub yet: waiting for it' : 'cannot announce to the hub');
      retry = true;
    } finally {
      this.announcing = false;
    }
    if (retry && !this.closed) {
      this.announceTimer = setTimeout(() => void this.announce(), this.options.announceRetry ?? 5000);
      this.announceTimer.unref();
    }
  }

  /** Records a name conflict; true when it is final. */
  private nameConflict(why: string): boolean {
    const final = this.grace.conflict();
    this.log[final ? 'error' : 'warn']({ why }, final ? 'data node name is taken: giving up' : 'data node name is taken: retrying');
    return final;
  }

  /** The router refusing our procedures means the name is taken. */
  private explain(err: unknown): unknown {
    return err instanceof WampError && err.uri === 'wamp.error.procedure_already_exists'
      ? new NameTakenError(`data node name '${this.name}' is taken: the router already has ${dataNodeProcedures(this.name).getFields}`)
      : err;
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    const error = this.explain(err);
    void this.close().finally(() => this.emit('fatal', error));
  }

  // ---- the two procedures ----

  private async getFields({ args, kwargs }: Invocation): Promise<{ args: unknown[] }> {
    return this.serve('get_fields', () => answerGetFields(this.source, { args, kwargs }));
  }

  private async getData({ args, kwargs, signal }: Invocation): Promise<{ args: unknown[] }> {
    // the source stops when this call is given up (canceled, timed out, caller gone) or the node closes
    const stop = AbortSignal.any([this.aborter.signal, signal]);
    return this.serve(
      'get_data',
      () => answerGetData(this.source, { args, kwargs }, { maxPoints: this.options.maxPoints ?? null, method: this.options.downsample ?? 'm4', signal: stop }),
      stop,
    );
  }

  /** Runs one request: the reply as the one positional result, errors logged and sent with a clear URI. */
  private async serve(procedure: string, work: () => Promise<unknown>, signal?: AbortSignal): Promise<{ args: unknown[] }> {
    const began = performance.now();
    try {
      const reply = await work();
      this.log.debug({ procedure, ms: Math.round(performance.now() - began) }, 'served');
      return { args: [reply] };
    } catch (err) {
      // given up by the caller or the router: not a failure of this node (the client layer answers wamp.error.canceled)
      if (signal?.aborted) throw err;
      if (err instanceof InvalidArgumentError) {
        this.log.warn({ procedure, err: err.message }, 'refused a request with bad arguments');
        throw err;
      }
      if (err instanceof WampError) throw err;
      const message = err instanceof SourceContractError ? err.message : `${this.name} ${procedure} failed: ${describeError(err)}`;
      this.log.error({ procedure, err: describeError(err), stack: (err as Error)?.stack }, 'request failed');
      throw new WampError(RUNTIME_ERROR, message);
    }
  }
}
