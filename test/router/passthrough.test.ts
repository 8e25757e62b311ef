// Payload passthrough: the Arguments and ArgumentsKw a peer sends reach a
// peer of the same format byte for byte (a Python float 293.0 stays a float;
// the OCS HK aggregator drops blocks that mix ints and floats), through
// PUBLISH -> EVENT, CALL -> INVOCATION, YIELD -> RESULT (progressive too) and
// ERROR -> ERROR, in every serializer and its batched variant. Checked on the
// raw wire bytes, with messages built by hand as a Python peer writes them.
// Also: payloads of tens of MB, mixed serializers, and malformed payloads,
// which end only their sender's session.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { pack as msgpackPack } from 'msgpackr';
import { encode as cborEncode } from 'cbor-x';
import WebSocket from 'ws';
import autobahn from 'autobahn';
import type { RouterConfig } from '../../src/router/config.js';
import { SERIALIZERS, type Serializer } from '../../src/wamp/index.js';
import { startRouter, type RouterUnderTest } from '../helpers/router.js';
import { connectAutobahn, connectWampy, type SerializerName } from './clients.js';

type Format = 'json' | 'msgpack' | 'cbor';

const openConfig: RouterConfig = {
  realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } }] }] }],
  listeners: [{ host: '127.0.0.1', port: 0, paths: { ws: { type: 'websocket' } } }],
};

/**
 * Arguments [293.0, 1.5, "x"] and ArgumentsKw {"v": 293.0}, as Python's
 * serializers write them: floats stay floats even when integral.
 */
const PYTHON_PAYLOAD: Record<Format, Buffer> = {
  json: Buffer.from('[293.0,1.5,"x"],{"v":293.0}'),
  msgpack: Buffer.from('93cb4072500000000000cb3ff8000000000000a178' + '81a176cb4072500000000000', 'hex'),
  // CBOR: 1.5 as a half float, as cbor2 writes the shortest exact form
  cbor: Buffer.from('83fb4072500000000000f93e006178' + 'a16176fb4072500000000000', 'hex'),
};
/** Arguments ["ok", 0.0] only (a YIELD's final result) */
const PYTHON_RESULT: Record<Format, Buffer> = {
  json: Buffer.from('["ok",0.0]'),
  msgpack: Buffer.from('92a26f6bcb0000000000000000', 'hex'),
  cbor: Buffer.from('82626f6bfb0000000000000000', 'hex'),
};

const formatOf = (protocol: string): Format => protocol.split('.')[2] as Format;

/** A message built by hand: `header` encoded element by element, then the payload bytes as they are. */
function handMessage(format: Format, header: unknown[], payload: Buffer, count: 1 | 2): Buffer {
  if (format === 'json') return Buffer.concat([Buffer.from(`${JSON.stringify(header).slice(0, -1)},`), payload, Buffer.from(']')]);
  const encode = format === 'msgpack' ? (v: unknown) => msgpackPack(v) : (v: unknown) => cborEncode(v);
  const arrayHeader = (format === 'msgpack' ? 0x90 : 0x80) + header.length + count;
  return Buffer.concat([Buffer.from([arrayHeader]), ...header.map(encode), payload]);
}

/** One message in the framing of `protocol`. */
function framed(protocol: string, message: Buffer): Buffer {
  if (!protocol.endsWith('.batched')) return message;
  if (formatOf(protocol) === 'json') return Buffer.concat([message, Buffer.from([0x1e])]);
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(message.length);
  return Buffer.concat([prefix, message]);
}

/** The message inside a frame of `protocol` (the router sends one message per frame). */
function unframed(protocol: string, frame: Buffer): Buffer {
  if (!protocol.endsWith('.batched')) return frame;
  if (formatOf(protocol) === 'json') return frame.subarray(0, frame.length - 1);
  assert.equal(frame.readUInt32BE(0), frame.length - 4);
  return frame.subarray(4);
}

/** A raw WebSocket WAMP peer that keeps every frame's bytes. */
class Peer {
  readonly serializer: Serializer;
  private readonly frames: Buffer[] = [];
  private waiter: (() => void) | undefined;
  readonly closed: Promise<void>;

