// The broker: subscriptions and the delivery of events. A subscription is
// shared by every session subscribed to the same (topic, match policy), so
// one EVENT per subscription is encoded once per serializer and the same
// bytes go to every subscriber that speaks it.
import { MessageType, WampErrors, type Args, type Dict, type Publish, type Subscribe, type Unsubscribe } from '../wamp/messages.js';
import { Payload } from '../wamp/payload.js';
import type { Serializer } from '../wamp/serializers.js';
import { isMatchPolicy, isValidUri, type MatchPolicy } from '../wamp/uri.js';
import { describeValue } from '../wamp/validation.js';
import { freshId, randomId } from './ids.js';
import type { Realm } from './realm.js';
import type { RouterSession } from './session.js';
import { bytesOverLimit } from '../wamp/size.js';
import { UriIndex } from './uri-index.js';

export interface Subscription {
  id: number;
  uri: string;
  match: MatchPolicy;
  /** ISO time of creation (meta API) */
  created: string;
  subscribers: Set<RouterSession>;
}

/** Who published, when the publisher is disclosed. */
interface Publisher {
  session: number;
  authid: string;
  authrole: string;
}

/** Filters from PUBLISH options; undefined when the option was not given. */
interface Audience {
  excludeMe: boolean;
  exclude?: Set<number>;
  excludeAuthid?: Set<string>;
  excludeAuthrole?: Set<string>;
  eligible?: Set<number>;
  eligibleAuthid?: Set<string>;
  eligibleAuthrole?: Set<string>;
}

export class Broker {
  private readonly index = new UriIndex<Subscription>();
  readonly byId = new Map<number, Subscription>();

  constructor(private readonly realm: Realm) {}

  subscribe(session: RouterSession, msg: Subscribe): void {
    const [, requestId, options, topic] = msg;
    const match = options.match ?? 'exact';
    if (!isMatchPolicy(match)) {
      session.sendError(MessageType.SUBSCRIBE, requestId, WampErrors.invalidArgument, `unknown match policy ${describeValue(match)}`);
      return;
    }
    if (!isValidUri(topic, match)) {
      session.sendError(MessageType.SUBSCRIBE, requestId, WampErrors.invalidUri, `invalid topic URI ${describeValue(topic)}`);
      return;
    }
    if (!this.realm.authorizer.authorize(session.authrole, topic, 'subscribe').allow) {
      session.sendError(MessageType.SUBSCRIBE, requestId, WampErrors.notAuthorized, `session is not authorized to subscribe to topic ${describeValue(topic)}`);
      return;
    }
    let sub = this.index.get(topic, match);
    let created = false;
    if (sub === undefined) {
      sub = { id: freshId(this.byId), uri: topic, match, created: new Date().toISOString(), subscribers: new Set() };
      this.index.set(topic, match, sub);
      this.byId.set(sub.id, sub);
      created = true;
    }
    const isNew = !sub.subscribers.has(session);
    sub.subscribers.add(session);
    session.subscriptions.add(sub);
    session.send([MessageType.SUBSCRIBED, requestId, sub.id]);
    if (created) this.realm.meta.subscriptionCreated(session, sub);
    if (isNew) this.realm.meta.subscribed(session, sub);
  }

  unsubscribe(session: RouterSession, msg: Unsubscribe): void {
    const [, requestId, subscriptionId] = msg;
    const sub = this.byId.get(subscriptionId);
    if (sub === undefined || !sub.subscribers.has(session)) {
      session.sendError(MessageType.UNSUBSCRIBE, requestId, WampErrors.noSuchSubscription, `no subscription ${subscriptionId} for this session`);
      return;
    }
    this.detach(session, sub);
    session.send([MessageType.UNSUBSCRIBED, requestId]);
  }

  /** Removes `session` from `sub`, deleting the subscription when it was the last subscriber. */
  private detach(session: RouterSession, sub: Subscription): void {
    sub.subscribers.delete(session);
    session.subscriptions.delete(sub);
    this.realm.meta.unsubscribed(session, sub);
    if (sub.subscribers.size === 0) {
      this.index.delete(sub.uri, sub.match);
      this.byId.delete(sub.id);
      this.realm.meta.subscriptionDeleted(session, sub);
    }
  }

  /** Drops every subscription of a session that left. */
  removeSession(session: RouterSession): void {
    for (const sub of [...session.subscriptions]) this.detach(session, sub);
  }

  /** `payload`: the event's Arguments and ArgumentsKw, passed to each subscriber as they came when it reads the same format. */
  publish(session: RouterSession, msg: Publish, payload: Payload | undefined): void {
    const [, requestId, options, topic] = msg;
    const acknowledge = options.acknowledge === true;
    if (!isValidUri(topic)) {
      if (acknowledge) session.sendError(MessageType.PUBLISH, requestId, WampErrors.invalidUri, `invalid topic URI ${describeValue(topic)}`);
      return;
    }
    const decision = this.realm.authorizer.authorize(session.authrole, topic, 'publish');
    if (!decision.allow) {
      if (acknowledge) session.sendError(MessageType.PUBLISH, requestId, WampErrors.notAuthorized, `session is not authorized to publish to topic ${describeValue(topic)}`);
      return;
    }
    let audience: Audience;
    try {
      audience = readAudience(options);
    } catch (err) {
      if (acknowledge) session.sendError(MessageType.PUBLISH, requestId, WampErrors.invalidArgument, (err as Error).message);
      return;
    }
    const disclose = decision.disclose || options.disclose_me === true;
    const publisher = disclose ? { session: session.id, authid: session.authid, authrole: session.authrole } : undefined;
    const publicationId = this.deliver(topic, payload, publisher, audience, session);
    if (acknowledge) session.send([MessageType.PUBLISHED, requestId, publicationId]);
  }

