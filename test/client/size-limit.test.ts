// The client keeps answers to calls within the router's message limit: a
// result or error over it reaches its caller as ERROR
// wamp.error.payload_size_exceeded, and the callee's session goes on (a
// router closes a connection that sends a message over its limit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MsgpackSerializer } from 'wampy/MsgpackSerializer.js';
import { WampClient, type ClientOptions } from '../../src/client/client.js';
import { NotConnectedError, WampError } from '../../src/client/errors.js';
import { JsonSerializer } from '../../src/client/json-serializer.js';
import { limitAnswerSize, PAYLOAD_SIZE_EXCEEDED, type Oversized } from '../../src/client/size-limit.js';
import { Router } from '../../src/router/index.js';

const REALM = 'test_realm';
const LIMIT = 8192;
const ALL = { call: true, register: true, publish: true, subscribe: true };

for (const make of [() => new JsonSerializer(), () => new MsgpackSerializer()]) {
  const inner = make();
  test(`${inner.protocol}: answers over the limit become payload_size_exceeded; other messages pass as they are`, () => {
    const seen: Oversized[] = [];
    const s = limitAnswerSize(inner, 1000, (o) => seen.push(o));
    assert.equal(s.protocol, inner.protocol);
    assert.equal(s.isBinary, inner.isBinary);
    const small = [70, 7, {}, ['ok']];
    assert.deepEqual(s.encode(small), inner.encode(small), 'a small answer is encoded as before');
    const big = 'x'.repeat(2000);
    const yielded = s.decode(s.encode([70, 7, {}, [big]])) as unknown[];
    const [type, of, id, details, uri, args, kwargs] = yielded as [number, number, number, object, string, string[], Record<string, number>];
    assert.deepEqual([type, of, id, details, uri], [8, 68, 7, {}, PAYLOAD_SIZE_EXCEEDED]);
    assert.match(args[0]!, /^the result of this call would be a message of 2\.0 KiB, over the 1000 bytes that the callee's connection carries$/);
    assert.equal(kwargs.limit, 1000);
    assert.ok(kwargs.bytes! > 2000);
    const error = s.decode(s.encode([8, 68, 9, {}, 'x.error.long', [big]])) as unknown[];
    assert.deepEqual(error.slice(0, 5), [8, 68, 9, {}, PAYLOAD_SIZE_EXCEEDED]);
    assert.match((error[5] as string[])[0]!, /^the error of this call/);
    // a call or a publication is not an answer: it goes out, and the caller is told
    const call = [48, 3, {}, 'x.proc', [big]];
    assert.deepEqual(s.encode(call), inner.encode(call));
    assert.deepEqual(
      seen.map((o) => [o.type, o.requestId, o.replaced]),
      [[70, 7, true], [8, 9, true], [48, 3, false]],
    );
    for (const o of seen) assert.ok(o.bytes > 2000);
  });
}

test('multi-byte text is measured in bytes, not characters', () => {
  const seen: Oversized[] = [];
  const s = limitAnswerSize(new JsonSerializer(), 1000, (o) => seen.push(o));
  // 400 characters, 1200 bytes of UTF-8
  const answer = s.decode(s.encode([70, 1, {}, ['€'.repeat(400)]])) as unknown[];
  assert.equal(answer[0], 8);
  assert.equal(seen.length, 1);
  const fits = s.decode(s.encode([70, 2, {}, ['€'.repeat(300)]])) as unknown[];
  assert.equal(fits[0], 70);
});

async function routerWithLimit(): Promise<{ router: Router; url: string }> {
  const router = new Router({
    realms: [{ name: REALM, roles: [{ name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: ALL }] }] }],
    listeners: [{ name: 'open', host: '127.0.0.1', port: 0, paths: { ws: { type: 'websocket', auth: { anonymous: { role: 'anonymous' } } } } }],
    limits: { maxMessageSize: LIMIT },
  });
  const url = (await router.start()).flatMap((a) => a.urls)[0]!;
  return { router, url };
}

async function joined(url: string, options: Partial<ClientOptions> = {}): Promise<WampClient> {
  const c = new WampClient({ url, realm: REALM, reconnect: false, ...options });
  await c.start();
  return c;
}

for (const serializer of ['json', 'msgpack'] as const) {
  test(`${serializer}: a result or error too large for the router fails that call alone; the callee stays on the router`, async () => {
    const { router, url } = await routerWithLimit();
    const callee = await joined(url, { serializer, maxMessageSize: LIMIT });
    const caller = await joined(url);
    const other = await joined(url, { serializer: 'msgpack' });
    try {
      const session = callee.sessionId;
      await callee.register('x.data', ({ args }) => ({ args: ['v'.repeat(args[0] as number)] }));
      await callee.register('x.fails', ({ args }) => {
        throw new WampError('x.error.verbose', 'e'.repeat(args[0] as number));
      });
      const [big, meanwhile] = await Promise.allSettled([caller.call('x.data', [3 * LIMIT]), other.call('x.data', [10])]);
      assert.equal(big.status, 'rejected');
      const err = (big as PromiseRejectedResult).reason as WampError;
      assert.ok(err instanceof WampError);
      assert.equal(err.uri, PAYLOAD_SIZE_EXCEEDED);
      assert.match(err.message, /^the result of this call would be a message of [\d.]+ KiB, over the 8\.0 KiB that the callee's connection carries$/);
      assert.equal(err.kwargs.limit, LIMIT);
      assert.ok((err.kwargs.bytes as number) > 3 * LIMIT);
      assert.deepEqual(meanwhile.status === 'fulfilled' ? meanwhile.value.args : meanwhile.reason, ['vvvvvvvvvv'], 'another caller is served');
      await assert.rejects(caller.call('x.fails', [3 * LIMIT]), (e: unknown) => e instanceof WampError && e.uri === PAYLOAD_SIZE_EXCEEDED && /^the error of this call/.test(e.message));
      assert.equal(callee.sessionId, session, 'the callee kept its session');
      assert.deepEqual((await caller.call('x.data', [3])).args, ['vvv'], 'and goes on answering');
    } finally {
      await Promise.all([caller.close(), other.close(), callee.close()]);
      await router.close();
    }
  });
}

test('without the limit a callee that answers too much is put off the router, which is what the limit prevents', async () => {
  const { router, url } = await routerWithLimit();
  const callee = await joined(url, { maxMessageSize: 1024 * LIMIT });
  const caller = await joined(url);
  try {
    await callee.register('x.data', ({ args }) => ({ args: ['v'.repeat(args[0] as number)] }));
    const left = new Promise((resolve) => callee.once('fatal', resolve));
    await assert.rejects(caller.call('x.data', [3 * LIMIT], undefined, { timeout: 10_000 }), (e: unknown) => e instanceof WampError || e instanceof NotConnectedError);
    await left;
    assert.equal(callee.joined, false);
  } finally {
    await Promise.all([caller.close(), callee.close()]);
    await router.close();
  }
});
