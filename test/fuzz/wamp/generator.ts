// The router fuzzer's structure-aware generator. A session script starts
// from messages a correct client would send (HELLO, then SUBSCRIBE, CALL,
// PUBLISH, REGISTER, YIELD, ...) and spoils some of them: one field replaced
// by a value of the wrong type, a huge id, a giant string, nesting thousands
// of levels deep; elements dropped or added; messages out of order or of a
// type only a router sends; whole frames with their bytes mutated or cut.
//
// Scripts are plain data made from a seed. Ids the router hands out
// (subscription, registration, invocation ids) are not known in advance:
// a script refers to them with `Ref` nodes that the runner fills in from
// the answers it has seen when it sends the message.
import { Raw, PROTOCOLS, type Protocol } from './codec.js';
import { T } from './spec.js';
import type { Rng } from '../random.js';

/** An id the router gave this session, filled in at send time (a random id when there is none yet). */
export class Ref {
  constructor(readonly kind: 'subscription' | 'registration' | 'invocation' | 'call') {}
}

/** What a message becomes on the wire besides its plain encoding. */
export type Spoil =
  | { kind: 'none' }
  /** the encoded bytes mutated (flips, cuts, insertions, ...) */
  | { kind: 'bytes' }
  /** the encoding of another message spliced onto this one's */
  | { kind: 'splice'; other: unknown[] }
  /** padded with a string so the message exceeds this many bytes */
  | { kind: 'oversize'; bytes: number };

export interface ScriptMessage {
  message: unknown;
  spoil: Spoil;
  /** what was done to it, for failure reports */
  note: string;
}

/** One WebSocket message: one WAMP message, or several in a batched frame. */
export interface ScriptFrame {
  messages: ScriptMessage[];
  /** JSON sent in a binary frame rather than a text frame */
  binary: boolean;
}

export type Ending =
  /** GOODBYE, wait for the router's GOODBYE, close */
  | 'goodbye'
  /** WebSocket close handshake */
  | 'close'
  /** drop the TCP connection without a word */
  | 'terminate';

export interface Script {
  kind: string;
  protocol: Protocol;
  frames: ScriptFrame[];
  ending: Ending;
}

export interface GeneratorContext {
  realm: string;
  /** a data node's name whose get_fields / get_data anonymous sessions may call (and the hub's node list) */
  dataNode?: string;
  /** procedures well-behaved callees serve besides the echo (answered later, not by the router itself) */
  served?: readonly string[];
  /** a procedure a well-behaved callee serves (echo) */
  echoUri: string;
  /** a topic well-behaved sessions publish on */
  goodTopic: string;
  /** the router's largest accepted message, bytes */
  maxMessageSize: number;
}

// --- values ---

const TEXTS = ['', 'x', '\u0000', '\u0000!!!', '\u0000AAAA', '\ud800', '\udfff\ud800', 'é', '🙂', '\u202e', 'null', '[]', '{}', '💥'.repeat(50), ' ', '\t\n', 'wamp.error.protocol_violation'];

const NUMBERS = [0, -0, -1, 1, 1.5, -1.5, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e308, -1e308, 5e-324];
const BIGINTS = [2n ** 63n, -(2n ** 63n), 2n ** 64n - 1n, 2n ** 53n + 1n];

function weirdScalar(rng: Rng): unknown {
  switch (rng.int(0, 11)) {
    case 0:
      return null;
    case 1:
      return undefined;
    case 2:
      return rng.chance(0.5);
    case 3:
      return rng.pick(NUMBERS);
    case 4:
      return rng.pick([NaN, Infinity, -Infinity]);
    case 5:
      return rng.pick(BIGINTS);
    case 6:
      return rng.pick(TEXTS);
    case 7:
      return String.fromCharCode(...Array.from({ length: rng.int(1, 20) }, () => rng.int(0, 0x10000)));
    case 8:
      return rng.bytes(rng.int(0, 40));
    case 9:
      return new Date(rng.int(-1e12, 1e13));
    default:
      return new Float64Array([1.5, NaN, -0]);
  }
}

