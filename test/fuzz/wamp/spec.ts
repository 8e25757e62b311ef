// The fuzzer's own reading of the WAMP v2 specification, written apart from
// the router's code so that it can disagree with it: which messages a client
// may send and in which shape, which messages a router sends back, and which
// URIs the sisock default configuration lets an anonymous session use.
import { describe } from '../describe.js';

export const T = {
  HELLO: 1,
  WELCOME: 2,
  ABORT: 3,
  CHALLENGE: 4,
  AUTHENTICATE: 5,
  GOODBYE: 6,
  ERROR: 8,
  PUBLISH: 16,
  PUBLISHED: 17,
  SUBSCRIBE: 32,
  SUBSCRIBED: 33,
  UNSUBSCRIBE: 34,
  UNSUBSCRIBED: 35,
  EVENT: 36,
  CALL: 48,
  CANCEL: 49,
  RESULT: 50,
  REGISTER: 64,
  REGISTERED: 65,
  UNREGISTER: 66,
  UNREGISTERED: 67,
  INVOCATION: 68,
  INTERRUPT: 69,
  YIELD: 70,
} as const;

type Kind = 'id' | 'int' | 'dict' | 'uri' | 'string' | 'list';

/** [kinds of the elements after the type code, how many of them are required] */
const CLIENT_SENDS: Record<number, [readonly Kind[], number]> = {
  [T.HELLO]: [['uri', 'dict'], 2],
  [T.ABORT]: [['dict', 'uri'], 2],
  [T.AUTHENTICATE]: [['string', 'dict'], 2],
  [T.GOODBYE]: [['dict', 'uri'], 2],
  [T.ERROR]: [['int', 'id', 'dict', 'uri', 'list', 'dict'], 4],
  [T.PUBLISH]: [['id', 'dict', 'uri', 'list', 'dict'], 3],
  [T.SUBSCRIBE]: [['id', 'dict', 'uri'], 3],
  [T.UNSUBSCRIBE]: [['id', 'id'], 2],
  [T.CALL]: [['id', 'dict', 'uri', 'list', 'dict'], 3],
  [T.CANCEL]: [['id', 'dict'], 2],
  [T.REGISTER]: [['id', 'dict', 'uri'], 3],
  [T.UNREGISTER]: [['id', 'id'], 2],
  [T.YIELD]: [['id', 'dict', 'list', 'dict'], 2],
};

const ROUTER_SENDS: Record<number, [readonly Kind[], number]> = {
  [T.WELCOME]: [['id', 'dict'], 2],
  [T.ABORT]: [['dict', 'uri'], 2],
  [T.CHALLENGE]: [['string', 'dict'], 2],
  [T.GOODBYE]: [['dict', 'uri'], 2],
  [T.ERROR]: [['int', 'id', 'dict', 'uri', 'list', 'dict'], 4],
  [T.PUBLISHED]: [['id', 'id'], 2],
  [T.SUBSCRIBED]: [['id', 'id'], 2],
  [T.UNSUBSCRIBED]: [['id', 'dict'], 1],
  [T.EVENT]: [['id', 'id', 'dict', 'list', 'dict'], 3],
  [T.RESULT]: [['id', 'dict', 'list', 'dict'], 2],
  [T.REGISTERED]: [['id', 'id'], 2],
  [T.UNREGISTERED]: [['id', 'dict'], 1],
  [T.INVOCATION]: [['id', 'id', 'dict', 'list', 'dict'], 3],
  [T.INTERRUPT]: [['id', 'dict'], 2],
};

export const ROUTER_ONLY = new Set<number>([T.WELCOME, T.CHALLENGE, T.PUBLISHED, T.SUBSCRIBED, T.UNSUBSCRIBED, T.EVENT, T.RESULT, T.REGISTERED, T.UNREGISTERED, T.INVOCATION, T.INTERRUPT]);

const MAX_ID = 2 ** 53;

/** A dictionary as the spec means it: a plain map of string keys (not a date, a typed array, a Map or a Set that a decoder made). */
export function isPlainDict(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * 'ok': the value fits; 'bad': it does not; 'unsure': the spec and what
 * decoders give disagree (an id of 0: ids are [1, 2^53], but a router may
 * accept 0 for request ids).
 */
type Fit = 'ok' | 'bad' | 'unsure';

function fits(kind: Kind, v: unknown): Fit {
  switch (kind) {
    case 'id': {
      const n = typeof v === 'bigint' ? Number(v) : v;
      if (typeof v === 'bigint' && (v < 0n || v > BigInt(MAX_ID))) return 'bad';
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_ID) return 'bad';
      return n === 0 ? 'unsure' : 'ok';
    }
    case 'int':
      // an int that a binary peer wrote in 64 bits decodes as bigint: odd, but an integer
      if (typeof v === 'bigint') return 'unsure';
      return typeof v === 'number' && Number.isInteger(v) ? 'ok' : 'bad';
    case 'dict':
      return isPlainDict(v) ? 'ok' : 'bad';
    case 'uri':
    case 'string':
      return typeof v === 'string' ? 'ok' : 'bad';
    case 'list':
      return Array.isArray(v) ? 'ok' : 'bad';
  }
}

export type Shape = { ok: true; unsure: boolean } | { ok: false; why: string };

function check(table: Record<number, [readonly Kind[], number]>, m: unknown): Shape {
  if (!Array.isArray(m) || m.length === 0) return { ok: false, why: 'not a non-empty list' };
  const code = typeof m[0] === 'bigint' ? Number(m[0]) : m[0];
  const entry = typeof code === 'number' ? table[code] : undefined;
  if (entry === undefined) return { ok: false, why: `type ${describe(code, 40)} is not one this side sends` };
  const [kinds, required] = entry;
  const n = m.length - 1;
  if (n < required || n > kinds.length) return { ok: false, why: `${n} elements for type ${code}` };
  // a type code written as a 64-bit integer: valid encoding, but no peer does it
  let unsure = typeof m[0] === 'bigint';
  for (let i = 0; i < n; i++) {
    const f = fits(kinds[i]!, m[i + 1]);
    if (f === 'bad') return { ok: false, why: `element ${i + 1} of type ${code} is not a ${kinds[i]}` };
    if (f === 'unsure') unsure = true;
  }
  return { ok: true, unsure };
}

/** Whether a client may send `m` (shape only; whether it is in place is the session model's business). */
export const clientShape = (m: unknown): Shape => check(CLIENT_SENDS, m);
/** Whether `m` is a message a router may send to a client. */
export const routerShape = (m: unknown): Shape => check(ROUTER_SENDS, m);

// --- URIs ---

/** WAMP's loose URI rules: non-empty components without whitespace or '#', separated by single dots. */
export function looseUri(uri: string): boolean {
  if (uri.length === 0) return false;
  for (const part of uri.split('.')) if (part.length === 0 || /[\s#]/.test(part)) return false;
  return true;
}

export type Action = 'call' | 'register' | 'publish' | 'subscribe';

/**
 * What the sisock default configuration lets an anonymous session do
 * (docs/router.md): everything under `observatory.`; call and subscribe
 * under `org.simonsobservatory.consumer.`; nothing else.
 */
export function anonymousMay(action: Action, uri: string): boolean {
  if (uri.startsWith('observatory.')) return true;
  if (uri.startsWith('org.simonsobservatory.consumer.')) return action === 'call' || action === 'subscribe';
  return false;
}
