// The meta API: session join/leave events (the hub depends on on_leave),
// wamp.session.*, wamp.registration.* and wamp.subscription.* procedures
// and events, as the server role of the original's configuration
// (everything; sisock's default lets no role kill sessions).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type autobahn from 'autobahn';
import { defaultTestConfig, startRouter, type RouterUnderTest } from '../helpers/router.js';
import { connectAutobahn, connectWampy, type AutobahnClient } from './clients.js';

class EventLog {
  readonly events: Array<{ topic: string; args: unknown[] }> = [];
  private waiters: Array<() => void> = [];
  push(topic: string, args: unknown[]): void {
    this.events.push({ topic, args });
    for (const w of this.waiters.splice(0)) w();
  }
  /** Waits (at most 5 s) for an event on `topic` matching `pred`. */
  async wait(topic: string, pred: (args: unknown[]) => boolean = () => true): Promise<unknown[]> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const e = this.events.find((x) => x.topic === topic && pred(x.args));
      if (e) return e.args;
      if (Date.now() > deadline) throw new Error(`no matching ${topic} event`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }
}

describe('meta API', () => {
  let r: RouterUnderTest;
  let watcher: AutobahnClient;
  const log = new EventLog();
  const connectServer = (serializer: 'json' | 'msgpack' = 'json'): Promise<AutobahnClient> =>
    connectAutobahn({ url: r.tlsUrl, realm: r.realm, ca: r.ca, serializer, authid: 'server', authmethods: ['wampcra'], secret: r.secrets.server });

  before(async () => {
    const config = defaultTestConfig();
    const everything = { uri: '', match: 'prefix' as const, allow: { call: true, register: true, publish: true, subscribe: true } };
    config.realms[0]!.roles = config.realms[0]!.roles.map((role) => (role.name === 'server' ? { name: 'server', permissions: [everything] } : role));
    r = await startRouter({ config });
    watcher = await connectServer('msgpack');
    for (const topic of [
      'wamp.session.on_join',
      'wamp.session.on_leave',
      'wamp.registration.on_create',
      'wamp.registration.on_register',
      'wamp.registration.on_unregister',
      'wamp.registration.on_delete',
      'wamp.subscription.on_create',
      'wamp.subscription.on_subscribe',
      'wamp.subscription.on_unsubscribe',
      'wamp.subscription.on_delete',
    ]) {
      await watcher.session.subscribe(topic, (args) => log.push(topic, args ?? []));
    }
  });
  after(async () => {
    await watcher.close();
    await r.close();
  });

  test('on_join carries the session details; on_leave carries id, authid and authrole', async () => {
    const c = await connectAutobahn({ url: r.openUrl, realm: r.realm });
    const [joined] = (await log.wait('wamp.session.on_join', (a) => (a[0] as { session: number }).session === c.session.id)) as [Record<string, unknown>];
    assert.equal(joined.authrole, 'anonymous');
    assert.equal(joined.authmethod, 'anonymous');
    assert.equal((joined.transport as { protocol: string }).protocol, 'wamp.2.json');
    const id = c.session.id; // autobahn forgets it on close
    c.connection.close();
    const left = await log.wait('wamp.session.on_leave', (a) => a[0] === id);
    assert.deepEqual(left, [id, joined.authid, 'anonymous']);
  });

  test('on_leave fires when a client drops without GOODBYE', async () => {
    const w = await connectWampy({ url: r.openUrl, realm: r.realm });
    const id = Number(w.getSessionId());
    (w as unknown as { _ws: { terminate?: () => void; close: () => void } })._ws.terminate?.();
    await log.wait('wamp.session.on_leave', (a) => a[0] === id);
  });

  test('wamp.session.count, list and get', async () => {
    const c = await connectAutobahn({ url: r.openUrl, realm: r.realm });
    const count = await watcher.session.call<number>('wamp.session.count');
    const list = await watcher.session.call<number[]>('wamp.session.list');
    assert.equal(count, list.length);
    assert.ok(list.includes(c.session.id) && list.includes(watcher.session.id));
    assert.deepEqual(await watcher.session.call<number[]>('wamp.session.list', [['anonymous']]), list.filter((id) => id !== watcher.session.id));
    assert.equal(await watcher.session.call<number>('wamp.session.count', [['server']]), 1);
    const details = await watcher.session.call<Record<string, unknown>>('wamp.session.get', [c.session.id]);
    assert.equal(details.session, c.session.id);
    assert.equal(details.authrole, 'anonymous');
    await assert.rejects(Promise.resolve(watcher.session.call('wamp.session.get', [12345])), (e: unknown) => (e as autobahn.Error).error === 'wamp.error.no_such_session');
    await c.close();
  });

  test('wamp.session.kill sends the victim GOODBYE with the reason', async () => {
    const victim = await connectAutobahn({ url: r.openUrl, realm: r.realm });
    const id = victim.session.id;
    await watcher.session.call('wamp.session.kill', [id], { reason: 'com.example.go_away', message: 'bye' });
    const closed = await victim.closed;
    assert.equal(closed.details.reason, 'com.example.go_away');
    await log.wait('wamp.session.on_leave', (a) => a[0] === id);
    // a session cannot kill itself
    await assert.rejects(Promise.resolve(watcher.session.call('wamp.session.kill', [watcher.session.id])), (e: unknown) => (e as autobahn.Error).error === 'wamp.error.no_such_session');
  });

  test('anonymous sessions may not use the meta API', async () => {
    const c = await connectAutobahn({ url: r.openUrl, realm: r.realm });
    await assert.rejects(Promise.resolve(c.session.call('wamp.session.list')), (e: unknown) => (e as autobahn.Error).error === 'wamp.error.not_authorized');
    await assert.rejects(Promise.resolve(c.session.subscribe('wamp.session.on_leave', () => undefined)), (e: unknown) => (e as autobahn.Error).error === 'wamp.error.not_authorized');
    await c.close();
  });

  test('registration meta: events and procedures', async () => {
    const callee = await connectServer();
    const callee2 = await connectServer();
    const callee2Id = callee2.session.id;
    const uri = 'org.simonsobservatory.consumer.meta.get_fields';
    const reg = await callee.session.register(uri, () => 1, { invoke: 'roundrobin' });
    const reg2 = await callee2.session.register(uri, () => 2, { invoke: 'roundrobin' });
    const [creator, created] = (await log.wait('wamp.registration.on_create', (a) => (a[1] as { uri: string }).uri === uri)) as [number, Record<string, unknown>];
    assert.equal(creator, callee.session.id);
    assert.equal(created.id, reg.id);
    assert.equal(created.invoke, 'roundrobin');
    await log.wait('wamp.registration.on_register', (a) => a[0] === callee.session.id && a[1] === reg.id);
    await log.wait('wamp.registration.on_register', (a) => a[0] === callee2.session.id && a[1] === reg.id);
    assert.equal(reg2.id, reg.id);

    const list = await watcher.session.call<{ exact: number[] }>('wamp.registration.list');
    assert.ok(list.exact.includes(reg.id));
    assert.equal(await watcher.session.call('wamp.registration.lookup', [uri]), reg.id);
    assert.equal(await watcher.session.call('wamp.registration.lookup', [uri, { match: 'prefix' }]), null);
    assert.equal(await watcher.session.call('wamp.registration.match', [uri]), reg.id);
    assert.equal(await watcher.session.call('wamp.registration.match', ['org.nothing']), null);
    const got = await watcher.session.call<Record<string, unknown>>('wamp.registration.get', [reg.id]);
    assert.equal(got.uri, uri);
    assert.equal(got.match, 'exact');
    assert.deepEqual(new Set(await watcher.session.call<number[]>('wamp.registration.list_callees', [reg.id])), new Set([callee.session.id, callee2.session.id]));
    assert.equal(await watcher.session.call('wamp.registration.count_callees', [reg.id]), 2);
    await assert.rejects(Promise.resolve(watcher.session.call('wamp.registration.get', [1])), (e: unknown) => (e as autobahn.Error).error === 'wamp.error.no_such_registration');

    await reg.unregister();
    await log.wait('wamp.registration.on_unregister', (a) => a[0] === callee.session.id && a[1] === reg.id);
    await callee2.close();
    await log.wait('wamp.registration.on_unregister', (a) => a[0] === callee2Id && a[1] === reg.id);
    await log.wait('wamp.registration.on_delete', (a) => a[0] === callee2Id && a[1] === reg.id);
    assert.equal(await watcher.session.call('wamp.registration.lookup', [uri]), null);
    await callee.close();
  });

  test('subscription meta: events and procedures', async () => {
    const sub = await connectServer();
    const topic = 'observatory.meta-test.feeds.';
    const s = await sub.session.subscribe(topic, () => undefined, { match: 'prefix' });
    const [, created] = (await log.wait('wamp.subscription.on_create', (a) => (a[1] as { uri: string }).uri === topic)) as [number, Record<string, unknown>];
    assert.equal(created.match, 'prefix');
    await log.wait('wamp.subscription.on_subscribe', (a) => a[0] === sub.session.id && a[1] === s.id);
    const list = await watcher.session.call<{ prefix: number[] }>('wamp.subscription.list');
    assert.ok(list.prefix.includes(s.id));
    assert.equal(await watcher.session.call('wamp.subscription.lookup', [topic, { match: 'prefix' }]), s.id);
    assert.deepEqual(await watcher.session.call('wamp.subscription.match', ['observatory.meta-test.feeds.x']), [s.id]);
    assert.equal((await watcher.session.call<Record<string, unknown>>('wamp.subscription.get', [s.id])).uri, topic);
    assert.deepEqual(await watcher.session.call('wamp.subscription.list_subscribers', [s.id]), [sub.session.id]);
    assert.equal(await watcher.session.call('wamp.subscription.count_subscribers', [s.id]), 1);
    await s.unsubscribe();
    await log.wait('wamp.subscription.on_unsubscribe', (a) => a[0] === sub.session.id && a[1] === s.id);
    await log.wait('wamp.subscription.on_delete', (a) => a[0] === sub.session.id && a[1] === s.id);
    await sub.close();
  });
});