/** A value of any kind, `budget` bounding how many nodes it has. */
export function weirdValue(rng: Rng, budget = 12): unknown {
  if (budget <= 1 || rng.chance(0.55)) return weirdScalar(rng);
  const n = rng.int(0, Math.min(6, budget));
  const share = Math.max(1, Math.floor((budget - 1) / Math.max(1, n)));
  switch (rng.int(0, 6)) {
    case 0:
    case 1:
      return Array.from({ length: n }, () => weirdValue(rng, share));
    case 2:
    case 3: {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const key = rng.pick(['a', 'b', '', '__proto__', 'constructor', 'toString', 'acknowledge', 'match', 'roles', 'progress', 'timeout', '\u0000k', 'é']);
        Object.defineProperty(o, key, { value: weirdValue(rng, share), enumerable: true, writable: true, configurable: true });
      }
      return o;
    }
    case 4:
      return new Map([[rng.pick(['a', 1]), weirdScalar(rng)]]);
    default:
      return new Set([weirdScalar(rng)]);
  }
}

/** Something that takes the router's resources: deep nesting, a giant string, a long list, a cycle. */
function heavyValue(rng: Rng, ctx: GeneratorContext): unknown {
  return rng.weighted<() => unknown>([
    [4, () => Raw.deep(rng.pick([100, 1000, 5000, 20000, 100000]), rng.chance(0.7) ? 'array' : 'map')],
    [2, () => 'g'.repeat(rng.size(Math.min(ctx.maxMessageSize / 4, 300_000)))],
    [1, () => Array.from({ length: rng.size(20_000) }, (_, i) => i * 0.5)],
    [1, () => Object.fromEntries(Array.from({ length: rng.size(3000) }, (_, i) => [`k${i}`, i]))],
    [2, () => Raw.cycle()],
    [1, () => Raw.hugeInteger()],
  ])();
}

function payload(rng: Rng, ctx: GeneratorContext): { args?: unknown[]; kwargs?: Record<string, unknown> } {
  const heavy = rng.chance(0.03);
  const args = rng.chance(0.8) ? Array.from({ length: rng.int(0, 4) }, () => (heavy && rng.chance(0.5) ? heavyValue(rng, ctx) : weirdValue(rng, 6))) : undefined;
  const kwargs = rng.chance(0.3) ? { a: heavy ? heavyValue(rng, ctx) : weirdValue(rng, 6), seq: rng.int(0, 1000) } : undefined;
  if (kwargs !== undefined) return { args: args ?? [], kwargs };
  return args !== undefined ? { args } : {};
}

/** A request id: fresh and plain most of the time, at the edges of the range now and then. */
function requestId(rng: Rng, counter: { n: number }): unknown {
  if (rng.chance(0.97)) return ++counter.n;
  return rng.pick<unknown>([0, 2 ** 53, 2 ** 53 + 1, -1, 1.5, '1', null, 2n ** 64n - 1n, Raw.hugeInteger(), 2 ** 32 + 7]);
}

const SISOCK_URIS = ['org.simonsobservatory.data_node.add', 'org.simonsobservatory.consumer.get_data_node', 'org.simonsobservatory.x.get_fields'];
const META_URIS = ['wamp.session.count', 'wamp.session.list', 'wamp.session.kill_by_authrole', 'wamp.registration.list', 'wamp.subscription.match', 'wamp.session.on_join', 'wamp.x'];
const OTHER_URIS = ['com.example.x', 'a', 'A.B.C', 'observatory', 'observatory-x.y'];
const BAD_URIS = ['', '.', '..', 'a..b', 'x y', 'a#b', 'observatory.', 'observatory..x', '.observatory.x', 'observatory.\u0000', 'observatory.\ud800', 'wamp.', 'observatory.x\n'];

