// The hub: a WAMP client that keeps the list of data node servers, exactly
// as the contract describes (add, subtract, get_data_node, the added and
// subtracted events, removal when a node's session leaves), and fixes the
// original's weaknesses:
//  - it believes the caller's real session (caller disclosure), not the
//    session_id argument, when the router discloses it;
//  - a restarted hub rebuilds its list: it publishes `hub_ready` so our data
//    nodes announce again, and finds nodes that do not listen for it (the
//    original Python ones) through the registration meta API;
//  - a liveness probe notices nodes whose session is alive but which no
//    longer answer, and reports them (log and the status procedure).
import { WampClient, type ClientOptions, type Invocation, type InvocationDetails } from '../client/client.js';
import { ClaimGrace } from '../client/claim.js';
import { describeError, WampError } from '../client/errors.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { DataNodeInfo } from '../protocol/types.js';
import { dataNodeProcedures, HUB, URI_PREFIX, WAMP_ERRORS } from '../protocol/uris.js';
import { NodeRegistry, type NodeEntry } from './registry.js';

export interface ProbeOptions {
  /** ms between probes of every node; 0 turns the probe off */
  interval: number;
  /** ms a node has to answer a probe */
  timeout: number;
}

export interface HubOptions {
  connection: ClientOptions;
  logger?: Logger;
  /** default: every 30 s, 10 s to answer */
  probe?: Partial<ProbeOptions>;
  /**
   * Refuse add/subtract when the router does not disclose the caller. Off by
   * default so the hub works with an original Crossbar config (where
   * disclosure is off); it then trusts the session_id argument and says so.
   */
  requireCallerDisclosure?: boolean;
  /** ms to wait after `hub_ready` for announcements before discovering the rest (default 1000) */
  discoveryDelay?: number;
  /**
   * ms that a listed node whose session is gone (the router restarted, or
   * the hub's connection blipped) has to announce itself again from a new
   * session before it is dropped (default 3000): nodes back in time are
   * never shown to consumers as gone and back.
   */
  staleGrace?: number;
  /** ms to keep retrying when another hub holds the hub's procedures (default 10000) */
  claimTimeout?: number;
}

/** Description given to a node found by discovery, which did not tell its own. */
export const REDISCOVERED_DESCRIPTION = '(description unknown: found by the hub after a restart)';

