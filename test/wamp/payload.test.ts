import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import {
  MAX_PAYLOAD_NESTING,
  Payload,
  ProtocolViolation,
  SERIALIZERS,
  validateMessage,
  cborBatchedSerializer,
  cborSerializer,
  jsonBatchedSerializer,
  jsonSerializer,
  msgpackBatchedSerializer,
  msgpackSerializer,
  type Serializer,
} from '../../src/wamp/index.js';

const FLOAT64_293 = 'cb4072500000000000'; // msgpack float64 293.0
const CBOR_FLOAT64_293 = 'fb4072500000000000';

/** msgpack of CALL [48, 1, {}, "p", [293.0], {"v": 293.0}] as a Python peer writes it (floats stay float64). */
const PYTHON_MSGPACK_CALL = Buffer.from(`96 30 01 80 a170 91${FLOAT64_293} 81a176${FLOAT64_293}`.replace(/ /g, ''), 'hex');
/** the same in CBOR */
const PYTHON_CBOR_CALL = Buffer.from(`86183001a06170 81${CBOR_FLOAT64_293} a16176${CBOR_FLOAT64_293}`.replace(/ /g, ''), 'hex');

const toBuffer = (x: string | Buffer): Buffer => (typeof x === 'string' ? Buffer.from(x, 'utf8') : x);

test('a msgpack payload passes through byte for byte: float64 293.0 stays a float', () => {
  const [incoming] = msgpackSerializer.decodeIncoming(PYTHON_MSGPACK_CALL);
  assert.deepEqual(incoming!.message, [48, 1, {}, 'p']);
  const payload = incoming!.payload!;
  assert.equal(payload.count, 2);
  const invocation = toBuffer(msgpackSerializer.encode([68, 5, 7, {}], payload));
  assert.ok(invocation.toString('hex').endsWith(`91${FLOAT64_293}81a176${FLOAT64_293}`), invocation.toString('hex'));
  assert.equal(invocation[0], 0x96, 'array header counts the spliced elements');
  assert.deepEqual(msgpackSerializer.decode(invocation), [[68, 5, 7, {}, [293], { v: 293 }]]);
  // batched framing around the same bytes
  const batched = toBuffer(msgpackBatchedSerializer.encode([68, 5, 7, {}], payload));
  assert.equal(batched.readUInt32BE(0), invocation.length);
  assert.ok(batched.subarray(4).equals(invocation));
});

test('a CBOR payload passes through byte for byte', () => {
  const [incoming] = cborSerializer.decodeIncoming(PYTHON_CBOR_CALL);
  assert.deepEqual(incoming!.message, [48, 1, {}, 'p']);
  const result = toBuffer(cborSerializer.encode([50, 9, {}], incoming!.payload));
  assert.ok(result.toString('hex').endsWith(`81${CBOR_FLOAT64_293}a16176${CBOR_FLOAT64_293}`), result.toString('hex'));
  assert.equal(result[0], 0x85);
  const batched = toBuffer(cborBatchedSerializer.encode([50, 9, {}], incoming!.payload));
  assert.deepEqual(cborSerializer.decode(batched.subarray(4)), [[50, 9, {}, [293], { v: 293 }]]);
});

test('a JSON payload passes through as written: 293.0 and integers beyond 2^53 keep their text', () => {
  const text = ' [48, 1, {"x": [1, 2]}, "p", [293.0, 18446744073709551615, "\\u0000aGk="] , {"v": 1E5} ] ';
  const [incoming] = jsonSerializer.decodeIncoming(Buffer.from(text));
  assert.deepEqual(incoming!.message, [48, 1, { x: [1, 2] }, 'p']);
  const out = toBuffer(jsonSerializer.encode([68, 5, 7, {}], incoming!.payload)).toString();
  assert.equal(out, '[68,5,7,{},[293.0, 18446744073709551615, "\\u0000aGk="] , {"v": 1E5}]');
  const batched = toBuffer(jsonBatchedSerializer.encode([68, 5, 7, {}], incoming!.payload)).toString();
  assert.equal(batched, `${out}\u001e`);
  // values, when asked for, are the decoded ones (binary included)
  assert.deepEqual(incoming!.payload!.args, [293, 2 ** 64, Buffer.from('hi')]);
  assert.deepEqual(incoming!.payload!.kwargs, { v: 100000 });
});

