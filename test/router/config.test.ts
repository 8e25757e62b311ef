// Loading configurations: crossbar's config.json (the subset SO used) and
// our own format; a router started from a crossbar config serves clients
// exactly as configured; `sisock router` overrides ports from the environment.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type autobahn from 'autobahn';
import { ConfigError, Router, loadCrossbarConfig, parseCrossbarConfig, parseRouterConfig } from '../../src/router/index.js';
import { TEST_TLS, spawnRouter, testCa } from '../helpers/router.js';
import { connectAutobahn } from './clients.js';

const fixture = fileURLToPath(new URL('../../../test/fixtures/crossbar/config.json', import.meta.url));
const env = { SISOCK_TEST_SERVER_SECRET: 'server-secret-1', SISOCK_TEST_CONSUMER_SECRET: 'consumer-secret-2' };

describe('crossbar config.json', () => {
  test('the merged sisock+OCS config loads: realms, roles, users with ${ENV} secrets, transports, options', () => {
    const { config, warnings } = loadCrossbarConfig(fixture, env);
    assert.deepEqual(config.realms.map((r) => r.name), ['test_realm']);
    assert.deepEqual(config.realms[0]!.roles.map((r) => r.name), ['server', 'consumer', 'iocs_agent', 'iocs_controller']);
    // a starred URI without "match" becomes a prefix permission
    assert.deepEqual(config.realms[0]!.roles[3]!.permissions[0]!.uri, 'observatory.');
    assert.deepEqual(config.realms[0]!.roles[3]!.permissions[0]!.match, 'prefix');
    assert.equal(config.listeners.length, 3);
    const [secure, open, web] = config.listeners;
    assert.equal(secure!.port, 8080);
    assert.match(secure!.tls!.cert, /BEGIN CERTIFICATE/, 'TLS paths are relative to the config directory');
    const ws = secure!.paths.ws;
    assert.ok(ws && ws.type === 'websocket');
    assert.equal(ws.auth?.wampcra?.users.server?.secret, 'server-secret-1');
    assert.equal(ws.auth?.wampcra?.users.simonsobs?.role, 'consumer');
    const bare = open!.paths['*'];
    assert.ok(bare && bare.type === 'websocket');
    assert.equal(bare.auth?.anonymous?.role, 'iocs_agent');
    assert.equal(bare.options?.autoPingInterval, 10000);
    assert.equal(bare.options?.openHandshakeTimeout, 2500);
    assert.equal(open!.host, '0.0.0.0', 'no interface: all interfaces, as crossbar');
    assert.deepEqual(web!.paths.call, { type: 'caller', realm: 'test_realm', role: 'iocs_controller', options: {} });
    assert.deepEqual(web!.paths.publish, { type: 'publisher', realm: 'test_realm', role: 'iocs_controller', options: { postBodyLimit: 4096 } });
    const wsWeb = web!.paths.ws;
    assert.ok(wsWeb && wsWeb.type === 'websocket');
    assert.deepEqual(wsWeb.subprotocols, ['wamp.2.json', 'wamp.2.json.batched', 'wamp.2.msgpack', 'wamp.2.msgpack.batched']);
    // what is ignored is said, secrets never
    assert.ok(warnings.some((w) => w.includes('container')));
    assert.ok(warnings.some((w) => w.includes("'static'")));
    assert.ok(warnings.some((w) => w.includes('ubjson')));
    assert.ok(!warnings.some((w) => w.includes('server-secret-1') || w.includes('consumer-secret-2')));
  });

  test('unknown keys are ignored with a warning, never refused', () => {
    const { warnings } = parseCrossbarConfig(
      {
        version: 2,
        novelty: 1,
        workers: [{ type: 'router', realms: [{ name: 'r', roles: [], mystery: true }], transports: [{ type: 'websocket', endpoint: { type: 'tcp', port: 1 }, shiny: 1 }] }],
      },
      '/',
      {},
    );
    for (const k of ['novelty', 'mystery', 'shiny']) assert.ok(warnings.some((w) => w.includes(`'${k}'`)), k);
  });

  test('what cannot be honoured is refused clearly', () => {
    const base = (roles: unknown[], auth?: unknown): unknown => ({
      workers: [{ type: 'router', realms: [{ name: 'r', roles }], transports: [{ type: 'websocket', endpoint: { type: 'tcp', port: 1 }, ...(auth ? { auth } : {}) }] }],
    });
    assert.throws(() => parseCrossbarConfig(base([{ name: 'x', authorizer: 'com.example.authorize' }]), '/', {}), (e: unknown) => e instanceof ConfigError && /dynamic authorizer/.test(e.message));
    assert.throws(() => parseCrossbarConfig(base([], { wampcra: { type: 'dynamic', authenticator: 'com.example.auth' } }), '/', {}), (e: unknown) => e instanceof ConfigError && /static only/.test(e.message));
    assert.throws(() => parseCrossbarConfig(base([], { ticket: { type: 'static', principals: { a: { ticket: '${NOT_SET_ANYWHERE}', role: 'x' } } } }), '/', {}), (e: unknown) => e instanceof ConfigError && /NOT_SET_ANYWHERE/.test(e.message));
    assert.throws(() => parseCrossbarConfig({ workers: [] }, '/', {}), /no realm/);
  });

  describe('a router running the crossbar config', () => {
    let router: Router;
    let urls: { secure: string; open: string; web: string; call: string; publish: string };
    before(async () => {
      const { config } = loadCrossbarConfig(fixture, env);
      for (const l of config.listeners) {
        l.host = '127.0.0.1';
        l.port = 0;
      }
      router = new Router(config);
      const [s, o, w] = await router.start();
      urls = {
        secure: `wss://127.0.0.1:${s!.port}/ws`,
        open: `ws://127.0.0.1:${o!.port}/ws`,
        web: `ws://127.0.0.1:${w!.port}/ws`,
        call: `http://127.0.0.1:${w!.port}/call`,
        publish: `http://127.0.0.1:${w!.port}/publish`,
      };
    });
    after(() => router.close());

    test('CRA users from the config log in over wss; anonymous clients get iocs_agent on the bare websocket', async () => {
      const s = await connectAutobahn({ url: urls.secure, realm: 'test_realm', ca: testCa(), authid: 'server', authmethods: ['wampcra'], secret: env.SISOCK_TEST_SERVER_SECRET });
      assert.equal(s.details.authrole, 'server');
      const a = await connectAutobahn({ url: urls.open, realm: 'test_realm', serializer: 'msgpack' });
      assert.equal(a.details.authrole, 'iocs_agent');
      await a.session.register('observatory.agent1.ops', () => 'ready');
      // the HTTP caller runs as iocs_controller
      const res = await fetch(urls.call, { method: 'POST', body: JSON.stringify({ procedure: 'observatory.agent1.ops', args: [] }) });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { args: ['ready'], kwargs: {} });
      // the consumer prefix without a dot still covers consumer.* (character prefix)
      const c = await connectAutobahn({ url: urls.secure, realm: 'test_realm', ca: testCa(), authid: 'simonsobs', authmethods: ['wampcra'], secret: env.SISOCK_TEST_CONSUMER_SECRET });
      await assert.rejects(Promise.resolve(c.session.call('org.simonsobservatory.data_node.add')), (e: unknown) => (e as autobahn.Error).error === 'wamp.error.not_authorized');
      await Promise.all([s.close(), a.close(), c.close()]);
    });

    test('a websocket path limited to json and msgpack refuses cbor', async () => {
      await assert.rejects(connectAutobahn({ url: urls.web, realm: 'test_realm', serializer: 'cbor' }));
      const j = await connectAutobahn({ url: urls.web, realm: 'test_realm', serializer: 'msgpack' });
      assert.equal(j.details.authrole, 'iocs_controller');
      await j.close();
    });
  });
});

