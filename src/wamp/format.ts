// What the serializers need from a wire format (JSON, msgpack, CBOR): encode
// and decode whole messages, and, for the router, decode only the head of a
// message and keep its payload as bytes that can be spliced into another
// message of the same format.
//
// Each format finds the payload with a small scanner that walks the encoded
// message without building values. The scanner is conservative: it accepts
// only input it has fully checked to be well-formed, in the subset of its
// format that every peer decodes (plain values: no msgpack extension types,
// no CBOR tags, string keys); anything else makes it step aside, and the
// message is decoded and re-encoded in full as before. It refuses outright
// (a protocol violation) only what a decoder would accept but a receiver
// might not: strings that are not UTF-8, nesting deeper than
// MAX_PAYLOAD_NESTING, and msgpack's never-used byte 0xc1.
import { isUtf8 } from 'node:buffer';
import type { Payload, PayloadFormat } from './payload.js';
import { ProtocolViolation } from './validation.js';

/**
 * Deepest nesting of lists and dictionaries a payload may have. Receivers
 * have limits of their own (msgpack-python: 1024; Python's json and cbor2
 * run on its recursion limit, 1000 by default), and a payload one of them
 * cannot decode would end that receiver's session, not the sender's.
 */
export const MAX_PAYLOAD_NESTING = 512;

/** Byte offsets of the parts of one encoded message with a payload. */
export interface MessageLayout {
  /** where the first element (the type code) starts */
  headerStart: number;
  /** where the element before Arguments ends */
  headerEnd: number;
  /** number of elements before Arguments, the type code included */
  headerElements: number;
  /** where Arguments starts */
  payloadStart: number;
  /** where ArgumentsKw (or Arguments, when alone) ends */
  payloadEnd: number;
  /** 1: Arguments only; 2: Arguments and ArgumentsKw */
  count: 1 | 2;
}

/** A message decoded for routing: everything but the payload, which stays as bytes when it can. */
export interface IncomingMessage {
  /** the message; without Arguments and ArgumentsKw when `payload` holds them */
  message: unknown;
  payload: Payload | undefined;
}

export interface WireFormat extends PayloadFormat {
  /** whether messages go in binary WebSocket frames */
  readonly binary: boolean;
  /** Encodes one message. */
  encode(message: readonly unknown[]): string | Buffer;
  /** Decodes one whole message. Throws ProtocolViolation. */
  decode(data: Buffer): unknown;
  /** Decodes one message, keeping its payload as bytes when it has one that can pass through. Throws ProtocolViolation. */
  decodeIncoming(data: Buffer): IncomingMessage;
  /**
   * Encodes `header` (a message up to the element before Arguments) followed
   * by the bytes of `payload`, which must be of this format, with `lead`
   * bytes left free before the message and `trail` after it (for framing).
   */
  splice(header: readonly unknown[], payload: Payload, lead: number, trail: number): Buffer;
}

/** Throws unless bytes [start, end) of `b` are UTF-8 (short strings checked here, long ones natively). */
export function checkUtf8(b: Buffer, start: number, end: number, what: string): void {
  if (end - start < 32) {
    let i = start;
    while (i < end && b[i]! < 0x80) i++;
    if (i === end) return;
  }
  if (!isUtf8(b.subarray(start, end))) throw new ProtocolViolation(`${what}: a string that is not UTF-8`);
}

export function nestingTooDeep(what: string): ProtocolViolation {
  return new ProtocolViolation(`${what}: payload nested deeper than ${MAX_PAYLOAD_NESTING} levels`);
}

/**
 * Throws unless a fully decoded message is a tree no deeper than
 * MAX_PAYLOAD_NESTING. The scanners check this on the bytes; messages they
 * step aside from are decoded in full, and decoders build what the bytes
 * say: any depth, and with CBOR's shared references (tags 28/29) lists
 * that hold themselves or one list many times, which no receiver could be
 * sent. Walks each node once.
 */
export function checkDecodedTree(message: unknown, what: string): void {
  const seen = new Set<object>();
  const stack: [unknown, number][] = [[message, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) continue;
    // the message itself is level 0: its Arguments list is level 1, as the scanners count
    if (depth > MAX_PAYLOAD_NESTING) throw nestingTooDeep(what);
    if (seen.has(v)) throw new ProtocolViolation(`${what}: payload holds the same list or dictionary more than once (shared or cyclic references)`);
    seen.add(v);
    const children = Array.isArray(v) ? v : v instanceof Map ? [...v.keys(), ...v.values()] : Object.values(v);
    for (const c of children) stack.push([c, depth + 1]);
  }
}

/** Whether `v` is a plain object without own properties (an empty WAMP dictionary). */
export function isEmptyObject(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) return false;
  for (const key in v) if (Object.hasOwn(v, key)) return false;
  return true;
}
