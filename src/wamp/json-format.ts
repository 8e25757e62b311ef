// JSON (wamp.2.json). Binary values travel as a string of a NUL character
// followed by base64 (the spec's rule), turned back into a Buffer on decode,
// so binary crosses serializers intact. The text of a payload passes through
// as it was written (293.0 stays 293.0, 2^64-1 keeps its digits).
import { PAYLOAD_INDEX } from './messages.js';
import { MAX_PAYLOAD_NESTING, checkDecodedTree, isEmptyObject, nestingTooDeep, type IncomingMessage, type MessageLayout, type WireFormat } from './format.js';
import { Payload } from './payload.js';
import { ProtocolViolation } from './validation.js';

const NUL = '\u0000';

/** JSON.stringify replacer for the slow path: binary as NUL+base64, bigint as number. */
function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown>)[key];
  if (original instanceof Uint8Array) return NUL + Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64');
  if (typeof value === 'bigint') return Number(value);
  return value;
}

function jsonReviver(_key: string, value: unknown): unknown {
  if (typeof value === 'string' && value.length > 0 && value.charCodeAt(0) === 0) {
    return Buffer.from(value.slice(1), 'base64');
  }
  return value;
}

/** JSON text of one message (or any value), fast path first. */
export function encodeJson(message: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(message);
  } catch (err) {
    if (err instanceof TypeError) return JSON.stringify(message, jsonReplacer); // a bigint
    throw err;
  }
  // A Buffer stringifies through its toJSON as {"type":"Buffer","data":[...]};
  // that text can only appear outside a JSON string, so it is a sure sign.
  if (text.includes('"type":"Buffer"') || text.includes('{"0":')) return JSON.stringify(message, jsonReplacer);
  return text;
}

export function decodeJsonText(text: string): unknown {
  try {
    // Binary values arrive as strings that start with an escaped NUL.
    return text.includes('\\u0000') ? JSON.parse(text, jsonReviver) : JSON.parse(text);
  } catch (err) {
    const tolerant = parseWithNonFinite(text);
    if (tolerant !== NOT_PARSED) return tolerant;
    throw new ProtocolViolation(`invalid JSON: ${(err as Error).message}`);
  }
}

// Python's json module writes NaN, Infinity and -Infinity as bare tokens,
// and autobahn-python peers on wamp.2.json send them (an original data node
// serving a file with NaN in it); Crossbar.io, in Python, read them. They
// are read here as the numbers they mean; JSON receivers then get null,
// binary ones the float.

const NOT_PARSED = Symbol('not parsed');
/** Stand-ins for the tokens: strings that start with a noncharacter no peer sends. */
const NON_FINITE: Record<string, number> = { '\ufdd0NaN': NaN, '\ufdd0Infinity': Infinity, '\ufdd0-Infinity': -Infinity };
const NON_FINITE_TOKEN = /"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)/g;

function reviveNonFinite(key: string, value: unknown): unknown {
  if (typeof value === 'string' && value.charCodeAt(0) === 0xfdd0 && value in NON_FINITE) return NON_FINITE[value];
  return jsonReviver(key, value);
}

/** JSON text with NaN / Infinity / -Infinity tokens outside strings, parsed; NOT_PARSED when it has none or is invalid anyway. */
function parseWithNonFinite(text: string): unknown {
  if (!/NaN|Infinity/.test(text) || text.includes('\ufdd0') || /\\u[fF][dD][dD]0/.test(text)) return NOT_PARSED;
  let replaced = false;
  const rewritten = text.replace(NON_FINITE_TOKEN, (match: string, token: string | undefined) => {
    if (token === undefined) return match; // a string: kept as it is
    replaced = true;
    return `"\ufdd0${token}"`;
  });
  if (!replaced) return NOT_PARSED;
  try {
    return JSON.parse(rewritten, reviveNonFinite);
  } catch {
    return NOT_PARSED;
  }
}