describe('our own router config format', () => {
  test('parses realms, listeners with TLS files and services, limits; ${ENV} in secrets', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sisock-cfg-'));
    try {
      const { config, warnings } = parseRouterConfig(
        {
          realms: [{ name: 'r1', roles: [{ name: 'user', permissions: [{ uri: 'com.', match: 'prefix', allow: { call: true } }] }] }],
          listeners: [
            {
              name: 'secure',
              port: 0,
              tls: { key: TEST_TLS.keyFile, cert: TEST_TLS.certFile },
              paths: { ws: { type: 'websocket', subprotocols: ['wamp.2.msgpack'], auth: { wampcra: { users: { u: { secret: '${MY_SECRET}', role: 'user' } } } }, options: { autoPingInterval: 1000 } } },
            },
          ],
          limits: { maxMessageSize: 1024 },
          extra: true,
        },
        dir,
        { MY_SECRET: 's3cret' },
      );
      assert.equal(config.listeners[0]!.host, '127.0.0.1');
      const ws = config.listeners[0]!.paths.ws;
      assert.ok(ws && ws.type === 'websocket');
      assert.equal(ws.auth?.wampcra?.users.u?.secret, 's3cret');
      assert.equal(config.limits?.maxMessageSize, 1024);
      assert.ok(warnings.some((w) => w.includes("'extra'")));
      assert.throws(() => parseRouterConfig({ realms: [], listeners: [{ port: 'x', paths: {} }] }, dir, {}), /listeners\[0\]\.port must be a number/);
      assert.throws(() => parseRouterConfig({ realms: [], listeners: [{ port: 1, paths: { a: { type: 'ftp' } } }] }, dir, {}), /type must be websocket, caller or publisher/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('sisock router runs a config file, and CROSSBAR_OCS_PORT overrides its open port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sisock-cfg-'));
    const file = join(dir, 'router.json');
    writeFileSync(
      file,
      JSON.stringify({
        realms: [{ name: 'mine', roles: [{ name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: { call: true, register: true } }] }] }],
        listeners: [{ name: 'open', host: '127.0.0.1', port: 1, paths: { ws: { type: 'websocket' } } }],
      }),
    );
    const p = await spawnRouter({ noTls: true, args: ['--router-config', file], env: { CROSSBAR_OCS_PORT: '0' } });
    try {
      assert.notEqual(p.openPort, 1);
      const c = await connectAutobahn({ url: p.openUrl, realm: 'mine' });
      await c.close();
    } finally {
      await p.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
