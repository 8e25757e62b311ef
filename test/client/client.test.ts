// The client layer against the real router: every way to authenticate, the
// site's CA for wss, errors in both directions, timeouts, and reconnection
// that restores registrations and subscriptions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { WampClient, type ClientOptions } from '../../src/client/client.js';
import { CallTimeoutError, NotConnectedError, WampError } from '../../src/client/errors.js';
import { JsonNumberList } from '../../src/client/json-number-lists.js';
import { Router } from '../../src/router/index.js';
import type { RouterConfig } from '../../src/router/config.js';
import { spawnRouter, testCa, testTls } from '../helpers/router.js';
import { waitFor } from '../helpers/sisock.js';

const REALM = 'test_realm';
const SALT = 'pepper';
const ALL = { call: true, register: true, publish: true, subscribe: true };

function config(port = 0, tlsPort = 0): RouterConfig {
  const auth = {
    wampcra: {
      users: {
        plain: { secret: 'plain secret', role: 'server' },
        // crossbar's convention: a salted user's configured secret is the derived key
        salty: { secret: pbkdf2Sync('salty secret', SALT, 100, 32, 'sha256').toString('base64'), salt: SALT, iterations: 100, keylen: 32, role: 'server' },
      },
    },
    ticket: { principals: { tix: { ticket: 'a ticket', role: 'server' } } },
    anonymous: { role: 'server' },
  };
  return {
    realms: [{ name: REALM, roles: [{ name: 'server', permissions: [{ uri: '', match: 'prefix', allow: ALL, disclose: { caller: true } }] }] }],
    listeners: [
      { name: 'open', host: '127.0.0.1', port, paths: { ws: { type: 'websocket', auth } } },
      { name: 'tls', host: '127.0.0.1', port: tlsPort, tls: testTls(), paths: { ws: { type: 'websocket', auth } } },
    ],
  };
}

async function start(port = 0, tlsPort = 0): Promise<{ router: Router; url: string; tlsUrl: string }> {
  const router = new Router(config(port, tlsPort));
  const urls = (await router.start()).flatMap((a) => a.urls);
  return { router, url: urls.find((u) => u.startsWith('ws:'))!, tlsUrl: urls.find((u) => u.startsWith('wss:'))! };
}

async function joins(options: ClientOptions): Promise<WampClient> {
  const c = new WampClient({ reconnect: false, ...options });
  await c.start();
  return c;
}

test('joins with WAMP-CRA (plain and salted), ticket and anonymous; a wrong secret is refused', async () => {
  const { router, url } = await start();
  try {
    for (const auth of [
      { method: 'wampcra', authid: 'plain', secret: 'plain secret' },
      { method: 'wampcra', authid: 'salty', secret: 'salty secret' },
      { method: 'ticket', authid: 'tix', ticket: 'a ticket' },
      { method: 'anonymous' },
    ] as const) {
      const c = await joins({ url, realm: REALM, auth });
      assert.ok(c.sessionId! > 0, auth.method);
      await c.close();
    }
    // a refused join says why, with the router's error URI
    await assert.rejects(joins({ url, realm: REALM, auth: { method: 'wampcra', authid: 'salty', secret: 'wrong' } }), (e: unknown) => e instanceof WampError && e.uri === 'wamp.error.not_authorized');
    await assert.rejects(joins({ url, realm: 'no_such_realm' }), (e: unknown) => e instanceof WampError && e.uri === 'wamp.error.no_such_realm');
  } finally {
    await router.close();
  }
});

test('wss trusts the site CA when given, and fails without it', async () => {
  const { router, tlsUrl } = await start();
  try {
    const c = await joins({ url: tlsUrl, realm: REALM, ca: testCa() });
    await c.close();
    await assert.rejects(joins({ url: tlsUrl, realm: REALM }), /certificate/i);
  } finally {
    await router.close();
  }
});