  private constructor(
    readonly ws: WebSocket,
    readonly protocol: string,
  ) {
    this.serializer = SERIALIZERS.get(protocol)!;
    ws.on('message', (data: Buffer) => {
      this.frames.push(data);
      this.waiter?.();
    });
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      ws.on('close', () => {
        resolve();
        this.waiter?.();
      }),
    );
  }

  static async open(url: string, protocol: string, realm = 'realm1'): Promise<Peer> {
    const ws = new WebSocket(url, protocol, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const peer = new Peer(ws, protocol);
    peer.sendMessage([1, realm, { roles: { caller: {}, callee: { features: { progressive_call_results: true } }, publisher: {}, subscriber: {} } }]);
    const [welcome] = await peer.next();
    assert.equal(welcome[0], 2);
    return peer;
  }

  sendMessage(message: unknown[]): void {
    this.ws.send(this.serializer.encode(message), { binary: this.serializer.binary });
  }

  /** Sends one hand-built message in this peer's framing. */
  sendRaw(message: Buffer): void {
    this.ws.send(framed(this.protocol, message), { binary: this.serializer.binary });
  }

  /** The next message, decoded, with the bytes of its frame; undefined message when the connection closed. */
  async next(timeoutMs = 10_000): Promise<[unknown[], Buffer]> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no message in time');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    const frame = this.frames.shift()!;
    const [message] = this.serializer.decode(frame) as [unknown[]];
    return [message, frame];
  }

  /** Asks and returns the answer. */
  async ask(message: unknown[]): Promise<unknown[]> {
    this.sendMessage(message);
    return (await this.next())[0];
  }

  close(): void {
    this.ws.close();
  }
}

/** Asserts that the message in `frame` ends with exactly `payload` (plus the closing bracket in JSON). */
function assertEndsWithPayload(protocol: string, frame: Buffer, payload: Buffer, what: string): void {
  const message = unframed(protocol, frame);
  const tail = formatOf(protocol) === 'json' ? Buffer.concat([payload, Buffer.from(']')]) : payload;
  assert.ok(message.subarray(message.length - tail.length).equals(tail), `${protocol} ${what}: payload bytes changed: ${message.subarray(0, 200).toString(formatOf(protocol) === 'json' ? 'utf8' : 'hex')}`);
}

const PROTOCOLS = ['wamp.2.json', 'wamp.2.msgpack', 'wamp.2.cbor', 'wamp.2.json.batched', 'wamp.2.msgpack.batched', 'wamp.2.cbor.batched'];

