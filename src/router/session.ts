// One WAMP session on one connection: the opening handshake (HELLO,
// CHALLENGE/AUTHENTICATE, WELCOME or ABORT), then the dispatch of each
// message to the realm's broker or dealer, then GOODBYE. Any message out of
// place or malformed aborts this session only, with a log line.
import { isUtf8 } from 'node:buffer';
import type { Logger } from 'pino';
import {
  MessageType,
  WampErrors,
  type Authenticate,
  type Dict,
  type Hello,
  type WampMessage,
  messageName,
} from '../wamp/messages.js';
import { ProtocolViolation, describeValue, isDict, validateMessage } from '../wamp/validation.js';
import { isValidUri } from '../wamp/uri.js';
import { Payload } from '../wamp/payload.js';
import type { IncomingMessage, Serializer } from '../wamp/serializers.js';
import type { AuthMethod, Challenge, Identity } from './auth/index.js';
import type { Subscription } from './broker.js';
import type { RouterLimits, WebSocketOptions } from './config.js';
import type { Connection } from './connection.js';
import { bytesOverLimit } from '../wamp/size.js';
import type { PendingCall, Registration } from './dealer.js';
import type { Realm } from './realm.js';

/** What a session needs from the router that created it. */
export interface SessionHost {
  readonly log: Logger;
  readonly limits: RouterLimits;
  realm(name: string): Realm | undefined;
  /** a fresh random session id, unique in the router */
  allocateSessionId(): number;
  releaseSessionId(id: number): void;
}

/** Per-service settings: which auth methods are accepted, and the WebSocket options. */
export interface ServiceContext {
  authMethods: ReadonlyMap<string, AuthMethod>;
  options: Required<WebSocketOptions>;
}

/** Roles and features the router announces in WELCOME: what it really implements. */
export const ROUTER_ROLES: Dict = {
  broker: {
    features: {
      publisher_identification: true,
      publisher_exclusion: true,
      subscriber_blackwhite_listing: true,
      pattern_based_subscription: true,
      session_meta_api: true,
      subscription_meta_api: true,
    },
  },
  dealer: {
    features: {
      caller_identification: true,
      progressive_call_results: true,
      call_canceling: true,
      call_timeout: true,
      pattern_based_registration: true,
      shared_registration: true,
      session_meta_api: true,
      registration_meta_api: true,
    },
  },
};

type State = 'opening' | 'challenging' | 'established' | 'closing' | 'closed';

const MAX_REQUEST_ID = 2 ** 53;

