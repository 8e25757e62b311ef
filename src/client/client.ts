// How our components talk to the router: one long-lived client that joins a
// realm, keeps trying with backoff while the router is away, and on every new
// session restores what its owner registered and subscribed, then runs the
// owner's join hooks (a data node announces itself there).
//
// Built on wampy. wampy can reconnect by itself, but at a fixed interval and
// with its own idea of what to restore; we switch that off and start a fresh
// wampy instance for every attempt, so no state of a dead session leaks into
// the next one.
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { Errors as WampyErrors, Wampy } from 'wampy';
import { MsgpackSerializer } from 'wampy/MsgpackSerializer.js';
import { CborSerializer } from 'wampy/CborSerializer.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { computeWcs, deriveKey } from '../wamp/crypto.js';
import { JsonSerializer } from './json-serializer.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { CallTimeoutError, describeError, FatalClientError, NotConnectedError, toWampError, WampError } from './errors.js';
import { webSocketClass, type TransportOptions } from './transport.js';
import { limitAnswerSize } from './size-limit.js';

/** The largest message sent by default: the sisock router's default limit. */
export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;

export type SerializerName = 'json' | 'msgpack' | 'cbor';

/** A WAMP serializer of wampy's shape (`protocol` names the `wamp.2.<protocol>` subprotocol). */
export interface CustomSerializer {
  protocol: string;
  isBinary: boolean;
  encode(data: unknown): string | ArrayBuffer | Uint8Array;
  decode(data: string | ArrayBuffer | Uint8Array): unknown;
}

export type Auth =
  | { method: 'anonymous' }
  | { method: 'wampcra'; authid: string; secret: string }
  | { method: 'ticket'; authid: string; ticket: string };

export interface ClientOptions {
  /** ws:// or wss:// URL of the router, e.g. wss://127.0.0.1:8080/ws */
  url: string;
  realm: string;
  /** default anonymous */
  auth?: Auth;
  /** PEM certificate(s) of the CA to trust for wss:// (the site's own CA) */
  ca?: TransportOptions['ca'];
  /**
   * default json (the contract's baseline); or a serializer object of
   * wampy's shape, e.g. one that writes floats as floats for Python peers
   */
  serializer?: SerializerName | CustomSerializer;
  /**
   * What binary serializers' integers beyond 2^53 become in what the client
   * hands out: 'bigint' (default, exact) or 'number' (rounded, as JSON
   * gives them: for consumers that write JSON, such as the HTTP bridge).
   * Smaller ones are always numbers.
   */
  largeIntegers?: 'bigint' | 'number';
  /** reconnection delays; false: give up when the connection is lost or cannot be made */
  reconnect?: Partial<BackoffOptions> | false;
  /** ms allowed for one connection attempt up to WELCOME (default 10000) */
  connectTimeout?: number;
  /** largest message accepted, bytes (default 64 MiB) */
  maxPayload?: number;
  /**
   * largest message sent, bytes (default 64 MiB, the sisock router's
   * limit): an answer to a call over it becomes ERROR
   * `wamp.error.payload_size_exceeded` for that call, so the router does
   * not close the connection
   */
  maxMessageSize?: number;
  logger?: Logger;
  /**
   * Which errors of a session's setup (restoring, join hooks) stop the client
   * instead of retrying. FatalClientError always does.
   */
  isFatal?: (err: unknown) => boolean;
}

export interface InvocationDetails {
  /** the caller's session id, when the router discloses it */
  caller?: number;
  caller_authid?: string;
  caller_authrole?: string;
  /** the procedure called (pattern-based registrations) */
  procedure?: string;
  [key: string]: unknown;
}

export interface Invocation {
  args: unknown[];
  kwargs: Record<string, unknown>;
  details: InvocationDetails;
  /**
   * Aborted when the call is given up: the caller canceled it, it timed
   * out, the caller left (the router sends INTERRUPT), or this session
   * ended. A handler that stops its work then is answered with
   * wamp.error.canceled, and nothing is logged as a failure.
   */
  signal: AbortSignal;
}

export interface CallResult {
  args: unknown[];
  kwargs: Record<string, unknown>;
}