test('across formats the payload is decoded and encoded anew', () => {
  const [incoming] = msgpackSerializer.decodeIncoming(PYTHON_MSGPACK_CALL);
  assert.equal(toBuffer(jsonSerializer.encode([68, 5, 7, {}], incoming!.payload)).toString(), '[68,5,7,{},[293],{"v":293}]');
  const [fromJson] = jsonSerializer.decodeIncoming(Buffer.from('[16,1,{},"t",[1.5,"x"],{"k":null}]'));
  assert.deepEqual(cborSerializer.decode(toBuffer(cborSerializer.encode([36, 2, 3, {}], fromJson!.payload))), [[36, 2, 3, {}, [1.5, 'x'], { k: null }]]);
});

test('every payload-carrying type from a client is split: CALL, YIELD, ERROR, PUBLISH, with args only or args and kwargs', () => {
  // each message with the index of its Arguments
  const messages: Array<[unknown[], number]> = [
    [[48, 1, {}, 'p', [1]], 4],
    [[70, 2, { progress: true }, ['a'], { b: 2 }], 3],
    [[8, 68, 3, {}, 'com.err', ['why']], 5],
    [[16, 4, { acknowledge: true }, 't', [], { k: [1, { d: 2 }] }], 4],
  ];
  for (const s of SERIALIZERS.values()) {
    for (const [m, index] of messages) {
      const [incoming] = s.decodeIncoming(toBuffer(s.encode(m)));
      assert.deepEqual(incoming!.message, m.slice(0, index), `${s.protocol} ${JSON.stringify(m)}`);
      assert.deepEqual(incoming!.payload!.values(), m.slice(index), `${s.protocol} ${JSON.stringify(m)}`);
    }
    // messages without a payload are decoded whole
    const [plain] = s.decodeIncoming(toBuffer(s.encode([48, 1, {}, 'p'])));
    assert.deepEqual(plain, { message: [48, 1, {}, 'p'], payload: undefined });
  }
});

test('payloads the scanners do not vouch for are decoded in full, as before (extension types, tags, non-string keys)', () => {
  // msgpack: a timestamp extension; a map with an integer key
  const ext = Buffer.from('95300180a17091d6ff00000001', 'hex'); // [48,1,{},"p",[Timestamp(1s)]]
  const [e] = msgpackSerializer.decodeIncoming(ext);
  assert.equal(e!.payload, undefined);
  assert.deepEqual((e!.message as unknown[])[4], [new Date(1000)]);
  const intKey = Buffer.from('953001 80 a170 91 81 01 02'.replace(/ /g, ''), 'hex'); // [48,1,{},"p",[{1: 2}]]
  const [k] = msgpackSerializer.decodeIncoming(intKey);
  assert.equal(k!.payload, undefined);
  assert.deepEqual((k!.message as unknown[])[4], [{ 1: 2 }]);
  // CBOR: a tag (epoch time)
  const tagged = Buffer.from('85 1830 01 a0 6170 81 c1 01'.replace(/ /g, ''), 'hex');
  const [t] = cborSerializer.decodeIncoming(tagged);
  assert.equal(t!.payload, undefined);
  assert.deepEqual((t!.message as unknown[])[4], [new Date(1000)]);
});

test('strings that are not UTF-8 in a binary payload are protocol violations (a receiver could not decode them)', () => {
  const mp = Buffer.from('95300180a17091a2fffe', 'hex'); // [48,1,{},"p",["\xff\xfe"]]
  assert.throws(() => msgpackSerializer.decodeIncoming(mp), (e: unknown) => e instanceof ProtocolViolation && /UTF-8/.test(e.message));
  const cb = Buffer.from('85183001a0617081 62fffe'.replace(/ /g, ''), 'hex');
  assert.throws(() => cborSerializer.decodeIncoming(cb), (e: unknown) => e instanceof ProtocolViolation && /UTF-8/.test(e.message));
  // a long one goes through the native check
  const long = Buffer.concat([Buffer.from('95300180a17091d928', 'hex'), Buffer.alloc(39, 0x61), Buffer.from([0xc0])]);
  assert.throws(() => msgpackSerializer.decodeIncoming(long), /UTF-8/);
  assert.throws(() => msgpackSerializer.decodeIncoming(Buffer.from('95300180a17091c1', 'hex')), /0xc1/);
});

