// CBOR (wamp.2.cbor). Ids are written as integers as with msgpack. Payloads
// that pass through keep every byte (a float 293.0 stays a float, in
// whatever width the sender chose).
import { Encoder as CborEncoder } from 'cbor-x';
import { PAYLOAD_INDEX } from './messages.js';
import { MAX_PAYLOAD_NESTING, checkDecodedTree, checkUtf8, nestingTooDeep, type IncomingMessage, type MessageLayout, type WireFormat } from './format.js';
import { withIntegerIds } from './msgpack-format.js';
import { binaryHeadSplicer } from './binary-head.js';
import { Payload } from './payload.js';
import { ProtocolViolation } from './validation.js';
import { assertUnicode } from './unicode.js';

const cbor = new CborEncoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });

function decodeWith<T>(decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    throw new ProtocolViolation(`invalid CBOR: ${(err as Error).message}`);
  }
}

/** Decodes a whole message and checks it is a tree that can be passed on. */
function decodeChecked(data: Buffer): unknown {
  // its text first: the decoder would take bytes that are not UTF-8 as U+FFFD
  checkText(data);
  const message = decodeWith(() => cbor.decode(data) as unknown);
  checkDecodedTree(message, 'CBOR');
  return message;
}

// --- the scanner ---------------------------------------------------------

/** remaining[] value of an indefinite-length container (it ends at a break). */
const INDEFINITE = -1;
/** Per open container: items still to come (or INDEFINITE), and for maps whether the next item is a key. Reused: the scanner does not re-enter. */
const remaining = new Float64Array(MAX_PAYLOAD_NESTING + 1);
const isMap = new Uint8Array(MAX_PAYLOAD_NESTING + 1);
const keyNext = new Uint8Array(MAX_PAYLOAD_NESTING + 1);

const BREAK = 0xff;

/** Size of integers, floats, false, true, null and undefined by their first byte; 0 for everything else. */
const SCALAR_SIZE = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const major = c >> 5;
  const ai = c & 31;
  const argument = ai < 24 ? 0 : ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : ai === 27 ? 8 : -1;
  if ((major === 0 || major === 1) && argument >= 0) SCALAR_SIZE[c] = 1 + argument;
  if (major === 7 && ((ai >= 20 && ai <= 23) || ai >= 25) && argument >= 0) SCALAR_SIZE[c] = 1 + argument;
}

/** The argument of the head just read by readHead. Reused: the scanner does not re-enter. */
let argument = 0;

/** Reads the argument of the head at p (additional information below 28) into `argument`; returns the offset after the head, or -1. */
function readHead(b: Buffer, p: number, end: number): number {
  const ai = b[p]! & 31;
  if (ai < 24) {
    argument = ai;
    return p + 1;
  }
  if (ai === 24) {
    if (p + 2 > end) return -1;
    argument = b[p + 1]!;
    return p + 2;
  }
  if (ai === 25) {
    if (p + 3 > end) return -1;
    argument = b.readUInt16BE(p + 1);
    return p + 3;
  }
  if (ai === 26) {
    if (p + 5 > end) return -1;
    argument = b.readUInt32BE(p + 1);
    return p + 5;
  }
  if (ai === 27) {
    if (p + 9 > end) return -1;
    argument = b.readUInt32BE(p + 1) * 2 ** 32 + b.readUInt32BE(p + 5);
    return p + 9;
  }
  return -1;
}

/**
 * Skips one CBOR data item at p; returns the offset after it, or -1 when it
 * is truncated or not plain (tags, simple values other than false, true,
 * null and undefined, indefinite-length strings, map keys that are not
 * text): the full decoder then decides. Throws for text that is not UTF-8
 * and nesting beyond MAX_PAYLOAD_NESTING. With `everything`, tags, simple
 * values and any map keys are skipped too: a check of the text of a
 * message that is to be decoded in full (whose decoder refuses
 * indefinite-length strings itself).
 */