/** What a handler returns: positional and keyword results, or nothing. */
export type HandlerResult = { args?: unknown[]; kwargs?: Record<string, unknown> } | void | null | undefined;

export type ProcedureHandler = (invocation: Invocation) => HandlerResult | Promise<HandlerResult>;

export interface EventInfo {
  args: unknown[];
  kwargs: Record<string, unknown>;
  details: { topic?: string; publisher?: number; [key: string]: unknown };
}

export type EventHandler = (event: EventInfo) => void | Promise<void>;

export interface RegisterOptions {
  match?: 'exact' | 'prefix' | 'wildcard';
  invoke?: 'single' | 'roundrobin' | 'random' | 'first' | 'last';
}

export interface SubscribeOptions {
  match?: 'exact' | 'prefix' | 'wildcard';
  /**
   * A subscription the owner can do without (an extension a router may not
   * allow): a refusal is logged, and it is tried again on the next session,
   * instead of failing the call or the session.
   */
  optional?: boolean;
}

export interface CallOptions {
  /** ms to wait for the result; 0 or unset: no limit */
  timeout?: number;
  /** ask the router to tell the callee who calls */
  discloseMe?: boolean;
  /** cancels the call (WAMP CANCEL, mode killnowait) and rejects with wamp.error.canceled */
  signal?: AbortSignal;
  /**
   * 'text': long lists of numbers in the result come as JsonNumberList,
   * their JSON text unparsed, for a caller that writes them out as JSON
   * again. Only on a session that speaks JSON (the default serializer);
   * on others they come as arrays, as without this option.
   */
  numberLists?: 'text';
}

export interface PublishOptions {
  /** do not deliver to this session's own subscriptions (default true, as WAMP) */
  excludeMe?: boolean;
}

/** Runs on every new session, after registrations and subscriptions are restored. */
export type JoinHook = (session: { sessionId: number }) => void | Promise<void>;

/** wampy types its socket constructor as the browser's; ours is `ws`, which it drives the same way. */
type WampyWebSocket = NonNullable<NonNullable<ConstructorParameters<typeof Wampy>[1]>['ws']>;

type State = 'idle' | 'connecting' | 'joined' | 'waiting' | 'closed';

interface Registration {
  handler: ProcedureHandler;
  options: RegisterOptions;
}

interface Subscription {
  uri: string;
  handler: EventHandler;
  options: SubscribeOptions;
}

const SERIALIZERS = {
  json: () => new JsonSerializer(),
  msgpack: () => new MsgpackSerializer(),
  cbor: () => new CborSerializer(),
} as const;

/**
 * msgpack and CBOR carry 64-bit integers (WAMP ids above 2^32, and any large
 * int a Python peer sends, such as a session_id argument), which their
 * decoders return as bigint. Within the safe range we hand out plain numbers.
 */
function plainNumbers<T>(value: T, largeAsNumber: boolean): T {
  if (typeof value === 'bigint') {
    return (largeAsNumber || (value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)) ? Number(value) : value) as T;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'bigint' || (v !== null && typeof v === 'object')) value[i] = plainNumbers(v, largeAsNumber);
    }
    return value;
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (typeof v === 'bigint' || (v !== null && typeof v === 'object')) o[k] = plainNumbers(v, largeAsNumber);
    }
  }
  return value;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** A pattern URI: components separated by dots, any of them empty (wildcard), no blanks or '#'. */