test('messages decoded in full (extension types, tags, other keys) have their strings checked too; a real U+FFFD passes', () => {
  const notUtf8 = (e: unknown): boolean => e instanceof ProtocolViolation && /UTF-8/.test(e.message);
  const msgpack = (payload: string): Buffer => Buffer.from(`95300180a170${payload}`.replace(/ /g, ''), 'hex'); // [48,1,{},"p",<payload>]
  const cbor = (payload: string): Buffer => Buffer.from(`85183001a06170${payload}`.replace(/ /g, ''), 'hex');
  for (const bad of [
    '92 d6ff00000001 a2fffe', // [Timestamp, "\xff\xfe"]
    '92 c7020501ff a1ff', // [ext 8 of type 5, "\xff"]
    '91 81 01 a1ff', // [{1: "\xff"}]
    '91 82 01 01 a1ff 01', // [{1: 1, "\xff": 1}]: a string key beside an integer one
  ]) {
    assert.throws(() => msgpackSerializer.decodeIncoming(msgpack(bad)), notUtf8, bad);
  }
  for (const bad of [
    '82 c101 62fffe', // [1(1), "\xff\xfe"]
    '81 c1 62c328', // [1("\xc3(")]: the tagged text itself
    '82 f0 61ff', // [simple(16), "\xff"]
    '81 a1 01 61ff', // [{1: "\xff"}]
  ]) {
    assert.throws(() => cborSerializer.decodeIncoming(cbor(bad)), notUtf8, bad);
  }
  const [m] = msgpackSerializer.decodeIncoming(msgpack('92 d6ff00000001 a3efbfbd'));
  assert.equal((m!.message as unknown[][])[4]![1], '\ufffd');
  const [c] = cborSerializer.decodeIncoming(cbor('82 c101 63efbfbd'));
  assert.equal((c!.message as unknown[][])[4]![1], '\ufffd');
});

test('the JSON scanner accepts exactly the JSON that JSON.parse accepts, lists of numbers included', () => {
  const payloads = [
    '[1,2,3]', '[1, 2 ,3 ]', '[-0.5e+3,1E-2,0,"x",2,true,null]', '[[1,2],[3]]', '[{"a":[1,2]},3]', '[1,2],{"k":[3,4]}',
    '[1,2,]', '[1,,2]', '[1,2 3]', '[-,1]', '[01]', '[1.]', '[1e]', '[1,2', '[1,2]]', '[1,-]', '[1,+2]', '[.5]',
    '[tru]', '["a\\x"]', '[1,2],{"k":1,}',
  ];
  for (const text of payloads) {
    const message = `[16,1,{},"t",${text}]`;
    let parsed = true;
    try {
      JSON.parse(message);
    } catch {
      parsed = false;
    }
    let split: boolean;
    try {
      split = jsonSerializer.decodeIncoming(Buffer.from(message))[0]!.payload !== undefined;
    } catch (err) {
      assert.ok(err instanceof ProtocolViolation);
      split = false;
    }
    assert.equal(split, parsed, text);
  }
});

test(`payloads nested deeper than ${MAX_PAYLOAD_NESTING} levels are protocol violations; that deep is fine`, () => {
  const nested = (depth: number): unknown[] => {
    let v: unknown[] = [];
    for (let i = 1; i < depth; i++) v = [v];
    return v;
  };
  for (const s of [jsonSerializer, msgpackSerializer, cborSerializer]) {
    const ok = s.decodeIncoming(toBuffer(s.encode([16, 1, {}, 't', nested(MAX_PAYLOAD_NESTING)])));
    assert.ok(ok[0]!.payload, s.protocol);
    assert.throws(() => s.decodeIncoming(toBuffer(s.encode([16, 1, {}, 't', nested(MAX_PAYLOAD_NESTING + 1)]))), /nested deeper/, s.protocol);
  }
});

