// How the router fuzzer puts messages on the wire and reads the router's
// answers. Encoding goes through the serializer libraries for ordinary
// values; what no library writes (nesting thousands of levels deep, integers
// beyond 64 bits in JSON, NaN in JSON, CBOR shared references that make a
// cycle) is spliced in as raw bytes: a `Raw` node is encoded as a marker
// string whose encoding is then replaced by the node's bytes.
//
// Decoding uses the same libraries with the router's options, so the oracle
// judges a frame by what the router itself sees in it.
import { isUtf8 } from 'node:buffer';
import { C1, Packr, Unpackr } from 'msgpackr';
import { Encoder as CborEncoder } from 'cbor-x';
import { decodeJsonText } from '../../../src/wamp/json-format.js';

export type WireFormat = 'json' | 'msgpack' | 'cbor';

export interface Protocol {
  /** the WebSocket subprotocol, e.g. wamp.2.msgpack.batched */
  name: string;
  format: WireFormat;
  batched: boolean;
}

export const PROTOCOLS: readonly Protocol[] = (['json', 'msgpack', 'cbor'] as const).flatMap((format) => [
  { name: `wamp.2.${format}`, format, batched: false },
  { name: `wamp.2.${format}.batched`, format, batched: true },
]);

/** A value spliced into a message as raw bytes, per wire format. */
export class Raw {
  constructor(
    readonly json: string,
    readonly msgpack: Buffer,
    readonly cbor: Buffer,
    /** what it is, for case descriptions */
    readonly note: string,
  ) {}

  /** how failure reports print it */
  toJSON(): string {
    return `<${this.note}>`;
  }

  private static readonly deepMade = new Map<string, Raw>();

  /** Lists or maps nested `levels` deep (made once per size: they are large). */
  static deep(levels: number, kind: 'array' | 'map'): Raw {
    const key = `${kind}${levels}`;
    let made = Raw.deepMade.get(key);
    if (made === undefined) {
      made = Raw.makeDeep(levels, kind);
      Raw.deepMade.set(key, made);
    }
    return made;
  }

  private static makeDeep(levels: number, kind: 'array' | 'map'): Raw {
    if (kind === 'array') {
      return new Raw('['.repeat(levels) + ']'.repeat(levels), Buffer.concat([Buffer.alloc(levels, 0x91), Buffer.from([0xc0])]), Buffer.concat([Buffer.alloc(levels, 0x81), Buffer.from([0xf6])]), `arrays nested ${levels} deep`);
    }
    // {"a": {"a": ... null}}
    const mp = Buffer.alloc(levels * 3 + 1);
    const cb = Buffer.alloc(levels * 3 + 1);
    for (let i = 0; i < levels; i++) {
      mp.set([0x81, 0xa1, 0x61], i * 3);
      cb.set([0xa1, 0x61, 0x61], i * 3);
    }
    mp[levels * 3] = 0xc0;
    cb[levels * 3] = 0xf6;
    return new Raw('{"a":'.repeat(levels) + 'null' + '}'.repeat(levels), mp, cb, `maps nested ${levels} deep`);
  }

  /** An integer beyond what 64 bits hold (JSON), the largest uint64 (msgpack, CBOR). */
  static hugeInteger(): Raw {
    return new Raw('184467440737095516170000', Buffer.from('cfffffffffffffffff', 'hex'), Buffer.from('1bffffffffffffffff', 'hex'), 'an integer beyond 64 bits');
  }

  /** CBOR: an array that contains itself (shared-reference tags 28/29); elsewhere a deep array. */
  static cycle(): Raw {
    const deep = Raw.deep(5000, 'array');
    return new Raw(deep.json, deep.msgpack, Buffer.from('d81c8201d81d00', 'hex'), 'an array that contains itself (CBOR tags 28/29)');
  }

  /** Not a value of the format at all: NaN in JSON, a reserved byte in msgpack, a reserved CBOR simple value. */
  static invalid(): Raw {
    return new Raw('NaN', Buffer.from([0xc1]), Buffer.from([0xfc]), 'an invalid token');
  }
}

const MARK = '\u0001RAW-SPLICE-';
/** markers are MARK + 4 digits: 16 characters, so one known header byte in msgpack (0xb0) and CBOR (0x70) */
function marker(i: number): string {
  return `${MARK}${String(i).padStart(4, '0')}`;
}

const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: false, variableMapSize: true });
const cborEncoder = new CborEncoder({ useRecords: false, tagUint8Array: false });

