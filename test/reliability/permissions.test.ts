// The default configuration of `sisock router` is safe: every rule is shown
// by trying the forbidden action for real, against a `sisock router`
// process, with the allowed action beside it so a refusal cannot come from
// something else (a typo, a missing callee).
//
// - the open port's anonymous clients may publish and subscribe only under
//   `observatory.` (and hear the hub's consumer events), and call only the
//   read-only consumer procedures;
// - only the authenticated server role may register org.simonsobservatory.*
//   procedures, and not the hub's;
// - only the hub (its own CRA user) may register the hub's procedures and
//   publish its events;
// - only the server role may publish a node's fields_changed, which
//   consumers and anonymous clients may hear;
// - the crossbar-style HTTP caller on the open port is an OCS client, nothing more.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { WampClient, type Auth } from '../../src/client/client.js';
import { WampError } from '../../src/client/errors.js';
import { FIELDS_CHANGED_PATTERN, HUB, dataNodeProcedures, fieldsChangedTopic } from '../../src/protocol/uris.js';
import { PUBLIC_DEFAULT_SECRETS } from '../../src/cli/router-defaults.js';
import { Router, loadCrossbarConfig } from '../../src/router/index.js';
import { spawnRouter, TEST_TLS, type RouterProcess } from '../helpers/router.js';
import { spawnSisock, waitFor, type SisockProcess } from '../helpers/sisock.js';

const NOT_AUTHORIZED = 'wamp.error.not_authorized';
const HUB_SECRET = 'hub-secret-of-this-test';

let router: RouterProcess;
let hub: SisockProcess;
let node: SisockProcess;
const clients: WampClient[] = [];

async function join(url: string, auth: Auth = { method: 'anonymous' }): Promise<WampClient> {
  const c = new WampClient({ url, realm: 'test_realm', auth, ca: router.ca, reconnect: false });
  clients.push(c);
  await c.start();
  return c;
}

const anonymous = (): Promise<WampClient> => join(router.openUrl);
const asUser = (authid: string, secret: string): Promise<WampClient> => join(router.tlsUrl, { method: 'wampcra', authid, secret });

/** The error URI the router answered, or 'ok'. */
async function outcome(action: Promise<unknown>): Promise<string> {
  try {
    await action;
    return 'ok';
  } catch (err) {
    if (err instanceof WampError) return err.uri;
    throw err;
  }
}

/** Asserts that every action is refused with wamp.error.not_authorized. */
async function allRefused(what: string, actions: Record<string, () => Promise<unknown>>): Promise<void> {
  for (const [name, act] of Object.entries(actions)) {
    assert.equal(await outcome(act()), NOT_AUTHORIZED, `${what}: ${name} must be refused`);
  }
}

const noop = (): void => {};

before(async () => {
  router = await spawnRouter({ env: { SISOCK_HUB_SECRET: HUB_SECRET } });
  const env = { SISOCK_URL: router.tlsUrl, SISOCK_CA: TEST_TLS.caFile };
  hub = await spawnSisock(['hub', '--probe-interval', '0'], { env: { ...env, WAMP_USER: 'hub', WAMP_SECRET: HUB_SECRET } });
  node = await spawnSisock(['node', 'weather'], { env: { ...env, WAMP_USER: 'server', WAMP_SECRET: router.secrets.server } });
});

after(async () => {
  for (const c of clients) await c.close();
  await node?.stop();
  await hub?.stop();
  await router?.stop();
});

