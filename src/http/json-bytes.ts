// Large JSON answers built as bytes. The columns of samples are written
// straight into bytes: formatting numbers is the bulk of a large answer's
// cost, and epoch milliseconds (13 digits, too large for V8's small-integer
// fast path) format at twice the speed of JSON.stringify when their digits
// are written here, two at a time; a node's values kept as JSON text are
// copied. The pieces are then joined into one Buffer of the exact size,
// which the socket takes as it is (a string answer would be flattened,
// measured and encoded again on its way out).
import type { NumberListText } from '../protocol/data-reply.js';

const OPEN = 0x5b;
const CLOSE = 0x5d;
const COMMA = 0x2c;
const ZERO = 0x30;

/** '00' to '99', two bytes each. */
const DIGIT_PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  DIGIT_PAIRS[2 * i] = ZERO + Math.floor(i / 10);
  DIGIT_PAIRS[2 * i + 1] = ZERO + (i % 10);
}

/** The bytes of a list of values being copied (reused: the writers run one at a time; it grows to the largest). */
let source = Buffer.allocUnsafe(1 << 16);

/** One JSON text, in pieces of text and bytes, joined once at the end. */
export class JsonBytes {
  private readonly parts: (string | Buffer)[] = [];
  private size = 0;

  add(part: string | Buffer): this {
    this.parts.push(part);
    this.size += typeof part === 'string' ? Buffer.byteLength(part) : part.length;
    return this;
  }

  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.size);
    let p = 0;
    for (const part of this.parts) p += typeof part === 'string' ? out.write(part, p) : part.copy(out, p);
    return out;
  }
}

/** Most bytes one written time takes: a 16-digit integer, or String() of any other number. */
const TIME_BYTES = 24;

/** Writes the integers 0 to 99,999,999 at p, digits only; returns the end. */
function writeSmall(b: Buffer, p: number, n: number): number {
  const len = n >= 1e7 ? 8 : n >= 1e6 ? 7 : n >= 1e5 ? 6 : n >= 1e4 ? 5 : n >= 1e3 ? 4 : n >= 100 ? 3 : n >= 10 ? 2 : 1;
  let k = p + len;
  while (n >= 100) {
    const q = (n / 100) | 0;
    const r = 2 * (n - q * 100);
    b[--k] = DIGIT_PAIRS[r + 1]!;
    b[--k] = DIGIT_PAIRS[r]!;
    n = q;
  }
  if (n >= 10) {
    b[k - 1] = DIGIT_PAIRS[2 * n + 1]!;
    b[k - 2] = DIGIT_PAIRS[2 * n]!;
  } else b[k - 1] = ZERO + n;
  return p + len;
}

/** Writes exactly 8 digits of 0 to 99,999,999 (leading zeros kept) at p. */
function writeEight(b: Buffer, p: number, n: number): void {
  for (let k = p + 6; k >= p; k -= 2) {
    const q = (n / 100) | 0;
    const r = 2 * (n - q * 100);
    b[k] = DIGIT_PAIRS[r]!;
    b[k + 1] = DIGIT_PAIRS[r + 1]!;
    n = q;
  }
}

/** Writes Math.round(seconds * 1000) as JSON at p; returns the end. */
function writeMillis(b: Buffer, p: number, seconds: number): number {
  const ms = Math.round(seconds * 1000);
  if (ms >= 0 && ms < 1e16) {
    if (ms < 1e8) return writeSmall(b, p, ms);
    const high = Math.floor(ms / 1e8);
    p = writeSmall(b, p, high);
    writeEight(b, p, ms - high * 1e8);
    return p + 8;
  }
  // before 1970, or beyond any date: rare enough for the general way (null for NaN, as JSON.stringify)
  return p + b.write(Number.isFinite(ms) ? String(ms) : 'null', p, 'latin1');
}

/** UNIX times (seconds) as the bytes of a JSON list of epoch milliseconds, as JSON.stringify would write them rounded. */
export function millisBytes(t: ArrayLike<number>): Buffer {
  const b = Buffer.allocUnsafe(2 + t.length * (TIME_BYTES + 1));
  let p = 0;
  b[p++] = OPEN;
  for (let i = 0; i < t.length; i++) {
    if (i > 0) b[p++] = COMMA;
    p = writeMillis(b, p, t[i] as number);
  }
  b[p++] = CLOSE;
  return b.subarray(0, p);
}

/** The same as text. */
export function millisJson(t: ArrayLike<number>): string {
  return millisBytes(t).toString('latin1');
}

/**
 * SimpleJson datapoints, `[[value, ms], ...]`, as bytes: each value as its
 * own text from the node's reply (copyable, so ASCII without blanks), each
 * time (UNIX seconds) in epoch ms; as many pairs as the shorter of the two
 * has.
 */
export function datapointsBytes(values: NumberListText, t: ArrayLike<number>): Buffer {
  // the values' text as bytes first: copying bytes is several times faster than reading a string's characters
  if (source.length < values.text.length) source = Buffer.allocUnsafe(Math.max(values.text.length, 2 * source.length));
  const v = source;
  const end = v.write(values.text, 0, 'latin1') - 1;
  const n = Math.min(values.length, t.length);
  const b = Buffer.allocUnsafe(2 + end + n * (TIME_BYTES + 4));
  let p = 0;
  b[p++] = OPEN;
  let at = 1; // after the list's '['
  for (let i = 0; i < n; i++) {
    if (i > 0) b[p++] = COMMA;
    b[p++] = OPEN;
    // the value's characters, up to the comma or bracket after it
    for (let c = v[at]!; c !== COMMA && at < end; c = v[++at]!) b[p++] = c;
    at++;
    b[p++] = COMMA;
    p = writeMillis(b, p, t[i] as number);
    b[p++] = CLOSE;
  }
  b[p++] = CLOSE;
  return b.subarray(0, p);
}