/** Replaces Raw nodes (and, for JSON, values JSON cannot hold) by markers; collects what goes where. */
function withMarkers(value: unknown, raws: Raw[], format: WireFormat, depth = 0): unknown {
  if (value instanceof Raw) {
    raws.push(value);
    return marker(raws.length - 1);
  }
  if (depth > 200) return value;
  if (format === 'json') {
    if (typeof value === 'bigint') {
      raws.push(new Raw(value.toString(), Buffer.alloc(0), Buffer.alloc(0), 'bigint'));
      return marker(raws.length - 1);
    }
    if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
      return '\u0000' + Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
    }
  }
  if (Array.isArray(value)) return value.map((v) => withMarkers(v, raws, format, depth + 1));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: withMarkers(v, raws, format, depth + 1), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

function replaceAll(haystack: Buffer, needle: Buffer, by: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (;;) {
    const at = haystack.indexOf(needle, from);
    if (at < 0) break;
    parts.push(haystack.subarray(from, at), by);
    from = at + needle.length;
  }
  if (parts.length === 0) return haystack;
  parts.push(haystack.subarray(from));
  return Buffer.concat(parts);
}

/** Encodes one message (any value: the fuzzer also sends things that are not arrays). */
export function encodeMessage(message: unknown, format: WireFormat): Buffer {
  const raws: Raw[] = [];
  const marked = withMarkers(message, raws, format);
  if (format === 'json') {
    let text = JSON.stringify(marked) ?? 'null';
    raws.forEach((r, i) => (text = text.split(JSON.stringify(marker(i))).join(r.json)));
    return Buffer.from(text, 'utf8');
  }
  let bytes: Buffer = format === 'msgpack' ? packr.pack(marked) : cborEncoder.encode(marked);
  raws.forEach((r, i) => {
    const head = Buffer.from([format === 'msgpack' ? 0xb0 : 0x70]);
    bytes = replaceAll(bytes, Buffer.concat([head, Buffer.from(marker(i), 'latin1')]), format === 'msgpack' ? r.msgpack : r.cbor);
  });
  return bytes;
}

/** Packs encoded messages into one frame of a batched subprotocol. */
export function batchFrames(messages: readonly Buffer[], format: WireFormat): Buffer {
  if (format === 'json') return Buffer.concat(messages.flatMap((m) => [m, Buffer.from([0x1e])]));
  return Buffer.concat(
    messages.flatMap((m) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(m.length);
      return [len, m];
    }),
  );
}

// --- decoding, with the router's options ---

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
const cborDecoder = new CborEncoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });

function reviveBinary(_key: string, value: unknown): unknown {
  if (typeof value === 'string' && value.length > 0 && value.charCodeAt(0) === 0) return Buffer.from(value.slice(1), 'base64');
  return value;
}

function decodeOne(data: Buffer, format: WireFormat): unknown {
  if (format === 'json') {
    // a reviver makes JSON.parse recursive (deep nesting then overflows the stack): only when binary values may be there
    const text = data.toString('utf8');
    try {
      return text.includes('\\u0000') ? JSON.parse(text, reviveBinary) : JSON.parse(text);
    } catch (err) {
      // the router also reads Python's bare NaN / Infinity tokens: its own rule decides
      if (/NaN|Infinity/.test(text)) return decodeJsonText(text);
      throw err;
    }
  }
  if (format === 'msgpack') return unpackr.unpack(data);
  const value: unknown = cborDecoder.decode(data);
  // cbor-x reads such bytes without complaint, even as a typed array's
  // content under a tag. (Something other than a list is refused as no
  // WAMP message when its turn comes, whatever its strings.)
  if (Array.isArray(value) && !cborTextIsUtf8(data)) throw new Error('a CBOR text string that is not UTF-8');
  return value;
}

/**
 * Whether every text string in one CBOR data item (RFC 8949), however deep,
 * in a tag's content or in chunks, is UTF-8 (CBOR requires it; a chunk of an
 * indefinite-length string must be UTF-8 by itself). Only for bytes that
 * decoded: it walks the heads and does not check them.
 */