describe('anonymous clients of the open port', () => {
  test('may call the read-only consumer procedures, and publish and subscribe under observatory.', async () => {
    const c = await anonymous();
    const listed = await waitFor('the weather node listed', async () => {
      const nodes = (await c.call(HUB.getDataNode)).args[0] as { name: string }[];
      return nodes.some((n) => n.name === 'apex_archive') ? nodes : undefined;
    });
    assert.ok(listed.length >= 1);
    const data = (await c.call(dataNodeProcedures('apex_archive').getData, [['apex_temperature'], 1499990400, 1499997600])).args[0] as { data: Record<string, number[]> };
    assert.deepEqual(data.data.apex_temperature, [-6.99, -8.73]);
    const heard: unknown[] = [];
    await c.subscribe('observatory.agent1.feeds.temps', (ev) => void heard.push(ev.args[0]));
    const publisher = await anonymous();
    await publisher.publish('observatory.agent1.feeds.temps', [42]);
    await waitFor('the event', () => heard.length === 1);
    assert.deepEqual(heard, [42]);
    // the hub's announcements are read-only: hearing them is allowed
    assert.equal(await outcome(c.subscribe(HUB.added, noop)), 'ok');
  });

  test('may not publish outside observatory. (no forged hub events)', async () => {
    const c = await anonymous();
    await allRefused('anonymous publish', {
      [HUB.added]: () => c.publish(HUB.added, [{ name: 'fake', description: 'forged' }]),
      [HUB.subtracted]: () => c.publish(HUB.subtracted, [{ name: 'apex_archive', description: '' }]),
      [HUB.ready]: () => c.publish(HUB.ready),
      'com.example.topic': () => c.publish('com.example.topic', [1]),
    });
  });

  test('may not subscribe outside observatory. and the consumer events (no meta API)', async () => {
    const c = await anonymous();
    await allRefused('anonymous subscribe', {
      'wamp.session.on_leave': () => c.subscribe('wamp.session.on_leave', noop),
      [HUB.ready]: () => c.subscribe(HUB.ready, noop),
      'com.example.topic': () => c.subscribe('com.example.topic', noop),
    });
  });

  test('may not register any org.simonsobservatory procedure', async () => {
    const c = await anonymous();
    await allRefused('anonymous register', {
      'a fake node': () => c.register('org.simonsobservatory.consumer.fake.get_data', noop),
      'a real node (hijack)': () => c.register(dataNodeProcedures('apex2').getFields, noop),
      [HUB.add]: () => c.register(HUB.add, noop),
      [HUB.getDataNode]: () => c.register(HUB.getDataNode, noop),
    });
  });

  test('may not call what changes the hub or the router', async () => {
    const c = await anonymous();
    const session = c.sessionId!;
    await allRefused('anonymous call', {
      [HUB.add]: () => c.call(HUB.add, ['fake', 'forged', session]),
      [HUB.subtract]: () => c.call(HUB.subtract, ['apex_archive', session]),
      'wamp.session.list': () => c.call('wamp.session.list'),
      'wamp.session.kill_by_authrole': () => c.call('wamp.session.kill_by_authrole', ['hub']),
    });
  });

  test('are refused by the secure port, which wants WAMP-CRA', async () => {
    await assert.rejects(join(router.tlsUrl), (e: unknown) => e instanceof WampError && e.uri === 'wamp.error.no_auth_method');
  });
});

describe('authenticated roles', () => {
  test('server (data nodes) may register node procedures, but never the hub\'s, nor publish its events', async () => {
    const s = await asUser('server', router.secrets.server);
    assert.equal(await outcome(s.register(dataNodeProcedures('permtest').getData, noop)), 'ok');
    await allRefused('server', {
      [`register ${HUB.add}`]: () => s.register(HUB.add, noop),
      [`register ${HUB.subtract}`]: () => s.register(HUB.subtract, noop),
      [`register ${HUB.getDataNode}`]: () => s.register(HUB.getDataNode, noop),
      [`register ${HUB.status}`]: () => s.register(HUB.status, noop),
      [`publish ${HUB.added}`]: () => s.publish(HUB.added, [{ name: 'fake', description: '' }]),
      [`publish ${HUB.subtracted}`]: () => s.publish(HUB.subtracted, [{ name: 'apex_archive', description: '' }]),
      [`publish ${HUB.ready}`]: () => s.publish(HUB.ready),
      'call wamp.session.kill_by_authrole': () => s.call('wamp.session.kill_by_authrole', ['hub']),
    });
  });

  test('consumer (the HTTP bridge) may read but not register, publish, or add nodes', async () => {
    const c = await asUser('simonsobs', router.secrets.simonsobs);
    assert.ok(Array.isArray((await c.call(HUB.getDataNode)).args[0]));
    await allRefused('consumer', {
      'register a node procedure': () => c.register(dataNodeProcedures('fake').getData, noop),
      [`publish ${HUB.added}`]: () => c.publish(HUB.added, [{ name: 'fake', description: '' }]),
      [`call ${HUB.add}`]: () => c.call(HUB.add, ['fake', '', c.sessionId]),
    });
  });

  test('fields_changed: data nodes (server) may publish it, consumers and anonymous clients hear it but cannot forge it', async () => {
    const s = await asUser('server', router.secrets.server);
    const listeners = [await asUser('simonsobs', router.secrets.simonsobs), await anonymous()];
    const heard = listeners.map(() => [] as unknown[]);
    for (const [i, l] of listeners.entries()) {
      assert.equal(await outcome(l.subscribe(FIELDS_CHANGED_PATTERN, (ev) => void heard[i]!.push(ev.details.topic), { match: 'wildcard' })), 'ok');
    }
    assert.equal(await outcome(s.publish(fieldsChangedTopic('permtest'))), 'ok');
    await waitFor('both heard it', () => heard.every((h) => h.length === 1));
    assert.deepEqual(heard, [[fieldsChangedTopic('permtest')], [fieldsChangedTopic('permtest')]]);
    await allRefused('forging fields_changed', {
      consumer: () => listeners[0]!.publish(fieldsChangedTopic('apex_archive')),
      anonymous: () => listeners[1]!.publish(fieldsChangedTopic('apex_archive')),
    });
  });

  test('hub may serve the hub\'s procedures but not pose as a data node', async () => {
    const h = await asUser('hub', HUB_SECRET);
    // the running hub holds the hub's procedures: a second one is told so, not refused
    assert.equal(await outcome(h.register(HUB.add, noop)), 'wamp.error.procedure_already_exists');
    await allRefused('hub', {
      'register a node procedure': () => h.register(dataNodeProcedures('fake').getData, noop),
      'call wamp.session.kill': () => h.call('wamp.session.kill', [1]),
    });
  });

  test('the hub user has its own secret: the public default does not open it', async () => {
    await assert.rejects(asUser('hub', PUBLIC_DEFAULT_SECRETS.hub!), (e: unknown) => e instanceof WampError && e.uri === NOT_AUTHORIZED);
  });

  test('the HTTP caller of the open port is an OCS client: it cannot reach the hub', async () => {
    const res = await fetch(`http://127.0.0.1:${router.openPort}/call`, {
      method: 'POST',
      body: JSON.stringify({ procedure: HUB.add, args: ['fake', 'forged', 1] }),
    });
    const body = (await res.json()) as { error?: string };
    assert.equal(body.error, NOT_AUTHORIZED);
  });
});