describe('payload passthrough between peers of the same format', () => {
  let r: RouterUnderTest;
  before(async () => {
    r = await startRouter({ config: openConfig });
  });
  after(() => r.close());

  for (const protocol of PROTOCOLS) {
    const format = formatOf(protocol);

    test(`${protocol}: PUBLISH -> EVENT keeps the payload's bytes (293.0 stays a float)`, async () => {
      const sub = await Peer.open(r.openUrl, protocol);
      const pub = await Peer.open(r.openUrl, protocol);
      const topic = `com.float.${protocol}`;
      assert.equal((await sub.ask([32, 1, {}, topic]))[0], 33);
      pub.sendRaw(handMessage(format, [16, 2, { acknowledge: true }, topic], PYTHON_PAYLOAD[format], 2));
      const [published] = await pub.next();
      assert.equal(published[0], 17);
      const [event, frame] = await sub.next();
      assert.equal(event[0], 36);
      assert.deepEqual(event.slice(4), [[293, 1.5, 'x'], { v: 293 }]);
      assertEndsWithPayload(protocol, frame, PYTHON_PAYLOAD[format], 'EVENT');
      pub.close();
      sub.close();
    });

    test(`${protocol}: CALL -> INVOCATION, progressive and final YIELD -> RESULT, ERROR -> ERROR keep the payload's bytes`, async () => {
      const callee = await Peer.open(r.openUrl, protocol);
      const caller = await Peer.open(r.openUrl, protocol);
      const procedure = `com.float.echo.${protocol}`;
      assert.equal((await callee.ask([64, 1, {}, procedure]))[0], 65);

      caller.sendRaw(handMessage(format, [48, 7, { receive_progress: true }, procedure], PYTHON_PAYLOAD[format], 2));
      const [invocation, invocationFrame] = await callee.next();
      assert.equal(invocation[0], 68);
      assert.equal((invocation[3] as Record<string, unknown>).receive_progress, true);
      assertEndsWithPayload(protocol, invocationFrame, PYTHON_PAYLOAD[format], 'INVOCATION');
      const invocationId = invocation[1] as number;

      callee.sendRaw(handMessage(format, [70, invocationId, { progress: true }], PYTHON_PAYLOAD[format], 2));
      const [progress, progressFrame] = await caller.next();
      assert.deepEqual(progress.slice(0, 3), [50, 7, { progress: true }]);
      assertEndsWithPayload(protocol, progressFrame, PYTHON_PAYLOAD[format], 'progressive RESULT');

      callee.sendRaw(handMessage(format, [70, invocationId, {}], PYTHON_RESULT[format], 1));
      const [result, resultFrame] = await caller.next();
      assert.deepEqual(result, [50, 7, {}, ['ok', 0]]);
      assertEndsWithPayload(protocol, resultFrame, PYTHON_RESULT[format], 'RESULT');

      caller.sendMessage([48, 8, {}, procedure, []]);
      const [second] = await callee.next();
      callee.sendRaw(handMessage(format, [8, 68, second[1], { detail: 1 }, 'com.error.float'], PYTHON_PAYLOAD[format], 2));
      const [error, errorFrame] = await caller.next();
      assert.deepEqual(error.slice(0, 5), [8, 48, 8, { detail: 1 }, 'com.error.float']);
      assertEndsWithPayload(protocol, errorFrame, PYTHON_PAYLOAD[format], 'ERROR');
      caller.close();
      callee.close();
    });
  }

  for (const serializer of ['json', 'msgpack', 'cbor'] as SerializerName[]) {
    test(`${serializer}: autobahn-js and wampy peers exchange payloads through the passthrough path`, async () => {
      const a = await connectAutobahn({ url: r.openUrl, realm: 'realm1', serializer });
      const w = await connectWampy({ url: r.openUrl, realm: 'realm1', serializer });
      const topic = `com.clients.${serializer}`;
      let got!: (v: unknown) => void;
      const received = new Promise<unknown>((resolve) => (got = resolve));
      await a.session.subscribe(topic, (args, kwargs) => got({ args, kwargs }));
      await a.session.register(`com.clients.echo.${serializer}`, (args, kwargs) => new autobahn.Result(args ?? [], kwargs ?? {}));
      await w.publish(topic, { argsList: [1.25, 'é', [true, null]], argsDict: { n: -7, nested: { k: 'v' } } } as unknown as Record<string, unknown>, { acknowledge: true } as Record<string, unknown>);
      assert.deepEqual(await received, { args: [1.25, 'é', [true, null]], kwargs: { n: -7, nested: { k: 'v' } } });
      const res = await w.call(`com.clients.echo.${serializer}`, { argsList: [2.5, 'x'], argsDict: { a: [1, 2] } } as unknown as Record<string, unknown>);
      assert.deepEqual([res.argsList, res.argsDict], [[2.5, 'x'], { a: [1, 2] }]);
      await w.disconnect();
      await a.close();
    });
  }
});

