// Opening and closing sessions: transports (ws, wss), serializers,
// authentication methods and their failures, driven by autobahn-js and wampy.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRouter, type RouterUnderTest } from '../helpers/router.js';
import { connectAutobahn, connectWampy, RawClient, type SerializerName } from './clients.js';
import { deriveKey } from '../../src/wamp/crypto.js';
import type { RouterConfig } from '../../src/router/config.js';

describe('sessions on the sisock default configuration', () => {
  let r: RouterUnderTest;
  before(async () => {
    r = await startRouter();
  });
  after(() => r.close());

  for (const serializer of ['json', 'msgpack', 'cbor'] as SerializerName[]) {
    test(`autobahn joins anonymously over ws with ${serializer}`, async () => {
      const c = await connectAutobahn({ url: r.openUrl, realm: r.realm, serializer });
      assert.equal(c.details.authrole, 'anonymous');
      assert.equal(c.details.authmethod, 'anonymous');
      assert.ok(Number.isInteger(c.session.id) && c.session.id >= 1 && c.session.id <= 2 ** 53);
      assert.equal((c.connection.transport.info as { protocol?: string }).protocol, `wamp.2.${serializer}`);
      await c.close();
    });
  }

  for (const serializer of ['json', 'msgpack'] as SerializerName[]) {
    test(`autobahn authenticates with WAMP-CRA over wss with ${serializer}`, async () => {
      const c = await connectAutobahn({ url: r.tlsUrl, realm: r.realm, serializer, ca: r.ca, authid: 'server', authmethods: ['wampcra'], secret: r.secrets.server });
      assert.equal(c.details.authid, 'server');
      assert.equal(c.details.authrole, 'server');
      assert.equal(c.details.authmethod, 'wampcra');
      await c.close();
    });

    test(`wampy authenticates with WAMP-CRA over wss with ${serializer}`, async () => {
      const w = await connectWampy({ url: r.tlsUrl, realm: r.realm, serializer, ca: r.ca, authid: 'simonsobs', secret: r.secrets.simonsobs });
      // wampy's msgpack decoder gives 64-bit integers as bigint, as it would with crossbar
      const id = w.getSessionId() as number | bigint | null;
      assert.ok(id !== null && Number(id) >= 1 && Number(id) <= 2 ** 53);
      await w.disconnect();
    });
  }

  test('WELCOME announces the roles and features the router implements', async () => {
    const c = await connectAutobahn({ url: r.openUrl, realm: r.realm });
    const roles = c.details.roles as Record<string, { features: Record<string, boolean> }>;
    assert.equal(roles.dealer!.features.progressive_call_results, true);
    assert.equal(roles.dealer!.features.call_canceling, true);
    assert.equal(roles.dealer!.features.pattern_based_registration, true);
    assert.equal(roles.broker!.features.pattern_based_subscription, true);
    assert.equal(roles.broker!.features.session_meta_api, true);
    await c.close();
  });

  test('a bad CRA signature is refused with wamp.error.not_authorized', async () => {
    await assert.rejects(
      connectAutobahn({ url: r.tlsUrl, realm: r.realm, ca: r.ca, authid: 'server', authmethods: ['wampcra'], secret: 'wrong secret' }),
      (err: Error & { reason?: string }) => err.reason === 'wamp.error.not_authorized',
    );
    await assert.rejects(
      connectAutobahn({ url: r.tlsUrl, realm: r.realm, ca: r.ca, authid: 'server', authmethods: ['wampcra'], signature: 'not base64 at all' }),
      (err: Error & { reason?: string }) => err.reason === 'wamp.error.not_authorized',
    );
  });

  test('an unknown CRA user is refused like a bad signature', async () => {
    await assert.rejects(
      connectAutobahn({ url: r.tlsUrl, realm: r.realm, ca: r.ca, authid: 'nobody', authmethods: ['wampcra'], secret: r.secrets.server }),
      (err: Error & { reason?: string }) => err.reason === 'wamp.error.not_authorized',
    );
  });

  test('wampy with a wrong CRA secret is refused', async () => {
    await assert.rejects(connectWampy({ url: r.tlsUrl, realm: r.realm, ca: r.ca, authid: 'server', secret: 'nope' }));
  });

  test('the secure listener admits no anonymous client', async () => {
    await assert.rejects(
      connectAutobahn({ url: r.tlsUrl, realm: r.realm, ca: r.ca }),
      (err: Error & { reason?: string }) => err.reason === 'wamp.error.no_auth_method',
    );
  });

  test('an unknown realm is refused with wamp.error.no_such_realm', async () => {
    await assert.rejects(
      connectAutobahn({ url: r.openUrl, realm: 'no.such.realm' }),
      (err: Error & { reason?: string }) => err.reason === 'wamp.error.no_such_realm',
    );
  });

  test('a wss client that does not trust the CA cannot connect', async () => {
    await assert.rejects(connectAutobahn({ url: r.tlsUrl, realm: r.realm, authid: 'server', authmethods: ['wampcra'], secret: r.secrets.server }));
  });

  test('after GOODBYE the same connection can open a new session', async () => {
    const raw = new RawClient(r.openUrl);
    await raw.opened();
    const first = await raw.hello(r.realm);
    raw.send([6, {}, 'wamp.close.close_realm']);
    assert.deepEqual(await raw.next(), [6, {}, 'wamp.close.goodbye_and_out']);
    const second = await raw.hello(r.realm);
    assert.notEqual(first, second);
    raw.close();
  });
});