function uri(rng: Rng, ctx: GeneratorContext, use: 'topic' | 'procedure'): string {
  const x = rng.int(0, 100);
  if (x < 22) return use === 'procedure' ? ctx.echoUri : ctx.goodTopic;
  if (x < 50) return `observatory.fuzz.${rng.int(0, 8)}`;
  if (x < 56) return `org.simonsobservatory.consumer.fuzz.nothing${rng.int(0, 3)}`;
  if (x < 62) return rng.pick(SISOCK_URIS);
  if (x < 68) return rng.pick(META_URIS);
  if (x < 74) return rng.pick(OTHER_URIS);
  if (x < 96) return x < 78 ? (use === 'procedure' ? ctx.goodTopic : ctx.echoUri) : rng.pick(BAD_URIS);
  if (x < 98) return `observatory.${'long'.repeat(rng.size(20_000))}`;
  return `observatory.${Array.from({ length: rng.size(5000) }, () => 'a').join('.')}`;
}

function matchOption(rng: Rng): Record<string, unknown> {
  return rng.weighted<Record<string, unknown>>([
    [10, {}],
    [2, { match: 'prefix' }],
    [2, { match: 'wildcard' }],
    [1, { match: 'exact' }],
    [1, { match: rng.pick(['regex', '', 'PREFIX', null, 1]) }],
  ]);
}

// --- valid messages ---

export function helloMessage(rng: Rng, ctx: GeneratorContext): unknown[] {
  const roles: Record<string, unknown> = {
    caller: { features: { progressive_call_results: true, call_canceling: true } },
    callee: { features: { progressive_call_results: rng.chance(0.5), call_canceling: rng.chance(0.5) } },
    publisher: {},
    subscriber: {},
  };
  const details: Record<string, unknown> = { roles };
  if (rng.chance(0.3)) details.authmethods = ['anonymous'];
  if (rng.chance(0.1)) details.agent = 'sisock-fuzz';
  return [T.HELLO, ctx.realm, details];
}

/** A well-formed message of the established phase (it may still be refused: bad URI, not authorized, unknown id). */
function sessionMessage(rng: Rng, ctx: GeneratorContext, ids: { n: number }): unknown[] {
  const kind = rng.weighted([
    [ctx.dataNode ? 5 : 0, 'sisock'],
    [14, 'call'],
    [10, 'subscribe'],
    [12, 'publish'],
    [8, 'register'],
    [4, 'unsubscribe'],
    [4, 'unregister'],
    [3, 'cancel'],
    [4, 'yield'],
    [2, 'error'],
  ] as const);
  const p = payload(rng, ctx);
  const tail = (m: unknown[]): unknown[] => {
    if (p.kwargs !== undefined) m.push(p.args ?? [], p.kwargs);
    else if (p.args !== undefined) m.push(p.args);
    return m;
  };
  switch (kind) {
    case 'sisock':
      return sisockCall(rng, ctx, ids);
    case 'call': {
      const options: Record<string, unknown> = {};
      if (rng.chance(0.2)) options.receive_progress = true;
      if (rng.chance(0.1)) options.timeout = rng.pick([1, 50, 0, -5, 2 ** 31, 1e300, 'x']);
      if (rng.chance(0.1)) options.disclose_me = rng.chance(0.5);
      return tail([T.CALL, requestId(rng, ids), options, uri(rng, ctx, 'procedure')]);
    }
    case 'subscribe':
      return [T.SUBSCRIBE, requestId(rng, ids), matchOption(rng), uri(rng, ctx, 'topic')];
    case 'publish': {
      const options: Record<string, unknown> = {};
      if (rng.chance(0.7)) options.acknowledge = true;
      if (rng.chance(0.2)) options.exclude_me = rng.chance(0.5);
      if (rng.chance(0.1)) options[rng.pick(['exclude', 'eligible', 'exclude_authid', 'eligible_authrole'])] = rng.pick<unknown>([[1, 2], ['a'], 'x', [null], [2n ** 63n]]);
      if (rng.chance(0.1)) options.disclose_me = true;
      return tail([T.PUBLISH, requestId(rng, ids), options, uri(rng, ctx, 'topic')]);
    }
    case 'register': {
      const options = matchOption(rng);
      if (rng.chance(0.2)) options.invoke = rng.pick(['single', 'roundrobin', 'random', 'first', 'last', 'all', 7]);
      return [T.REGISTER, requestId(rng, ids), options, uri(rng, ctx, 'procedure')];
    }
    case 'unsubscribe':
      return [T.UNSUBSCRIBE, requestId(rng, ids), rng.chance(0.7) ? new Ref('subscription') : rng.int(1, 2 ** 53)];
    case 'unregister':
      return [T.UNREGISTER, requestId(rng, ids), rng.chance(0.7) ? new Ref('registration') : rng.int(1, 2 ** 53)];
    case 'cancel':
      return [T.CANCEL, rng.chance(0.8) ? new Ref('call') : rng.int(1, 100), rng.pick<Record<string, unknown>>([{}, { mode: 'skip' }, { mode: 'kill' }, { mode: 'killnowait' }, { mode: 'nope' }])];
    case 'yield':
      return tail([T.YIELD, rng.chance(0.85) ? new Ref('invocation') : rng.int(1, 100), rng.chance(0.2) ? { progress: true } : {}]);
    case 'error':
      return tail([T.ERROR, T.INVOCATION, rng.chance(0.85) ? new Ref('invocation') : rng.int(1, 100), {}, rng.pick(['com.fuzz.error', 'wamp.error.canceled', 'not a uri', ''])]);
  }
}

