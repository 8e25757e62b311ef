// The broker, driven by autobahn-js and wampy: acknowledged publications,
// exclusion and eligibility, publisher disclosure, pattern subscriptions,
// denied topics, and mixed serializers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type autobahn from 'autobahn';
import type { RouterConfig } from '../../src/router/config.js';
import { startRouter, type RouterUnderTest } from '../helpers/router.js';
import { connectAutobahn, connectWampy, type AutobahnClient, type SerializerName } from './clients.js';

interface Received {
  args: unknown[];
  kwargs: unknown;
  details: autobahn.IEvent;
}

/** Subscribes and collects events; `next()` waits for the next one. */
async function collect(c: AutobahnClient, topic: string, options?: autobahn.ISubscribeOptions): Promise<{ events: Received[]; next(): Promise<Received> }> {
  const events: Received[] = [];
  let waiter: (() => void) | undefined;
  await c.session.subscribe(
    topic,
    (args, kwargs, details) => {
      events.push({ args: args ?? [], kwargs, details: details! });
      waiter?.();
    },
    options,
  );
  let read = 0;
  return {
    events,
    next: async () => {
      while (events.length <= read) await new Promise<void>((res) => (waiter = res));
      return events[read++]!;
    },
  };
}

/** Resolves after every message in flight on these connections was handled (one round trip each). */
async function settle(...clients: AutobahnClient[]): Promise<void> {
  await Promise.all(clients.map((c) => Promise.resolve(c.session.call('wamp.session.count').then(undefined, () => undefined))));
}