test('messages decoded in full (tags, extension types) meet the same nesting limit; shared or cyclic references are refused', () => {
  const nested = (depth: number): unknown[] => {
    let v: unknown[] = [];
    for (let i = 1; i < depth; i++) v = [v];
    return v;
  };
  // a Date is a CBOR tag and a msgpack extension type: the scanners step aside and the message is decoded in full
  const when = new Date(0);
  for (const s of [msgpackSerializer, cborSerializer]) {
    const ok = s.decodeIncoming(toBuffer(s.encode([16, 1, {}, 't', nested(MAX_PAYLOAD_NESTING), { when }])));
    assert.equal(ok[0]!.payload, undefined, `${s.protocol}: decoded in full`);
    assert.throws(() => s.decodeIncoming(toBuffer(s.encode([16, 1, {}, 't', [when, nested(MAX_PAYLOAD_NESTING)]]))), /nested deeper/, s.protocol);
  }
  // CBOR [48, 7, {}, "p", <a list holding itself>] (tags 28/29: shareable, shared reference)
  const head = Buffer.from(cborSerializer.encode([48, 7, {}, 'p']) as Buffer);
  head[0] = 0x85;
  const cyclic = Buffer.concat([head, Buffer.from('d81c8201d81d00', 'hex')]);
  assert.throws(() => cborSerializer.decodeIncoming(cyclic), (err: unknown) => err instanceof ProtocolViolation && /shared or cyclic/.test(err.message));
});

// --- the scanners against the decoders, on random input ------------------

/** Small deterministic PRNG (mulberry32), so failures reproduce. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomValue(rand: () => number, depth: number): unknown {
  const r = rand();
  const pick = depth > 3 ? Math.floor(r * 6) : Math.floor(r * 8);
  switch (pick) {
    case 0:
      return Math.floor(rand() * 200) - 100;
    case 1:
      return [0, 255, 65535, 2 ** 32, -(2 ** 31), 2 ** 40][Math.floor(rand() * 6)]!;
    case 2:
      return (rand() - 0.5) * 10 ** Math.floor(rand() * 12);
    case 3:
      return ['', 'a', 'héllo', '日本', 'x'.repeat(40), 'q"\\\n\u0001'][Math.floor(rand() * 6)]!;
    case 4:
      return [true, false, null][Math.floor(rand() * 3)]!;
    case 5:
      return Buffer.from([Math.floor(rand() * 256), 0, 7]);
    case 6:
      return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
    default:
      return randomDict(rand, depth);
  }
}

function randomDict(rand: () => number, depth: number): Record<string, unknown> {
  return Object.fromEntries(Array.from({ length: Math.floor(rand() * 4) }, (_, i) => [`k${i}${'é'.repeat(i)}`, randomValue(rand, depth + 1)]));
}

function mutate(rand: () => number, data: Buffer, text: boolean): Buffer {
  const b = Buffer.from(data);
  const at = Math.floor(rand() * b.length);
  switch (Math.floor(rand() * 3)) {
    case 0:
      return b.subarray(0, at);
    case 1:
      b[at] = text ? 0x20 + Math.floor(rand() * 0x5f) : Math.floor(rand() * 256);
      return b;
    default:
      return Buffer.concat([b.subarray(0, at), Buffer.from([text ? '[]{},:"\\0-.eE'.charCodeAt(Math.floor(rand() * 14)) : Math.floor(rand() * 256)]), b.subarray(at)]);
  }
}

/** Whatever the scanner lets through must decode, and decode to what the full decoder sees (ids normalized as the router does). */
function checkAgreement(s: Serializer, data: Buffer): 'split' | 'whole' | 'refused' {
  let incoming;
  try {
    incoming = s.decodeIncoming(data);
  } catch (err) {
    assert.ok(err instanceof ProtocolViolation, `${s.protocol}: ${(err as Error).message}`);
    return 'refused';
  }
  const [one] = incoming;
  if (one?.payload === undefined) return 'whole';
  let whole: unknown[];
  try {
    whole = validateMessage(s.decode(data)[0]);
  } catch (err) {
    // the split header must then be refused by validation as well
    assert.throws(() => validateMessage(one.message, one.payload!.count), ProtocolViolation, `${s.protocol}: ${(err as Error).message}`);
    return 'refused';
  }
  const split = validateMessage(one.message, one.payload.count) as unknown[];
  assert.deepEqual([...split, ...one.payload.values()], whole, `${s.protocol} ${data.toString('hex')}`);
  return 'split';
}