const SISOCK_TIMES = [0, -1, -3600, -1e9, 1, 1_499_990_400, 1_500_600_000, 1_501_200_000, 4_102_444_800, 1e15, -1e308, 1e308, 5e-324, 2 ** 53, 0.5];
const SISOCK_FIELDS = ['apex_temperature', 'apex_humidity', 'apex_pressure', 'apex_windspeed', 'apex_radiometer', 'nope', '', 'x'.repeat(5000)];

/** A consumer's call to a data node or the hub, with arguments that are plausible, spoiled, or both. */
function sisockCall(rng: Rng, ctx: GeneratorContext, ids: { n: number }): unknown[] {
  const node = ctx.dataNode!;
  const time = (): unknown => (rng.chance(0.85) ? rng.pick(SISOCK_TIMES) : weirdValue(rng, 3));
  const fields = (): unknown => (rng.chance(0.85) ? Array.from({ length: rng.int(0, 4) }, () => rng.pick(SISOCK_FIELDS)) : weirdValue(rng, 3));
  const stride = (): unknown => rng.pick<unknown>([null, 0, 1, 60, 3600, -5, 1e-9, 1e300, NaN, 'x', [], 2n ** 64n - 1n]);
  const call = (procedure: string, args: unknown[], kwargs?: Record<string, unknown>): unknown[] => [T.CALL, requestId(rng, ids), {}, procedure, args, ...(kwargs ? [kwargs] : [])];
  switch (rng.int(0, 6)) {
    case 0:
      return call(`org.simonsobservatory.consumer.${node}.get_fields`, rng.chance(0.8) ? [time(), time()] : Array.from({ length: rng.int(0, 4) }, time));
    case 1:
    case 2:
      return call(`org.simonsobservatory.consumer.${node}.get_data`, [fields(), time(), time(), ...(rng.chance(0.5) ? [stride()] : [])]);
    case 3:
      return call(`org.simonsobservatory.consumer.${node}.get_data`, [fields(), time(), time()], rng.pick<Record<string, unknown>>([{ min_stride: stride() }, { start: time() }, { nope: 1 }, { field: fields(), start: time(), end: time() }]));
    case 4:
      return call('org.simonsobservatory.consumer.get_data_node', rng.chance(0.8) ? [] : [weirdValue(rng, 3)]);
    default:
      return call('org.simonsobservatory.consumer.get_hub_status', rng.chance(0.8) ? [] : [weirdValue(rng, 3)], rng.chance(0.2) ? { x: weirdValue(rng, 3) } : undefined);
  }
}

