// The WAMP meta API of a realm: events about sessions, registrations and
// subscriptions, and procedures to inspect them (wamp.session.*,
// wamp.registration.*, wamp.subscription.*). Meta events are not emitted for
// registrations and subscriptions on wamp.* URIs themselves, so watching the
// meta API does not feed back into it.
import { WampErrors, type Args, type Dict } from '../wamp/messages.js';
import { isMatchPolicy, type MatchPolicy } from '../wamp/uri.js';
import { describeValue } from '../wamp/validation.js';
import type { Registration } from './dealer.js';
import type { Subscription } from './broker.js';
import { WampError } from './errors.js';
import type { Realm } from './realm.js';
import type { RouterSession } from './session.js';

export const META_TOPICS = {
  sessionJoin: 'wamp.session.on_join',
  sessionLeave: 'wamp.session.on_leave',
  registrationCreate: 'wamp.registration.on_create',
  registrationRegister: 'wamp.registration.on_register',
  registrationUnregister: 'wamp.registration.on_unregister',
  registrationDelete: 'wamp.registration.on_delete',
  subscriptionCreate: 'wamp.subscription.on_create',
  subscriptionSubscribe: 'wamp.subscription.on_subscribe',
  subscriptionUnsubscribe: 'wamp.subscription.on_unsubscribe',
  subscriptionDelete: 'wamp.subscription.on_delete',
} as const;

const isMetaUri = (uri: string): boolean => uri.startsWith('wamp.');

function toId(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  throw new WampError(WampErrors.invalidArgument, `${what} must be an integer id`);
}

function toUri(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new WampError(WampErrors.invalidArgument, `${what} must be a URI string`);
  return v;
}

function roleFilter(v: unknown): Set<string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new WampError(WampErrors.invalidArgument, 'filter_authroles must be a list of role names');
  }
  return new Set(v as string[]);
}

function matchOption(kwargs: Dict, args: Args): MatchPolicy {
  // options come as a dict, positionally (autobahn) or as keyword arguments
  const options = (args[1] ?? kwargs.options ?? kwargs) as Dict;
  const m = options?.match ?? 'exact';
  if (!isMatchPolicy(m)) throw new WampError(WampErrors.invalidArgument, `unknown match policy ${describeValue(m)}`);
  return m;
}

export function sessionDetails(s: RouterSession): Dict {
  return {
    session: s.id,
    authid: s.authid,
    authrole: s.authrole,
    authmethod: s.authmethod,
    authprovider: s.authprovider,
    transport: { ...s.connection.info },
  };
}

function registrationDetails(r: Registration): Dict {
  return { id: r.id, created: r.created, uri: r.uri, match: r.match, invoke: r.invoke };
}

function subscriptionDetails(s: Subscription): Dict {
  return { id: s.id, created: s.created, uri: s.uri, match: s.match };
}

