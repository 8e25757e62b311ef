// Little-endian primitive reading and writing for the cereal "portable
// binary" encoding that .g3 files use (FORMAT section 2): fixed-width
// integers, IEEE doubles, and u64-length-prefixed strings and byte arrays.
import { G3FormatError, G3TruncatedError } from './errors.js';
import { dataViewOf } from './views.js';

/** Largest length this library accepts for one string or byte array (u64 on disk). */
export const MAX_LENGTH = 2 ** 40;

const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** Decodes UTF-8 (invalid sequences become U+FFFD, as the format never validates). */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= 24) {
    // Short names dominate HK data; a plain loop beats TextDecoder's call cost.
    let s = '';
    for (let i = start; i < end; i++) {
      const c = bytes[i]!;
      if (c >= 0x80) return utf8.decode(bytes.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8.decode(bytes.subarray(start, end));
}

// Names (frame keys, class names, field names) repeat in every frame; a
// small cache returns the same string for the same ASCII bytes instead of
// building it again.
const NAME_CACHE = new Map<number, string>();
const NAME_CACHE_MAX = 8192;

/** Decodes a short name, returning a cached string when the same ASCII bytes were seen before. */
export function decodeName(bytes: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n > 64) return decodeUtf8(bytes, start, end);
  let h = 0x811c9dc5 ^ n;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c >= 0x80) return decodeUtf8(bytes, start, end);
    h = Math.imul(h ^ c, 0x01000193);
  }
  const hit = NAME_CACHE.get(h);
  if (hit !== undefined && hit.length === n) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (hit.charCodeAt(i) !== bytes[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return hit;
  }
  const s = decodeUtf8(bytes, start, end);
  if (NAME_CACHE.size >= NAME_CACHE_MAX) NAME_CACHE.clear();
  NAME_CACHE.set(h, s);
  return s;
}

export function encodeUtf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

/** A key or index that completes the description of what is read. */
export type Detail = string | number | undefined;

/** "what 'key'suffix" or "what 3suffix". */
export function describe(what: string, detail: Detail, suffix = ''): string {
  if (detail === undefined) return what + suffix;
  return typeof detail === 'number' ? `${what} ${detail}${suffix}` : `${what} '${detail}'${suffix}`;
}

/** A cursor over a byte range; every read checks bounds and says what was being read. */
export class ByteReader {
  readonly bytes: Uint8Array;
  /** A view of the whole underlying buffer; add `off` to positions. */
  readonly view: DataView;
  readonly off: number;
  pos: number;
  readonly end: number;
  /** Added to positions in messages and errors: the stream offset of bytes[0]. */
  readonly base: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length, base = 0) {
    this.bytes = bytes;
    this.view = dataViewOf(bytes.buffer);
    this.off = bytes.byteOffset;
    this.pos = start;
    this.end = end;
    this.base = base;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  // Every read says what it reads, for the error message only. The message
  // is put together when a read fails: `what`, then `detail` (a key or an
  // index) quoted, then `suffix`. Building it on every read would cost more
  // than the read.

  need(n: number, what: string, detail?: Detail, suffix?: string): void {
    if (this.pos + n > this.end) {
      const left = this.end - this.pos;
      const at = this.base + this.pos;
      throw new G3TruncatedError(`${describe(what, detail, suffix)}: need ${n} bytes at offset ${at}, ${left} left`, at, n - left);
    }
  }

  u8(what = 'u8', detail?: Detail): number {
    this.need(1, what, detail);
    return this.bytes[this.pos++]!;
  }

  u32(what = 'u32', detail?: Detail): number {
    this.need(4, what, detail);
    const v = this.view.getUint32(this.off + this.pos, true);
    this.pos += 4;
    return v;
  }

  i32(what = 'i32', detail?: Detail): number {
    this.need(4, what, detail);
    const v = this.view.getInt32(this.off + this.pos, true);
    this.pos += 4;
    return v;
  }

  i64(what = 'i64', detail?: Detail): bigint {
    this.need(8, what, detail);
    const v = this.view.getBigInt64(this.off + this.pos, true);
    this.pos += 8;
    return v;
  }

  f64(what = 'f64', detail?: Detail): number {
    this.need(8, what, detail);
    const v = this.view.getFloat64(this.off + this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A u64 count or length, refused when it cannot be a real size. */
  length(what: string, limit = MAX_LENGTH, detail?: Detail, suffix?: string): number {
    this.need(8, what, detail, suffix);
    const lo = this.view.getUint32(this.off + this.pos, true);
    const hi = this.view.getUint32(this.off + this.pos + 4, true);
    const v = hi * 4294967296 + lo;
    if (hi >= 0x200000 || v > limit) {
      const shown = hi >= 0x200000 ? `0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')}` : String(v);
      const at = this.base + this.pos;
      throw new G3FormatError(`${describe(what, detail, suffix)}: impossible length ${shown} at offset ${at}`, at);
    }
    this.pos += 8;
    return v;
  }

  /** A u64 element count, checked against the bytes left (each element takes at least `minSize`). */
  count(what: string, minSize: number, detail?: Detail): number {
    const at = this.pos;
    const n = this.length(what, MAX_LENGTH, detail);
    if (minSize > 0 && n * minSize > this.end - this.pos) {
      this.pos = at;
      this.need(8 + n * minSize, what, detail, ` (${n} elements)`);
    }
    return n;
  }

  str(what = 'string', detail?: Detail): string {
    const n = this.length(what, MAX_LENGTH, detail, ' length');
    this.need(n, what, detail);
    const s = decodeUtf8(this.bytes, this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** A string that is a name (key, class or field name): short, repeated, cached. */
  name(what = 'name', detail?: Detail): string {
    const n = this.length(what, MAX_LENGTH, detail, ' length');
    this.need(n, what, detail);
    const s = decodeName(this.bytes, this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** A u64-length-prefixed byte array, as a view (no copy). */
  lengthPrefixed(what: string, detail?: Detail): Uint8Array {
    const n = this.length(what, MAX_LENGTH, detail, ' length');
    this.need(n, what, detail);
    const b = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const b = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

/** A growable output buffer with the same primitives. */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  pos = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
  }

  i32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.pos, v, true);
    this.pos += 4;
  }

  u64(v: number): void {
    this.ensure(8);
    this.view.setUint32(this.pos, v % 4294967296, true);
    this.view.setUint32(this.pos + 4, Math.floor(v / 4294967296), true);
    this.pos += 8;
  }

  i64(v: bigint): void {
    this.ensure(8);
    this.view.setBigInt64(this.pos, v, true);
    this.pos += 8;
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** The bytes of a typed array, in the machine's (little-endian) order. */
  typed(a: ArrayBufferView): void {
    this.raw(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }

  str(s: string): void {
    this.lengthPrefixed(encodeUtf8(s));
  }

  lengthPrefixed(b: Uint8Array): void {
    this.u64(b.length);
    this.raw(b);
  }

  /** Reserves a u64 length to be filled in by `patchLength`. */
  reserveLength(): number {
    const at = this.pos;
    this.u64(0);
    return at;
  }

  patchLength(at: number): void {
    const n = this.pos - at - 8;
    this.view.setUint32(at, n % 4294967296, true);
    this.view.setUint32(at + 4, Math.floor(n / 4294967296), true);
  }

  /** The bytes written so far (a view; valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // Typed-array views of file bytes assume a little-endian host, as every
  // machine Node supports in practice is.
  throw new Error('the .g3 library needs a little-endian host');
}
