import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  SERIALIZERS,
  cborSerializer,
  jsonBatchedSerializer,
  jsonSerializer,
  msgpackBatchedSerializer,
  msgpackSerializer,
  ProtocolViolation,
} from '../../src/wamp/index.js';

const require = createRequire(import.meta.url);

test('every serializer round-trips a message with nested payload and binary', () => {
  const msg = [48, 7, { receive_progress: true }, 'com.example.proc', [1, -2.5, 'x', null, true, Buffer.from([0, 255])], { k: { nested: [1, 2] } }];
  for (const s of SERIALIZERS.values()) {
    const encoded = s.encode(msg);
    const decoded = s.decode(Buffer.isBuffer(encoded) ? encoded : Buffer.from(encoded));
    assert.equal(decoded.length, 1, s.protocol);
    assert.deepEqual(decoded[0], msg, s.protocol);
  }
});

test('JSON carries binary as a NUL-prefixed base64 string, and turns it back into bytes', () => {
  const text = jsonSerializer.encode([36, 1, 2, {}, [Buffer.from('hi')]]) as string;
  assert.equal(text, '[36,1,2,{},["\\u0000aGk="]]');
  const [back] = jsonSerializer.decode(Buffer.from(text)) as [unknown[]];
  assert.deepEqual((back[4] as unknown[])[0], Buffer.from('hi'));
});

test('ids beyond 32 bits are written as msgpack and CBOR integers, not floats', () => {
  const id = 2 ** 53;
  const mp = msgpackSerializer.encode([2, id, {}]) as Buffer;
  assert.ok(mp[2] === 0xcf || mp[2] === 0xd3, 'msgpack 64-bit integer'); // after the array header and the type code
  const cb = cborSerializer.encode([2, id, {}]) as Buffer;
  assert.equal(cb[2], 0x1b, 'CBOR uint64');
  // and a peer's decoder gets the integer back (autobahn-js uses msgpack5)
  const msgpack5 = require('msgpack5') as () => { decode(b: Buffer): unknown[] };
  assert.equal(msgpack5().decode(mp)[1], id);
});

test('64-bit integers from a binary peer stay integers through the router', () => {
  const big = 2 ** 40;
  const incoming = Buffer.from('9310cf' + '0000010000000000' + '80', 'hex'); // [16, 2^40, {}] packed by a peer
  const [msg] = msgpackSerializer.decode(incoming) as [unknown[]];
  assert.equal(msg[1], BigInt(big));
  assert.equal(jsonSerializer.encode(msg as unknown[]), `[16,${big},{}]`);
});

test('batched variants frame several messages and reject truncated frames', () => {
  const a = jsonBatchedSerializer.encode([1, 'r', {}]) as string;
  const b = jsonBatchedSerializer.encode([6, {}, 'wamp.close.normal']) as string;
  assert.deepEqual(jsonBatchedSerializer.decode(Buffer.from(a + b)), [[1, 'r', {}], [6, {}, 'wamp.close.normal']]);
  const m = Buffer.concat([msgpackBatchedSerializer.encode([1, 'r', {}]) as Buffer, msgpackBatchedSerializer.encode([3, {}, 'x']) as Buffer]);
  assert.deepEqual(msgpackBatchedSerializer.decode(m), [[1, 'r', {}], [3, {}, 'x']]);
  assert.throws(() => msgpackBatchedSerializer.decode(m.subarray(0, m.length - 1)), ProtocolViolation);
});

test('undecodable input is a ProtocolViolation', () => {
  assert.throws(() => jsonSerializer.decode(Buffer.from('[1,')), ProtocolViolation);
  assert.throws(() => msgpackSerializer.decode(Buffer.from([0x93, 0x01])), ProtocolViolation);
  assert.throws(() => cborSerializer.decode(Buffer.from([0x83, 0x01])), ProtocolViolation);
});