test('scanners agree with the decoders on random messages and on random corruptions of them', () => {
  const rand = prng(20240611);
  for (const s of [jsonSerializer, msgpackSerializer, cborSerializer]) {
    const seen = { split: 0, whole: 0, refused: 0 };
    for (let i = 0; i < 400; i++) {
      const args = Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, 1));
      const id = [1 + i, 200, 70_000, 2 ** 40, 2 ** 53][Math.floor(rand() * 5)]!;
      const options = rand() < 0.5 ? {} : { receive_progress: rand() < 0.5, timeout: Math.floor(rand() * 5000) };
      const procedure = ['com.example.p', 'com.exemple.é', 'com.x"y', 'a'.repeat(40)][Math.floor(rand() * 4)]!;
      const message = [48, id, options, procedure, args, ...(rand() < 0.5 ? [randomDict(rand, 1)] : [])];
      const data = toBuffer(s.encode(message));
      assert.equal(checkAgreement(s, data), 'split', `${s.protocol}: a clean message passes through`);
      for (let j = 0; j < 10; j++) {
        const bad = mutate(rand, data, !s.binary);
        if (!s.binary && !isUtf8(bad)) continue; // text frames are checked for UTF-8 before decoding
        seen[checkAgreement(s, bad)]++;
      }
    }
    assert.ok(seen.refused > 0 && seen.split > 0, `${s.protocol}: corruptions exercised both outcomes ${JSON.stringify(seen)}`);
  }
});

test('message heads are written directly where they can, and decode as the library would write them', () => {
  const heads: unknown[][] = [
    [68, 2 ** 40, 2 ** 53, {}],
    [50, 5, { progress: true }],
    [8, 48, 70_000, { a: [1, 'é'] }, 'com.é.error'],
    [36, 300, 2 ** 32, { publisher: 2 ** 35, topic: 'x' }],
  ];
  for (const s of SERIALIZERS.values()) {
    const [incoming] = s.decodeIncoming(toBuffer(s.encode([48, 1, {}, 'p', [1.5, 'x'], { k: null }])));
    for (const head of heads) {
      const out = toBuffer(s.encode(head, incoming!.payload));
      assert.deepEqual(validateMessage(s.decode(out)[0]), [...head, [1.5, 'x'], { k: null }], `${s.protocol} ${JSON.stringify(head)}`);
    }
  }
  // ids beyond 32 bits are 64-bit integers on the wire (after the array header and the type code)
  const [mp] = msgpackSerializer.decodeIncoming(PYTHON_MSGPACK_CALL);
  assert.equal(toBuffer(msgpackSerializer.encode([68, 2 ** 40, 2, {}], mp!.payload))[2], 0xcf);
  const [cb] = cborSerializer.decodeIncoming(PYTHON_CBOR_CALL);
  assert.equal(toBuffer(cborSerializer.encode([68, 2 ** 40, 2, {}], cb!.payload))[3], 0x1b);
});

test('Payload.of keeps values and puts an empty list before lone kwargs', () => {
  assert.equal(Payload.of(undefined, undefined), undefined);
  assert.deepEqual(Payload.of([1], undefined)!.values(), [[1]]);
  assert.deepEqual(Payload.of(undefined, { a: 1 })!.values(), [[], { a: 1 }]);
  assert.equal(toBuffer(jsonSerializer.encode([50, 1, {}], Payload.of(undefined, { a: 1 }))).toString(), '[50,1,{},[],{"a":1}]');
});
