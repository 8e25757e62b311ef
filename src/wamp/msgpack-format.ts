// msgpack (wamp.2.msgpack). msgpackr writes every integer beyond 32 bits as
// a float64, which strict peers (autobahn-python checks `type(id) is int`)
// refuse for ids, so ids in their known slots are written as 64-bit
// integers; 64-bit integers in payloads decode as bigint and are written
// back as integers. Payloads that pass through keep every byte: a float64
// 293.0 reaches a msgpack receiver as the float64 293.0.
import { Packr, Unpackr } from 'msgpackr';
import { ID_SLOTS, PAYLOAD_INDEX } from './messages.js';
import { MAX_PAYLOAD_NESTING, checkDecodedTree, checkUtf8, nestingTooDeep, type IncomingMessage, type MessageLayout, type WireFormat } from './format.js';
import { binaryHeadSplicer } from './binary-head.js';
import { Payload } from './payload.js';
import { ProtocolViolation } from './validation.js';
import { assertUnicode } from './unicode.js';

/** Copies the message with ids beyond 32 bits as bigint, so the binary encoders write them as integers. */
export function withIntegerIds(message: readonly unknown[]): readonly unknown[] {
  const slots = ID_SLOTS[message[0] as number];
  if (slots === undefined) return message;
  let copy: unknown[] | undefined;
  for (const i of slots) {
    const v = message[i];
    if (typeof v === 'number' && v > 0xffffffff) {
      copy ??= message.slice();
      copy[i] = BigInt(v);
    }
  }
  return copy ?? message;
}

const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

function decodeWith<T>(decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    throw new ProtocolViolation(`invalid msgpack: ${(err as Error).message}`);
  }
}

/** Decodes a whole message and checks it is a tree that can be passed on. */
function decodeChecked(data: Buffer): unknown {
  // its strings first: the decoder would take bytes that are not UTF-8 as U+FFFD
  checkStrings(data);
  const message = decodeWith(() => unpackr.unpack(data) as unknown);
  // every level of nesting takes a byte at least, and this decoder never
  // shares a list between two places: a short message needs no walk (most
  // messages without a payload, decoded here, are short)
  if (data.length > MAX_PAYLOAD_NESTING) checkDecodedTree(message, 'msgpack');
  return message;
}

// --- the scanner ---------------------------------------------------------

/** Per open container: items still to come, and for maps whether the next item is a key. Reused: the scanner does not re-enter. */
const remaining = new Float64Array(MAX_PAYLOAD_NESTING + 1);
const isMap = new Uint8Array(MAX_PAYLOAD_NESTING + 1);
const keyNext = new Uint8Array(MAX_PAYLOAD_NESTING + 1);

/** Size in bytes of items with no length field, by first byte; 0: it has one, or is not plain. */
const FIXED_SIZE = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  if (c <= 0x7f || c >= 0xe0 || c === 0xc0 || c === 0xc2 || c === 0xc3) FIXED_SIZE[c] = 1;
}
FIXED_SIZE[0xcc] = FIXED_SIZE[0xd0] = 2;
FIXED_SIZE[0xcd] = FIXED_SIZE[0xd1] = 3;
FIXED_SIZE[0xca] = FIXED_SIZE[0xce] = FIXED_SIZE[0xd2] = 5;
FIXED_SIZE[0xcb] = FIXED_SIZE[0xcf] = FIXED_SIZE[0xd3] = 9;

const isStr = (c: number): boolean => (c >= 0xa0 && c <= 0xbf) || (c >= 0xd9 && c <= 0xdb);

/**
 * Skips one msgpack value at p; returns the offset after it, or -1 when it
 * is truncated or not plain (extension types, non-string map keys): the
 * full decoder then decides. Throws for strings that are not UTF-8, the
 * never-used byte 0xc1, and nesting beyond MAX_PAYLOAD_NESTING. With
 * `everything`, extension types and any map keys are skipped too: a check
 * of the strings of a message that is to be decoded in full.
 */