describe('large payloads', () => {
  let r: RouterUnderTest;
  before(async () => {
    r = await startRouter({ config: openConfig });
  });
  after(() => r.close());

  /** A payload of about `mb` MB: [binary or text blob, floats], per format. */
  function bigPayload(format: Format, mb: number): Buffer {
    const floats = 100_000;
    if (format === 'json') {
      const blob = Buffer.alloc(mb * 1024 * 1024, 'a').toString();
      return Buffer.from(`["${blob}",[${Array.from({ length: floats }, (_, i) => `${i}.0`).join(',')}]]`);
    }
    const blob = randomBytes(mb * 1024 * 1024);
    const list = Buffer.alloc(5 + floats * 9);
    list[0] = format === 'msgpack' ? 0xdd : 0x9a;
    list.writeUInt32BE(floats, 1);
    for (let i = 0; i < floats; i++) {
      list[5 + i * 9] = format === 'msgpack' ? 0xcb : 0xfb;
      list.writeDoubleBE(i, 6 + i * 9);
    }
    const blobHeader = format === 'msgpack' ? Buffer.from([0xc6, 0, 0, 0, 0]) : Buffer.from([0x5a, 0, 0, 0, 0]);
    blobHeader.writeUInt32BE(blob.length, 1);
    return Buffer.concat([Buffer.from([format === 'msgpack' ? 0x92 : 0x82]), blobHeader, blob, list]);
  }

  for (const format of ['json', 'msgpack', 'cbor'] as Format[]) {
    test(`${format}: a 24 MB call and its 24 MB result pass through intact`, async () => {
      const protocol = `wamp.2.${format}`;
      const callee = await Peer.open(r.openUrl, protocol);
      const caller = await Peer.open(r.openUrl, protocol);
      assert.equal((await callee.ask([64, 1, {}, 'com.big.echo']))[0], 65);
      const payload = bigPayload(format, 24);
      const digest = createHash('sha256').update(payload).digest('hex');
      caller.sendRaw(handMessage(format, [48, 1, {}, 'com.big.echo'], payload, 1));
      const [invocationHead, invocationFrame] = await callee.next(30_000);
      assertEndsWithPayload(protocol, invocationFrame, payload, 'INVOCATION');
      callee.sendRaw(handMessage(format, [70, invocationHead[1], {}], payload, 1));
      const [result, resultFrame] = await caller.next(30_000);
      assert.equal(result[0], 50);
      const tail = resultFrame.subarray(resultFrame.length - payload.length - (format === 'json' ? 1 : 0), resultFrame.length - (format === 'json' ? 1 : 0));
      assert.equal(createHash('sha256').update(tail).digest('hex'), digest);
      caller.close();
      callee.close();
    });
  }

  test('an 8 MB msgpack call reaches a JSON callee (decoded and encoded anew), and its answer comes back', async () => {
    const callee = await Peer.open(r.openUrl, 'wamp.2.json');
    const caller = await Peer.open(r.openUrl, 'wamp.2.msgpack');
    assert.equal((await callee.ask([64, 1, {}, 'com.big.mixed']))[0], 65);
    const blob = randomBytes(8 * 1024 * 1024);
    caller.sendMessage([48, 1, {}, 'com.big.mixed', [blob, 1.5]]);
    const [invocation] = await callee.next(30_000);
    assert.ok(Buffer.isBuffer((invocation[4] as unknown[])[0]) && blob.equals((invocation[4] as Buffer[])[0]!), 'binary crosses JSON as base64');
    callee.sendMessage([70, invocation[1], {}, invocation[4]]);
    const [result] = await caller.next(30_000);
    assert.ok(blob.equals((result[3] as Buffer[])[0]!));
    assert.equal((result[3] as unknown[])[1], 1.5);
    caller.close();
    callee.close();
  });
});

