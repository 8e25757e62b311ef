// Crossbar's HTTP bridge services, as OCS's client_http uses them: the
// caller (POST {procedure, args, kwargs}) and the publisher.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type autobahn from 'autobahn';
import type { RouterConfig } from '../../src/router/config.js';
import { startRouter, type RouterUnderTest } from '../helpers/router.js';
import { connectAutobahn, type AutobahnClient } from './clients.js';

describe('HTTP bridge', () => {
  let r: RouterUnderTest;
  let agent: AutobahnClient;
  let base: string;
  before(async () => {
    const all = { call: true, register: true, publish: true, subscribe: true };
    const config: RouterConfig = {
      realms: [
        {
          name: 'test_realm',
          roles: [
            { name: 'iocs_agent', permissions: [{ uri: 'observatory.', match: 'prefix', allow: all }] },
            { name: 'iocs_controller', permissions: [{ uri: 'observatory.', match: 'prefix', allow: { call: true, publish: true, subscribe: true } }] },
          ],
        },
      ],
      listeners: [
        {
          host: '127.0.0.1',
          port: 0,
          paths: {
            ws: { type: 'websocket', auth: { anonymous: { role: 'iocs_agent' } } },
            call: { type: 'caller', realm: 'test_realm', role: 'iocs_controller', options: { postBodyLimit: 10_000 } },
            publish: { type: 'publisher', realm: 'test_realm', role: 'iocs_controller' },
            badrole: { type: 'caller', realm: 'test_realm', role: 'nobody' },
          },
        },
      ],
    };
    r = await startRouter({ config });
    base = r.openUrl.replace('ws://', 'http://').replace(/\/ws$/, '');
    agent = await connectAutobahn({ url: r.openUrl, realm: 'test_realm', serializer: 'msgpack' });
    await agent.session.register('observatory.acu1', (args, kwargs) => ({ args, kwargs }));
    await agent.session.register('observatory.acu1.ops', (args) => [0, `${String(args?.[0])} ${String(args?.[1])} started`, { session_id: 1 }]);
    await agent.session.register('observatory.acu1.slow', async (args) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return args?.[0];
    });
  });
  after(async () => {
    await agent.close();
    await r.close();
  });

  const post = async (path: string, body: unknown, contentType?: string): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${base}/${path}`, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      ...(contentType ? { headers: { 'content-type': contentType } } : {}),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  test('a call as client_http sends it (no content type) returns args and kwargs', async () => {
    const { status, json } = await post('call', { procedure: 'observatory.acu1.ops', args: ['start', 'track'], kwargs: {} });
    assert.equal(status, 200);
    assert.deepEqual((json.args as unknown[])[0], [0, 'start track started', { session_id: 1 }]);
  });

  test('args and kwargs reach the callee; binary values travel as NUL+base64 strings', async () => {
    const { json } = await post('call', { procedure: 'observatory.acu1', args: [1, '\u0000aGk='], kwargs: { a: true } }, 'application/json');
    assert.deepEqual(json, { args: [{ args: [1, '\u0000aGk='], kwargs: { a: true } }], kwargs: {} });
  });

  test('a WAMP error comes back as 200 with error, args and kwargs', async () => {
    const missing = await post('call', { procedure: 'observatory.nobody.home' });
    assert.equal(missing.status, 200);
    assert.equal(missing.json.error, 'wamp.error.no_such_procedure');
    assert.ok(Array.isArray(missing.json.args));
    const denied = await post('call', { procedure: 'org.simonsobservatory.data_node.add', args: [] });
    assert.equal(denied.json.error, 'wamp.error.not_authorized');
  });

  test('bad requests get 400/405/413 with a reason, and the bridge keeps working', async () => {
    assert.equal((await post('call', 'not json')).status, 400);
    assert.equal((await post('call', [1, 2])).status, 400);
    assert.equal((await post('call', { procedure: 5 })).status, 400);
    assert.equal((await post('call', { procedure: 'observatory.acu1', args: 'x' })).status, 400);
    const big = await post('call', { procedure: 'observatory.acu1', args: ['x'.repeat(20_000)] });
    assert.equal(big.status, 413);
    const get = await fetch(`${base}/call`);
    assert.equal(get.status, 405);
    const ok = await post('call', { procedure: 'observatory.acu1.ops', args: ['a', 'b'] });
    assert.equal(ok.status, 200);
  });

  test('a request the router would refuse as a protocol violation gets 400 alone; calls of other clients go on', async () => {
    const deep = (n: number): unknown => (n === 0 ? 1 : [deep(n - 1)]);
    const slow = post('call', { procedure: 'observatory.acu1.slow', args: ['still here'] });
    await new Promise((resolve) => setTimeout(resolve, 50)); // the slow call is in flight
    const bad = await post('call', { procedure: 'observatory.acu1', args: [deep(600)] });
    assert.equal(bad.status, 400);
    assert.match(String((bad.json.args as unknown[])[0]), /nested deeper than 512/);
    const badPublish = await post('publish', { topic: 'observatory.t', kwargs: { k: deep(600) } });
    assert.equal(badPublish.status, 400);
    const answered = await slow;
    assert.equal(answered.status, 200, JSON.stringify(answered.json));
    assert.deepEqual((answered.json.args as unknown[])[0], 'still here');
  });

  test('a caller whose role does not exist answers 500 with a clear error', async () => {
    const { status, json } = await post('badrole', { procedure: 'observatory.acu1' });
    assert.equal(status, 500);
    assert.equal(json.error, 'wamp.error.no_such_role');
  });

  test('the publisher publishes and returns the publication id', async () => {
    const got = new Promise<unknown[]>((resolve) => {
      void agent.session.subscribe('observatory.acu1.feeds.status', (args) => resolve(args ?? []));
    });
    // the subscription is in place once this call returns
    await agent.session.call('observatory.acu1', []);
    const { status, json } = await post('publish', { topic: 'observatory.acu1.feeds.status', args: [{ az: 180.5 }] });
    assert.equal(status, 200);
    assert.ok(Number.isInteger(json.id));
    assert.deepEqual(await got, [{ az: 180.5 }]);
    const denied = await post('publish', { topic: 'wamp.session.on_join', args: [] });
    assert.equal(denied.json.error, 'wamp.error.not_authorized');
  });

  test('the bridge session shows in the meta API as role iocs_controller', async () => {
    const server = await connectAutobahn({ url: r.openUrl, realm: 'test_realm' });
    // role iocs_agent may not use the meta API: the bridge itself is the witness of its role
    await assert.rejects(Promise.resolve(server.session.call('wamp.session.list')), (e: unknown) => (e as autobahn.Error).error === 'wamp.error.not_authorized');
    await server.close();
  });
});