function skipValue(b: Buffer, p: number, end: number, everything = false): number {
  let depth = 0;
  for (;;) {
    if (depth > 0 && isMap[depth - 1] === 0) {
      // inside a list, runs of numbers (a data reply's bulk) go through a tight loop; the last item takes the general path
      const top = depth - 1;
      let left = remaining[top]!;
      let size: number;
      while (left > 1 && p < end && (size = FIXED_SIZE[b[p]!]!) > 0) {
        p += size;
        left--;
      }
      remaining[top] = left;
    }
    if (p >= end) return -1;
    const c = b[p]!;
    if (depth > 0 && keyNext[depth - 1] === 1 && !isStr(c) && !everything) return -1;
    const fixed = FIXED_SIZE[c]!;
    let items = -1; // >= 0: a container starts with this many items
    let map = false;
    if (fixed > 0) {
      p += fixed;
      if (p > end) return -1;
    } else if (c >= 0xa0 && c <= 0xbf) {
      const start = p + 1;
      p = start + (c & 0x1f);
      if (p > end) return -1;
      checkUtf8(b, start, p, 'msgpack');
    } else if (c >= 0x80 && c <= 0x9f) {
      map = c < 0x90;
      items = c & 0x0f;
      p += 1;
    } else {
      let len = 0;
      let head = 0;
      switch (c) {
        case 0xc4: // bin 8, 16, 32
        case 0xd9: // str 8, 16, 32
          head = 2;
          if (p + head > end) return -1;
          len = b[p + 1]!;
          break;
        case 0xc5:
        case 0xda:
          head = 3;
          if (p + head > end) return -1;
          len = b.readUInt16BE(p + 1);
          break;
        case 0xc6:
        case 0xdb:
          head = 5;
          if (p + head > end) return -1;
          len = b.readUInt32BE(p + 1);
          break;
        case 0xdc: // array 16, 32; map 16, 32
        case 0xde:
          if (p + 3 > end) return -1;
          items = b.readUInt16BE(p + 1);
          map = c === 0xde;
          p += 3;
          break;
        case 0xdd:
        case 0xdf:
          if (p + 5 > end) return -1;
          items = b.readUInt32BE(p + 1);
          map = c === 0xdf;
          p += 5;
          break;
        case 0xc7: // ext 8, 16, 32: a length, a type byte and the data
        case 0xc8:
        case 0xc9:
          if (!everything) return -1;
          head = c === 0xc7 ? 3 : c === 0xc8 ? 4 : 6;
          if (p + head > end) return -1;
          len = c === 0xc7 ? b[p + 1]! : c === 0xc8 ? b.readUInt16BE(p + 1) : b.readUInt32BE(p + 1);
          break;
        case 0xd4: // fixext 1 to 16: a type byte and the data
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8:
          if (!everything) return -1;
          head = 2;
          len = 1 << (c - 0xd4);
          break;
        case 0xc1:
          throw new ProtocolViolation('invalid msgpack: the byte 0xc1 is never used');
        default:
          return -1; // none left: every other byte is handled above
      }
      if (items < 0) {
        const start = p + head;
        p = start + len;
        if (p > end) return -1;
        if (c >= 0xd9) checkUtf8(b, start, p, 'msgpack');
      }
    }
    // an empty container counts as a level too, as in the other formats
    if (items >= 0 && depth === MAX_PAYLOAD_NESTING) throw nestingTooDeep('msgpack');
    if (items > 0) {
      remaining[depth] = map ? items * 2 : items;
      isMap[depth] = map ? 1 : 0;
      keyNext[depth] = map ? 1 : 0;
      depth++;
      continue;
    }
    // an item ended: count it in its container, and end the containers it completes
    for (;;) {
      if (depth === 0) return p;
      const top = depth - 1;
      if (isMap[top] === 1) keyNext[top] ^= 1;
      if (--remaining[top]! > 0) break;
      depth--;
    }
  }
}

/**
 * Throws for a string that is not UTF-8 anywhere in the message, and for
 * nesting beyond MAX_PAYLOAD_NESTING (counted from its elements, as the
 * scanner counts); what it cannot read is left to the decoder.
 */
function checkStrings(b: Buffer): void {
  const header = readArrayHeader(b, 0);
  if (header === undefined) return;
  let p = header[0];
  for (let i = 0; i < header[1] && p >= 0; i++) p = skipValue(b, p, b.length, true);
}

/** Offset after the array header at p, and the element count; undefined if there is none. */
function readArrayHeader(b: Buffer, p: number): [number, number] | undefined {
  const c = b[p];
  if (c === undefined) return undefined;
  if (c >= 0x90 && c <= 0x9f) return [p + 1, c & 0x0f];
  if (c === 0xdc && p + 3 <= b.length) return [p + 3, b.readUInt16BE(p + 1)];
  if (c === 0xdd && p + 5 <= b.length) return [p + 5, b.readUInt32BE(p + 1)];
  return undefined;
}