const PATTERN_URI = /^[^\s#]+$/;

/**
 * wampy's URI check refuses patterns whose last component is empty, such as
 * the OCS aggregator's wildcard `observatory..feeds.` or the prefix
 * `observatory.`; both are valid WAMP (the router checks every URI anyway).
 * Pattern URIs get a looser check here; exact URIs keep wampy's.
 */
function allowEmptyPatternComponents(w: Wampy): void {
  type Validate = (uri: string, isPatternBased: boolean, isWampAllowed: boolean) => boolean;
  const internals = w as unknown as { _validateURI?: Validate };
  const original = internals._validateURI;
  if (typeof original !== 'function') return; // a wampy without this hook: nothing to loosen
  internals._validateURI = (uri, isPatternBased, isWampAllowed) =>
    isPatternBased ? PATTERN_URI.test(uri) && (isWampAllowed || !uri.startsWith('wamp.')) : original.call(w, uri, isPatternBased, isWampAllowed);
}

/** WAMP message codes the client watches for beside wampy. */
const INVOCATION = 68;
const INTERRUPT = 69;
const RESULT = 50;

/** What the client needs of one wampy instance to support call canceling as a callee. */
interface InterruptHooks {
  /** an INVOCATION arrived (wampy hands it to the handler right after, synchronously) */
  invocation(requestId: number): void;
  /** the router gave up an invocation */
  interrupt(requestId: number): void;
}

/**
 * wampy (8.x) neither announces nor handles INTERRUPT: a router then
 * never tells our callees that a call was canceled or timed out, and their
 * work goes on for nobody. This announces the callee feature call_canceling
 * and takes INTERRUPT messages out of wampy's way (as a RESULT for no call,
 * which wampy drops). A wampy without these internals is left as it is,
 * without the feature.
 */
function supportCallCanceling(w: Wampy, hooks: InterruptHooks): void {
  type Message = unknown[];
  const internals = w as unknown as {
    _decode?: (data: unknown) => unknown;
    _wamp_features?: { roles?: { callee?: { features?: Record<string, unknown> } } };
  };
  const decode = internals._decode;
  const features = internals._wamp_features?.roles?.callee?.features;
  if (typeof decode !== 'function' || !features) return;
  features.call_canceling = true;
  internals._decode = (data: unknown): unknown => {
    const message = decode.call(w, data);
    if (Array.isArray(message)) {
      const [type, requestId] = message as Message;
      if (type === INVOCATION && typeof requestId === 'number') hooks.invocation(requestId);
      else if (type === INTERRUPT) {
        if (typeof requestId === 'number') hooks.interrupt(requestId);
        return [RESULT, -1, {}];
      }
    }
    return message;
  };
}

/**
 * One client connection to a router. Events: `join` (sessionId) when a
 * session is ready, `leave` (reason) when it is lost, `fatal` (error) when
 * the client gives up.
 */
export class WampClient extends EventEmitter {
  readonly url: string;
  readonly realm: string;
  private readonly options: ClientOptions;
  private readonly log: Logger;
  private readonly backoff: BackoffOptions | null;
  /** a binary serializer, whose decoder may hand out bigint ids */
  private readonly binary: boolean;
  /** integers beyond 2^53 from a binary serializer as numbers */
  private readonly largeAsNumber: boolean;
  private readonly registrations = new Map<string, Registration>();
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly joinHooks: JoinHook[] = [];
  private state: State = 'idle';
  /** bumped whenever a session attempt ends: callbacks of older attempts are ignored */
  private generation = 0;
  private wampy: Wampy | null = null;
  /** the current connection's serializer when it is ours for JSON (it can keep number lists as text) */
  private jsonSerializer: JsonSerializer | null = null;
  private socket: WebSocket | null = null;
  /** registrations and subscriptions made in the current session */
  private live = { registrations: new Set<string>(), subscriptions: new Set<string>() };
  private attempt = 0;
  private everJoined = false;
  private retryTimer: NodeJS.Timeout | null = null;
  /** invocations of the current session being served, by request id */
  private invocations = new Map<number, AbortController>();
  /** the request id of the INVOCATION wampy is handing to a handler */
  private arrivingInvocation: number | undefined;
  private firstJoin: { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void };

  constructor(options: ClientOptions) {
    super();
    this.options = options;
    this.url = options.url;
    this.realm = options.realm;
    this.log = (options.logger ?? silentLogger).child({ url: options.url, realm: options.realm });
    this.backoff = options.reconnect === false ? null : { ...DEFAULT_BACKOFF, ...options.reconnect };
    this.binary = (options.serializer ?? 'json') !== 'json';
    this.largeAsNumber = options.largeIntegers === 'number';
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {}); // start() hands it out; unobserved rejections must not crash
    this.firstJoin = { promise, resolve, reject };
  }

  /** The current session's id (also while its join hooks run), or null without a session. */
  get sessionId(): number | null {
    const id = this.state === 'joined' || this.state === 'connecting' ? (this.wampy?.getSessionId() ?? null) : null;
    return id === null ? null : Number(id);
  }

  get joined(): boolean {
    return this.state === 'joined';
  }

  /**
   * Connects; resolves once the first session has joined and is set up.
   * Rejects on a fatal setup error, or when reconnecting is off and the first
   * attempt fails.
   */
  start(): Promise<void> {
    if (this.state === 'idle') void this.connect();
    return this.firstJoin.promise;
  }

  /** Says GOODBYE and stops reconnecting. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.generation++;
    this.abortInvocations(new NotConnectedError('client closed'));
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.firstJoin.reject(new NotConnectedError('client closed'));
    const w = this.wampy;
    const socket = this.socket;
    this.wampy = null;
    this.jsonSerializer = null;
    this.socket = null;
    if (w?.getSessionId()) {
      await Promise.race([w.disconnect().catch(() => {}), delay(1000)]);
    }
    if (socket && socket.readyState !== socket.CLOSED) socket.terminate();
  }

  /** Runs `hook` on every new session, after restoring; a throw ends that session (retried unless fatal). */
  onJoin(hook: JoinHook): void {
    this.joinHooks.push(hook);
  }

  /**
   * Registers a procedure now (when joined) and again on every later
   * session. Rejects with the router's error if the registration is refused
   * now; it is then forgotten.
   */
  async register(uri: string, handler: ProcedureHandler, options: RegisterOptions = {}): Promise<void> {
    if (this.registrations.has(uri)) throw new Error(`${uri} is already registered by this client`);
    this.registrations.set(uri, { handler, options });
    const w = this.currentSession();
    if (w && !this.live.registrations.has(uri)) {
      try {
        await this.registerOn(w, uri);
      } catch (err) {
        this.registrations.delete(uri);
        throw toWampError(err);
      }
    }
  }

  /** Subscribes now (when joined) and again on every later session. */
  async subscribe(uri: string, handler: EventHandler, options: SubscribeOptions = {}): Promise<void> {
    const key = `${options.match ?? 'exact'} ${uri}`;
    if (this.subscriptions.has(key)) throw new Error(`${uri} is already subscribed by this client`);
    this.subscriptions.set(key, { uri, handler, options });
    const w = this.currentSession();
    if (w && !this.live.subscriptions.has(key)) {
      try {
        await this.subscribeOn(w, key);
      } catch (err) {
        if (options.optional) return; // logged; tried again on the next session
        this.subscriptions.delete(key);
        throw toWampError(err);
      }
    }
  }

  /** Calls a procedure. Throws NotConnectedError without a session, WampError for errors sent back. */
  async call(uri: string, args: unknown[] = [], kwargs?: Record<string, unknown>, options: CallOptions = {}): Promise<CallResult> {
    const w = this.currentSession();
    if (!w) throw new NotConnectedError(`not connected to ${this.url}: cannot call ${uri}`);
    const payload = { argsList: args, ...(kwargs && Object.keys(kwargs).length > 0 ? { argsDict: kwargs } : {}) };
    if (options.signal?.aborted) throw new WampError('wamp.error.canceled', `call to ${uri} canceled`);
    const json = options.numberLists === 'text' ? this.jsonSerializer : null;
    const pending = w.call(uri, payload, options.discloseMe ? { disclose_me: true } : {});
    const reqId = w.getOpStatus().reqId;
    json?.keepNumberListsOf(reqId);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const limits: Promise<never>[] = [];
    if (options.timeout) {
      limits.push(
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new CallTimeoutError(uri, options.timeout!)), options.timeout);
        }),
      );
    }
    if (options.signal) {
      const signal = options.signal;
      limits.push(
        new Promise<never>((_, reject) => {
          onAbort = () => reject(new WampError('wamp.error.canceled', `call to ${uri} canceled`));
          signal.addEventListener('abort', onAbort, { once: true });
        }),
      );
    }
    try {
      const result = limits.length > 0 ? await Promise.race([pending, ...limits]) : await pending;
      const reply = { args: result.argsList ?? [], kwargs: result.argsDict ?? {} };
      return this.binary ? plainNumbers(reply, this.largeAsNumber) : reply;
    } catch (err) {
      if (err instanceof CallTimeoutError || (err instanceof WampError && err.uri === 'wamp.error.canceled' && options.signal?.aborted)) {
        pending.catch(() => {});
        try {
          w.cancel(reqId, { mode: 'killnowait' });
        } catch {
          // the router may not support canceling; the late answer is ignored
        }
      }
      throw this.connectionLost(err, `the call to ${uri}`);
    } finally {
      json?.forget(reqId);
      if (timer) clearTimeout(timer);
      if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Publishes an event (acknowledged by the router). */
  async publish(uri: string, args: unknown[] = [], kwargs?: Record<string, unknown>, options: PublishOptions = {}): Promise<void> {
    const w = this.currentSession();
    if (!w) throw new NotConnectedError(`not connected to ${this.url}: cannot publish ${uri}`);
    const payload = { argsList: args, ...(kwargs && Object.keys(kwargs).length > 0 ? { argsDict: kwargs } : {}) };
    try {
      await w.publish(uri, payload, options.excludeMe === false ? { exclude_me: false } : {});
    } catch (err) {
      throw this.connectionLost(err, `publishing ${uri}`);
    }
  }

  /** wampy fails what is in flight when the connection drops: that is a NotConnectedError, as before the call. */
  private connectionLost(err: unknown, during: string): unknown {
    if (err instanceof WampyErrors.WebsocketError) return new NotConnectedError(`lost the connection to ${this.url} during ${during}`);
    return toWampError(err);
  }

  // ---- session lifecycle ----

  private currentSession(): Wampy | null {
    const w = this.wampy;
    return (this.state === 'joined' || this.state === 'connecting') && w && w.getSessionId() ? w : null;
  }

  private authOptions(): Record<string, unknown> {
    const auth = this.options.auth ?? { method: 'anonymous' };
    switch (auth.method) {
      case 'anonymous':
        return {};
      case 'wampcra': {
        const derived = new Map<string, string>();
        return {
          authid: auth.authid,
          authmethods: ['wampcra'],
          // Synchronous on purpose: wampy sends the answer after awaiting this,
          // on a socket it forgets when the connection closes meanwhile, and
          // then throws where nobody catches it (the process dies). A
          // synchronous answer leaves no room for the close in between.
          onChallenge: (method: string, extra: Record<string, unknown>) => {
            if (method !== 'wampcra') throw new Error(`router asked for ${method}, we offered wampcra`);
            const e = extra as { challenge?: unknown; salt?: unknown; iterations?: unknown; keylen?: unknown };
            if (typeof e.challenge !== 'string') throw new Error('WAMP-CRA challenge without a challenge string');
            let key = auth.secret;
            if (typeof e.salt === 'string' && e.salt !== '') {
              const iterations = typeof e.iterations === 'number' ? e.iterations : undefined;
              const keylen = typeof e.keylen === 'number' ? e.keylen : undefined;
              const id = `${e.salt}\u0000${iterations}\u0000${keylen}`;
              key = derived.get(id) ?? deriveKey(auth.secret, e.salt, iterations, keylen);
              derived.set(id, key);
            }
            return computeWcs(key, e.challenge);
          },
        };
      }
      case 'ticket':
        return {
          authid: auth.authid,
          authmethods: ['ticket'],
          onChallenge: (method: string) => {
            if (method !== 'ticket') throw new Error(`router asked for ${method}, we offered ticket`);
            return auth.ticket;
          },
        };
    }
  }

  private async connect(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'connecting';
    const generation = ++this.generation;
    this.live = { registrations: new Set(), subscriptions: new Set() };
    // wampy reports a refused or failed connection as a bare close; keep the socket's own reason.
    let transportError: Error | undefined;
    const own = typeof this.options.serializer === 'object' ? this.options.serializer : SERIALIZERS[this.options.serializer ?? 'json']();
    const limit = this.options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    const serializer = limitAnswerSize(own, limit, (o) =>
      this.log[o.replaced ? 'warn' : 'error'](
        { type: o.type, requestId: o.requestId, bytes: o.bytes, limit },
        o.replaced ? 'an answer was too large for the router: the caller gets payload_size_exceeded' : 'a message too large for the router: it will close the connection',
      ),
    );
    const WebSocketClass = webSocketClass(
      {
        ca: this.options.ca,
        maxPayload: this.options.maxPayload,
        handshakeTimeout: this.options.connectTimeout ?? 10_000,
        // our JSON serializer reads a kept-lists result from the bytes
        textAsBytes: own instanceof JsonSerializer,
      },
      (ws) => {
        ws.on('error', (err) => (transportError ??= err));
        if (generation === this.generation) this.socket = ws;
      },
    );
    const w = new Wampy(this.url, {
      realm: this.realm,
      autoReconnect: false,
      uriValidation: 'loose', // OCS topics carry upper case and dashes
      serializer,
      ws: WebSocketClass as unknown as WampyWebSocket,
      onClose: () => this.sessionEnded(generation, transportError ?? new NotConnectedError('connection closed')),
      onError: (err: Error) => this.log.debug({ err: describeError(err) }, 'WAMP client error'),
      ...this.authOptions(),
    });
    allowEmptyPatternComponents(w);
    const invocations = (this.invocations = new Map());
    supportCallCanceling(w, {
      invocation: (id) => (this.arrivingInvocation = id),
      interrupt: (id) => invocations.get(id)?.abort(new WampError('wamp.error.canceled', 'the call was canceled')),
    });
    this.wampy = w;
    this.jsonSerializer = own instanceof JsonSerializer ? own : null;
    const timeout = setTimeout(() => {
      this.sessionEnded(generation, new Error(`no WELCOME within ${this.options.connectTimeout ?? 10_000} ms`));
    }, this.options.connectTimeout ?? 10_000);
    try {
      await w.connect();
      clearTimeout(timeout);
      if (generation !== this.generation) return;
      const sessionId = Number(w.getSessionId());
      await Promise.all([
        ...[...this.registrations.keys()].map((uri) => this.registerOn(w, uri)),
        ...[...this.subscriptions.keys()].map((key) => this.subscribeOn(w, key)),
      ]);
      for (const hook of this.joinHooks) {
        if (generation !== this.generation) return;
        await hook({ sessionId });
      }
      if (generation !== this.generation) return;
      this.state = 'joined';
      this.attempt = 0;
      this.everJoined = true;
      this.log.info({ session: sessionId }, 'joined the router');
      this.emit('join', sessionId);
      this.firstJoin.resolve();
    } catch (err) {
      clearTimeout(timeout);
      // an ABORT (e.g. wamp.error.not_authorized) becomes a WampError that says why
      this.sessionEnded(generation, transportError ?? toWampError(err));
    }
  }

  private async registerOn(w: Wampy, uri: string): Promise<void> {
    const reg = this.registrations.get(uri);
    if (!reg) return;
    this.live.registrations.add(uri);
    try {
      await w.register(uri, (data) => this.invoke(uri, reg.handler, data), { ...reg.options });
    } catch (err) {
      this.live.registrations.delete(uri);
      throw toWampError(err);
    }
  }

  private async subscribeOn(w: Wampy, key: string): Promise<void> {
    const sub = this.subscriptions.get(key);
    if (!sub) return;
    this.live.subscriptions.add(key);
    try {
      await w.subscribe(sub.uri, (data) => this.deliver(sub, data), sub.options.match ? { match: sub.options.match } : {});
    } catch (err) {
      this.live.subscriptions.delete(key);
      const error = toWampError(err);
      if (sub.options.optional && error instanceof WampError) {
        this.log.warn({ topic: sub.uri, match: sub.options.match ?? 'exact', err: describeError(error) }, 'the router refused an optional subscription; going on without it');
        return;
      }
      throw error;
    }
  }

  /** Runs a handler for one INVOCATION and shapes its outcome for wampy. */
  private async invoke(
    uri: string,
    handler: ProcedureHandler,
    data: { details: Record<string, unknown>; argsList?: unknown[]; argsDict?: Record<string, unknown> },
  ): Promise<{ argsList?: unknown[]; argsDict?: Record<string, unknown> } | null> {
    let result: HandlerResult;
    // wampy calls this synchronously after decoding the INVOCATION: the id is its own
    const id = this.arrivingInvocation;
    this.arrivingInvocation = undefined;
    const invocations = this.invocations;
    const controller = new AbortController();
    if (id !== undefined) invocations.set(id, controller);
    try {
      const invocation = { args: data.argsList ?? [], kwargs: data.argsDict ?? {}, details: data.details as InvocationDetails };
      result = await handler({ ...(this.binary ? plainNumbers(invocation, this.largeAsNumber) : invocation), signal: controller.signal });
    } catch (err) {
      // wampy turns a thrown {error, argsList, argsDict} into an ERROR message.
      if (controller.signal.aborted) {
        this.log.debug({ procedure: uri, err: describeError(err) }, 'invocation given up by the caller or the router');
        throw { error: 'wamp.error.canceled', argsList: [`the call to ${uri} was canceled`] };
      }
      if (err instanceof WampError) throw { error: err.uri, argsList: err.args, argsDict: err.kwargs };
      this.log.error({ procedure: uri, err: describeError(err), stack: (err as Error)?.stack }, 'procedure failed');
      throw { error: 'wamp.error.runtime_error', argsList: [`${uri} failed: ${describeError(err)}`] };
    } finally {
      if (id !== undefined) invocations.delete(id);
    }
    if (!result || (result.args === undefined && result.kwargs === undefined)) return null;
    return { argsList: result.args ?? [], ...(result.kwargs ? { argsDict: result.kwargs } : {}) };
  }

  private async deliver(sub: Subscription, data: { details: Record<string, unknown>; argsList?: unknown[]; argsDict?: Record<string, unknown> }): Promise<void> {
    try {
      const event = { args: data.argsList ?? [], kwargs: data.argsDict ?? {}, details: data.details as EventInfo['details'] };
      await sub.handler(this.binary ? plainNumbers(event, this.largeAsNumber) : event);
    } catch (err) {
      this.log.error({ topic: sub.uri, err: describeError(err) }, 'event handler failed');
    }
  }

  /** Invocations in flight are given up: no answer can reach their callers now. */
  private abortInvocations(reason: Error): void {
    for (const controller of this.invocations.values()) controller.abort(reason);
    this.invocations.clear();
  }

  /** The current attempt or session is over (once per generation): decide what next. */
  private sessionEnded(generation: number, err: unknown): void {
    if (generation !== this.generation || this.state === 'closed') return;
    const wasJoined = this.state === 'joined';
    this.generation++;
    this.abortInvocations(new NotConnectedError('the session ended'));
    const socket = this.socket;
    this.wampy = null;
    this.jsonSerializer = null;
    this.socket = null;
    if (socket && socket.readyState !== socket.CLOSED) socket.terminate();

    const fatal = err instanceof FatalClientError || (this.options.isFatal?.(err) ?? false);
    if (fatal) {
      this.state = 'closed';
      this.log.error({ err: describeError(err) }, 'giving up');
      this.emit('fatal', err);
      this.firstJoin.reject(err);
      return;
    }
    if (wasJoined) {
      this.log.warn({ reason: describeError(err) }, 'lost the router session');
      this.emit('leave', describeError(err));
    }
    if (!this.backoff) {
      this.state = 'closed';
      this.firstJoin.reject(err instanceof Error ? err : new NotConnectedError(describeError(err)));
      if (this.everJoined) this.emit('fatal', err);
      return;
    }
    this.state = 'waiting';
    const wait = backoffDelay(this.attempt, this.backoff);
    const level = this.attempt === 0 || this.attempt % 20 === 0 ? 'warn' : 'debug';
    if (!wasJoined) this.log[level]({ reason: describeError(err), attempt: this.attempt + 1, retryInMs: wait }, 'cannot join the router; retrying');
    this.attempt++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, wait);
  }
}