// --- the scanner ---------------------------------------------------------

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/** Bytes that stand for themselves inside a string: everything but controls, quote and backslash. */
const PLAIN = new Uint8Array(256).map((_, c) => (c >= 0x20 && c !== QUOTE && c !== BACKSLASH ? 1 : 0));
/** What may follow a backslash (u is handled apart). */
const ESCAPE = new Uint8Array(256).map((_, c) => ('"\\/bfnrt'.includes(String.fromCharCode(c)) ? 1 : 0));
const HEX = new Uint8Array(256).map((_, c) => (/[0-9a-fA-F]/.test(String.fromCharCode(c)) ? 1 : 0));

const DIGIT = new Uint8Array(256).map((_, c) => (c >= 0x30 && c <= 0x39 ? 1 : 0));
/** Bytes a number starts with. */
const NUMBER_START = new Uint8Array(256).map((_, c) => (DIGIT[c] === 1 || c === 0x2d ? 1 : 0));

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

function skipSpace(b: Buffer, p: number, end: number): number {
  while (p < end) {
    const c = b[p]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    p++;
  }
  return p;
}

/** From the opening quote to just after the closing one; -1 if malformed. (UTF-8 is checked per frame.) */
function skipString(b: Buffer, p: number, end: number): number {
  p++;
  for (;;) {
    while (p < end && PLAIN[b[p]!] === 1) p++;
    if (p >= end) return -1;
    const c = b[p++]!;
    if (c === QUOTE) return p;
    if (c !== BACKSLASH || p >= end) return -1; // a control character, or a backslash at the end
    const e = b[p++]!;
    if (e === 0x75) {
      if (p + 4 > end || HEX[b[p]!]! + HEX[b[p + 1]!]! + HEX[b[p + 2]!]! + HEX[b[p + 3]!]! !== 4) return -1;
      p += 4;
    } else if (ESCAPE[e] !== 1) return -1;
  }
}

/** A number per RFC 8259; -1 if malformed. */
function skipNumber(b: Buffer, p: number, end: number): number {
  if (b[p] === 0x2d) p++;
  if (p >= end) return -1;
  if (b[p] === 0x30) p++;
  else if (DIGIT[b[p]!] === 1) {
    p++;
    while (p < end && DIGIT[b[p]!] === 1) p++;
  } else return -1;
  if (p < end && b[p] === 0x2e) {
    p++;
    if (p >= end || DIGIT[b[p]!] !== 1) return -1;
    p++;
    while (p < end && DIGIT[b[p]!] === 1) p++;
  }
  if (p < end && (b[p]! | 0x20) === 0x65) {
    p++;
    if (p < end && (b[p] === 0x2b || b[p] === 0x2d)) p++;
    if (p >= end || DIGIT[b[p]!] !== 1) return -1;
    p++;
    while (p < end && DIGIT[b[p]!] === 1) p++;
  }
  return p;
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

function skipLiteral(b: Buffer, p: number, end: number): number {
  const c = b[p];
  const literal = c === 0x74 ? TRUE : c === 0x66 ? FALSE : NULL;
  if (p + literal.length > end) return -1;
  for (let i = 0; i < literal.length; i++) if (b[p + i] !== literal[i]) return -1;
  return p + literal.length;
}

/** Open containers of the value being skipped: 1 for objects. Reused: the scanner does not re-enter. */
const openObjects = new Uint8Array(MAX_PAYLOAD_NESTING + 1);

/** Skips from an object's opening brace or its comma to just after the colon of the next member; -1 if malformed. */
function skipKey(b: Buffer, p: number, end: number): number {
  p = skipSpace(b, p + 1, end);
  if (b[p] !== QUOTE) return -1;
  p = skipString(b, p, end);
  if (p < 0) return -1;
  p = skipSpace(b, p, end);
  return b[p] === COLON ? p + 1 : -1;
}

/**
 * Skips one JSON value starting at p (after optional space); returns the
 * offset after it, or -1 if it is not well-formed. Throws for nesting beyond
 * MAX_PAYLOAD_NESTING.
 */
function skipValue(b: Buffer, p: number, end: number): number {
  let depth = 0;
  for (;;) {
    // a value starts here
    p = skipSpace(b, p, end);
    if (p >= end) return -1;
    const c = b[p]!;
    if (c === QUOTE) p = skipString(b, p, end);
    else if (NUMBER_START[c] === 1) p = skipNumber(b, p, end);
    else if (c === 0x74 || c === 0x66 || c === 0x6e) p = skipLiteral(b, p, end);
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (depth === MAX_PAYLOAD_NESTING) throw nestingTooDeep('JSON');
      const isObject = c === OPEN_OBJECT;
      const q = skipSpace(b, p + 1, end);
      if (b[q] === (isObject ? CLOSE_OBJECT : CLOSE_ARRAY)) {
        p = q + 1; // empty: the value ends here
      } else {
        openObjects[depth++] = isObject ? 1 : 0;
        if (isObject) {
          p = skipKey(b, p, end);
          if (p < 0) return -1;
        } else p = q;
        continue;
      }
    } else return -1;
    if (p < 0) return -1;
    // a value ended: close what it ends, or go on to the next element
    for (;;) {
      if (depth === 0) return p;
      p = skipSpace(b, p, end);
      if (p >= end) return -1;
      const isObject = openObjects[depth - 1] === 1;
      const d = b[p]!;
      if (d === COMMA) {
        if (isObject) {
          p = skipKey(b, p, end);
          if (p < 0) return -1;
          break;
        }
        p++;
        // a list of numbers (a data reply's bulk) runs through this tight loop
        let numberEnded = false;
        while (p < end && NUMBER_START[b[p]!] === 1) {
          const q = skipNumber(b, p, end);
          if (q < 0) return -1;
          if (b[q] !== COMMA) {
            p = q;
            numberEnded = true;
            break;
          }
          p = q + 1;
        }
        if (numberEnded) continue; // close the list or go on, as after any value
        break; // the next element starts at p
      }
      if (d !== (isObject ? CLOSE_OBJECT : CLOSE_ARRAY)) return -1;
      p++;
      depth--;
    }
  }
}