export class RouterSession {
  /** 0 until a HELLO assigns one */
  id = 0;
  state: State = 'opening';
  realm: Realm | undefined;
  authid = '';
  authrole = '';
  authmethod = '';
  authprovider = '';
  /** the client (as callee) understands INTERRUPT */
  supportsCallCanceling = false;
  /** the client (as callee) can send progressive YIELDs */
  supportsProgressiveResults = false;
  readonly subscriptions = new Set<Subscription>();
  readonly registrations = new Set<Registration>();
  /** calls this session serves, by invocation id */
  readonly invocations = new Map<number, PendingCall>();
  /** calls this session made, by its request id */
  readonly calls = new Map<number, PendingCall>();
  readonly serializer: Serializer;
  private requestCounter = 0;
  /** whether this.id is reserved in the router and must be given back */
  private holdsId = false;
  private challenge: { step: Challenge; realm: Realm } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: SessionHost,
    readonly connection: Connection,
    private readonly service: ServiceContext,
  ) {
    this.serializer = connection.serializer;
    this.armHandshakeTimer();
  }

  private get log(): Logger {
    return this.host.log;
  }

  /** A WebSocket message arrived (`binaryFrame`: in a binary frame). */
  receive(data: Buffer, binaryFrame = this.serializer.binary): void {
    if (this.state === 'closed') return;
    let messages: IncomingMessage[];
    try {
      // payloads pass through as bytes: a text one must then be UTF-8, which WebSocket checks for text frames only
      if (binaryFrame && !this.serializer.binary && !isUtf8(data)) throw new ProtocolViolation('a binary frame that is not UTF-8 text on a JSON session');
      messages = this.serializer.decodeIncoming(data);
    } catch (err) {
      this.protocolViolation((err as Error).message);
      return;
    }
    this.receiveDecoded(messages);
  }

  /** Messages of one frame, decoded (by receive, or by a router part that decoded them itself). */
  receiveDecoded(messages: readonly IncomingMessage[]): void {
    for (const { message, payload } of messages) {
      // a previous message of a batch may have ended the session
      if ((this.state as State) === 'closed') return;
      let msg: WampMessage;
      try {
        msg = validateMessage(message, payload?.count);
      } catch (err) {
        this.protocolViolation((err as Error).message);
        return;
      }
      try {
        this.dispatch(msg, payload);
      } catch (err) {
        if (err instanceof ProtocolViolation) {
          this.protocolViolation(err.message);
          return;
        }
        // a bug of ours: log it, end this session, keep the router running
        this.log.error({ err, session: this.id, message: messageName[msg[0]] }, 'internal error handling a message');
        this.abort('wamp.error.runtime_error', 'internal router error');
        return;
      }
    }
  }

  /** `raw`: the payload when it was kept as bytes; otherwise it is still in `msg`. */
  private dispatch(msg: WampMessage, raw: Payload | undefined): void {
    switch (this.state) {
      case 'opening':
        if (msg[0] === MessageType.HELLO) this.onHello(msg);
        else if (msg[0] === MessageType.ABORT) this.closeConnection(1000, 'aborted');
        else throw new ProtocolViolation(`expected HELLO, got ${messageName[msg[0]]}`);
        return;
      case 'challenging':
        if (msg[0] === MessageType.AUTHENTICATE) this.onAuthenticate(msg);
        else if (msg[0] === MessageType.ABORT) this.closeConnection(1000, 'aborted');
        else throw new ProtocolViolation(`expected AUTHENTICATE, got ${messageName[msg[0]]}`);
        return;
      case 'closing':
        // the router said GOODBYE; only the peer's GOODBYE matters now
        if (msg[0] === MessageType.GOODBYE || msg[0] === MessageType.ABORT) this.closeConnection(1000, 'goodbye');
        return;
      case 'closed':
        return;
      case 'established':
        break;
    }
    const realm = this.realm!;
    switch (msg[0]) {
      case MessageType.CALL:
        realm.dealer.call(this, msg, raw ?? Payload.of(msg[4], msg[5]));
        return;
      case MessageType.YIELD:
        realm.dealer.yield(this, msg, raw ?? Payload.of(msg[3], msg[4]));
        return;
      case MessageType.PUBLISH:
        realm.broker.publish(this, msg, raw ?? Payload.of(msg[4], msg[5]));
        return;
      case MessageType.ERROR:
        if (msg[1] !== MessageType.INVOCATION) throw new ProtocolViolation(`a client may send ERROR only for INVOCATION, not for ${messageName[msg[1]] ?? msg[1]}`);
        realm.dealer.invocationError(this, msg, raw ?? Payload.of(msg[5], msg[6]));
        return;
      case MessageType.SUBSCRIBE:
        realm.broker.subscribe(this, msg);
        return;
      case MessageType.UNSUBSCRIBE:
        realm.broker.unsubscribe(this, msg);
        return;
      case MessageType.REGISTER:
        realm.dealer.register(this, msg);
        return;
      case MessageType.UNREGISTER:
        realm.dealer.unregister(this, msg);
        return;
      case MessageType.CANCEL:
        realm.dealer.cancel(this, msg);
        return;
      case MessageType.GOODBYE:
        this.onGoodbye();
        return;
      case MessageType.ABORT:
        this.leaveRealm();
        this.closeConnection(1000, 'aborted');
        return;
      default:
        throw new ProtocolViolation(`${messageName[msg[0]]} is not a message a client sends to a router`);
    }
  }

  private onHello(msg: Hello): void {
    const [, realmName, details] = msg;
    if (!isValidUri(realmName)) throw new ProtocolViolation(`invalid realm URI ${describeValue(realmName)}`);
    if (!isDict(details.roles) || Object.keys(details.roles).length === 0) {
      throw new ProtocolViolation('HELLO.Details.roles must announce at least one role');
    }
    const realm = this.host.realm(realmName);
    if (realm === undefined) {
      this.abort(WampErrors.noSuchRealm, `no realm ${describeValue(realmName)} on this router`);
      return;
    }
    const offered = details.authmethods ?? ['anonymous'];
    if (!Array.isArray(offered) || !offered.every((m) => typeof m === 'string')) {
      throw new ProtocolViolation('HELLO.Details.authmethods must be a list of strings');
    }
    const authid = details.authid;
    if (authid !== undefined && authid !== null && typeof authid !== 'string') {
      throw new ProtocolViolation('HELLO.Details.authid must be a string');
    }
    this.readClientFeatures(details.roles);
    const method = (offered as string[]).map((m) => this.service.authMethods.get(m)).find((m) => m !== undefined);
    if (method === undefined) {
      this.abort(
        WampErrors.noAuthMethod,
        `none of the offered authentication methods (${(offered as string[]).join(', ') || 'none'}) is accepted here; accepted: ${[...this.service.authMethods.keys()].join(', ')}`,
      );
      return;
    }
    this.id = this.host.allocateSessionId();
    this.holdsId = true;
    const step = method.begin({ realm: realmName, ...(typeof authid === 'string' ? { authid } : {}), sessionId: this.id });
    switch (step.kind) {
      case 'deny':
        this.authFailed(step.reason, step.message, method.name, authid);
        return;
      case 'welcome':
        this.establish(realm, step.identity);
        return;
      case 'challenge':
        this.state = 'challenging';
        this.challenge = { step, realm };
        this.send([MessageType.CHALLENGE, step.method, step.extra]);
        return;
    }
  }

  private onAuthenticate(msg: Authenticate): void {
    const pending = this.challenge!;
    this.challenge = undefined;
    const outcome = pending.step.verify(msg[1]);
    if ('kind' in outcome) {
      this.authFailed(outcome.reason, outcome.message, pending.step.method, undefined);
      return;
    }
    this.establish(pending.realm, outcome);
  }

  private authFailed(reason: string, message: string, method: string, authid: unknown): void {
    this.log.info({ peer: this.connection.info.peer, authmethod: method, ...(typeof authid === 'string' ? { authid } : {}), reason, msg: message }, 'authentication refused');
    this.abort(reason, message);
  }

  private establish(realm: Realm, identity: Identity): void {
    if (!realm.authorizer.hasRole(identity.authrole)) {
      this.abort(WampErrors.noSuchRole, `role '${identity.authrole}' does not exist on realm '${realm.name}'`);
      return;
    }
    this.clearTimer();
    this.realm = realm;
    this.authid = identity.authid;
    this.authrole = identity.authrole;
    this.authmethod = identity.authmethod;
    this.authprovider = identity.authprovider;
    this.state = 'established';
    this.send([
      MessageType.WELCOME,
      this.id,
      {
        realm: realm.name,
        roles: ROUTER_ROLES,
        authid: identity.authid,
        authrole: identity.authrole,
        authmethod: identity.authmethod,
        authprovider: identity.authprovider,
      },
    ]);
    this.log.info(
      { session: this.id, realm: realm.name, authid: this.authid, authrole: this.authrole, authmethod: this.authmethod, peer: this.connection.info.peer, protocol: this.connection.info.protocol },
      'session joined',
    );
    realm.join(this);
  }

  /** Opens the session without a handshake, for sessions the router runs itself (the HTTP bridge). */
  openInternal(realm: Realm, identity: Identity): void {
    if (this.state !== 'opening') throw new Error('session already open');
    this.id = this.host.allocateSessionId();
    this.holdsId = true;
    this.establish(realm, identity);
  }

  private readClientFeatures(roles: Dict): void {
    const callee = roles.callee;
    const features = isDict(callee) && isDict(callee.features) ? callee.features : {};
    this.supportsCallCanceling = features.call_canceling === true;
    this.supportsProgressiveResults = features.progressive_call_results === true;
  }

  private onGoodbye(): void {
    this.send([MessageType.GOODBYE, {}, WampErrors.goodbyeAndOut]);
    this.leaveRealm();
    this.releaseId();
    // the transport stays open for a new HELLO, as the spec allows; the
    // handshake timer closes it if none comes
    this.state = 'opening';
    this.id = 0;
    this.armHandshakeTimer();
  }

  /** Router-initiated close (wamp.session.kill, shutdown): GOODBYE, then close once answered or after a grace time. */
  kill(reason: string, message: string): void {
    if (this.state !== 'established') {
      this.closeConnection(1001, 'router closing');
      return;
    }
    this.send([MessageType.GOODBYE, { message }, reason]);
    this.log.info({ session: this.id, reason }, 'session closed by the router');
    this.leaveRealm();
    this.state = 'closing';
    this.clearTimer();
    this.timer = setTimeout(() => this.closeConnection(1000, 'goodbye'), this.host.limits.goodbyeTimeout);
  }

  /** Ends the session with ABORT and closes the connection. */
  abort(reason: string, message: string): void {
    if (this.state === 'closed') return;
    this.send([MessageType.ABORT, { message }, reason]);
    this.leaveRealm();
    this.closeConnection(reason === WampErrors.protocolViolation ? 1002 : 1000, 'aborted');
  }

  protocolViolation(text: string): void {
    this.log.warn({ session: this.id || undefined, peer: this.connection.info.peer, state: this.state, err: text }, 'protocol violation: aborting the session');
    this.abort(WampErrors.protocolViolation, text);
  }

  /** The connection closed (either side). */
  transportClosed(): void {
    if (this.state === 'closed') return;
    this.leaveRealm();
    this.releaseId();
    this.state = 'closed';
    this.clearTimer();
  }

  private leaveRealm(): void {
    const realm = this.realm;
    if (realm === undefined) return;
    this.realm = undefined;
    const wasEstablished = this.state === 'established';
    this.state = 'closing';
    realm.leave(this);
    this.releaseId();
    if (wasEstablished) this.log.info({ session: this.id, authid: this.authid, authrole: this.authrole }, 'session left');
  }

  private releaseId(): void {
    if (this.holdsId) this.host.releaseSessionId(this.id);
    this.holdsId = false;
  }

  private closeConnection(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.leaveRealm();
    this.releaseId();
    this.state = 'closed';
    this.clearTimer();
    this.connection.close(code, reason);
  }

  private armHandshakeTimer(): void {
    this.clearTimer();
    const ms = this.service.options.openHandshakeTimeout;
    if (ms > 0) {
      this.timer = setTimeout(() => {
        this.log.info({ peer: this.connection.info.peer }, 'no WAMP session opened in time: closing the connection');
        this.closeConnection(1000, 'handshake timeout');
      }, ms);
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Next id for a request this router sends to the client (INVOCATION). */
  nextRequestId(): number {
    if (this.requestCounter >= MAX_REQUEST_ID) this.requestCounter = 0;
    return ++this.requestCounter;
  }

  /**
   * Sends a message, with `payload` (Arguments, ArgumentsKw) appended when
   * given. Returns why not when the message could not be encoded for this
   * session, or would be larger than its transport's limit (logged; the
   * peer would close the connection on such a message): the caller decides
   * what the sender of the payload hears.
   */
  send(message: unknown[], payload?: Payload): SendOutcome {
    if (this.state === 'closed') return 'sent';
    let encoded: string | Buffer;
    try {
      encoded = this.serializer.encode(message, payload);
    } catch (err) {
      this.log.warn({ err, session: this.id, message: messageName[message[0] as number] }, 'cannot encode a message for this session: dropped');
      return 'unencodable';
    }
    const bytes = bytesOverLimit(encoded, this.connection.maxMessageSize);
    if (bytes !== 0) {
      this.log.warn({ session: this.id, message: messageName[message[0] as number], bytes, limit: this.connection.maxMessageSize }, "a message larger than this session's transport takes: dropped");
      return 'too-large';
    }
    this.sendPayload(encoded);
    return 'sent';
  }

  sendError(requestType: number, requestId: number, error: string, message: string): void {
    this.send([MessageType.ERROR, requestType, requestId, {}, error, [message]]);
  }

  /** Sends an encoded message, unless this session's peer is too slow to take it. */
  sendPayload(payload: string | Buffer): void {
    if (this.state === 'closed') return;
    const queued = this.connection.bufferedAmount;
    if (queued > this.host.limits.maxQueuedBytes) {
      this.log.warn({ session: this.id, peer: this.connection.info.peer, queuedBytes: queued }, 'slow consumer: send queue over the limit, disconnecting');
      this.leaveRealm();
      this.releaseId();
      this.state = 'closed';
      this.clearTimer();
      this.connection.terminate();
      return;
    }
    this.connection.send(payload);
  }
}

/** What became of a message given to RouterSession.send. */
export type SendOutcome = 'sent' | 'unencodable' | 'too-large';