function skipValue(b: Buffer, p: number, end: number, everything = false): number {
  let depth = 0;
  for (;;) {
    if (depth > 0 && isMap[depth - 1] === 0 && remaining[depth - 1] !== INDEFINITE) {
      // inside a list, runs of numbers (a data reply's bulk) go through a tight loop; the last item takes the general path
      const top = depth - 1;
      let left = remaining[top]!;
      let size: number;
      while (left > 1 && p < end && (size = SCALAR_SIZE[b[p]!]!) > 0) {
        p += size;
        left--;
      }
      remaining[top] = left;
    }
    if (p >= end) return -1;
    const c = b[p]!;
    const major = c >> 5;
    if (depth > 0 && keyNext[depth - 1] === 1 && major !== 3 && c !== BREAK && !everything) return -1;
    const scalar = SCALAR_SIZE[c]!;
    if (scalar > 0) {
      p += scalar;
      if (p > end) return -1;
    } else if (c === BREAK) {
      const top = depth - 1;
      if (depth === 0 || remaining[top] !== INDEFINITE || (isMap[top] === 1 && keyNext[top] === 0)) return -1;
      p++;
      depth--;
    } else {
      const ai = c & 31;
      let arg = 0;
      let indefinite = false;
      if (ai === 31 && (major === 4 || major === 5)) {
        indefinite = true;
        p += 1;
      } else {
        p = readHead(b, p, end);
        if (p < 0) return -1;
        arg = argument;
      }
      let container = false;
      switch (major) {
        case 0: // unsigned and negative integers
        case 1:
          break;
        case 2: // byte string
        case 3: {
          const start = p;
          p += arg;
          if (p > end) return -1;
          if (major === 3) checkUtf8(b, start, p, 'CBOR');
          break;
        }
        case 4:
        case 5:
          container = true;
          break;
        case 6: // tags: cbor-x gives several of them meanings of its own
          if (!everything) return -1;
          continue; // the tagged item follows, and counts as the item
        case 7: // false, true, null, undefined (20-23) and floats (25-27) only
          if ((ai < 20 || ai === 24) && !everything) return -1;
          break;
      }
      // an empty container counts as a level too, as in the other formats
      if (container && depth === MAX_PAYLOAD_NESTING) throw nestingTooDeep('CBOR');
      if (container && (indefinite || arg > 0)) {
        const map = major === 5;
        remaining[depth] = indefinite ? INDEFINITE : map ? arg * 2 : arg;
        isMap[depth] = map ? 1 : 0;
        keyNext[depth] = map ? 1 : 0;
        depth++;
        continue;
      }
    }
    // an item ended: count it in its container, and end the containers it completes
    for (;;) {
      if (depth === 0) return p;
      const top = depth - 1;
      if (isMap[top] === 1) keyNext[top] ^= 1;
      if (remaining[top] === INDEFINITE || --remaining[top]! > 0) break;
      depth--;
    }
  }
}

const majorOf = (c: number | undefined): number => (c === undefined ? -1 : c >> 5);

/**
 * Throws for text that is not UTF-8 anywhere in the message, and for
 * nesting beyond MAX_PAYLOAD_NESTING (counted from its elements, as the
 * scanner counts); what it cannot read is left to the decoder.
 */
function checkText(b: Buffer): void {
  if (majorOf(b[0]) !== 4) return;
  let p: number;
  let count: number;
  if ((b[0]! & 31) === 31) {
    p = 1;
    count = Infinity; // up to its break
  } else {
    p = readHead(b, 0, b.length);
    count = argument;
  }
  for (let i = 0; i < count && p >= 0 && p < b.length && b[p] !== BREAK; i++) p = skipValue(b, p, b.length, true);
}

/** Where each element of the last scanned message's header starts and ends. Reused: the scanner does not re-enter. */
const elementStart: number[] = [];
const elementEnd: number[] = [];