describe('mixed serializers', () => {
  let r: RouterUnderTest;
  before(async () => {
    r = await startRouter({ config: openConfig });
  });
  after(() => r.close());

  test('a msgpack payload reaches JSON and CBOR subscribers as values; an integral float becomes an integer there (documented loss)', async () => {
    const subs = await Promise.all(['wamp.2.json', 'wamp.2.cbor.batched', 'wamp.2.msgpack'].map((p) => Peer.open(r.openUrl, p)));
    for (const s of subs) assert.equal((await s.ask([32, 1, {}, 'com.mixed']))[0], 33);
    const pub = await Peer.open(r.openUrl, 'wamp.2.msgpack');
    pub.sendRaw(handMessage('msgpack', [16, 2, { acknowledge: true }, 'com.mixed'], PYTHON_PAYLOAD.msgpack, 2));
    assert.equal((await pub.next())[0][0], 17);
    const [json, cbor, msgpack] = await Promise.all(subs.map((s) => s.next()));
    assert.deepEqual(json[0].slice(4), [[293, 1.5, 'x'], { v: 293 }]);
    assert.ok(json[1].toString().endsWith('[293,1.5,"x"],{"v":293}]'), json[1].toString());
    assert.deepEqual(cbor[0].slice(4), [[293, 1.5, 'x'], { v: 293 }]);
    assertEndsWithPayload('wamp.2.msgpack', msgpack[1], PYTHON_PAYLOAD.msgpack, 'EVENT');
    for (const p of [pub, ...subs]) p.close();
  });

  // Python's json writes NaN and infinities as bare tokens, and an original
  // data node on wamp.2.json sends them (the UCSC radiometer's files hold NaN)
  test("a Python peer's NaN, Infinity and -Infinity over JSON are read: JSON peers get null, wampy's JSON decoder copes, binary peers get the floats", async () => {
    const subs = await Promise.all(['wamp.2.json', 'wamp.2.msgpack', 'wamp.2.cbor'].map((p) => Peer.open(r.openUrl, p)));
    for (const s of subs) assert.equal((await s.ask([32, 1, {}, 'com.nan']))[0], 33);
    const wampy = await connectWampy({ url: r.openUrl, realm: 'realm1', serializer: 'json' });
    const heard = new Promise<unknown[]>((resolve) => void wampy.subscribe('com.nan', ({ argsList }) => resolve(argsList as unknown[])));
    const pub = await Peer.open(r.openUrl, 'wamp.2.json');
    pub.sendRaw(handMessage('json', [16, 2, { acknowledge: true }, 'com.nan'], Buffer.from('[NaN, 1.5, Infinity, -Infinity, "NaN", "a \\" NaN"],{"pwv":[0.5,NaN]}'), 2));
    assert.equal((await pub.next())[0][0], 17);
    const [json, msgpack, cbor] = await Promise.all(subs.map((s) => s.next()));
    assert.deepEqual(json[0].slice(4), [[null, 1.5, null, null, 'NaN', 'a " NaN'], { pwv: [0.5, null] }]);
    for (const [name, m] of [['msgpack', msgpack], ['cbor', cbor]] as const) {
      assert.deepEqual(m[0].slice(4), [[NaN, 1.5, Infinity, -Infinity, 'NaN', 'a " NaN'], { pwv: [0.5, NaN] }], name);
    }
    assert.deepEqual(await heard, [null, 1.5, null, null, 'NaN', 'a " NaN']);
    // a token that only looks like one is still invalid JSON: the publisher's session ends
    pub.sendRaw(handMessage('json', [16, 3, { acknowledge: true }, 'com.nan'], Buffer.from('[NaNa]'), 1));
    const abort = (await pub.next())[0];
    assert.equal(abort[0], 3);
    assert.equal(abort[2], 'wamp.error.protocol_violation');
    await wampy.disconnect();
    for (const p of subs) p.close();
  });

  test('calls cross serializers both ways: JSON caller, msgpack callee, CBOR caller', async () => {
    const callee = await connectWampy({ url: r.openUrl, realm: 'realm1', serializer: 'msgpack' });
    await callee.register('com.mixed.add', ({ argsList }) => ({ argsList: [(argsList as number[])[0]! + (argsList as number[])[1]!], argsDict: { unit: 'K' } }));
    for (const serializer of ['json', 'cbor'] as SerializerName[]) {
      const caller = await connectAutobahn({ url: r.openUrl, realm: 'realm1', serializer });
      const res = (await caller.session.call('com.mixed.add', [1.25, 2], {}, { disclose_me: false })) as { args: unknown[]; kwargs: unknown } | number;
      const args = typeof res === 'object' ? res.args : [res];
      assert.deepEqual(args, [3.25], serializer);
      await caller.close();
    }
    await callee.disconnect();
  });
});