test('errors travel with their URI and message; a handler crash becomes runtime_error; calls can time out', async () => {
  const { router, url } = await start();
  // msgpack carries 64-bit integers (as Python peers send them), which its decoder gives as bigint: we hand out numbers.
  const callee = await joins({ url, realm: REALM, serializer: 'msgpack' });
  const caller = await joins({ url, realm: REALM, serializer: 'msgpack' });
  try {
    await callee.register('x.refuses', () => {
      throw new WampError('x.error.nope', 'no, because');
    });
    await callee.register('x.crashes', () => {
      throw new TypeError('boom');
    });
    await callee.register('x.hangs', () => new Promise(() => {}));
    await callee.register('x.echo', ({ args, kwargs, details }) => ({ args: [args, kwargs, details.caller ?? null] }));
    await assert.rejects(caller.call('x.refuses'), (e: unknown) => e instanceof WampError && e.uri === 'x.error.nope' && e.message === 'no, because');
    await assert.rejects(caller.call('x.crashes'), (e: unknown) => e instanceof WampError && e.uri === 'wamp.error.runtime_error' && /x\.crashes failed: boom/.test(e.message));
    await assert.rejects(caller.call('x.missing'), (e: unknown) => e instanceof WampError && e.uri === 'wamp.error.no_such_procedure');
    await assert.rejects(caller.call('x.hangs', [], undefined, { timeout: 200 }), CallTimeoutError);
    // a 64-bit integer as a Python peer sends it (int64 on the wire, bigint when decoded)
    const echo = await caller.call('x.echo', [1, 'two', 2n ** 40n], { three: 3 }, { discloseMe: true });
    assert.deepEqual(echo.args, [[1, 'two', 2 ** 40], { three: 3 }, caller.sessionId]);
    assert.equal(typeof caller.sessionId, 'number');
  } finally {
    await caller.close();
    await callee.close();
    await router.close();
  }
});

test('integers beyond 2^53 from msgpack stay bigint by default, and are numbers with largeIntegers: number (for JSON writers such as the bridge)', async () => {
  const { router, url } = await start();
  const big = 2n ** 53n + 2n;
  const callee = await joins({ url, realm: REALM, serializer: 'msgpack' });
  const exact = await joins({ url, realm: REALM, serializer: 'msgpack' });
  const rounded = await joins({ url, realm: REALM, serializer: 'msgpack', largeIntegers: 'number' });
  try {
    await callee.register('x.counts', () => ({ args: [{ data: { n: [big, 5, -big] } }] }));
    assert.deepEqual((await exact.call('x.counts')).args, [{ data: { n: [big, 5, -big] } }]);
    assert.deepEqual((await rounded.call('x.counts')).args, [{ data: { n: [Number(big), 5, -Number(big)] } }]);
  } finally {
    for (const c of [exact, rounded, callee]) await c.close();
    await router.close();
  }
});

test("numberLists: 'text' keeps a result's long number lists as their JSON text, for that call only, on JSON sessions", async () => {
  const { router, url } = await start();
  const values = Array.from({ length: 100 }, (_, i) => (i === 7 ? null : i / 3));
  const callee = await joins({ url, realm: REALM });
  const json = await joins({ url, realm: REALM });
  const msgpack = await joins({ url, realm: REALM, serializer: 'msgpack' });
  try {
    await callee.register('x.series', () => ({ args: [{ data: { v: values, short: [1, 2] } }], kwargs: { t: values } }));
    const kept = await json.call('x.series', [], undefined, { numberLists: 'text' });
    const data = (kept.args[0] as { data: { v: unknown; short: unknown } }).data;
    assert.ok(data.v instanceof JsonNumberList);
    assert.equal(data.v.text, JSON.stringify(values));
    assert.equal(data.v.length, 100);
    assert.deepEqual(data.v.values(), values);
    assert.deepEqual(data.short, [1, 2]);
    assert.ok(kept.kwargs.t instanceof JsonNumberList);
    // the next call without the option reads everything
    assert.deepEqual((await json.call('x.series')).args, [{ data: { v: values, short: [1, 2] } }]);
    // a binary session has no text to keep: arrays, as without the option
    assert.deepEqual((await msgpack.call('x.series', [], undefined, { numberLists: 'text' })).args, [{ data: { v: values, short: [1, 2] } }]);
  } finally {
    for (const c of [json, msgpack, callee]) await c.close();
    await router.close();
  }
});

