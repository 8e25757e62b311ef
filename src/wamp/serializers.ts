// The three WAMP serializers and their batched variants. A serializer turns
// one message (an array) into one WebSocket payload and back; batched
// variants carry several messages per WebSocket message.
//
// Binary values: msgpack and CBOR carry them natively; JSON carries them as
// a string of a NUL character followed by base64 (the spec's rule), which we
// turn back into a Buffer on decode, so binary crosses serializers intact.
//
// Integers: msgpackr and cbor-x write every integer beyond 32 bits as a
// float64, which strict peers (autobahn-python checks `type(id) is int`)
// refuse for ids. So ids in their known slots are written as 64-bit integers,
// and 64-bit integers in payloads are decoded as bigint, re-encoded as
// integers by the binary serializers and as plain numbers in JSON.
import { Packr, Unpackr } from 'msgpackr';
import { Encoder as CborEncoder } from 'cbor-x';
import { ID_SLOTS } from './messages.js';
import { ProtocolViolation } from './validation.js';

export interface Serializer {
  /** WebSocket subprotocol name, e.g. wamp.2.json */
  readonly protocol: string;
  /** whether payloads go in binary WebSocket frames */
  readonly binary: boolean;
  /** Encodes one message into one WebSocket payload. */
  encode(message: readonly unknown[]): string | Buffer;
  /** Decodes one WebSocket payload into its messages (one, or several when batched). Throws ProtocolViolation. */
  decode(data: Buffer): unknown[];
}

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

/** JSON text of one message, fast path first. */
export function encodeJson(message: readonly unknown[]): string {
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
    throw new ProtocolViolation(`invalid JSON: ${(err as Error).message}`);
  }
}

/** Copies the message with ids beyond 32 bits as bigint, so they are written as integers. */
function withIntegerIds(message: readonly unknown[]): readonly unknown[] {
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
const cbor = new CborEncoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });

function decodeWith(kind: string, decode: () => unknown): unknown {
  try {
    return decode();
  } catch (err) {
    throw new ProtocolViolation(`invalid ${kind}: ${(err as Error).message}`);
  }
}

export const jsonSerializer: Serializer = {
  protocol: 'wamp.2.json',
  binary: false,
  encode: encodeJson,
  decode: (data) => [decodeJsonText(data.toString('utf8'))],
};

export const msgpackSerializer: Serializer = {
  protocol: 'wamp.2.msgpack',
  binary: true,
  // pack() returns a view of a buffer that msgpackr never writes again, so
  // it can be queued on a socket without a copy.
  encode: (message) => packr.pack(withIntegerIds(message)),
  decode: (data) => [decodeWith('msgpack', () => unpackr.unpack(data))],
};

export const cborSerializer: Serializer = {
  protocol: 'wamp.2.cbor',
  binary: true,
  encode: (message) => cbor.encode(withIntegerIds(message)),
  decode: (data) => [decodeWith('CBOR', () => cbor.decode(data))],
};

/** Record separator that ends each message of wamp.2.json.batched. */
const RS = 0x1e;

export const jsonBatchedSerializer: Serializer = {
  protocol: 'wamp.2.json.batched',
  binary: false,
  encode: (message) => encodeJson(message) + '\u001e',
  decode: (data) => {
    const out: unknown[] = [];
    let start = 0;
    for (let i = 0; i < data.length; i++) {
      if (data[i] === RS) {
        out.push(decodeJsonText(data.toString('utf8', start, i)));
        start = i + 1;
      }
    }
    if (start < data.length) out.push(decodeJsonText(data.toString('utf8', start)));
    return out;
  },
};

/** Binary batched framing: each message prefixed by its length as a 32-bit big-endian integer. */
function lengthPrefixed(protocol: string, inner: Serializer, kind: string): Serializer {
  return {
    protocol,
    binary: true,
    encode: (message) => {
      const body = inner.encode(message) as Buffer;
      const out = Buffer.allocUnsafe(4 + body.length);
      out.writeUInt32BE(body.length, 0);
      body.copy(out, 4);
      return out;
    },
    decode: (data) => {
      const out: unknown[] = [];
      let pos = 0;
      while (pos < data.length) {
        if (pos + 4 > data.length) throw new ProtocolViolation(`truncated ${kind} batch: length prefix cut off`);
        const len = data.readUInt32BE(pos);
        pos += 4;
        if (pos + len > data.length) throw new ProtocolViolation(`truncated ${kind} batch: message of ${len} bytes cut off`);
        out.push(...inner.decode(data.subarray(pos, pos + len)));
        pos += len;
      }
      return out;
    },
  };
}

export const msgpackBatchedSerializer = lengthPrefixed('wamp.2.msgpack.batched', msgpackSerializer, 'msgpack');
export const cborBatchedSerializer = lengthPrefixed('wamp.2.cbor.batched', cborSerializer, 'CBOR');

/** Every serializer we speak, by subprotocol name. */
export const SERIALIZERS: ReadonlyMap<string, Serializer> = new Map(
  [
    jsonSerializer,
    msgpackSerializer,
    cborSerializer,
    jsonBatchedSerializer,
    msgpackBatchedSerializer,
    cborBatchedSerializer,
  ].map((s) => [s.protocol, s]),
);

/** Crossbar's serializer names ("json", "msgpack", "cbor") to the subprotocols they enable. */
export function subprotocolsFor(names: readonly string[]): string[] {
  const out: string[] = [];
  for (const name of names) {
    for (const p of [`wamp.2.${name}`, `wamp.2.${name}.batched`]) if (SERIALIZERS.has(p)) out.push(p);
  }
  return out;
}