describe('PubSub', () => {
  let r: RouterUnderTest;
  const open: AutobahnClient[] = [];
  const join = async (serializer: SerializerName = 'json'): Promise<AutobahnClient> => {
    const c = await connectAutobahn({ url: r.openUrl, realm: 'realm1', serializer });
    open.push(c);
    return c;
  };
  before(async () => {
    const config: RouterConfig = {
      realms: [
        {
          name: 'realm1',
          roles: [
            {
              name: 'anonymous',
              permissions: [
                { uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } },
                { uri: 'com.disclosed.', match: 'prefix', allow: { publish: true, subscribe: true }, disclose: { publisher: true } },
                { uri: 'com.readonly.', match: 'prefix', allow: { subscribe: true } },
                { uri: 'com.secret.', match: 'prefix', allow: {} },
              ],
            },
          ],
        },
      ],
      listeners: [{ host: '127.0.0.1', port: 0, paths: { ws: { type: 'websocket', auth: { anonymous: { role: 'anonymous' } } } } }],
    };
    r = await startRouter({ config });
  });
  after(async () => {
    await Promise.all(open.map((c) => c.close()));
    await r.close();
  });

  test('an acknowledged publication reaches subscribers on every serializer, not the publisher', async () => {
    const [pub, json, msgpack, cbor] = [await join(), await join('json'), await join('msgpack'), await join('cbor')];
    const subs = await Promise.all([json, msgpack, cbor, pub].map((c) => collect(c, 'com.example.topic')));
    const ack = await pub.session.publish('com.example.topic', [1, 'x'], { a: { b: [1.5] } }, { acknowledge: true });
    assert.ok(Number.isInteger(ack.id) && ack.id >= 1);
    for (const s of subs.slice(0, 3)) {
      const e = await s.next();
      assert.deepEqual(e.args, [1, 'x']);
      assert.deepEqual(e.kwargs, { a: { b: [1.5] } });
      assert.equal(e.details.publication, ack.id);
      assert.equal(e.details.publisher, undefined);
    }
    await settle(pub);
    assert.equal(subs[3]!.events.length, 0, 'exclude_me is the default');
  });

  test('exclude_me: false delivers to the publisher too', async () => {
    const c = await join();
    const s = await collect(c, 'com.example.self');
    await c.session.publish('com.example.self', ['me'], {}, { acknowledge: true, exclude_me: false });
    assert.deepEqual((await s.next()).args, ['me']);
  });

  test('exclude and eligible lists, by session, authid and authrole', async () => {
    const pub = await join();
    const [a, b, c] = [await join(), await join(), await join()];
    const [sa, sb, sc] = await Promise.all([a, b, c].map((x) => collect(x, 'com.example.filtered')));
    await pub.session.publish('com.example.filtered', ['1'], {}, { acknowledge: true, exclude: [b.session.id] });
    await pub.session.publish('com.example.filtered', ['2'], {}, { acknowledge: true, eligible: [c.session.id] });
    await pub.session.publish('com.example.filtered', ['3'], {}, { acknowledge: true, exclude_authrole: ['anonymous'] } as autobahn.IPublishOptions);
    await pub.session.publish('com.example.filtered', ['4'], {}, { acknowledge: true, eligible_authid: [String(b.details.authid)] } as autobahn.IPublishOptions);
    await settle(a, b, c);
    assert.deepEqual(sa.events.map((e) => e.args[0]), ['1']);
    assert.deepEqual(sb.events.map((e) => e.args[0]), ['4']);
    assert.deepEqual(sc.events.map((e) => e.args[0]), ['1', '2']);
  });

  test('a malformed exclude option gets wamp.error.invalid_argument', async () => {
    const pub = await join();
    await assert.rejects(Promise.resolve(pub.session.publish('com.example.x', [], {}, { acknowledge: true, exclude: ['nope'] as unknown as number[] })), (e: unknown) => (e as autobahn.Error).error === 'wamp.error.invalid_argument');
  });

  test('the publisher is disclosed when its role says so', async () => {
    const pub = await join();
    const sub = await join('msgpack');
    const s = await collect(sub, 'com.disclosed.topic');
    await pub.session.publish('com.disclosed.topic', ['hi'], {}, { acknowledge: true });
    const e = await s.next();
    assert.equal(e.details.publisher, pub.session.id);
    assert.equal((e.details as unknown as { publisher_authrole: string }).publisher_authrole, 'anonymous');
  });

  test('prefix and wildcard subscriptions get events with the topic in the details', async () => {
    const pub = await join();
    const sub = await join('cbor');
    const prefix = await collect(sub, 'observatory.LS372-1.feeds.', { match: 'prefix' });
    const wild = await collect(sub, 'observatory..feeds.temperatures', { match: 'wildcard' });
    const exact = await collect(sub, 'observatory.LS372-1.feeds.temperatures');
    await pub.session.publish('observatory.LS372-1.feeds.temperatures', [{ 'Channel 01 R': 1.5 }], {}, { acknowledge: true });
    await pub.session.publish('observatory.bluefors.feeds.temperatures', [2], {}, { acknowledge: true });
    await pub.session.publish('observatory.LS372-1.feeds.heaters', [3], {}, { acknowledge: true });
    await settle(sub);
    assert.deepEqual(prefix.events.map((e) => [e.args[0], e.details.topic]), [
      [{ 'Channel 01 R': 1.5 }, 'observatory.LS372-1.feeds.temperatures'],
      [3, 'observatory.LS372-1.feeds.heaters'],
    ]);
    assert.deepEqual(wild.events.map((e) => [e.args[0], e.details.topic]), [
      [{ 'Channel 01 R': 1.5 }, 'observatory.LS372-1.feeds.temperatures'],
      [2, 'observatory.bluefors.feeds.temperatures'],
    ]);
    assert.deepEqual(exact.events.map((e) => e.args[0]), [{ 'Channel 01 R': 1.5 }]);
    // autobahn reports the subscribed topic for exact subscriptions
    assert.equal(exact.events[0]!.details.topic, 'observatory.LS372-1.feeds.temperatures');
  });

  test('denied publish and subscribe get wamp.error.not_authorized', async () => {
    const c = await join();
    await assert.rejects(Promise.resolve(c.session.publish('com.readonly.x', [], {}, { acknowledge: true })), (e: unknown) => (e as autobahn.Error).error === 'wamp.error.not_authorized');
    await assert.rejects(Promise.resolve(c.session.subscribe('com.secret.x', () => undefined)), (e: unknown) => (e as autobahn.Error).error === 'wamp.error.not_authorized');
    await c.session.subscribe('com.readonly.x', () => undefined);
  });

  test('an invalid topic URI gets wamp.error.invalid_uri', async () => {
    const c = await join();
    await assert.rejects(Promise.resolve(c.session.publish('com..bad', [], {}, { acknowledge: true })), (e: unknown) => (e as autobahn.Error).error === 'wamp.error.invalid_uri');
  });

  test('unsubscribed sessions get no more events; wampy publishes to autobahn', async () => {
    const sub = await join('msgpack');
    const events: unknown[] = [];
    const subscription = await sub.session.subscribe('com.example.unsub', (args) => {
      events.push(args?.[0]);
    });
    const w = await connectWampy({ url: r.openUrl, realm: 'realm1', serializer: 'msgpack' });
    await w.publish('com.example.unsub', ['one'], { acknowledge: true } as Record<string, unknown>);
    await settle(sub);
    await subscription.unsubscribe();
    await w.publish('com.example.unsub', ['two'], { acknowledge: true } as Record<string, unknown>);
    await settle(sub);
    assert.deepEqual(events, ['one']);
    await w.disconnect();
  });

  test('wampy subscribes and receives events from autobahn', async () => {
    const w = await connectWampy({ url: r.openUrl, realm: 'realm1', serializer: 'cbor' });
    const got = new Promise<unknown[]>((resolve) => {
      void w.subscribe('com.example.wampy', (e: { argsList?: unknown[] }) => resolve(e.argsList ?? []));
    });
    await new Promise((res) => setTimeout(res, 0));
    const pub = await join();
    // wait until the subscription exists before publishing
    for (let i = 0; i < 100 && (await pub.session.call<unknown>('wamp.subscription.lookup', ['com.example.wampy'])) === null; i++) {
      await new Promise((res) => setTimeout(res, 10));
    }
    await pub.session.publish('com.example.wampy', [Buffer.from('bin'), 7], {}, { acknowledge: true });
    const args = await got;
    assert.deepEqual(Buffer.from(args[0] as Uint8Array).toString(), 'bin');
    assert.equal(args[1], 7);
    await w.disconnect();
  });
});