describe('ticket and salted WAMP-CRA', () => {
  let r: RouterUnderTest;
  const salt = 'salt123';
  before(async () => {
    const config: RouterConfig = {
      realms: [{ name: 'realm1', roles: [{ name: 'user', permissions: [{ uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } }] }] }],
      listeners: [
        {
          host: '127.0.0.1',
          port: 0,
          paths: {
            ws: {
              type: 'websocket',
              auth: {
                ticket: { principals: { alice: { ticket: 'secret-ticket', role: 'user' } } },
                wampcra: { users: { bob: { secret: deriveKey('bobsecret', salt, 100, 16), role: 'user', salt, iterations: 100, keylen: 16 } } },
              },
            },
          },
        },
      ],
    };
    r = await startRouter({ config });
  });
  after(() => r.close());

  test('autobahn logs in with a ticket', async () => {
    const c = await connectAutobahn({ url: r.openUrl, realm: 'realm1', authid: 'alice', authmethods: ['ticket'], ticket: 'secret-ticket' });
    assert.equal(c.details.authrole, 'user');
    assert.equal(c.details.authmethod, 'ticket');
    await c.close();
  });

  test('a wrong ticket is refused', async () => {
    await assert.rejects(
      connectAutobahn({ url: r.openUrl, realm: 'realm1', authid: 'alice', authmethods: ['ticket'], ticket: 'guess' }),
      (err: Error & { reason?: string }) => err.reason === 'wamp.error.not_authorized',
    );
  });

  test('wampy logs in with a ticket', async () => {
    const w = await connectWampy({ url: r.openUrl, realm: 'realm1', authid: 'alice', ticket: 'secret-ticket' });
    assert.ok(Number(w.getSessionId() ?? 0) > 0);
    await w.disconnect();
  });

  test('autobahn answers a salted CRA challenge (salt, iterations, keylen) and is admitted', async () => {
    const c = await connectAutobahn({ url: r.openUrl, realm: 'realm1', authid: 'bob', authmethods: ['wampcra'], secret: 'bobsecret' });
    assert.equal(c.details.authid, 'bob');
    await c.close();
  });

  test('wampy answers a salted CRA challenge', async () => {
    const w = await connectWampy({ url: r.openUrl, realm: 'realm1', authid: 'bob', secret: 'bobsecret' });
    assert.ok(Number(w.getSessionId() ?? 0) > 0);
    await w.disconnect();
  });

  test('a salted CRA user with the wrong secret is refused', async () => {
    await assert.rejects(
      connectAutobahn({ url: r.openUrl, realm: 'realm1', authid: 'bob', authmethods: ['wampcra'], secret: 'bobsecreT' }),
      (err: Error & { reason?: string }) => err.reason === 'wamp.error.not_authorized',
    );
  });

  test('a transport without anonymous auth refuses a client offering none', async () => {
    await assert.rejects(
      connectAutobahn({ url: r.openUrl, realm: 'realm1' }),
      (err: Error & { reason?: string }) => err.reason === 'wamp.error.no_auth_method',
    );
  });
});
