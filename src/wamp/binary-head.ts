// Writing a message head in front of a payload kept as bytes, for the two
// binary formats. msgpack and CBOR lay out what the router writes itself
// the same way (an array header, unsigned integers as a prefix byte and a
// big-endian number, an empty map as one byte); only the byte values
// differ. Everything else in a head (options, URIs) is encoded by the
// format's library.
import { isEmptyObject } from './format.js';
import type { Payload } from './payload.js';

export interface BinaryHeadCodes {
  /** first byte of an array of n elements, n < 16: arrayBase + n */
  arrayBase: number;
  /** the one byte of an empty map */
  emptyMap: number;
  /** unsigned integers below this are a single byte, the integer itself */
  immediateBelow: number;
  /** prefixes of unsigned integers of 1, 2, 4 and 8 bytes */
  uint8: number;
  uint16: number;
  uint32: number;
  uint64: number;
  /** encodes any other head element */
  encode(value: unknown): Buffer;
}

/** Bytes of an unsigned integer in these codes, prefix included. */
function uintBytes(v: number, immediateBelow: number): number {
  return v < immediateBelow ? 1 : v < 0x100 ? 2 : v < 0x10000 ? 3 : v <= 0xffffffff ? 5 : 9;
}

/**
 * The format's `splice`: writes `header` (a message up to the element
 * before Arguments) as the first elements of an array that the payload's
 * elements complete, then the payload's bytes, with `lead` bytes free
 * before the message and `trail` after it.
 */
export function binaryHeadSplicer(codes: BinaryHeadCodes): (header: readonly unknown[], payload: Payload, lead: number, trail: number) => Buffer {
  const { arrayBase, emptyMap, immediateBelow, uint8, uint16, uint32, uint64, encode } = codes;
  /** head elements encoded by the library while measuring, written after. Reused: not re-entered. */
  const encoded: Array<Buffer | undefined> = [];

  /** Writes the head at `at` and returns the offset after it; with `out` undefined, only measures. */
  function writeHeader(header: readonly unknown[], total: number, out: Buffer | undefined, at: number): number {
    let p = at;
    if (out !== undefined) out[p] = arrayBase + total; // a WAMP message has at most 7 elements
    p++;
    for (let i = 0; i < header.length; i++) {
      const v = header[i];
      if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
        // ids beyond 32 bits as 64-bit integers, as strict peers require
        if (out !== undefined) {
          if (v < immediateBelow) out[p] = v;
          else if (v < 0x100) {
            out[p] = uint8;
            out[p + 1] = v;
          } else if (v < 0x10000) {
            out[p] = uint16;
            out.writeUInt16BE(v, p + 1);
          } else if (v <= 0xffffffff) {
            out[p] = uint32;
            out.writeUInt32BE(v, p + 1);
          } else {
            out[p] = uint64;
            out.writeUInt32BE(Math.floor(v / 2 ** 32), p + 1);
            out.writeUInt32BE(v % 2 ** 32, p + 5);
          }
        }
        p += uintBytes(v, immediateBelow);
      } else if (isEmptyObject(v)) {
        if (out !== undefined) out[p] = emptyMap;
        p++;
      } else {
        let part = encoded[i];
        if (out === undefined) part = encoded[i] = encode(v);
        else part!.copy(out, p);
        p += part!.length;
      }
    }
    return p;
  }

  return (header, payload, lead, trail) => {
    const total = header.length + payload.count;
    const head = writeHeader(header, total, undefined, 0);
    const out = Buffer.allocUnsafe(lead + head + payload.byteLength + trail);
    writeHeader(header, total, out, lead);
    payload.copyTo(out, lead + head);
    encoded.length = 0;
    return out;
  };
}