/** Where each element of the last scanned message's header starts and ends. Reused: the scanner does not re-enter. */
const elementStart: number[] = [];
const elementEnd: number[] = [];

/**
 * Finds the payload of a message that carries one; undefined when the
 * message has none, or when anything is off (the full decoder then decides).
 */
export function scanJsonMessage(b: Buffer): MessageLayout | undefined {
  const end = b.length;
  let p = skipSpace(b, 0, end);
  if (b[p] !== OPEN_ARRAY) return undefined;
  const headerStart = (p = skipSpace(b, p + 1, end));
  let type = 0;
  while (p < end && isDigit(b[p]!) && type < 1000) type = type * 10 + b[p++]! - 0x30;
  const index = PAYLOAD_INDEX[type];
  if (index === undefined || p === headerStart) return undefined;
  elementStart[0] = headerStart;
  elementEnd[0] = p;
  for (let i = 1; i < index; i++) {
    p = skipSpace(b, p, end);
    if (b[p] !== COMMA) return undefined;
    elementStart[i] = skipSpace(b, p + 1, end);
    p = skipValue(b, p + 1, end);
    if (p < 0) return undefined;
    elementEnd[i] = p;
  }
  const headerEnd = p;
  p = skipSpace(b, p, end);
  if (b[p] !== COMMA) return undefined; // no payload (or malformed)
  const payloadStart = skipSpace(b, p + 1, end);
  if (b[payloadStart] !== OPEN_ARRAY) return undefined;
  let payloadEnd = skipValue(b, payloadStart, end);
  if (payloadEnd < 0) return undefined;
  let count: 1 | 2 = 1;
  p = skipSpace(b, payloadEnd, end);
  if (b[p] === COMMA) {
    p = skipSpace(b, p + 1, end);
    if (b[p] !== OPEN_OBJECT) return undefined;
    payloadEnd = skipValue(b, p, end);
    if (payloadEnd < 0) return undefined;
    count = 2;
    p = skipSpace(b, payloadEnd, end);
  }
  if (b[p] !== CLOSE_ARRAY || skipSpace(b, p + 1, end) !== end) return undefined;
  return { headerStart, headerEnd, headerElements: index, payloadStart, payloadEnd, count };
}

