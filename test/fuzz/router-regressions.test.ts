// Cases the router fuzzer found, each kept as a plain test so it stays
// fixed: what was sent, and what the router must answer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Packr } from 'msgpackr';
import { Encoder } from 'cbor-x';
import { Authorizer } from '../../src/router/authorizer.js';
import type { RouterConfig } from '../../src/router/config.js';
import { ConfigError, parseCrossbarConfig } from '../../src/router/crossbar-config.js';
import { captureLog } from '../helpers/log-capture.js';
import { startRouter, type RouterUnderTest } from '../helpers/router.js';
import { RawClient } from '../router/clients.js';

const config: RouterConfig = {
  realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: 'com.', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } }] }] }],
  listeners: [{ host: '127.0.0.1', port: 0, paths: { ws: { type: 'websocket' } } }],
};

const msgpack = new Packr({ useRecords: false });
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });

/** Deep, but within the router's nesting limit for a whole message (512 below the message itself). */
const DEEPEST = 500;

/** JSON text of a list nested `depth` levels deep. */
const deepList = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

/** The next message that is not an EVENT. */
async function answer(c: RawClient): Promise<unknown[]> {
  for (;;) {
    const m = (await c.next()) as unknown[];
    if (m?.[0] !== 36) return m;
  }
}

/** A SUBSCRIBE the router must still answer: the session is alive. */
async function stillServed(c: RawClient, id: number): Promise<void> {
  c.send(JSON.stringify([32, id, {}, 'com.alive']));
  const m = await answer(c);
  assert.deepEqual(m.slice(0, 2), [33, id], `the session still answers: ${JSON.stringify(m).slice(0, 200)}`);
}

describe('router: client values in error texts', () => {
  let r: RouterUnderTest;
  before(async () => {
    r = await startRouter({ config });
  });
  after(() => r.close());

  // found by the fuzzer: the error text was built with String(value), which
  // overflows the stack on a list nested thousands of levels deep; the
  // session was aborted with wamp.error.runtime_error instead of an ERROR.
  // Messages deeper than MAX_PAYLOAD_NESTING are now refused as protocol
  // violations before this point (see below); the error texts are still
  // checked on values as deep as a message may be.
  const cases: [string, (deep: string) => string, number][] = [
    ['REGISTER with match', (d) => `[64, 1, {"match": ${d}}, "com.x"]`, 64],
    ['REGISTER with invoke', (d) => `[64, 1, {"invoke": ${d}}, "com.x"]`, 64],
    ['SUBSCRIBE with match', (d) => `[32, 1, {"match": ${d}}, "com.x"]`, 32],
  ];
  for (const [name, message, type] of cases) {
    test(`${name} nested 500 levels deep gets wamp.error.invalid_argument and the session goes on`, async () => {
      const c = new RawClient(r.openUrl);
      await c.opened();
      await c.hello('realm1');
      c.send(message(deepList(DEEPEST)));
      const err = await answer(c);
      assert.equal(err[0], 8);
      assert.equal(err[1], type);
      assert.equal(err[4], 'wamp.error.invalid_argument');
      assert.match(String((err[5] as unknown[])[0]), /a list of 1/);
      await stillServed(c, 2);
      c.close();
    });
  }

  test('CANCEL with a deeply nested mode gets wamp.error.invalid_argument', async () => {
    const c = new RawClient(r.openUrl);
    await c.opened();
    await c.hello('realm1', { roles: { caller: { features: { call_canceling: true } }, callee: { features: { call_canceling: true } } } });
    c.send('[64, 1, {}, "com.slow"]');
    const registered = await answer(c);
    assert.equal(registered[0], 65);
    c.send('[48, 2, {}, "com.slow"]');
    assert.equal((await answer(c))[0], 68); // the invocation, to ourselves
    c.send(`[49, 2, {"mode": ${deepList(DEEPEST)}}]`);
    const err = await answer(c);
    assert.deepEqual(err.slice(0, 3), [8, 49, 2]);
    assert.equal(err[4], 'wamp.error.invalid_argument');
    await stillServed(c, 3);
    c.close();
  });

  test('an unknown message type that is a deep list is a protocol violation with a short reason', async () => {
    const c = new RawClient(r.openUrl);
    await c.opened();
    await c.hello('realm1');
    c.send(`[${deepList(DEEPEST)}, 1]`);
    const abort = await answer(c);
    assert.equal(abort[0], 3);
    assert.equal(abort[2], 'wamp.error.protocol_violation');
    assert.equal((abort[1] as { message: string }).message, 'unknown message type a list of 1');
    await c.closed;
  });

  test('an error about a megabyte-long URI quotes only its beginning', async () => {
    const c = new RawClient(r.openUrl);
    await c.opened();
    await c.hello('realm1');
    const uri = `com.${'x '.repeat(500_000)}`;
    c.send(JSON.stringify([48, 1, {}, uri]));
    const err = await answer(c);
    assert.equal(err[4], 'wamp.error.invalid_uri');
    const text = String((err[5] as unknown[])[0]);
    assert.ok(text.length < 300, `error text of ${text.length} characters`);
    assert.ok(text.startsWith("invalid procedure URI 'com.x x"), text.slice(0, 80));
    c.close();
  });
});