  /** Publishes from the router itself (meta events); subscribers were authorized when they subscribed. */
  publishInternal(topic: string, args?: Args, kwargs?: Dict): void {
    if (this.index.size === 0) return;
    this.deliver(topic, Payload.of(args, kwargs), undefined, { excludeMe: false }, undefined);
  }

  private deliver(
    topic: string,
    payload: Payload | undefined,
    publisher: Publisher | undefined,
    audience: Audience,
    from: RouterSession | undefined,
  ): number {
    const publicationId = randomId();
    const subs = this.index.matchAll(topic);
    const tooLarge: number[] = [];
    for (const sub of subs) {
      const details: Dict = {};
      if (publisher !== undefined) {
        details.publisher = publisher.session;
        details.publisher_authid = publisher.authid;
        details.publisher_authrole = publisher.authrole;
      }
      if (sub.match !== 'exact') details.topic = topic;
      const event: unknown[] = [MessageType.EVENT, sub.id, publicationId, details];
      // one encoding per serializer in use among this subscription's subscribers
      let encoded: Map<Serializer, Buffer | null> | undefined;
      let firstSerializer: Serializer | undefined;
      let firstBytes: Buffer | null = null;
      for (const s of sub.subscribers) {
        if (s === from && audience.excludeMe) continue;
        if (!admits(audience, s)) continue;
        const ser = s.serializer;
        let bytes: Buffer | null | undefined;
        if (ser === firstSerializer) bytes = firstBytes;
        else if (firstSerializer === undefined) {
          firstSerializer = ser;
          bytes = firstBytes = this.encodeOnce(ser, topic, event, payload);
        } else {
          encoded ??= new Map();
          bytes = encoded.get(ser);
          if (bytes === undefined) {
            bytes = this.encodeOnce(ser, topic, event, payload);
            encoded.set(ser, bytes);
          }
        }
        if (bytes === null) continue;
        // a peer closes its connection on a message over its limit: it misses this one instead
        if (bytesOverLimit(bytes, s.connection.maxMessageSize) !== 0) {
          tooLarge.push(s.id);
          continue;
        }
        s.sendPayload(bytes);
      }
    }
    if (tooLarge.length > 0) {
      this.realm.log.warn({ topic, sessions: tooLarge }, "an event larger than its subscribers' transports take: they miss it");
    }
    return publicationId;
  }

  /**
   * Encodes an event for many receivers: text goes out as bytes, so the
   * socket layer does not convert it again for each one. null (logged) when
   * the payload cannot be given in this serializer: its subscribers miss it.
   */
  private encodeOnce(serializer: Serializer, topic: string, event: unknown[], payload: Payload | undefined): Buffer | null {
    let encoded: string | Buffer;
    try {
      encoded = serializer.encode(event, payload);
    } catch (err) {
      this.realm.log.warn({ err, topic, protocol: serializer.protocol }, 'cannot encode an event for this serializer: its subscribers miss it');
      return null;
    }
    return typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : encoded;
  }

  // --- meta API queries ---

  list(): { exact: number[]; prefix: number[]; wildcard: number[] } {
    const ids = (m: MatchPolicy): number[] => [...this.index.entries(m)].map((s) => s.id);
    return { exact: ids('exact'), prefix: ids('prefix'), wildcard: ids('wildcard') };
  }

  lookup(topic: string, match: MatchPolicy): Subscription | undefined {
    return this.index.get(topic, match);
  }

  match(topic: string): Subscription[] {
    return this.index.matchAll(topic);
  }
}

function idSet(options: Dict, key: string): Set<number> | undefined {
  const v = options[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' || typeof x === 'bigint')) {
    throw new Error(`option '${key}' must be a list of session ids`);
  }
  return new Set(v.map(Number));
}

function stringSet(options: Dict, key: string): Set<string> | undefined {
  const v = options[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`option '${key}' must be a list of strings`);
  return new Set(v as string[]);
}

function readAudience(options: Dict): Audience {
  const audience: Audience = { excludeMe: options.exclude_me !== false };
  // the common case has no filters: skip building sets
  if (
    options.exclude === undefined &&
    options.eligible === undefined &&
    options.exclude_authid === undefined &&
    options.exclude_authrole === undefined &&
    options.eligible_authid === undefined &&
    options.eligible_authrole === undefined
  ) {
    return audience;
  }
  const exclude = idSet(options, 'exclude');
  const eligible = idSet(options, 'eligible');
  const excludeAuthid = stringSet(options, 'exclude_authid');
  const excludeAuthrole = stringSet(options, 'exclude_authrole');
  const eligibleAuthid = stringSet(options, 'eligible_authid');
  const eligibleAuthrole = stringSet(options, 'eligible_authrole');
  if (exclude) audience.exclude = exclude;
  if (eligible) audience.eligible = eligible;
  if (excludeAuthid) audience.excludeAuthid = excludeAuthid;
  if (excludeAuthrole) audience.excludeAuthrole = excludeAuthrole;
  if (eligibleAuthid) audience.eligibleAuthid = eligibleAuthid;
  if (eligibleAuthrole) audience.eligibleAuthrole = eligibleAuthrole;
  return audience;
}

function admits(a: Audience, s: RouterSession): boolean {
  if (a.exclude?.has(s.id)) return false;
  if (a.excludeAuthid?.has(s.authid)) return false;
  if (a.excludeAuthrole?.has(s.authrole)) return false;
  if (a.eligible && !a.eligible.has(s.id)) return false;
  if (a.eligibleAuthid && !a.eligibleAuthid.has(s.authid)) return false;
  if (a.eligibleAuthrole && !a.eligibleAuthrole.has(s.authrole)) return false;
  return true;
}