const NODE_NAME = /^[^\s#]+$/;
const GET_FIELDS = new RegExp(`^${URI_PREFIX.replace(/\./g, '\\.')}\\.consumer\\.(.+)\\.get_fields$`);

/** The status procedure's reply. */
export interface HubStatus {
  hub: { session: number | null; started_at: number; probe: ProbeOptions; caller_disclosure: 'seen' | 'not seen yet' | 'missing' };
  nodes: {
    name: string;
    description: string;
    session: number;
    added_at: number;
    rediscovered: boolean;
    health: string;
    last_probe_at: number | null;
    last_probe_ms: number | null;
    last_error: string | null;
    failures: number;
  }[];
}

export class Hub {
  readonly client: WampClient;
  readonly registry = new NodeRegistry();
  private readonly log: Logger;
  private readonly probe: ProbeOptions;
  private readonly options: HubOptions;
  private readonly startedAt = Date.now();
  private readonly grace: ClaimGrace;
  private probeTimer: NodeJS.Timeout | null = null;
  private discoveryTimer: NodeJS.Timeout | null = null;
  private staleTimer: NodeJS.Timeout | null = null;
  private readonly probing = new Set<string>();
  private disclosure: 'seen' | 'not seen yet' | 'missing' = 'not seen yet';
  private closed = false;

  constructor(options: HubOptions) {
    this.options = options;
    this.log = options.logger ?? silentLogger;
    this.probe = { interval: options.probe?.interval ?? 30_000, timeout: options.probe?.timeout ?? 10_000 };
    this.grace = new ClaimGrace(options.claimTimeout ?? 10_000);
    this.client = new WampClient({
      ...options.connection,
      logger: this.log,
      isFatal: (err) => {
        if (err instanceof WampError && err.uri === 'wamp.error.procedure_already_exists') {
          const final = this.grace.conflict();
          this.log[final ? 'error' : 'warn']({ err: describeError(err) }, final ? 'another hub is serving this realm' : 'hub procedures taken; retrying');
          return final;
        }
        if (err instanceof WampError && err.uri === WAMP_ERRORS.notAuthorized) {
          // retrying cannot help: this user may not serve the hub's procedures (or read the meta API)
          this.log.error({ err: describeError(err) }, 'the router does not let this user serve the hub');
          return true;
        }
        return options.connection.isFatal?.(err) ?? false;
      },
    });
  }

  /** Connects, registers the hub's procedures, and starts the probe. */
  async start(): Promise<void> {
    await this.client.register(HUB.add, (inv) => this.onAdd(inv));
    await this.client.register(HUB.subtract, (inv) => this.onSubtract(inv));
    await this.client.register(HUB.getDataNode, () => ({ args: [this.registry.list()] }));
    await this.client.register(HUB.status, () => ({ args: [this.status()] }));
    await this.client.subscribe('wamp.session.on_leave', (ev) => this.onLeave(ev.args));
    this.client.onJoin(({ sessionId }) => this.onSession(sessionId));
    await this.client.start();
    if (this.probe.interval > 0) {
      this.probeTimer = setInterval(() => void this.probeAll(), this.probe.interval);
      this.probeTimer.unref();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.probeTimer) clearInterval(this.probeTimer);
    if (this.discoveryTimer) clearTimeout(this.discoveryTimer);
    if (this.staleTimer) clearTimeout(this.staleTimer);
    await this.client.close();
  }

  status(): HubStatus {
    return {
      hub: { session: this.client.sessionId, started_at: this.startedAt / 1000, probe: { ...this.probe }, caller_disclosure: this.disclosure },
      nodes: this.registry.entries().map((n) => ({
        name: n.name,
        description: n.description,
        session: n.session,
        added_at: n.addedAt / 1000,
        rediscovered: n.rediscovered,
        health: n.health,
        last_probe_at: n.lastProbeAt === null ? null : n.lastProbeAt / 1000,
        last_probe_ms: n.lastProbeMs,
        last_error: n.lastError,
        failures: n.failures,
      })),
    };
  }

  // ---- session start: reconcile, announce readiness, discover ----

  private async onSession(sessionId: number): Promise<void> {
    this.grace.reset();
    // After a router restart every session we knew is gone; after a blip of
    // our own connection they may all still be there. Ask. Nodes whose
    // session is gone are coming back on new sessions (they announce on
    // joining and on hub_ready): they keep their place for a grace period,
    // and only those that did not announce again by then are dropped.
    const stale: NodeEntry[] = [];
    for (const entry of this.registry.entries()) {
      if (!(await this.sessionAlive(entry.session))) stale.push(entry);
    }
    await this.client.publish(HUB.ready, []);
    this.log.info({ session: sessionId, nodes: this.registry.size, stale: stale.length }, 'hub ready');
    if (this.discoveryTimer) clearTimeout(this.discoveryTimer);
    this.discoveryTimer = setTimeout(() => void this.discover(), this.options.discoveryDelay ?? 1000);
    this.discoveryTimer.unref();
    if (this.staleTimer) clearTimeout(this.staleTimer);
    this.staleTimer = null;
    if (stale.length > 0) {
      this.staleTimer = setTimeout(() => {
        this.staleTimer = null;
        for (const entry of stale) this.drop(entry, 'its session is gone and it did not announce itself again');
        void this.discover();
      }, this.options.staleGrace ?? 3000);
      this.staleTimer.unref();
    }
  }

  /** Lists data nodes from the router's registrations: any `consumer.<N>.get_fields` we do not know yet. */
  async discover(): Promise<void> {
    if (this.closed || !this.client.joined) return;
    try {
      const listed = (await this.client.call('wamp.registration.list')).args[0] as { exact?: number[] } | undefined;
      for (const id of listed?.exact ?? []) {
        const reg = (await this.client.call('wamp.registration.get', [id])).args[0] as { uri?: string } | undefined;
        const name = reg?.uri ? GET_FIELDS.exec(reg.uri)?.[1] : undefined;
        if (name === undefined || this.registry.get(name)) continue;
        const callees = (await this.client.call('wamp.registration.list_callees', [id])).args[0];
        const session = Array.isArray(callees) && typeof callees[0] === 'number' ? callees[0] : null;
        if (session === null) continue;
        if (this.registry.add(name, REDISCOVERED_DESCRIPTION, session, { rediscovered: true }) === 'added') {
          this.log.info({ node: name, session }, 'data node found through the registration meta API');
          await this.announce(HUB.added, { name, description: REDISCOVERED_DESCRIPTION });
        }
      }
    } catch (err) {
      this.log.warn({ err: describeError(err) }, 'cannot discover data nodes through the registration meta API');
    }
  }

  // ---- the contract's procedures ----

  /** The session a call really comes from: the disclosed caller, else the argument (and we say so). */
  private callerSession(procedure: string, details: InvocationDetails, claimed: unknown): number {
    if (typeof details.caller === 'number') {
      this.disclosure = 'seen';
      if (claimed !== details.caller) {
        this.log.warn({ procedure, caller: details.caller, claimed }, 'refused: session_id is not the caller\'s session');
        throw new WampError(WAMP_ERRORS.notAuthorized, `${procedure}: session_id ${String(claimed)} is not your session (${details.caller})`);
      }
      return details.caller;
    }
    if (this.options.requireCallerDisclosure) {
      throw new WampError(WAMP_ERRORS.notAuthorized, `${procedure}: the router does not disclose the caller, so the hub cannot check who you are`);
    }
    if (this.disclosure !== 'missing') {
      this.disclosure = 'missing';
      this.log.warn({ procedure }, 'the router does not disclose callers: trusting the session_id argument (enable caller disclosure for the hub\'s procedures)');
    }
    if (typeof claimed !== 'number' || !Number.isInteger(claimed)) {
      throw new WampError(WAMP_ERRORS.invalidArgument, `${procedure}: session_id must be an integer session id, got ${JSON.stringify(claimed)}`);
    }
    return claimed;
  }

  private async onAdd({ args, details }: Invocation): Promise<{ args: [boolean] }> {
    const [name, description, sessionArg] = args;
    if (typeof name !== 'string' || !NODE_NAME.test(name)) {
      throw new WampError(WAMP_ERRORS.invalidArgument, `data_node.add: name must be a non-empty string without spaces, got ${JSON.stringify(name)}`);
    }
    if (typeof description !== 'string' && description !== null && description !== undefined) {
      throw new WampError(WAMP_ERRORS.invalidArgument, `data_node.add: description must be a string, got ${JSON.stringify(description)}`);
    }
    const session = this.callerSession('data_node.add', details, sessionArg);
    const text = description ?? '';
    let outcome = this.registry.add(name, text, session);
    let moved = false;
    if (outcome === 'taken') {
      const holder = this.registry.get(name)!;
      // The holder may be a session that died while we could not hear its
      // on_leave (a router restart): the node is back on a new session. It
      // stays listed throughout; `added` tells consumers to look at it again.
      if (!(await this.sessionAlive(holder.session)) && this.registry.get(name) === holder) {
        this.registry.remove(name);
        outcome = this.registry.add(name, text, session);
        moved = outcome === 'added';
      }
    }
    switch (outcome) {
      case 'added':
        this.log.info({ node: name, session }, moved ? 'data node announced itself again from a new session' : 'data node added');
        await this.announce(HUB.added, { name, description: text });
        return { args: [true] };
      case 'refreshed':
        this.log.debug({ node: name, session }, 'data node announced again');
        return { args: [true] };
      case 'taken':
        this.log.warn({ node: name, session, holder: this.registry.get(name)?.session }, 'refused data node: name taken');
        return { args: [false] };
    }
  }

  private async onSubtract({ args, details }: Invocation): Promise<void> {
    const [name, sessionArg] = args;
    if (typeof name !== 'string') {
      throw new WampError(WAMP_ERRORS.invalidArgument, `data_node.subtract: name must be a string, got ${JSON.stringify(name)}`);
    }
    const session = this.callerSession('data_node.subtract', details, sessionArg);
    const entry = this.registry.get(name);
    const outcome = this.registry.subtract(name, session);
    if (outcome === 'not-owner') {
      this.log.warn({ node: name, caller: session, owner: entry?.session }, 'refused subtract: the node belongs to another session');
      throw new WampError(WAMP_ERRORS.notAuthorized, `data_node.subtract: data node '${name}' belongs to another session`);
    }
    if (outcome === 'removed' && entry) {
      this.log.info({ node: name, session }, 'data node subtracted');
      await this.announce(HUB.subtracted, { name, description: entry.description });
    }
  }

  private onLeave(args: unknown[]): void {
    const session = args[0];
    if (typeof session !== 'number') return;
    for (const entry of this.registry.dropSession(session)) {
      this.log.info({ node: entry.name, session }, 'data node left (session closed)');
      void this.announce(HUB.subtracted, { name: entry.name, description: entry.description });
    }
  }

  private drop(entry: NodeEntry, why: string): void {
    // While its old session was being checked, the node may have announced
    // itself again from a new one: that entry is not the one to drop.
    if (this.registry.get(entry.name) !== entry) return;
    this.registry.remove(entry.name);
    this.log.info({ node: entry.name, session: entry.session, why }, 'data node removed');
    void this.announce(HUB.subtracted, { name: entry.name, description: entry.description });
  }

  private async announce(topic: string, info: DataNodeInfo): Promise<void> {
    try {
      await this.client.publish(topic, [info]);
    } catch (err) {
      this.log[this.closed ? 'debug' : 'warn']({ topic, node: info.name, err: describeError(err) }, 'cannot publish');
    }
  }

  /** Whether the router still has `session`; errors other than "no such session" count as alive. */
  private async sessionAlive(session: number): Promise<boolean> {
    try {
      await this.client.call('wamp.session.get', [session], undefined, { timeout: 5000 });
      return true;
    } catch (err) {
      if (err instanceof WampError && err.uri === 'wamp.error.no_such_session') return false;
      this.log.debug({ session, err: describeError(err) }, 'cannot check a session; assuming it is alive');
      return true;
    }
  }

  // ---- liveness ----

  /** Probes every node once: a get_fields call for an empty range, with a timeout. */
  async probeAll(): Promise<void> {
    if (!this.client.joined) return;
    await Promise.all(this.registry.entries().map((n) => this.probeOne(n)));
  }

  private async probeOne(entry: NodeEntry): Promise<void> {
    if (this.probing.has(entry.name)) return;
    this.probing.add(entry.name);
    const began = Date.now();
    try {
      await this.client.call(dataNodeProcedures(entry.name).getFields, [0, 0], undefined, { timeout: this.probe.timeout });
      if (entry.health === 'unresponsive') this.log.info({ node: entry.name }, 'data node answers again');
      entry.health = 'ok';
      entry.failures = 0;
      entry.lastError = null;
      entry.lastProbeMs = Date.now() - began;
    } catch (err) {
      if (this.registry.get(entry.name) !== entry) return; // it left meanwhile
      entry.failures++;
      entry.lastError = describeError(err);
      if (entry.health !== 'unresponsive') {
        this.log.warn({ node: entry.name, session: entry.session, err: entry.lastError }, 'data node does not answer its liveness probe');
      }
      entry.health = 'unresponsive';
    } finally {
      entry.lastProbeAt = Date.now();
      this.probing.delete(entry.name);
    }
  }
}