describe('router: payloads that cannot be passed on', () => {
  // Found by the fuzzer: decoders take nesting (and CBOR cycles) that an
  // encoder or a receiver cannot. The router refuses such a payload where it
  // comes in, as a protocol violation of its sender (the limit is
  // MAX_PAYLOAD_NESTING), so no receiver is ever sent what it cannot read
  // and no one else's call or event is lost.
  let r: RouterUnderTest;
  const log = captureLog('info');
  before(async () => {
    r = await startRouter({ config, logger: log.logger });
  });
  after(() => r.close());

  /** A JSON session on realm1, announcing the roles of the tests. */
  async function joined(protocol = 'wamp.2.json'): Promise<RawClient> {
    const c = new RawClient(r.openUrl, protocol);
    await c.opened();
    if (protocol === 'wamp.2.json') await c.hello('realm1', { roles: { caller: {}, callee: { features: { call_canceling: true } }, publisher: {}, subscriber: {} } });
    return c;
  }

  /** The session was ended with ABORT wamp.error.protocol_violation naming the reason, and closed. */
  async function abortedFor(c: RawClient, reason: RegExp, decode: (m: unknown) => unknown[] = (m) => m as unknown[]): Promise<void> {
    const abort = decode(await c.next());
    assert.equal(abort[0], 3, `ABORT, not ${JSON.stringify(abort).slice(0, 120)}`);
    assert.equal(abort[2], 'wamp.error.protocol_violation');
    assert.match((abort[1] as { message: string }).message, reason);
    await c.closed;
  }

  /** A callee's next INVOCATION is the plain call that follows: nothing refused reached it. */
  async function nextInvocationIsPlain(callee: RawClient, caller: RawClient, requestId: number): Promise<number> {
    caller.send(`[48, ${requestId}, {}, "com.echo", ["plain"]]`);
    const inv = await answer(callee);
    assert.equal(inv[0], 68);
    assert.deepEqual(inv[4], ['plain']);
    return inv[1] as number;
  }

  test('a CALL whose arguments nest 100,000 levels deep ends the caller\'s session; the callee sees nothing', async () => {
    const callee = await joined();
    callee.send('[64, 1, {}, "com.echo"]');
    assert.equal((await answer(callee))[0], 65);
    const bad = await joined();
    bad.send(`[48, 7, {}, "com.echo", [${deepList(100_000)}]]`);
    await abortedFor(bad, /JSON: payload nested deeper than 512 levels/);
    const good = await joined();
    const id = await nextInvocationIsPlain(callee, good, 8);
    callee.send(`[70, ${id}, {}, ["fine"]]`);
    assert.deepEqual(await answer(good), [50, 8, {}, ['fine']]);
    for (const c of [callee, good]) c.close();
  });

  test('a CBOR CALL whose arguments contain themselves ends the caller\'s session; the callee sees nothing', async () => {
    const callee = await joined();
    callee.send('[64, 1, {}, "com.echo"]');
    assert.equal((await answer(callee))[0], 65);
    const bad = await joined('wamp.2.cbor');
    const decodeCbor = (m: unknown): unknown[] => cbor.decode(m as Buffer) as unknown[];
    bad.send(cbor.encode([1, 'realm1', { roles: { caller: {} } }]));
    assert.equal(decodeCbor(await bad.next())[0], 2);
    // [48, 7, {}, "com.echo", <an array that holds itself>] (tags 28 and 29)
    const head = cbor.encode([48, 7, {}, 'com.echo']);
    head[0] = 0x85;
    bad.send(Buffer.concat([head, Buffer.from('d81c8201d81d00', 'hex')]));
    await abortedFor(bad, /shared or cyclic references/, decodeCbor);
    const good = await joined();
    await nextInvocationIsPlain(callee, good, 9);
    for (const c of [callee, good]) c.close();
  });

  test('a YIELD or an ERROR whose payload nests too deep ends the callee\'s session; the caller gets an error at once', async () => {
    for (const reply of [(id: number) => `[70, ${id}, {}, [${deepList(100_000)}]]`, (id: number) => `[8, 68, ${id}, {}, "com.failed", [${deepList(100_000)}]]`]) {
      const callee = await joined();
      callee.send('[64, 1, {}, "com.echo"]');
      assert.equal((await answer(callee))[0], 65);
      const caller = await joined();
      caller.send('[48, 1, {}, "com.echo", ["x"]]');
      const inv = await answer(callee);
      callee.send(reply(inv[1] as number));
      await abortedFor(callee, /nested deeper than 512 levels/);
      // the call cannot be answered any more: the caller hears so, and is still served
      const err = await answer(caller);
      assert.deepEqual(err.slice(0, 3), [8, 48, 1]);
      assert.equal(err[0], 8);
      await stillServed(caller, 2);
      caller.close();
    }
  });

  test('a PUBLISH whose arguments nest too deep ends the publisher\'s session and is delivered to nobody', async () => {
    const sub = new RawClient(r.openUrl, 'wamp.2.msgpack');
    await sub.opened();
    sub.send(msgpack.pack([1, 'realm1', { roles: { subscriber: {} } }]));
    await sub.next();
    sub.send(msgpack.pack([32, 1, {}, 'com.topic']));
    assert.equal((msgpack.unpack((await sub.next()) as Buffer) as unknown[])[0], 33);
    const jsonSub = await joined();
    jsonSub.send('[32, 1, {}, "com.topic"]');
    assert.equal((await answer(jsonSub))[0], 33);
    const bad = await joined();
    bad.send(`[16, 5, {"acknowledge": true}, "com.topic", [${deepList(100_000)}]]`);
    await abortedFor(bad, /nested deeper than 512 levels/);
    const pub = await joined();
    pub.send('[16, 6, {"acknowledge": true}, "com.topic", ["after"]]');
    assert.equal((await answer(pub))[0], 17);
    // each subscriber's first event is the one that followed
    const first = msgpack.unpack((await sub.next()) as Buffer) as unknown[];
    assert.deepEqual([first[0], first[4]], [36, ['after']]);
    const firstJson = (await jsonSub.next()) as unknown[];
    assert.deepEqual([firstJson[0], firstJson[4]], [36, ['after']]);
    for (const c of [sub, jsonSub, pub]) c.close();
  });

  test('none of this logged an internal error; each refusal logged a warning with its reason', () => {
    assert.deepEqual(log.lines.filter((l) => (l.level as number) >= 50), []);
    const refusals = log.lines.filter((l) => l.level === 40 && /nested deeper|shared or cyclic/.test(JSON.stringify(l)));
    assert.ok(refusals.length >= 5, JSON.stringify(log.lines.filter((l) => l.level === 40)).slice(0, 500));
  });
});