export class MetaApi {
  constructor(private readonly realm: Realm) {
    const d = realm.dealer.builtins;
    const sessions = realm.sessions;

    d.set('wamp.session.count', (_c, args, kwargs) => {
      const roles = roleFilter(args[0] ?? kwargs.filter_authroles);
      if (roles === undefined) return sessions.size;
      let n = 0;
      for (const s of sessions.values()) if (roles.has(s.authrole)) n++;
      return n;
    });
    d.set('wamp.session.list', (_c, args, kwargs) => {
      const roles = roleFilter(args[0] ?? kwargs.filter_authroles);
      const out: number[] = [];
      for (const s of sessions.values()) if (roles === undefined || roles.has(s.authrole)) out.push(s.id);
      return out;
    });
    d.set('wamp.session.get', (_c, args, kwargs) => {
      const id = toId(args[0] ?? kwargs.session_id, 'session id');
      const s = sessions.get(id);
      if (s === undefined) throw new WampError(WampErrors.noSuchSession, `no session with id ${id}`);
      return sessionDetails(s);
    });
    d.set('wamp.session.kill', (caller, args, kwargs) => {
      const id = toId(args[0] ?? kwargs.session_id, 'session id');
      const s = sessions.get(id);
      if (s === undefined || s === caller) throw new WampError(WampErrors.noSuchSession, `no session with id ${id} (other than the caller)`);
      s.kill(killReason(kwargs), killMessage(kwargs));
      return undefined;
    });
    const killWhere = (caller: RouterSession, kwargs: Dict, pred: (s: RouterSession) => boolean): number[] => {
      const victims = [...sessions.values()].filter((s) => s !== caller && pred(s));
      for (const s of victims) s.kill(killReason(kwargs), killMessage(kwargs));
      return victims.map((s) => s.id);
    };
    d.set('wamp.session.kill_by_authid', (caller, args, kwargs) => {
      const authid = toUri(args[0] ?? kwargs.authid, 'authid');
      return killWhere(caller, kwargs, (s) => s.authid === authid);
    });
    d.set('wamp.session.kill_by_authrole', (caller, args, kwargs) => {
      const authrole = toUri(args[0] ?? kwargs.authrole, 'authrole');
      return killWhere(caller, kwargs, (s) => s.authrole === authrole);
    });

    const dealer = realm.dealer;
    const reg = (args: Args, kwargs: Dict): Registration => {
      const id = toId(args[0] ?? kwargs.registration_id, 'registration id');
      const r = dealer.byId.get(id);
      if (r === undefined) throw new WampError(WampErrors.noSuchRegistration, `no registration with id ${id}`);
      return r;
    };
    d.set('wamp.registration.list', () => dealer.list());
    d.set('wamp.registration.lookup', (_c, args, kwargs) => dealer.lookup(toUri(args[0] ?? kwargs.procedure, 'procedure'), matchOption(kwargs, args))?.id ?? null);
    d.set('wamp.registration.match', (_c, args, kwargs) => dealer.match(toUri(args[0] ?? kwargs.procedure, 'procedure'))?.id ?? null);
    d.set('wamp.registration.get', (_c, args, kwargs) => registrationDetails(reg(args, kwargs)));
    d.set('wamp.registration.list_callees', (_c, args, kwargs) => reg(args, kwargs).callees.map((s) => s.id));
    d.set('wamp.registration.count_callees', (_c, args, kwargs) => reg(args, kwargs).callees.length);

    const broker = realm.broker;
    const sub = (args: Args, kwargs: Dict): Subscription => {
      const id = toId(args[0] ?? kwargs.subscription_id, 'subscription id');
      const s = broker.byId.get(id);
      if (s === undefined) throw new WampError(WampErrors.noSuchSubscription, `no subscription with id ${id}`);
      return s;
    };
    d.set('wamp.subscription.list', () => broker.list());
    d.set('wamp.subscription.lookup', (_c, args, kwargs) => broker.lookup(toUri(args[0] ?? kwargs.topic, 'topic'), matchOption(kwargs, args))?.id ?? null);
    d.set('wamp.subscription.match', (_c, args, kwargs) => {
      const subs = broker.match(toUri(args[0] ?? kwargs.topic, 'topic'));
      return subs.length > 0 ? subs.map((s) => s.id) : null;
    });
    d.set('wamp.subscription.get', (_c, args, kwargs) => subscriptionDetails(sub(args, kwargs)));
    d.set('wamp.subscription.list_subscribers', (_c, args, kwargs) => [...sub(args, kwargs).subscribers].map((s) => s.id));
    d.set('wamp.subscription.count_subscribers', (_c, args, kwargs) => sub(args, kwargs).subscribers.size);
  }

  private emit(topic: string, args: Args): void {
    this.realm.broker.publishInternal(topic, args);
  }

  sessionJoined(s: RouterSession): void {
    this.emit(META_TOPICS.sessionJoin, [sessionDetails(s)]);
  }

  sessionLeft(s: RouterSession): void {
    this.emit(META_TOPICS.sessionLeave, [s.id, s.authid, s.authrole]);
  }

  registrationCreated(s: RouterSession, r: Registration): void {
    if (!isMetaUri(r.uri)) this.emit(META_TOPICS.registrationCreate, [s.id, registrationDetails(r)]);
  }

  registered(s: RouterSession, r: Registration): void {
    if (!isMetaUri(r.uri)) this.emit(META_TOPICS.registrationRegister, [s.id, r.id]);
  }

  unregistered(s: RouterSession, r: Registration): void {
    if (!isMetaUri(r.uri)) this.emit(META_TOPICS.registrationUnregister, [s.id, r.id]);
  }

  registrationDeleted(s: RouterSession, r: Registration): void {
    if (!isMetaUri(r.uri)) this.emit(META_TOPICS.registrationDelete, [s.id, r.id]);
  }

  subscriptionCreated(s: RouterSession, sub: Subscription): void {
    if (!isMetaUri(sub.uri)) this.emit(META_TOPICS.subscriptionCreate, [s.id, subscriptionDetails(sub)]);
  }

  subscribed(s: RouterSession, sub: Subscription): void {
    if (!isMetaUri(sub.uri)) this.emit(META_TOPICS.subscriptionSubscribe, [s.id, sub.id]);
  }

  unsubscribed(s: RouterSession, sub: Subscription): void {
    if (!isMetaUri(sub.uri)) this.emit(META_TOPICS.subscriptionUnsubscribe, [s.id, sub.id]);
  }

  subscriptionDeleted(s: RouterSession, sub: Subscription): void {
    if (!isMetaUri(sub.uri)) this.emit(META_TOPICS.subscriptionDelete, [s.id, sub.id]);
  }
}

function killReason(kwargs: Dict): string {
  return typeof kwargs.reason === 'string' ? kwargs.reason : WampErrors.killed;
}

function killMessage(kwargs: Dict): string {
  return typeof kwargs.message === 'string' ? kwargs.message : 'the session was killed';
}
