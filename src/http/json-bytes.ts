// Large JSON answers built as bytes. The columns of samples are written
// straight into bytes: formatting numbers is the bulk of a large answer's
// cost, and epoch milliseconds (13 digits, too large for V8's small-integer
// fast path) format at twice the speed of JSON.stringify when their digits
// are written here, two at a time; a node's values kept as JSON text are
// copied. An answer is written in one buffer, taken from a few kept for
// reuse and given back once the answer has gone out: a bridge answering
// large queries otherwise allocates its answers' size again and again
// outside the JS heap, and V8 reclaims such memory only by full collections
// of the whole heap, which then ran every dozen answers.
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

/** Buffers answers are written in, kept for the next answers once sent. */
const spare: Buffer[] = [];
let spareBytes = 0;
/** the memory of the buffers handed out as answers, so only those come back */
const handedOut = new WeakSet<ArrayBufferLike>();
/**
 * What is kept: a few buffers of everyday answers, none larger than
 * MAX_KEPT_BYTES and MAX_SPARE_BYTES in all, so a burst of huge answers
 * is not held on to for the life of the process.
 */
const MAX_SPARE = 8;
const MAX_KEPT_BYTES = 4 * 1024 * 1024;
const MAX_SPARE_BYTES = 16 * 1024 * 1024;
const FIRST_SIZE = 64 * 1024;

function takeBuffer(atLeast: number): Buffer {
  for (let i = spare.length - 1; i >= 0; i--) {
    if (spare[i]!.length >= atLeast) {
      const b = spare.splice(i, 1)[0]!;
      spareBytes -= b.length;
      return b;
    }
  }
  // its own memory (never a slice of Node's shared pool): the whole of it is ours to give back
  return Buffer.allocUnsafeSlow(Math.max(FIRST_SIZE, atLeast));
}

function keep(b: Buffer): void {
  if (b.length > MAX_KEPT_BYTES) return;
  // make room by dropping smaller ones; keep none if only larger ones would have to go
  while (spare.length >= MAX_SPARE || spareBytes + b.length > MAX_SPARE_BYTES) {
    let k = 0;
    for (let i = 1; i < spare.length; i++) if (spare[i]!.length < spare[k]!.length) k = i;
    if (spare.length === 0 || spare[k]!.length >= b.length) return;
    spareBytes -= spare.splice(k, 1)[0]!.length;
  }
  spare.push(b);
  spareBytes += b.length;
}

/**
 * Gives back the buffer of an answer (JsonBytes.toBuffer) once it has gone
 * out in full (its response finished): later answers are written in it.
 * Anything else is ignored, and an answer never given back is simply
 * collected.
 */
export function answerSent(answer: Uint8Array): void {
  const memory = answer.buffer;
  if (!handedOut.delete(memory)) return;
  keep(Buffer.from(memory, 0, memory.byteLength));
}

/** One JSON text, written piece by piece into one buffer. */
export class JsonBytes {
  private b: Buffer = takeBuffer(FIRST_SIZE);
  private p = 0;

  /** room for `n` more bytes */
  private room(n: number): Buffer {
    if (this.p + n > this.b.length) {
      const larger = takeBuffer(Math.max(2 * this.b.length, this.p + n));
      this.b.copy(larger, 0, 0, this.p);
      keep(this.b);
      this.b = larger;
    }
    return this.b;
  }

  add(part: string | Uint8Array): this {
    if (typeof part === 'string') this.p += this.room(3 * part.length).write(part, this.p);
    else {
      this.room(part.length).set(part, this.p);
      this.p += part.length;
    }
    return this;
  }

  /** Where the text written so far ends: `from` for copyOf. */
  get end(): number {
    return this.p;
  }

  /** Writes again the bytes written from `from` to `to`. */
  copyOf(from: number, to: number): this {
    this.room(to - from).copyWithin(this.p, from, to);
    this.p += to - from;
    return this;
  }

  /** UNIX times (seconds) as a JSON list of epoch milliseconds, as JSON.stringify would write them rounded. */
  millis(t: ArrayLike<number>): this {
    this.p = writeMillisList(this.room(2 + t.length * (TIME_BYTES + 1)), this.p, t);
    return this;
  }

  /**
   * SimpleJson datapoints, `[[value, ms], ...]`: each value as its own
   * text from the node's reply (copyable, so ASCII without blanks), each
   * time (UNIX seconds) in epoch ms; as many pairs as the shorter of the
   * two has.
   */
  datapoints(values: NumberListText, t: ArrayLike<number>): this {
    const n = Math.min(values.length, t.length);
    this.p = writeDatapoints(this.room(2 + values.bytes.length + n * (TIME_BYTES + 4)), this.p, values.bytes, n, t);
    return this;
  }

  /** The whole text; hand it to answerSent once sent. The writer is done with. */
  toBuffer(): Buffer {
    const out = this.b.subarray(0, this.p);
    handedOut.add(this.b.buffer);
    this.b = EMPTY;
    this.p = 0;
    return out;
  }
}
const EMPTY = Buffer.alloc(0);

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

/** Writes t (UNIX seconds) at p as a JSON list of epoch ms; returns the end. */
function writeMillisList(b: Buffer, p: number, t: ArrayLike<number>): number {
  b[p++] = OPEN;
  for (let i = 0; i < t.length; i++) {
    if (i > 0) b[p++] = COMMA;
    p = writeMillis(b, p, t[i] as number);
  }
  b[p++] = CLOSE;
  return p;
}

/** UNIX times (seconds) as the bytes of a JSON list of epoch milliseconds, as JSON.stringify would write them rounded. */
export function millisBytes(t: ArrayLike<number>): Buffer {
  const b = Buffer.allocUnsafe(2 + t.length * (TIME_BYTES + 1));
  return b.subarray(0, writeMillisList(b, 0, t));
}

/** The same as text. */
export function millisJson(t: ArrayLike<number>): string {
  return millisBytes(t).toString('latin1');
}

/** JSON written as bytes (ASCII), or already a string, as a string. */
export function jsonText(json: string | Uint8Array): string {
  return typeof json === 'string' ? json : Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('latin1');
}

/** Writes n `[value, ms]` pairs at p, values from the list text v; returns the end. */
function writeDatapoints(b: Buffer, p: number, v: Uint8Array, n: number, t: ArrayLike<number>): number {
  const end = v.length - 1;
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
  return p;
}