const isArray = (c: number | undefined): boolean => c !== undefined && ((c >= 0x90 && c <= 0x9f) || c === 0xdc || c === 0xdd);
const isMapStart = (c: number | undefined): boolean => c !== undefined && ((c >= 0x80 && c <= 0x8f) || c === 0xde || c === 0xdf);

/** Where each element of the last scanned message's header starts and ends. Reused: the scanner does not re-enter. */
const elementStart: number[] = [];
const elementEnd: number[] = [];

/** Finds the payload of a message that carries one; undefined when it has none or is not plain msgpack. */
export function scanMsgpackMessage(b: Buffer): MessageLayout | undefined {
  const end = b.length;
  const header = readArrayHeader(b, 0);
  if (header === undefined) return undefined;
  const [headerStart, elements] = header;
  const type = b[headerStart];
  if (type === undefined || type > 0x7f) return undefined;
  const index = PAYLOAD_INDEX[type];
  if (index === undefined || elements <= index || elements > index + 2) return undefined;
  let p = headerStart + 1;
  elementStart[0] = headerStart;
  elementEnd[0] = p;
  for (let i = 1; i < index; i++) {
    elementStart[i] = p;
    p = skipValue(b, p, end);
    if (p < 0) return undefined;
    elementEnd[i] = p;
  }
  const payloadStart = p;
  if (!isArray(b[p])) return undefined;
  p = skipValue(b, p, end);
  if (p < 0) return undefined;
  if (elements === index + 2) {
    if (!isMapStart(b[p])) return undefined;
    p = skipValue(b, p, end);
    if (p < 0) return undefined;
  }
  if (p !== end) return undefined;
  return { headerStart, headerEnd: payloadStart, headerElements: index, payloadStart, payloadEnd: end, count: elements === index + 2 ? 2 : 1 };
}

// --- heads --------------------------------------------------------------

/**
 * The header elements of the message just scanned. The usual ones
 * (unsigned integers, strings, empty maps) are read here; others by msgpackr,
 * one element at a time.
 */
function decodeHeader(b: Buffer, count: number): unknown[] {
  const out = new Array<unknown>(count);
  for (let i = 0; i < count; i++) {
    const start = elementStart[i]!;
    const end = elementEnd[i]!;
    const c = b[start]!;
    let v: unknown;
    if (c <= 0x7f) v = c;
    else if (c === 0xcc) v = b[start + 1];
    else if (c === 0xcd) v = b.readUInt16BE(start + 1);
    else if (c === 0xce) v = b.readUInt32BE(start + 1);
    else if (c === 0xcf) {
      const high = b.readUInt32BE(start + 1);
      // beyond 2^53 a number would round: bigint, as msgpackr gives it
      v = high < 0x200000 ? high * 2 ** 32 + b.readUInt32BE(start + 5) : b.readBigUInt64BE(start + 1);
    } else if (c >= 0xa0 && c <= 0xbf) v = b.toString('utf8', start + 1, end); // the scanner checked the UTF-8
    else if (c === 0xd9) v = b.toString('utf8', start + 2, end);
    else if (c === 0x80 || ((c === 0xde || c === 0xdf) && end - start === (c === 0xde ? 3 : 5))) v = {}; // msgpackr writes {} as a map16 of 0
    else v = decodeWith(() => unpackr.unpack(b.subarray(start, end)) as unknown);
    out[i] = v;
  }
  return out;
}

// --- the format ----------------------------------------------------------

export const msgpackFormat: WireFormat = {
  name: 'msgpack',
  binary: true,
  // pack() returns a view of a buffer that msgpackr never writes again, so
  // it can be queued on a socket without a copy.
  encode: (message) => {
    // what arrived as msgpack or CBOR was checked; strings from JSON peers may not be UTF-8-able
    assertUnicode(message);
    return packr.pack(withIntegerIds(message));
  },
  decode: decodeChecked,
  decodeIncoming(data: Buffer): IncomingMessage {
    const layout = scanMsgpackMessage(data);
    if (layout === undefined) return { message: decodeChecked(data), payload: undefined };
    return {
      message: decodeHeader(data, layout.headerElements),
      payload: Payload.raw(msgpackFormat, data, layout.payloadStart, layout.payloadEnd, layout.count),
    };
  },
  decodeElements: (bytes) => decodeWith(() => unpackr.unpackMultiple(bytes) as unknown[]),
  splice: binaryHeadSplicer({
    arrayBase: 0x90,
    emptyMap: 0x80,
    immediateBelow: 0x80,
    uint8: 0xcc,
    uint16: 0xcd,
    uint32: 0xce,
    uint64: 0xcf,
    encode: (v) => packr.pack(v),
  }),
};