describe('router: dictionaries are plain maps', () => {
  let r: RouterUnderTest;
  before(async () => {
    r = await startRouter({ config });
  });
  after(() => r.close());

  // found by the fuzzer: a msgpack timestamp as PUBLISH's ArgumentsKw was
  // taken for a dictionary and reached a JSON subscriber as a date string.
  // Each frame: a list header, the elements, and the odd value last (raw bytes).
  const cases: [string, string, Buffer][] = [
    ['a msgpack timestamp as ArgumentsKw of PUBLISH', 'wamp.2.msgpack', Buffer.concat([Buffer.from([0x96]), msgpack.pack(16), msgpack.pack(1), msgpack.pack({ acknowledge: true }), msgpack.pack('com.topic'), msgpack.pack([]), Buffer.from('d6ff00000001', 'hex')])],
    ['a CBOR date as the Options of SUBSCRIBE', 'wamp.2.cbor', Buffer.concat([Buffer.from([0x84]), cbor.encode(32), cbor.encode(1), Buffer.from('c11a00000001', 'hex'), cbor.encode('com.topic')])],
    ['a CBOR Map (tag 259) as the Details of HELLO', 'wamp.2.cbor', Buffer.concat([Buffer.from([0x83]), cbor.encode(1), cbor.encode('realm1'), Buffer.from('d90103a165726f6c6573a16663616c6c6572a0', 'hex')])],
  ];
  for (const [name, protocol, frame] of cases) {
    test(`${name} is a protocol violation`, async () => {
      const codec = protocol === 'wamp.2.msgpack' ? { pack: (m: unknown) => msgpack.pack(m), unpack: (b: Buffer) => msgpack.unpack(b) as unknown[] } : { pack: (m: unknown) => cbor.encode(m), unpack: (b: Buffer) => cbor.decode(b) as unknown[] };
      const c = new RawClient(r.openUrl, protocol);
      await c.opened();
      if (!name.includes('HELLO')) {
        c.send(codec.pack([1, 'realm1', { roles: { publisher: {}, subscriber: {} } }]));
        assert.equal(codec.unpack((await c.next()) as Buffer)[0], 2);
      }
      c.send(frame);
      const abort = codec.unpack((await c.next()) as Buffer);
      assert.equal(abort[0], 3);
      assert.equal(abort[2], 'wamp.error.protocol_violation');
      assert.match((abort[1] as { message: string }).message, /must be a dictionary/);
      await c.closed;
    });
  }
});