/** Messages that are well-formed but out of place in an established session. */
function outOfPlace(rng: Rng, ctx: GeneratorContext, ids: { n: number }): unknown[] {
  return rng.pick<() => unknown[]>([
    () => helloMessage(rng, ctx),
    () => [T.AUTHENTICATE, 'signature', {}],
    () => [T.WELCOME, 1, {}],
    () => [T.CHALLENGE, 'wampcra', {}],
    () => [T.PUBLISHED, ++ids.n, 5],
    () => [T.SUBSCRIBED, ++ids.n, 5],
    () => [T.EVENT, 1, 2, {}],
    () => [T.RESULT, ++ids.n, {}],
    () => [T.REGISTERED, ++ids.n, 5],
    () => [T.INVOCATION, 1, 2, {}],
    () => [T.INTERRUPT, 1, {}],
    () => [T.UNSUBSCRIBED, ++ids.n],
    () => [T.ERROR, T.CALL, 1, {}, 'com.err'],
    () => [T.ERROR, rng.pick([T.SUBSCRIBE, T.PUBLISH, 0, 999, -1]), 1, {}, 'com.err'],
  ])();
}

// --- spoiling a message field by field ---

/** One field replaced, removed or added, the type code changed, or the whole message replaced. */
export function mutateFields(rng: Rng, message: unknown[], ctx: GeneratorContext): { message: unknown; note: string } {
  const m = message.slice();
  const op = rng.weighted([
    [10, 'replace'],
    [3, 'drop'],
    [3, 'append'],
    [2, 'type'],
    [1, 'heavy'],
    [1, 'whole'],
    [1, 'wrap'],
    [1, 'empty'],
  ] as const);
  switch (op) {
    case 'replace': {
      const i = rng.int(0, m.length);
      m[i] = rng.chance(0.2) ? heavyValue(rng, ctx) : weirdValue(rng, 5);
      return { message: m, note: `element ${i} replaced` };
    }
    case 'drop': {
      const i = rng.int(1, Math.max(2, m.length));
      m.splice(i, rng.int(1, 3));
      return { message: m, note: `element(s) from ${i} dropped` };
    }
    case 'append': {
      const n = rng.int(1, 4);
      for (let i = 0; i < n; i++) m.push(weirdValue(rng, 4));
      return { message: m, note: `${n} element(s) appended` };
    }
    case 'type':
      m[0] = rng.pick<unknown>([0, 7, 9, 99, 256, -1, 1.5, '48', null, 2 ** 53, 2n ** 63n, ...Object.values(T)]);
      return { message: m, note: 'type code changed' };
    case 'heavy': {
      const i = rng.int(1, Math.max(2, m.length));
      m[i] = heavyValue(rng, ctx);
      return { message: m, note: `element ${i} made heavy` };
    }
    case 'whole':
      return { message: weirdValue(rng, 8), note: 'replaced by another value' };
    case 'wrap':
      return { message: [m], note: 'wrapped in a list' };
    case 'empty':
      return { message: [], note: 'empty list' };
  }
}

function plain(message: unknown[], note = 'valid'): ScriptMessage {
  return { message, spoil: { kind: 'none' }, note };
}

/** One message of a conversation: valid most of the time, spoiled now and then. */
function conversationMessage(rng: Rng, ctx: GeneratorContext, ids: { n: number }, spoilRate: number): ScriptMessage {
  const base = sessionMessage(rng, ctx, ids);
  if (!rng.chance(spoilRate)) return plain(base);
  return rng.weighted<() => ScriptMessage>([
    [12, () => {
      const m = mutateFields(rng, base, ctx);
      return { message: m.message, spoil: { kind: 'none' }, note: m.note };
    }],
    [3, () => ({ message: outOfPlace(rng, ctx, ids), spoil: { kind: 'none' }, note: 'out of place' })],
    [3, () => ({ message: base, spoil: { kind: 'bytes' }, note: 'bytes mutated' })],
    [1, () => ({ message: base, spoil: { kind: 'splice', other: sessionMessage(rng, ctx, ids) }, note: 'spliced' })],
  ])();
}

/** Groups messages into frames: one per frame, or several per frame on a batched subprotocol. */
function frames(rng: Rng, protocol: Protocol, messages: ScriptMessage[]): ScriptFrame[] {
  const out: ScriptFrame[] = [];
  const binary = protocol.format === 'json' && rng.chance(0.1);
  for (let i = 0; i < messages.length; ) {
    const n = protocol.batched ? Math.min(rng.int(1, 7), messages.length - i) : 1;
    out.push({ messages: messages.slice(i, i + n), binary });
    i += n;
  }
  return out;
}