describe('sisock hub against the default router', () => {
  test('as user server it is refused, exits 2 and says which user to use', async () => {
    const env = { SISOCK_URL: router.tlsUrl, SISOCK_CA: TEST_TLS.caFile, WAMP_USER: 'server', WAMP_SECRET: router.secrets.server };
    const wrong = await spawnSisock(['hub', '--claim-timeout', '1'], { env, untilExit: true, timeout: 30_000 });
    assert.equal(await wrong.exited, 2);
    assert.match(wrong.stderr(), /refuses user 'server' as the hub/);
    assert.match(wrong.stderr(), /WAMP_USER=hub/);
    assert.equal(hub.child.exitCode, null, 'the real hub is untouched');
  });
});

describe('an original crossbar config, which has no hub role', () => {
  test('the hub serves as user server, as the original hub did', async () => {
    const fixture = fileURLToPath(new URL('../../../test/fixtures/crossbar/config.json', import.meta.url));
    const secrets = { SISOCK_TEST_SERVER_SECRET: 'crossbar-server-secret', SISOCK_TEST_CONSUMER_SECRET: 'crossbar-consumer-secret' };
    const { config } = loadCrossbarConfig(fixture, secrets);
    for (const l of config.listeners) {
      l.host = '127.0.0.1';
      l.port = 0;
    }
    const crossbar = new Router(config);
    const [secure] = await crossbar.start();
    const url = `wss://127.0.0.1:${secure!.port}/ws`;
    const env = { SISOCK_URL: url, SISOCK_CA: TEST_TLS.caFile, WAMP_USER: 'server', WAMP_SECRET: secrets.SISOCK_TEST_SERVER_SECRET };
    const started: SisockProcess[] = [];
    try {
      started.push(await spawnSisock(['hub', '--probe-interval', '0'], { env }));
      started.push(await spawnSisock(['node', 'weather'], { env }));
      const c = new WampClient({ url, realm: 'test_realm', ca: router.ca, auth: { method: 'wampcra', authid: 'simonsobs', secret: secrets.SISOCK_TEST_CONSUMER_SECRET }, reconnect: false });
      clients.push(c);
      await c.start();
      await waitFor('the node listed by the hub', async () => ((await c.call(HUB.getDataNode)).args[0] as { name: string }[]).some((n) => n.name === 'apex_archive'));
    } finally {
      for (const p of started.reverse()) await p.stop();
      await crossbar.close();
    }
  });
});
