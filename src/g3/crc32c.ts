// The frame checksum (FORMAT 3.3): CRC-32C (Castagnoli) with the register
// starting at 0 and no inversion before or after, i.e. the bare SSE4.2
// `crc32` instruction. The native @node-rs/crc32 computes the textbook
// (inverted) CRC-32C from an initial value; inverting around it gives this
// variant: X = ~crc32c(data, ~0), and continuing from X is ~crc32c(next, ~X).
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

// Below this size a table loop in JavaScript beats the cost of a native call
// (key names and scalar blobs are tens of bytes).
const NATIVE_MIN = 96;

const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  TABLE[n] = c;
}

/** The g3 frame CRC of `data`, continuing from `crc` (0 to start). */
export function g3Crc(data: Uint8Array, crc = 0): number {
  return g3CrcRange(data, 0, data.length, crc);
}

/** The g3 frame CRC of bytes [start, end) of `data`, continuing from `crc`. */
export function g3CrcRange(data: Uint8Array, start: number, end: number, crc = 0): number {
  if (end - start >= NATIVE_MIN) return ~nativeCrc32c(data.subarray(start, end), ~crc >>> 0) >>> 0;
  let c = crc | 0;
  for (let i = start; i < end; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

/** Formats a CRC as spt3g prints it, e.g. `0x7823f968`. */
export function crcHex(crc: number): string {
  return '0x' + (crc >>> 0).toString(16).padStart(8, '0');
}
