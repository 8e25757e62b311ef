// Bad input and hard conditions: malformed and out-of-order messages abort
// only the offending session, oversized messages, subprotocol refusal, slow
// consumers, graceful shutdown (in process and as `sisock router`).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import autobahn from 'autobahn';
import { encode as msgpackEncode } from 'msgpackr';
import type { RouterConfig } from '../../src/router/config.js';
import { spawnRouter, startRouter, type RouterUnderTest } from '../helpers/router.js';
import { alive, SISOCK_BIN, waitFor } from '../helpers/sisock.js';
import { connectAutobahn, connectWampy, RawClient } from './clients.js';

/** A pino logger that keeps its lines for inspection. */
function memoryLogger(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines: () => lines };
}

const openConfig = (limits?: RouterConfig['limits']): RouterConfig => ({
  realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } }] }] }],
  listeners: [{ host: '127.0.0.1', port: 0, paths: { ws: { type: 'websocket' } } }],
  ...(limits ? { limits } : {}),
});

describe('malformed and out-of-order messages', () => {
  let r: RouterUnderTest;
  const mem = memoryLogger();
  before(async () => {
    r = await startRouter({ config: openConfig({ maxMessageSize: 64 * 1024 }), logger: mem.logger });
  });
  after(() => r.close());

  const cases: Array<[string, (c: RawClient) => Promise<void> | void, boolean]> = [
    ['invalid JSON', (c) => c.send('[1, "realm1", {'), false],
    ['a non-array message', (c) => c.send('{"hello": 1}'), false],
    ['an unknown message type', (c) => c.send('[999, 1, 2]'), false],
    ['CALL before HELLO', (c) => c.send('[48, 1, {}, "com.x"]'), false],
    ['HELLO without roles', (c) => c.send('[1, "realm1", {}]'), false],
    ['HELLO with a wrongly typed realm', (c) => c.send('[1, 5, {"roles": {"caller": {}}}]'), false],
    ['a second HELLO in a session', (c) => c.send(JSON.stringify([1, 'realm1', { roles: { caller: {} } }])), true],
    ['a WELCOME sent by a client', (c) => c.send('[2, 1, {}]'), true],
    ['CALL with a string request id', (c) => c.send('[48, "1", {}, "com.x"]'), true],
    ['CALL with too many elements', (c) => c.send('[48, 1, {}, "com.x", [], {}, 7]'), true],
    ['PUBLISH with kwargs that are a list', (c) => c.send('[16, 1, {}, "com.x", [], []]'), true],
    ['ERROR for a CALL (not INVOCATION)', (c) => c.send('[8, 48, 1, {}, "com.err"]'), true],
    ['a negative id', (c) => c.send('[34, -1, 5]'), true],
    ['an id beyond 2^53', (c) => c.send('[34, 1, 18014398509481984]'), true],
  ];

  for (const [name, send, afterHello] of cases) {
    test(`${name} aborts that session with wamp.error.protocol_violation`, async () => {
      const bystander = await connectAutobahn({ url: r.openUrl, realm: 'realm1' });
      await bystander.session.register('com.bystander.ping', () => 'pong');
      const c = new RawClient(r.openUrl);
      await c.opened();
      if (afterHello) await c.hello('realm1');
      await send(c);
      const abort = (await c.next()) as unknown[];
      assert.equal(abort[0], 3);
      assert.equal(abort[2], 'wamp.error.protocol_violation');
      assert.equal(typeof (abort[1] as { message?: unknown }).message, 'string');
      await c.closed;
      // the bystander is unaffected
      const other = await connectAutobahn({ url: r.openUrl, realm: 'realm1' });
      assert.equal(await other.session.call('com.bystander.ping'), 'pong');
      await other.close();
      await bystander.close();
    });
  }

  test('garbage in a msgpack session is a protocol violation', async () => {
    const c = new RawClient(r.openUrl, 'wamp.2.msgpack');
    await c.opened();
    c.send(Buffer.from([0xc1, 0xff, 0x00]));
    const abort = (await c.next()) as Buffer;
    assert.ok(Buffer.isBuffer(abort));
    await c.closed;
  });

  test('each protocol violation is logged', () => {
    const violations = mem.lines().filter((l) => l.msg === 'protocol violation: aborting the session');
    assert.ok(violations.length >= cases.length, `${violations.length} log lines`);
    assert.ok(violations.every((l) => typeof l.err === 'string' && l.level === 40));
  });

  test('a message over the size limit closes that connection only (1009), with a log line', async () => {
    const c = new RawClient(r.openUrl);
    await c.opened();
    await c.hello('realm1');
    c.send(JSON.stringify([16, 1, {}, 'com.big', ['x'.repeat(100 * 1024)]]));
    const closed = await c.closed;
    assert.equal(closed.code, 1009);
    assert.ok(mem.lines().some((l) => l.msg === 'WebSocket error: closing the connection'));
    const ok = await connectAutobahn({ url: r.openUrl, realm: 'realm1' });
    await ok.close();
  });

  test('a message the router would send over the limit is not sent: the caller gets payload_size_exceeded, a subscriber misses the event, nobody is disconnected', async () => {
    // short decimals take 4 bytes each in JSON and 9 in msgpack: under the limit as JSON, over it as msgpack
    const decimals = Array.from({ length: 9000 }, () => 0.1);
    const json = await connectAutobahn({ url: r.openUrl, realm: 'realm1' });
    const packed = await connectAutobahn({ url: r.openUrl, realm: 'realm1', serializer: 'msgpack' });
    const uri = (e: unknown): string => (e instanceof autobahn.Error ? e.error : String(e));
    try {
      await json.session.register('com.size.decimals', () => decimals);
      await packed.session.register('com.size.length', (args: unknown[] | undefined) => (args?.[0] as unknown[]).length);
      assert.deepEqual(await json.session.call('com.size.decimals'), decimals, 'a JSON caller gets the result');
      await assert.rejects(Promise.resolve(packed.session.call('com.size.decimals')), (e: unknown) => uri(e) === 'wamp.error.payload_size_exceeded');
      await assert.rejects(Promise.resolve(json.session.call('com.size.length', [decimals])), (e: unknown) => uri(e) === 'wamp.error.payload_size_exceeded');
      assert.equal(await json.session.call('com.size.length', [[1, 2, 3]]), 3, 'the callee is still there');

      const heard: string[] = [];
      await json.session.subscribe('com.size.topic', (args: unknown[] | undefined) => void heard.push(`json ${(args?.[0] as unknown[]).length}`));
      await packed.session.subscribe('com.size.topic', (args: unknown[] | undefined) => void heard.push(`msgpack ${(args?.[0] as unknown[]).length}`));
      const publisher = await connectAutobahn({ url: r.openUrl, realm: 'realm1' });
      try {
        await publisher.session.publish('com.size.topic', [decimals], {}, { acknowledge: true });
        await publisher.session.publish('com.size.topic', [[1]], {}, { acknowledge: true });
        await waitFor('both small events', () => heard.filter((h) => h.endsWith(' 1')).length === 2);
        assert.deepEqual(heard.sort(), ['json 1', 'json 9000', 'msgpack 1']);
      } finally {
        await publisher.close();
      }
      assert.ok(mem.lines().some((l) => l.msg === "a message larger than this session's transport takes: dropped" && l.message === 'RESULT'));
      assert.ok(mem.lines().some((l) => l.msg === "an event larger than its subscribers' transports take: they miss it"));
      assert.ok(json.session.isOpen && packed.session.isOpen, 'both stay connected');
    } finally {
      await json.close();
      await packed.close();
    }
  });

  test('a lone surrogate from JSON cannot go to msgpack or CBOR peers: the call fails with invalid_argument, their subscribers miss that event', async () => {
    const lone = 'a\ud800b';
    const json = await connectAutobahn({ url: r.openUrl, realm: 'realm1' });
    const packed = await connectAutobahn({ url: r.openUrl, realm: 'realm1', serializer: 'msgpack' });
    const cbor = await connectAutobahn({ url: r.openUrl, realm: 'realm1', serializer: 'cbor' });
    const uri = (e: unknown): string => (e instanceof autobahn.Error ? e.error : String(e));
    try {
      await cbor.session.register('com.text.echo', (args: unknown[] | undefined) => args?.[0]);
      await assert.rejects(Promise.resolve(json.session.call('com.text.echo', [lone])), (e: unknown) => uri(e) === 'wamp.error.invalid_argument');
      assert.equal(await json.session.call('com.text.echo', ['a\ud800\udc00b']), 'a\ud800\udc00b', 'a surrogate pair is a character: it passes');
      const heard: string[] = [];
      for (const [name, c] of [['json', json], ['msgpack', packed], ['cbor', cbor]] as const) {
        await c.session.subscribe('com.text.topic', (args: unknown[] | undefined) => void heard.push(`${name} ${String(args?.[0]).length}`));
      }
      const publisher = await connectAutobahn({ url: r.openUrl, realm: 'realm1' });
      await publisher.session.publish('com.text.topic', [lone], {}, { acknowledge: true });
      await publisher.session.publish('com.text.topic', ['ok'], {}, { acknowledge: true });
      await publisher.close();
      await waitFor('the second event everywhere', () => heard.filter((h) => h.endsWith(' 2')).length === 3);
      assert.deepEqual(heard.sort(), ['cbor 2', 'json 2', 'json 3', 'msgpack 2']);
      assert.ok(json.session.isOpen && packed.session.isOpen && cbor.session.isOpen, 'nobody was disconnected');
    } finally {
      await Promise.all([json.close(), packed.close(), cbor.close()]);
    }
  });

  test("a meta procedure's result over the limit fails that call with payload_size_exceeded", async () => {
    const small = await startRouter({ config: openConfig({ maxMessageSize: 4096 }), logger: mem.logger });
    const c = await connectAutobahn({ url: small.openUrl, realm: 'realm1' });
    try {
      for (let i = 0; i < 300; i++) await c.session.register(`com.many.p${i}`, () => i);
      await assert.rejects(Promise.resolve(c.session.call('wamp.registration.list')), (e: unknown) => e instanceof autobahn.Error && e.error === 'wamp.error.payload_size_exceeded');
      assert.equal(await c.session.call('com.many.p7'), 7, 'the session goes on');
    } finally {
      await c.close();
      await small.close();
    }
  });

  test('a client offering no WAMP subprotocol is refused at the handshake', async () => {
    const c = new RawClient(r.openUrl, 'mqtt');
    await assert.rejects(c.opened(), /HTTP 400/);
    const none = new RawClient(r.openUrl, []);
    await assert.rejects(none.opened(), /HTTP 400/);
  });

  test('a wrong path is refused with 404', async () => {
    const c = new RawClient(r.openUrl.replace('/ws', '/nope'));
    await assert.rejects(c.opened(), /HTTP 404/);
  });

  test('YIELD for an unknown invocation is ignored, the session stays', async () => {
    const c = new RawClient(r.openUrl);
    await c.opened();
    await c.hello('realm1');
    c.send('[70, 424242, {}, ["nobody asked"]]');
    c.send('[32, 7, {}, "com.still.alive"]');
    const subscribed = (await c.next()) as unknown[];
    assert.equal(subscribed[0], 33);
    assert.equal(subscribed[1], 7);
    c.close();
  });

  test('batched JSON carries several messages in one frame', async () => {
    const c = new RawClient(r.openUrl, 'wamp.2.json.batched');
    await c.opened();
    c.send(`${JSON.stringify([1, 'realm1', { roles: { subscriber: {} } }])}\u001e${JSON.stringify([32, 1, {}, 'com.batch'])}\u001e`);
    const welcome = String(await c.next());
    assert.match(welcome, /^\[2,/);
    c.close();
  });
});

describe('slow consumers', () => {
  test('a subscriber that stops reading is disconnected, with a log line, and the publisher goes on', async () => {
    const mem = memoryLogger();
    const r = await startRouter({ config: openConfig({ maxQueuedBytes: 256 * 1024 }), logger: mem.logger });
    const slow = new RawClient(r.openUrl, 'wamp.2.msgpack');
    await slow.opened();
    slow.send(msgpackEncode([1, 'realm1', { roles: { subscriber: {} } }]));
    await slow.next();
    slow.send(msgpackEncode([32, 1, {}, 'com.flood']));
    await slow.next();
    // stop reading: the router's send queue for this session grows
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const pub = await connectWampy({ url: r.openUrl, realm: 'realm1', serializer: 'msgpack' });
    const payload = 'y'.repeat(16 * 1024);
    for (let i = 0; i < 2000 && !mem.lines().some((l) => l.msg === 'slow consumer: send queue over the limit, disconnecting'); i++) {
      await pub.publish('com.flood', [payload], { acknowledge: true } as Record<string, unknown>);
    }
    const line = mem.lines().find((l) => l.msg === 'slow consumer: send queue over the limit, disconnecting');
    assert.ok(line, 'the slow consumer was disconnected');
    assert.ok((line.queuedBytes as number) > 256 * 1024);
    // the publisher is fine
    await pub.publish('com.flood', ['after'], { acknowledge: true } as Record<string, unknown>);
    await pub.disconnect();
    await r.close();
  });
});

describe('graceful shutdown', () => {
  test('closing the router sends GOODBYE (wamp.close.system_shutdown) to every client', async () => {
    const r = await startRouter();
    const a = await connectAutobahn({ url: r.openUrl, realm: r.realm });
    const b = await connectAutobahn({ url: r.tlsUrl, realm: r.realm, ca: r.ca, serializer: 'msgpack', authid: 'server', authmethods: ['wampcra'], secret: r.secrets.server });
    await r.close();
    for (const c of [a, b]) {
      const closed = await c.closed;
      assert.equal(closed.details.reason, 'wamp.close.system_shutdown');
    }
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`sisock router says GOODBYE and exits 0 on ${signal}`, async () => {
      const p = await spawnRouter();
      try {
        const c = await connectAutobahn({ url: p.openUrl, realm: 'test_realm' });
        const s = await connectAutobahn({ url: p.tlsUrl, realm: 'test_realm', ca: p.ca, authid: 'server', authmethods: ['wampcra'], secret: p.secrets.server });
        p.kill(signal);
        assert.equal((await c.closed).details.reason, 'wamp.close.system_shutdown');
        assert.equal((await s.closed).details.reason, 'wamp.close.system_shutdown');
        assert.equal(await p.exited, 0);
      } finally {
        p.kill('SIGKILL');
      }
    });
  }

  test('sisock router started by a supervisor (sisock up) says GOODBYE and exits by itself when that supervisor is SIGKILLed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sisock-router-orphan-'));
    const out = join(dir, 'router.out');
    // a stand-in supervisor: starts the router as its child with SISOCK_SUPERVISOR_PID, its output to a file
    // (not a pipe, which would break with the supervisor), prints the router's pid
    const script = `
      const { spawn } = require('node:child_process');
      const { openSync } = require('node:fs');
      const fd = openSync(${JSON.stringify(out)}, 'w');
      const c = spawn(process.execPath, [${JSON.stringify(SISOCK_BIN)}, 'router', '--no-tls', '--host', '127.0.0.1', '--ocs-port', '0'],
        { stdio: ['ignore', fd, fd], env: { ...process.env, SISOCK_SUPERVISOR_PID: String(process.pid) } });
      console.log(c.pid);
      setInterval(() => {}, 1000);`;
    const supervisor = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve) => supervisor.stdout!.setEncoding('utf8').once('data', (d: string) => resolve(Number(d.trim()))));
    try {
      const url = await waitFor('the router to listen', () => /listening on (ws:\/\/\S+)/.exec(readFileSync(out, 'utf8'))?.[1]);
      const c = await connectAutobahn({ url, realm: 'test_realm' });
      supervisor.kill('SIGKILL');
      await waitFor('the orphaned router to exit', () => !alive(pid), 10_000);
      assert.equal((await c.closed).details.reason, 'wamp.close.system_shutdown');
    } finally {
      supervisor.kill('SIGKILL');
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('sisock router refuses to listen beyond loopback with the public default secrets', async () => {
    await assert.rejects(
      spawnRouter({ args: ['--host', '0.0.0.0'], env: { WAMP_SECRET: '', SISOCK_CONSUMER_SECRET: '' }, timeout: 10_000 }),
      /refusing to listen beyond loopback/,
    );
  });
});