test('after the router comes back, registrations and subscriptions are restored and join hooks run again', async () => {
  const first = await start();
  let router = first.router;
  const url = first.url;
  const port = Number(new URL(url).port);
  const c = new WampClient({ url, realm: REALM, reconnect: { initialDelay: 50, maxDelay: 200 } });
  const joinsSeen: number[] = [];
  c.onJoin(({ sessionId }) => void joinsSeen.push(sessionId));
  const got: unknown[] = [];
  await c.register('x.add', ({ args }) => ({ args: [(args[0] as number) + (args[1] as number)] }));
  await c.subscribe('observatory.SOME-Agent.feeds.temps', (ev) => void got.push(ev.args[0]));
  await c.start();
  const left = new Promise<string>((resolve) => c.once('leave', resolve));
  try {
    await router.close();
    assert.match(await left, /./);
    ({ router } = await start(port));
    await waitFor('the client to rejoin', () => c.joined && joinsSeen.length === 2);
    const other = await joins({ url, realm: REALM });
    try {
      assert.deepEqual((await other.call('x.add', [2, 3])).args, [5]);
      await other.publish('observatory.SOME-Agent.feeds.temps', [{ t: 1 }]);
      await waitFor('the event', () => got.length === 1);
      assert.deepEqual(got, [{ t: 1 }]);
    } finally {
      await other.close();
    }
    assert.notEqual(joinsSeen[0], joinsSeen[1], 'a new session');
  } finally {
    await c.close();
    await router.close();
  }
});

test('a call in flight when the router dies fails at once with NotConnectedError', async () => {
  const router = await spawnRouter({ noTls: true });
  const callee = await joins({ url: router.openUrl, realm: REALM });
  const caller = await joins({ url: router.openUrl, realm: REALM, reconnect: { initialDelay: 60_000, maxDelay: 60_000 } });
  try {
    await callee.register('observatory.x.hangs', () => new Promise(() => {}));
    // no timeout: only the connection's end can finish this call
    const pending = caller.call('observatory.x.hangs').then(
      () => 'answered',
      (err: unknown) => err,
    );
    await new Promise((r) => setTimeout(r, 100));
    router.kill('SIGKILL');
    const err = await pending;
    assert.ok(err instanceof NotConnectedError, `NotConnectedError, got ${String(err)}`);
    assert.match(err.message, /observatory\.x\.hangs/);
  } finally {
    await caller.close();
    await callee.close();
    await router.stop();
  }
});

test('a router that dies while the client answers its WAMP-CRA challenge: the client retries, nothing crashes', async () => {
  // a stand-in router: each connection gets a CHALLENGE, and the connection dies right after it
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'wamp.2.json' });
  let challenged = 0;
  server.on('connection', (ws) => {
    ws.once('message', () => {
      challenged++;
      ws.send(JSON.stringify([4, 'wampcra', { challenge: JSON.stringify({ nonce: 'x', authid: 'plain', timestamp: new Date().toISOString() }) }]));
      ws.terminate();
    });
  });
  await new Promise((r) => server.once('listening', r));
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown): void => void unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  const c = new WampClient({ url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`, realm: REALM, auth: { method: 'wampcra', authid: 'plain', secret: 'plain secret' }, reconnect: { initialDelay: 10, maxDelay: 20 } });
  try {
    void c.start().catch(() => undefined);
    await waitFor('several challenges answered', () => challenged >= 5);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(unhandled.map(String), [], 'no unhandled rejection (it would end a component)');
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await c.close();
    server.close();
  }
});

test('an optional subscription the router refuses is logged and skipped: the session and the other subscriptions go on', async () => {
  const router = new Router({
    realms: [
      {
        name: REALM,
        roles: [{ name: 'limited', permissions: [{ uri: '', match: 'prefix', allow: ALL }, { uri: 'closed.', match: 'prefix', allow: { publish: true } }] }],
      },
    ],
    listeners: [{ name: 'open', host: '127.0.0.1', port: 0, paths: { ws: { type: 'websocket', auth: { anonymous: { role: 'limited' } } } } }],
  });
  const url = (await router.start()).flatMap((a) => a.urls)[0]!;
  const c = new WampClient({ url, realm: REALM, reconnect: false });
  const got: unknown[] = [];
  try {
    await c.subscribe('closed..news', () => void got.push('refused one'), { match: 'wildcard', optional: true });
    await c.subscribe('open.news', (ev) => void got.push(ev.args[0]));
    await c.start();
    // while joined: an optional refusal resolves, a required one is refused as before
    await c.subscribe('closed.more', () => void got.push('refused too'), { optional: true });
    await assert.rejects(c.subscribe('closed.required', () => {}), (e: unknown) => e instanceof WampError && e.uri === 'wamp.error.not_authorized');
    const other = await joins({ url, realm: REALM });
    try {
      await other.publish('closed.a.news', ['x']);
      await other.publish('open.news', ['y']);
      await waitFor('the allowed event', () => got.length >= 1);
      assert.deepEqual(got, ['y']);
    } finally {
      await other.close();
    }
    assert.ok(c.joined);
  } finally {
    await c.close();
    await router.close();
  }
});
