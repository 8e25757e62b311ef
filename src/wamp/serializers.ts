// The WAMP serializers: a wire format (JSON, msgpack, CBOR) in one of two
// framings. Plain: one message per WebSocket message. Batched: several
// messages per WebSocket message (JSON: each ended by the record separator
// 0x1e; binary formats: each prefixed by its length, 32-bit big-endian).
//
// Messages with a payload (CALL, INVOCATION, YIELD, RESULT, ERROR, PUBLISH,
// EVENT) can be encoded with a Payload: when the payload is in the
// serializer's own format (whatever the framing), its bytes are spliced in
// as they came; otherwise its values are decoded and encoded anew, which
// loses what JavaScript values cannot hold (see docs/router.md).
import { cborFormat } from './cbor-format.js';
import type { IncomingMessage, WireFormat } from './format.js';
import { jsonFormat } from './json-format.js';
import { msgpackFormat } from './msgpack-format.js';
import type { Payload } from './payload.js';
import { ProtocolViolation } from './validation.js';

export { encodeJson, decodeJsonText } from './json-format.js';
export type { IncomingMessage } from './format.js';

export interface Serializer {
  /** WebSocket subprotocol name, e.g. wamp.2.json */
  readonly protocol: string;
  /** whether payloads go in binary WebSocket frames */
  readonly binary: boolean;
  readonly format: WireFormat;
  /** Encodes one message, with `payload` (Arguments, ArgumentsKw) appended when given, into one WebSocket payload. */
  encode(message: readonly unknown[], payload?: Payload): string | Buffer;
  /** Decodes one WebSocket payload into its messages (one, or several when batched), payloads included. Throws ProtocolViolation. */
  decode(data: Buffer): unknown[];
  /** As decode, but payloads stay as bytes where they can (what a router needs). Throws ProtocolViolation. */
  decodeIncoming(data: Buffer): IncomingMessage[];
}

/** The message with the payload's bytes spliced in, or its values appended when the formats differ. */
function encodeWith(format: WireFormat, message: readonly unknown[], payload: Payload, lead: number, trail: number): Buffer {
  if (payload.format === format) return format.splice(message, payload, lead, trail);
  const encoded = format.encode([...message, ...payload.values()]);
  if (lead === 0 && trail === 0) return typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : encoded;
  const size = typeof encoded === 'string' ? Buffer.byteLength(encoded) : encoded.length;
  const out = Buffer.allocUnsafe(lead + size + trail);
  if (typeof encoded === 'string') out.write(encoded, lead, 'utf8');
  else encoded.copy(out, lead);
  return out;
}

function plain(protocol: string, format: WireFormat): Serializer {
  return {
    protocol,
    binary: format.binary,
    format,
    encode: (message, payload) => (payload === undefined ? format.encode(message) : encodeWith(format, message, payload, 0, 0)),
    decode: (data) => [format.decode(data)],
    decodeIncoming: (data) => [format.decodeIncoming(data)],
  };
}

/** Record separator that ends each message of wamp.2.json.batched. */
const RS = 0x1e;

function recordSeparated(protocol: string, format: WireFormat): Serializer {
  const split = <T>(data: Buffer, decode: (message: Buffer) => T): T[] => {
    const out: T[] = [];
    let start = 0;
    for (let i = data.indexOf(RS); i >= 0; i = data.indexOf(RS, start)) {
      out.push(decode(data.subarray(start, i)));
      start = i + 1;
    }
    if (start < data.length) out.push(decode(data.subarray(start)));
    return out;
  };
  return {
    protocol,
    binary: false,
    format,
    encode: (message, payload) => {
      if (payload === undefined) return `${format.encode(message) as string}\u001e`;
      const out = encodeWith(format, message, payload, 0, 1);
      out[out.length - 1] = RS;
      return out;
    },
    decode: (data) => split(data, (m) => format.decode(m)),
    decodeIncoming: (data) => split(data, (m) => format.decodeIncoming(m)),
  };
}

/** Binary batched framing: each message prefixed by its length as a 32-bit big-endian integer. */
function lengthPrefixed(protocol: string, format: WireFormat): Serializer {
  const split = <T>(data: Buffer, decode: (message: Buffer) => T): T[] => {
    const out: T[] = [];
    let pos = 0;
    while (pos < data.length) {
      if (pos + 4 > data.length) throw new ProtocolViolation(`truncated ${format.name} batch: length prefix cut off`);
      const len = data.readUInt32BE(pos);
      pos += 4;
      if (pos + len > data.length) throw new ProtocolViolation(`truncated ${format.name} batch: message of ${len} bytes cut off`);
      out.push(decode(data.subarray(pos, pos + len)));
      pos += len;
    }
    return out;
  };
  return {
    protocol,
    binary: true,
    format,
    encode: (message, payload) => {
      let out: Buffer;
      if (payload === undefined) {
        const body = format.encode(message) as Buffer;
        out = Buffer.allocUnsafe(4 + body.length);
        body.copy(out, 4);
      } else out = encodeWith(format, message, payload, 4, 0);
      out.writeUInt32BE(out.length - 4, 0);
      return out;
    },
    decode: (data) => split(data, (m) => format.decode(m)),
    decodeIncoming: (data) => split(data, (m) => format.decodeIncoming(m)),
  };
}

export const jsonSerializer = plain('wamp.2.json', jsonFormat);
export const msgpackSerializer = plain('wamp.2.msgpack', msgpackFormat);
export const cborSerializer = plain('wamp.2.cbor', cborFormat);
export const jsonBatchedSerializer = recordSeparated('wamp.2.json.batched', jsonFormat);
export const msgpackBatchedSerializer = lengthPrefixed('wamp.2.msgpack.batched', msgpackFormat);
export const cborBatchedSerializer = lengthPrefixed('wamp.2.cbor.batched', cborFormat);

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