describe('malformed payloads end only the sender session', () => {
  let r: RouterUnderTest;
  before(async () => {
    r = await startRouter({ config: openConfig });
  });
  after(() => r.close());

  const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
  const cases: Array<[string, string, Buffer]> = [
    ['JSON with a broken list', 'wamp.2.json', Buffer.from('[16,1,{},"com.victim",[1,}]')],
    ['JSON with a bad escape', 'wamp.2.json', Buffer.from('[16,1,{},"com.victim",["\\x"]]')],
    ['JSON nested too deep', 'wamp.2.json', Buffer.from(`[16,1,{},"com.victim",[${deep(600)}]]`)],
    ['batched JSON with a broken second message', 'wamp.2.json.batched', Buffer.from('[16,1,{},"com.victim",[1]]\u001e[16,2,{},"com.victim",[1,2\u001e')],
    ['msgpack with a string that is not UTF-8', 'wamp.2.msgpack', handMessage('msgpack', [16, 1, {}, 'com.victim'], Buffer.from('91a2fffe', 'hex'), 1)],
    ['msgpack with a truncated list', 'wamp.2.msgpack', handMessage('msgpack', [16, 1, {}, 'com.victim'], Buffer.from('9301', 'hex'), 1)],
    ['CBOR with a truncated map', 'wamp.2.cbor', handMessage('cbor', [16, 1, {}, 'com.victim'], Buffer.from('80a2616101', 'hex'), 2)],
    ['CBOR with text that is not UTF-8', 'wamp.2.cbor', handMessage('cbor', [16, 1, {}, 'com.victim'], Buffer.from('8162c328', 'hex'), 1)],
    // beside an extension type or a tag the message is decoded in full: its strings are checked all the same
    ['msgpack with a timestamp and a string that is not UTF-8', 'wamp.2.msgpack', handMessage('msgpack', [16, 1, {}, 'com.victim'], Buffer.from('92d6ff00000001a2fffe', 'hex'), 1)],
    ['CBOR with a tag and text that is not UTF-8', 'wamp.2.cbor', handMessage('cbor', [16, 1, {}, 'com.victim'], Buffer.from('82c10162c328', 'hex'), 1)],
  ];

  for (const [name, protocol, message] of cases) {
    test(`${name}: ABORT protocol_violation to the sender, subscribers unaffected`, async () => {
      const format = formatOf(protocol);
      const victim = await Peer.open(r.openUrl, `wamp.2.${format}`);
      assert.equal((await victim.ask([32, 1, {}, 'com.victim']))[0], 33);
      const bad = await Peer.open(r.openUrl, protocol);
      // batched JSON cases carry their own separators
      bad.ws.send(protocol === 'wamp.2.json.batched' ? message : framed(protocol, message), { binary: bad.serializer.binary });
      const frames: unknown[][] = [];
      for (;;) {
        const [m] = await bad.next();
        frames.push(m);
        if (m[0] === 3) break;
      }
      assert.equal(frames.at(-1)![2], 'wamp.error.protocol_violation');
      await bad.closed;
      // the subscriber got nothing of the bad frame (a batch is decoded whole before any of it is handled), and still works
      const good = await Peer.open(r.openUrl, `wamp.2.${format}`);
      good.sendMessage([16, 9, {}, 'com.victim', ['after']]);
      const [event] = await victim.next();
      assert.deepEqual(event.slice(4), [['after']]);
      good.close();
      victim.close();
    });
  }

  test('a binary frame that is not UTF-8 on a JSON session is a protocol violation', async () => {
    const bad = await Peer.open(r.openUrl, 'wamp.2.json');
    bad.ws.send(Buffer.from([0x5b, 0x31, 0x36, 0x2c, 0xff, 0x5d]), { binary: true });
    const [abort] = await bad.next();
    assert.deepEqual([abort[0], abort[2]], [3, 'wamp.error.protocol_violation']);
    assert.match(String((abort[1] as Record<string, unknown>).message), /UTF-8/);
  });
});