/** Finds the payload of a message that carries one; undefined when it has none or is not plain CBOR. */
export function scanCborMessage(b: Buffer): MessageLayout | undefined {
  const end = b.length;
  const first = b[0];
  if (majorOf(first) !== 4) return undefined;
  let headerStart: number;
  let elements: number;
  const ai = first! & 31;
  if (ai < 24) {
    headerStart = 1;
    elements = ai;
  } else if (ai === 24 && end >= 2) {
    headerStart = 2;
    elements = b[1]!;
  } else return undefined; // longer arrays are not WAMP messages; indefinite ones go to the full decoder
  let type: number;
  let p: number;
  const t = b[headerStart];
  if (t === undefined || t > 0x18) return undefined;
  if (t < 0x18) {
    type = t;
    p = headerStart + 1;
  } else {
    if (headerStart + 2 > end) return undefined;
    type = b[headerStart + 1]!;
    p = headerStart + 2;
  }
  const index = PAYLOAD_INDEX[type];
  if (index === undefined || elements <= index || elements > index + 2) return undefined;
  elementStart[0] = headerStart;
  elementEnd[0] = p;
  for (let i = 1; i < index; i++) {
    elementStart[i] = p;
    p = skipValue(b, p, end);
    if (p < 0) return undefined;
    elementEnd[i] = p;
  }
  const payloadStart = p;
  if (majorOf(b[p]) !== 4) return undefined;
  p = skipValue(b, p, end);
  if (p < 0) return undefined;
  if (elements === index + 2) {
    if (majorOf(b[p]) !== 5) return undefined;
    p = skipValue(b, p, end);
    if (p < 0) return undefined;
  }
  if (p !== end) return undefined;
  return { headerStart, headerEnd: payloadStart, headerElements: index, payloadStart, payloadEnd: end, count: elements === index + 2 ? 2 : 1 };
}

// --- heads --------------------------------------------------------------

/**
 * The header elements of the message just scanned. The usual ones
 * (unsigned integers, text, empty maps) are read here; others by cbor-x,
 * one element at a time.
 */
function decodeHeader(b: Buffer, count: number): unknown[] {
  const out = new Array<unknown>(count);
  for (let i = 0; i < count; i++) {
    const start = elementStart[i]!;
    const end = elementEnd[i]!;
    const c = b[start]!;
    let v: unknown;
    if (c < 0x18) v = c;
    else if (c === 0x18) v = b[start + 1];
    else if (c === 0x19) v = b.readUInt16BE(start + 1);
    else if (c === 0x1a) v = b.readUInt32BE(start + 1);
    else if (c === 0x1b) {
      const high = b.readUInt32BE(start + 1);
      v = high < 0x200000 ? high * 2 ** 32 + b.readUInt32BE(start + 5) : b.readBigUInt64BE(start + 1);
    } else if (c >= 0x60 && c <= 0x77) v = b.toString('utf8', start + 1, end); // the scanner checked the UTF-8
    else if (c === 0x78) v = b.toString('utf8', start + 2, end);
    else if (c === 0xa0 || (c >= 0xb8 && c <= 0xbb && end - start === 1 + (1 << (c - 0xb8)))) v = {}; // cbor-x writes {} as a map of 0 with a 16-bit count
    else v = decodeWith(() => cbor.decode(b.subarray(start, end)) as unknown);
    out[i] = v;
  }
  return out;
}

// --- the format ----------------------------------------------------------

export const cborFormat: WireFormat = {
  name: 'cbor',
  binary: true,
  encode: (message) => {
    // what arrived as msgpack or CBOR was checked; strings from JSON peers may not be UTF-8-able
    assertUnicode(message);
    return cbor.encode(withIntegerIds(message));
  },
  decode: decodeChecked,
  decodeIncoming(data: Buffer): IncomingMessage {
    const layout = scanCborMessage(data);
    if (layout === undefined) return { message: decodeChecked(data), payload: undefined };
    return {
      message: decodeHeader(data, layout.headerElements),
      payload: Payload.raw(cborFormat, data, layout.payloadStart, layout.payloadEnd, layout.count),
    };
  },
  decodeElements: (bytes) => decodeWith(() => cbor.decodeMultiple(bytes) as unknown[]),
  splice: binaryHeadSplicer({
    arrayBase: 0x80,
    emptyMap: 0xa0,
    immediateBelow: 0x18,
    uint8: 0x18,
    uint16: 0x19,
    uint32: 0x1a,
    uint64: 0x1b,
    encode: (v) => cbor.encode(v),
  }),
};