function ending(rng: Rng): Ending {
  return rng.weighted([
    [3, 'goodbye'],
    [5, 'close'],
    [2, 'terminate'],
  ] as const);
}

/** Handshake messages travel alone, so the runner knows the session's state after each. */
function alone(m: ScriptMessage): ScriptFrame {
  return { messages: [m], binary: false };
}

// --- session scripts ---

/** A session that opens properly and then talks, with some of its messages spoiled. */
function conversation(rng: Rng, ctx: GeneratorContext, protocol: Protocol): Script {
  const ids = { n: 0 };
  const spoilRate = rng.pick([0.01, 0.02, 0.05, 0.1, 0.3]);
  const count = rng.int(3, 40);
  const body: ScriptFrame[] = [alone(plain(helloMessage(rng, ctx), 'HELLO'))];
  const messages: ScriptMessage[] = [];
  for (let i = 0; i < count; i++) {
    if (rng.chance(0.02)) {
      // GOODBYE mid-way and a new session on the same connection
      body.push(...frames(rng, protocol, messages.splice(0)));
      body.push(alone(plain([T.GOODBYE, {}, 'wamp.close.close_realm'], 'GOODBYE mid-way')));
      body.push(alone(plain(helloMessage(rng, ctx), 'HELLO again')));
      continue;
    }
    messages.push(conversationMessage(rng, ctx, ids, spoilRate));
  }
  body.push(...frames(rng, protocol, messages));
  return { kind: 'conversation', protocol, frames: body, ending: ending(rng) };
}

/** Spoiled openings: HELLO mutated, unknown realms, CRA and ticket with bad answers, AUTHENTICATE out of turn. */
function handshake(rng: Rng, ctx: GeneratorContext, protocol: Protocol): Script {
  const ids = { n: 0 };
  const hello = helloMessage(rng, ctx);
  const details = hello[2] as Record<string, unknown>;
  const body: ScriptFrame[] = [];
  const variant = rng.int(0, 8);
  switch (variant) {
    case 0: {
      const m = mutateFields(rng, hello, ctx);
      body.push(alone({ message: m.message, spoil: { kind: 'none' }, note: `HELLO: ${m.note}` }));
      break;
    }
    case 1:
      details[rng.pick(['roles', 'authmethods', 'authid', 'authextra'])] = weirdValue(rng, 4);
      body.push(alone(plain(hello, 'HELLO with a spoiled detail')));
      break;
    case 2:
      hello[1] = rng.pick(['no_such_realm', '', 'a..b', 'x'.repeat(rng.int(1000, 100_000)), 'test realm', 'wamp.realm']);
      body.push(alone(plain(hello, 'HELLO to a bad realm')));
      break;
    case 3:
    case 4: {
      // a challenge answered badly
      details.authmethods = [variant === 3 ? 'wampcra' : 'ticket'];
      details.authid = rng.pick(['server', 'simonsobs', 'nobody', '', 'x'.repeat(5000)]);
      body.push(alone(plain(hello, `HELLO with ${variant === 3 ? 'wampcra' : 'ticket'}`)));
      const auth: unknown[] = [T.AUTHENTICATE, rng.pick(['', 'bad', 'AAAA', '\u0000', 'x'.repeat(20000)]), {}];
      const m = rng.chance(0.3) ? mutateFields(rng, auth, ctx) : { message: auth, note: 'wrong signature' };
      body.push(alone({ message: m.message, spoil: { kind: 'none' }, note: `AUTHENTICATE: ${m.note}` }));
      break;
    }
    case 5:
      details.authmethods = rng.pick<unknown>([[], ['cryptosign'], ['scram'], [1], 'anonymous', [null], ['anonymous', 'anonymous']]);
      body.push(alone(plain(hello, 'HELLO with odd authmethods')));
      break;
    case 6:
      body.push(alone(plain([T.AUTHENTICATE, 'sig', {}], 'AUTHENTICATE before HELLO')));
      break;
    default:
      body.push(alone({ message: hello, spoil: { kind: 'bytes' }, note: 'HELLO bytes mutated' }));
  }
  const more = rng.int(0, 5);
  body.push(...frames(rng, protocol, Array.from({ length: more }, () => conversationMessage(rng, ctx, ids, 0.2))));
  return { kind: 'handshake', protocol, frames: body, ending: ending(rng) };
}

