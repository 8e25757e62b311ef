// Structural validation of incoming WAMP messages: the right number of
// elements, each of the right kind, ids in range. A message that fails is a
// protocol violation; what its URIs mean is checked later by whoever handles
// it (so a bad URI gets wamp.error.invalid_uri, not an ABORT).
import { MAX_ID, MessageType, messageName, type WampMessage } from './messages.js';

/** Thrown for a message that does not have the shape the spec requires. */
export class ProtocolViolation extends Error {
  override name = 'ProtocolViolation';
}

/** What one slot of a message must hold. */
type Slot = 'id' | 'int' | 'dict' | 'string' | 'args' | 'kwargs';

interface Shape {
  slots: readonly Slot[];
  /** number of slots (after the type code) that must be present */
  required: number;
}

const payload: readonly Slot[] = ['args', 'kwargs'];

const SHAPES: Record<number, Shape> = {
  [MessageType.HELLO]: { slots: ['string', 'dict'], required: 2 },
  [MessageType.WELCOME]: { slots: ['id', 'dict'], required: 2 },
  [MessageType.ABORT]: { slots: ['dict', 'string'], required: 2 },
  [MessageType.CHALLENGE]: { slots: ['string', 'dict'], required: 2 },
  [MessageType.AUTHENTICATE]: { slots: ['string', 'dict'], required: 2 },
  [MessageType.GOODBYE]: { slots: ['dict', 'string'], required: 2 },
  [MessageType.ERROR]: { slots: ['int', 'id', 'dict', 'string', ...payload], required: 4 },
  [MessageType.PUBLISH]: { slots: ['id', 'dict', 'string', ...payload], required: 3 },
  [MessageType.PUBLISHED]: { slots: ['id', 'id'], required: 2 },
  [MessageType.SUBSCRIBE]: { slots: ['id', 'dict', 'string'], required: 3 },
  [MessageType.SUBSCRIBED]: { slots: ['id', 'id'], required: 2 },
  [MessageType.UNSUBSCRIBE]: { slots: ['id', 'id'], required: 2 },
  [MessageType.UNSUBSCRIBED]: { slots: ['id', 'dict'], required: 1 },
  [MessageType.EVENT]: { slots: ['id', 'id', 'dict', ...payload], required: 3 },
  [MessageType.CALL]: { slots: ['id', 'dict', 'string', ...payload], required: 3 },
  [MessageType.CANCEL]: { slots: ['id', 'dict'], required: 2 },
  [MessageType.RESULT]: { slots: ['id', 'dict', ...payload], required: 2 },
  [MessageType.REGISTER]: { slots: ['id', 'dict', 'string'], required: 3 },
  [MessageType.REGISTERED]: { slots: ['id', 'id'], required: 2 },
  [MessageType.UNREGISTER]: { slots: ['id', 'id'], required: 2 },
  [MessageType.UNREGISTERED]: { slots: ['id', 'dict'], required: 1 },
  [MessageType.INVOCATION]: { slots: ['id', 'id', 'dict', ...payload], required: 3 },
  [MessageType.INTERRUPT]: { slots: ['id', 'dict'], required: 2 },
  [MessageType.YIELD]: { slots: ['id', 'dict', ...payload], required: 2 },
};

/**
 * A client's value as an error text shows it: a string quoted and cut short,
 * anything else named by its kind. Never recursive: a value may nest
 * thousands of levels deep or contain itself (CBOR shared references).
 */
export function describeValue(v: unknown, max = 100): string {
  if (typeof v === 'string') return `'${v.length > max ? `${v.slice(0, max)}...` : v}'`;
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `${v.byteLength} bytes`;
  return `a ${typeof v === 'object' ? 'dictionary' : typeof v}`;
}

/**
 * A WAMP dictionary: a plain object. Decoders also make dates (msgpack
 * timestamps, CBOR tag 1), Maps and Sets (CBOR tags 259, 258) and typed
 * arrays; none of them is a dictionary, and passed on as one they would
 * reach a JSON peer as a string or a list.
 */
export function isDict(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function slotError(code: number, index: number, expected: string, got: unknown): ProtocolViolation {
  const kind = Array.isArray(got) ? 'array' : got === null ? 'null' : typeof got;
  return new ProtocolViolation(`${messageName[code]}: element ${index} must be ${expected}, got ${kind}`);
}

/**
 * Checks that `raw` is a WAMP message of a known type with the right shape.
 * Ids that a binary serializer decoded as bigint are turned into numbers in
 * place. Returns the same array, typed. `payloadCount`: the number of
 * payload elements (Arguments, ArgumentsKw) kept apart as bytes, already
 * checked to be a list and a dictionary by the scanner that found them.
 */
export function validateMessage(raw: unknown, payloadCount = 0): WampMessage {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new ProtocolViolation('a WAMP message must be a non-empty array');
  }
  const code: unknown = raw[0];
  const shape = typeof code === 'number' ? SHAPES[code] : undefined;
  if (shape === undefined) {
    throw new ProtocolViolation(`unknown message type ${describeValue(code)}`);
  }
  const c = code as number;
  const n = raw.length - 1 + payloadCount;
  if (n < shape.required || n > shape.slots.length) {
    throw new ProtocolViolation(
      `${messageName[c]} must have ${shape.required === shape.slots.length ? shape.required : `${shape.required} to ${shape.slots.length}`} elements after the type code, got ${n}`,
    );
  }
  for (let i = 1; i < raw.length; i++) {
    const v: unknown = raw[i];
    switch (shape.slots[i - 1]) {
      case 'id':
        if (typeof v === 'number') {
          if (!Number.isInteger(v) || v < 0 || v > MAX_ID) throw slotError(c, i, 'an id in [0, 2^53]', v);
        } else if (typeof v === 'bigint') {
          if (v < 0n || v > BigInt(MAX_ID)) throw slotError(c, i, 'an id in [0, 2^53]', v);
          raw[i] = Number(v);
        } else {
          throw slotError(c, i, 'an id', v);
        }
        break;
      case 'int':
        if (typeof v !== 'number' || !Number.isInteger(v)) throw slotError(c, i, 'an integer', v);
        break;
      case 'dict':
      case 'kwargs':
        if (!isDict(v)) throw slotError(c, i, 'a dictionary', v);
        break;
      case 'string':
        if (typeof v !== 'string') throw slotError(c, i, 'a string', v);
        break;
      case 'args':
        if (!Array.isArray(v)) throw slotError(c, i, 'a list', v);
        break;
    }
  }
  return raw as WampMessage;
}