describe('timeouts and liveness', () => {
  let r: RouterUnderTest;
  before(async () => {
    const config = openConfig();
    config.listeners[0]!.paths.ws = { type: 'websocket', options: { openHandshakeTimeout: 150, autoPingInterval: 50, autoPingTimeout: 100 } };
    r = await startRouter({ config });
  });
  after(() => r.close());

  test('a connection that opens no session in time is closed', async () => {
    const c = new RawClient(r.openUrl, 'wamp.2.json', { autoPong: true });
    await c.opened();
    const closed = await c.closed;
    assert.equal(closed.code, 1000);
  });

  test('a peer that does not answer WebSocket pings is dropped; one that answers stays', async () => {
    const silent = new RawClient(r.openUrl, 'wamp.2.json', { autoPong: false });
    const alive = new RawClient(r.openUrl, 'wamp.2.json');
    await Promise.all([silent.opened(), alive.opened()]);
    await silent.hello('realm1');
    await alive.hello('realm1');
    const closed = await silent.closed;
    assert.equal(closed.code, 1006, 'dropped without a close handshake');
    // the answering peer is still served
    alive.send('[32, 1, {}, "com.alive"]');
    assert.equal(((await alive.next()) as unknown[])[0], 33);
    alive.close();
  });
});

describe('secrets stay out of the logs', () => {
  test('sisock router at debug level logs sessions and refusals but no secret', async () => {
    const secret = 'very-secret-Zq81';
    const p = await spawnRouter({ env: { LOGLEVEL: 'debug', WAMP_SECRET: secret } });
    try {
      const ok = await connectAutobahn({ url: p.tlsUrl, realm: 'test_realm', ca: p.ca, authid: 'server', authmethods: ['wampcra'], secret });
      await ok.close();
      await assert.rejects(connectAutobahn({ url: p.tlsUrl, realm: 'test_realm', ca: p.ca, authid: 'server', authmethods: ['wampcra'], secret: `${secret}-wrong` }));
      await assert.rejects(connectAutobahn({ url: p.openUrl, realm: 'test_realm', authid: 'server', authmethods: ['wampcra'], secret: 'guess' }));
    } finally {
      await p.stop();
    }
    const log = p.stderr();
    assert.match(log, /session joined/);
    assert.match(log, /authentication refused/);
    assert.ok(!log.includes(secret), 'the secret appears in the log');
    assert.ok(!log.includes('guess'), 'a tried secret appears in the log');
  });
});