// --- heads --------------------------------------------------------------

/** Whether bytes [start, end) hold no backslash and only ASCII: a string that is its own text. */
function plainAscii(b: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c === BACKSLASH || c >= 0x80) return false;
  }
  return true;
}

/**
 * The header elements of the message just scanned. The usual ones (small
 * integers, plain ASCII strings, empty dictionaries) are read here; others
 * go through JSON.parse, one element at a time.
 */
function decodeHeader(b: Buffer, count: number): unknown[] {
  const out = new Array<unknown>(count);
  for (let i = 0; i < count; i++) {
    const start = elementStart[i]!;
    const end = elementEnd[i]!;
    const c = b[start]!;
    if (isDigit(c) && end - start <= 15 && (c !== 0x30 || end - start === 1)) {
      let n = 0;
      let p = start;
      while (p < end && isDigit(b[p]!)) n = n * 10 + b[p++]! - 0x30;
      if (p === end) {
        out[i] = n;
        continue;
      }
    } else if (c === QUOTE && plainAscii(b, start + 1, end - 1)) {
      out[i] = b.toString('latin1', start + 1, end - 1);
      continue;
    } else if (c === OPEN_OBJECT && b[skipSpace(b, start + 1, end)] === CLOSE_OBJECT) {
      out[i] = {};
      continue;
    }
    out[i] = decodeJsonText(b.toString('utf8', start, end));
  }
  return out;
}

/** JSON text of a message head, without its closing bracket: integers and empty dictionaries written here, the rest by JSON.stringify. */
function headerText(header: readonly unknown[]): string {
  let text = '[';
  for (let i = 0; i < header.length; i++) {
    const v = header[i];
    if (i > 0) text += ',';
    if (typeof v === 'number' && Number.isSafeInteger(v)) text += v;
    else if (isEmptyObject(v)) text += '{}';
    else text += encodeJson(v);
  }
  return text;
}

/** Decodes a whole message and checks its nesting (JSON.parse takes any depth). */
function decodeJsonChecked(data: Buffer): unknown {
  const message = decodeJsonText(data.toString('utf8'));
  // every level of nesting takes a byte at least, and this decoder never
  // shares a list between two places: a short message needs no walk (most
  // messages without a payload, decoded here, are short)
  if (data.length > MAX_PAYLOAD_NESTING) checkDecodedTree(message, 'JSON');
  return message;
}

// --- the format ----------------------------------------------------------

export const jsonFormat: WireFormat = {
  name: 'json',
  binary: false,
  encode: encodeJson,
  decode: decodeJsonChecked,
  decodeIncoming(data: Buffer): IncomingMessage {
    const layout = scanJsonMessage(data);
    if (layout === undefined) return { message: decodeJsonChecked(data), payload: undefined };
    return {
      message: decodeHeader(data, layout.headerElements),
      payload: Payload.raw(jsonFormat, data, layout.payloadStart, layout.payloadEnd, layout.count),
    };
  },
  decodeElements: (bytes) => decodeJsonText(`[${bytes.toString('utf8')}]`) as unknown[],
  splice(header, payload, lead, trail) {
    // the head's text, a comma, the payload, the closing bracket
    const text = headerText(header);
    const head = Buffer.byteLength(text);
    const size = payload.byteLength;
    const out = Buffer.allocUnsafe(lead + head + size + 2 + trail);
    out.write(text, lead, head, head === text.length ? 'latin1' : 'utf8');
    out[lead + head] = COMMA;
    payload.copyTo(out, lead + head + 1);
    out[lead + head + 1 + size] = CLOSE_ARRAY;
    return out;
  },
};