describe('router: memory a client can pin', () => {
  // found by the fuzzer: router RSS grew from 60 to 230 MB over 100,000
  // messages and kept growing; the authorizer's decision cache (10,000
  // entries per action) kept every URI a client sent, however long
  test('URIs of 50 kB each are not kept by the authorizer', () => {
    v8.setFlagsFromString('--expose_gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const used = (): number => {
      gc();
      gc();
      return v8.getHeapStatistics().used_heap_size;
    };
    const authorizer = new Authorizer([{ name: 'anonymous', permissions: [{ uri: 'com.', match: 'prefix', allow: { call: true } }] }]);
    const before = used();
    for (let i = 0; i < 2000; i++) assert.equal(authorizer.authorize('anonymous', `com.${i}.${'x'.repeat(50_000)}`, 'call').allow, true);
    const retainedMb = (used() - before) / 1e6;
    // 2,000 x 50 kB = 100 MB were sent; a cache keeping them holds all of it
    assert.ok(retainedMb < 20, `${retainedMb.toFixed(1)} MB retained`);
  });
});

describe("router: crossbar's HTTP caller", () => {
  let r: RouterUnderTest;
  let callUrl: string;
  before(async () => {
    r = await startRouter({
      config: {
        ...config,
        listeners: [{ host: '127.0.0.1', port: 0, paths: { ws: { type: 'websocket' }, call: { type: 'caller', realm: 'realm1', role: 'anonymous' } } }],
      },
    });
    callUrl = r.openUrl.replace(/^ws:/, 'http:').replace(/\/ws$/, '/call');
  });
  after(() => r.close());

  // found by the HTTP fuzzer: the body's arguments were re-encoded with
  // JSON.stringify, which overflowed the stack on nesting JSON.parse had
  // taken; the exception escaped a promise callback and the router process
  // died (one POST could bring down the router)
  test('a POST /call whose arguments nest 100,000 deep gets 400, and the router lives on', async () => {
    const res = await fetch(callUrl, { method: 'POST', body: `{"procedure": "com.echo", "args": [${deepList(100_000)}]}` });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: string; args: string[] };
    assert.equal(body.error, 'wamp.error.invalid_argument');
    assert.match(body.args[0]!, /nested too deep/);
    const next = await fetch(callUrl, { method: 'POST', body: '{"procedure": "com.nobody"}' });
    assert.equal(next.status, 200);
    assert.equal(((await next.json()) as { error: string }).error, 'wamp.error.no_such_procedure');
  });

  // found by the HTTP fuzzer: "\u0000..." is binary in WAMP's JSON, so as
  // the procedure it made the bridge's internal session send a CALL whose
  // URI was not a string: ABORT, and every request in flight on that
  // shared session, from any client, was answered 503
  test("a POST /call whose procedure starts with NUL gets 400; another client's call in flight is unaffected", async () => {
    const callee = new RawClient(r.openUrl);
    await callee.opened();
    await callee.hello('realm1');
    callee.send('[64, 1, {}, "com.slow"]');
    assert.equal((await answer(callee))[0], 65);
    // a call held by the callee while the bad request comes and goes
    const slow = fetch(callUrl, { method: 'POST', body: '{"procedure": "com.slow", "args": [1]}', signal: AbortSignal.timeout(10_000) });
    const invocation = await answer(callee);
    assert.equal(invocation[0], 68);
    const bad = await fetch(callUrl, { method: 'POST', body: '{"procedure": "\\u0000x"}', signal: AbortSignal.timeout(10_000) });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { args: string[] }).args[0]!, /'procedure' must be a URI string/);
    callee.send(`[70, ${invocation[1] as number}, {}, ["done"]]`);
    const res = await slow;
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { args: ['done'], kwargs: {} });
    callee.close();
  });
});

describe('router: configuration files', () => {
  // found by the file fuzzer: a crossbar worker whose type was an object
  // with an own toString key made String() throw a TypeError while the
  // warning text was built, instead of the loader's ConfigError or warning
  test("a crossbar config with odd values where names belong loads or fails with ConfigError, never a TypeError", () => {
    const odd = [{ toString: 1 }, Object.create(null) as object, JSON.parse('[' .repeat(50_000) + ']'.repeat(50_000)) as unknown];
    for (const value of odd) {
      const config = { version: value, workers: [{ type: value }, { type: 'router', realms: [], transports: [{ type: value }, { type: 'websocket', endpoint: { type: value } }] }] };
      try {
        const loaded = parseCrossbarConfig(config, '/', {});
        assert.ok(loaded.warnings.some((w) => /version (a dictionary|a list of 1) is not 2/.test(w)), loaded.warnings.join('\n'));
      } catch (err) {
        assert.ok(err instanceof ConfigError, `threw ${(err as Error).name}: ${(err as Error).message}`);
      }
    }
  });
});