/** Messages in the wrong order: before HELLO, after GOODBYE, after the client's ABORT, HELLO twice. */
function order(rng: Rng, ctx: GeneratorContext, protocol: Protocol): Script {
  const ids = { n: 0 };
  const body: ScriptFrame[] = [];
  switch (rng.int(0, 5)) {
    case 0:
      body.push(alone(plain(sessionMessage(rng, ctx, ids), 'a request before HELLO')));
      break;
    case 1:
      body.push(alone(plain(outOfPlace(rng, ctx, ids), 'a router message before HELLO')));
      break;
    case 2:
      body.push(alone(plain(helloMessage(rng, ctx))), alone(plain([T.GOODBYE, {}, 'wamp.close.normal'], 'GOODBYE')));
      body.push(alone(plain(sessionMessage(rng, ctx, ids), 'a request after GOODBYE')));
      break;
    case 3:
      body.push(alone(plain(helloMessage(rng, ctx))), alone(plain([T.ABORT, {}, 'wamp.error.fuzz'], 'ABORT from the client')));
      body.push(alone(plain(sessionMessage(rng, ctx, ids), 'a request after ABORT')));
      break;
    default:
      body.push(alone(plain(helloMessage(rng, ctx))));
      body.push(...frames(rng, protocol, Array.from({ length: rng.int(0, 5) }, () => plain(sessionMessage(rng, ctx, ids)))));
      body.push(alone(plain(outOfPlace(rng, ctx, ids), 'out of place')));
  }
  return { kind: 'order', protocol, frames: body, ending: ending(rng) };
}

/** A session whose frames are mostly byte-mutated encodings of valid messages. */
function bytes(rng: Rng, ctx: GeneratorContext, protocol: Protocol): Script {
  const ids = { n: 0 };
  const body: ScriptFrame[] = [alone(plain(helloMessage(rng, ctx)))];
  const n = rng.int(1, 12);
  const messages: ScriptMessage[] = [];
  for (let i = 0; i < n; i++) {
    const m = sessionMessage(rng, ctx, ids);
    messages.push(rng.chance(0.6) ? { message: m, spoil: rng.chance(0.8) ? { kind: 'bytes' } : { kind: 'splice', other: sessionMessage(rng, ctx, ids) }, note: 'bytes mutated' } : plain(m));
  }
  body.push(...frames(rng, protocol, messages));
  return { kind: 'bytes', protocol, frames: body, ending: ending(rng) };
}

/** A session that sends one message over the router's size limit. */
function oversize(rng: Rng, ctx: GeneratorContext, protocol: Protocol): Script {
  const ids = { n: 0 };
  const big: ScriptMessage = { message: sessionMessage(rng, ctx, ids), spoil: { kind: 'oversize', bytes: ctx.maxMessageSize + rng.int(1, 4096) }, note: 'over the size limit' };
  return { kind: 'oversize', protocol, frames: [alone(plain(helloMessage(rng, ctx))), alone(big)], ending: 'close' };
}

/** A session script for `rng`: which kind, which subprotocol, what it sends. */
export function makeScript(rng: Rng, ctx: GeneratorContext): Script {
  const protocol = rng.weighted<Protocol>(PROTOCOLS.map((p) => [p.format === 'json' ? (p.batched ? 2 : 6) : p.batched ? 1 : 3, p] as const));
  const kind = rng.weighted([
    [60, conversation],
    [12, handshake],
    [10, order],
    [15, bytes],
    [0.4, oversize],
  ] as const);
  return kind(rng, ctx, protocol);
}