export function cborTextIsUtf8(data: Uint8Array): boolean {
  let pos = 0;
  const argument = (info: number): number => {
    if (info < 24) return info;
    const bytes = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : 8;
    let value = 0;
    for (let i = 0; i < bytes; i++) value = value * 256 + (data[pos++] ?? 0);
    return value;
  };
  // items still to read in each open array, map (twice its size) or tag; Infinity: until a break
  const open: number[] = [1];
  while (open.length > 0 && pos < data.length) {
    if (open[open.length - 1] === 0) {
      open.pop();
      continue;
    }
    const head = data[pos++]!;
    if (head === 0xff) {
      open.pop();
      continue;
    }
    open[open.length - 1]! -= 1;
    const major = head >> 5;
    const info = head & 31;
    if (info === 31) {
      if (major === 2 || major === 3) {
        for (let chunk = data[pos++]; chunk !== undefined && chunk !== 0xff; chunk = data[pos++]) {
          const length = argument(chunk & 31);
          if (chunk >> 5 === 3 && !isUtf8(data.subarray(pos, pos + length))) return false;
          pos += length;
        }
      } else if (major === 4 || major === 5) open.push(Infinity);
      continue;
    }
    const value = argument(info);
    if (major === 2) pos += value;
    else if (major === 3) {
      if (!isUtf8(data.subarray(pos, pos + value))) return false;
      pos += value;
    } else if (major === 4) open.push(value);
    else if (major === 5) open.push(2 * value);
    else if (major === 6) open.push(1);
    // 0, 1: integers; 7: simple values and floats, whose bytes argument() passed
  }
  return true;
}

export type Decoded = { ok: true; messages: unknown[] } | { ok: false; why: string };

/** Decodes one WebSocket message as the router does (batched framing split first). */
export function decodeFrame(data: Buffer, protocol: Protocol): Decoded {
  try {
    if (!protocol.batched) return { ok: true, messages: [decodeOne(data, protocol.format)] };
    const out: unknown[] = [];
    if (protocol.format === 'json') {
      // each message ends with a record separator (the last one may lack it); an empty one is not JSON
      let start = 0;
      for (let i = 0; i < data.length; i++) {
        if (data[i] === 0x1e) {
          out.push(decodeOne(data.subarray(start, i), 'json'));
          start = i + 1;
        }
      }
      if (start < data.length) out.push(decodeOne(data.subarray(start), 'json'));
      return { ok: true, messages: out };
    }
    let pos = 0;
    while (pos < data.length) {
      if (pos + 4 > data.length) return { ok: false, why: 'length prefix cut off' };
      const len = data.readUInt32BE(pos);
      pos += 4;
      if (pos + len > data.length) return { ok: false, why: 'message cut off' };
      out.push(decodeOne(data.subarray(pos, pos + len), protocol.format));
      pos += len;
    }
    return { ok: true, messages: out };
  } catch (err) {
    return { ok: false, why: (err as Error).message };
  }
}

/** What msgpackr makes of the byte 0xc1, which msgpack never uses. */
const C1_TYPE = (C1 as object).constructor as new () => unknown;

/**
 * How deeply a decoded value nests lists and maps, whether it contains
 * itself or one list or map twice (CBOR shared references), whether a
 * string or key holds U+FFFD (what decoders make of bytes that are not
 * UTF-8), and whether msgpack's never-used byte 0xc1 was in it. Never
 * recursive.
 */
export function nesting(value: unknown, limit = 1_000_000): { depth: number; cyclic: boolean; shared: boolean; replaced: boolean; neverUsed: boolean } {
  let depth = 0;
  let replaced = false;
  let neverUsed = false;
  let cyclic = false;
  let shared = false;
  const onPath = new Set<object>();
  const seen = new Set<object>();
  // entries: a value to enter at a depth, or a value to leave
  const stack: ({ enter: unknown; depth: number } | { leave: object })[] = [{ enter: value, depth: 0 }];
  let visited = 0;
  while (stack.length > 0 && visited++ < limit) {
    const top = stack.pop()!;
    if ('leave' in top) {
      onPath.delete(top.leave);
      continue;
    }
    const v = top.enter;
    if (typeof v === 'string' && v.includes('\ufffd')) replaced = true;
    if (v instanceof C1_TYPE) neverUsed = true;
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) continue;
    if (!Array.isArray(v) && !(v instanceof Map) && Object.keys(v).some((k) => k.includes('\ufffd'))) replaced = true;
    if (onPath.has(v)) {
      cyclic = true;
      continue;
    }
    if (seen.has(v)) shared = true;
    seen.add(v);
    onPath.add(v);
    depth = Math.max(depth, top.depth + 1);
    stack.push({ leave: v });
    const children = Array.isArray(v) ? v : v instanceof Map ? [...v.values()] : v instanceof Set ? [...v] : Object.values(v as object);
    for (const c of children) stack.push({ enter: c, depth: top.depth + 1 });
  }
  return { depth, cyclic, shared, replaced, neverUsed };
}
