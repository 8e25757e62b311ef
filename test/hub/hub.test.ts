// The hub with a real router, a real hub process and real data node
// processes: nodes appear and disappear with their sessions, names are
// defended, spoofing is refused, stuck nodes are reported, and a restarted
// hub ends up with the same nodes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import autobahn from 'autobahn';
import { WampClient, type EventInfo } from '../../src/client/client.js';
import { WampError } from '../../src/client/errors.js';
import type { HubStatus } from '../../src/hub/hub.js';
import { REDISCOVERED_DESCRIPTION } from '../../src/hub/hub.js';
import type { DataNodeInfo } from '../../src/protocol/types.js';
import { dataNodeProcedures, HUB } from '../../src/protocol/uris.js';
import { startRouter, TEST_TLS, type RouterUnderTest } from '../helpers/router.js';
import { spawnSisock, waitFor, type SisockProcess } from '../helpers/sisock.js';

let router: RouterUnderTest;
let hub: SisockProcess;
let consumer: WampClient;
const events: { topic: 'added' | 'subtracted'; info: DataNodeInfo; at: number }[] = [];

/** Environment of a component joining as user `server` over TLS. */
function serverEnv(): NodeJS.ProcessEnv {
  return { SISOCK_URL: router.tlsUrl, SISOCK_CA: TEST_TLS.caFile, WAMP_USER: 'server', WAMP_SECRET: router.secrets.server };
}

/** Environment of the hub, joining as its own user `hub`. */
function hubEnv(): NodeJS.ProcessEnv {
  return { ...serverEnv(), WAMP_USER: 'hub', WAMP_SECRET: router.secrets.hub };
}

function startHub(): Promise<SisockProcess> {
  return spawnSisock(['hub', '--probe-interval', '0.5', '--probe-timeout', '2', '--claim-timeout', '5'], { env: hubEnv() });
}

async function nodes(): Promise<DataNodeInfo[]> {
  return (await consumer.call(HUB.getDataNode)).args[0] as DataNodeInfo[];
}

function nextEvent(topic: 'added' | 'subtracted', name: string, since: number): Promise<{ info: DataNodeInfo; at: number }> {
  return waitFor(`${topic} event for ${name}`, () => events.find((e) => e.topic === topic && e.info.name === name && e.at >= since));
}

before(async () => {
  router = await startRouter();
  hub = await startHub();
  consumer = new WampClient({ url: router.tlsUrl, realm: router.realm, ca: router.ca, auth: { method: 'wampcra', authid: 'simonsobs', secret: router.secrets.simonsobs } });
  await consumer.start();
  const record = (topic: 'added' | 'subtracted') => (ev: EventInfo) => void events.push({ topic, info: ev.args[0] as DataNodeInfo, at: Date.now() });
  await consumer.subscribe(HUB.added, record('added'));
  await consumer.subscribe(HUB.subtracted, record('subtracted'));
});

after(async () => {
  await consumer?.close();
  await hub?.stop();
  await router?.close();
});

let weather: SisockProcess;

test('a data node process appears on the hub and in data_node_added', async () => {
  const since = Date.now();
  weather = await spawnSisock(['node', 'weather'], { env: serverEnv() });
  const added = await nextEvent('added', 'apex_archive', since);
  assert.deepEqual(added.info, { name: 'apex_archive', description: 'Archived APEX weather.' });
  assert.deepEqual(await nodes(), [{ name: 'apex_archive', description: 'Archived APEX weather.' }]);
});

test('a second node with the same name is refused: it exits with code 3 and the first keeps serving', async () => {
  const second = await spawnSisock(['node', 'weather', '--claim-timeout', '0'], { env: serverEnv(), untilExit: true });
  assert.equal(await second.exited, 3);
  assert.match(second.stderr(), /name 'apex_archive' is taken/);
  assert.deepEqual(await nodes(), [{ name: 'apex_archive', description: 'Archived APEX weather.' }]);
  const reply = (await consumer.call(dataNodeProcedures('apex_archive').getData, [['apex_pressure'], 1499990400, 1499994000])).args[0] as { data: Record<string, number[]> };
  assert.deepEqual(reply.data.apex_pressure, [556.49]);
  assert.ok(!events.some((e) => e.topic === 'subtracted'), 'nothing was subtracted');
});

test('a spoofed subtract for another session\'s node is refused', async () => {
  const status = (await consumer.call(HUB.status)).args[0] as HubStatus;
  const victim = status.nodes.find((n) => n.name === 'apex_archive')!.session;
  const spoofer = new WampClient({ url: router.tlsUrl, realm: router.realm, ca: router.ca, auth: { method: 'wampcra', authid: 'server', secret: router.secrets.server } });
  await spoofer.start();
  try {
    await assert.rejects(spoofer.call(HUB.subtract, ['apex_archive', victim]), (err: unknown) => {
      assert.ok(err instanceof WampError);
      assert.equal(err.uri, 'wamp.error.not_authorized');
      assert.match(err.message, /is not your session/);
      return true;
    });
    await assert.rejects(spoofer.call(HUB.subtract, ['apex_archive', spoofer.sessionId]), (err: unknown) => {
      assert.ok(err instanceof WampError && err.uri === 'wamp.error.not_authorized');
      assert.match((err as WampError).message, /belongs to another session/);
      return true;
    });
    await assert.rejects(spoofer.call(HUB.add, ['apex_archive', 'Mine now.', victim]), /not your session/);
    // A consumer may not even try.
    await assert.rejects(consumer.call(HUB.subtract, ['apex_archive', victim]), (err: unknown) => err instanceof WampError && err.uri === 'wamp.error.not_authorized');
  } finally {
    await spoofer.close();
  }
  assert.deepEqual(await nodes(), [{ name: 'apex_archive', description: 'Archived APEX weather.' }]);
  // the hub logs asynchronously: wait for the line rather than assume it is there
  await waitFor('the refusal in the hub log', () => /refused: session_id is not the caller's session/.test(hub.stderr()));
});

test('a node that stops answering is reported unresponsive, and sisock status shows it', async (t) => {
  // A node whose session stays alive but whose get_fields never answers.
  const stuck = new WampClient({ url: router.tlsUrl, realm: router.realm, ca: router.ca, auth: { method: 'wampcra', authid: 'server', secret: router.secrets.server } });
  await stuck.start();
  try {
    await stuck.register(dataNodeProcedures('stuck').getFields, () => new Promise(() => {}));
    assert.equal((await stuck.call(HUB.add, ['stuck', 'Never answers.', stuck.sessionId], undefined, { discloseMe: true })).args[0], true);
    const seen = await waitFor('stuck reported unresponsive', async () => {
      const s = (await consumer.call(HUB.status)).args[0] as HubStatus;
      return s.nodes.find((n) => n.name === 'stuck' && n.health === 'unresponsive');
    });
    t.diagnostic(`unresponsive after ${seen.failures} failed probe(s): ${seen.last_error}`);
    await waitFor('the weather node probed ok', async () => s(await consumer.call(HUB.status)).nodes.find((n) => n.name === 'apex_archive')?.health === 'ok');
    const status = await spawnSisock(['status', '--json', '--timeout', '3'], { env: { SISOCK_URL: router.tlsUrl, SISOCK_CA: TEST_TLS.caFile, WAMP_USER: 'simonsobs', WAMP_SECRET: router.secrets.simonsobs }, untilExit: true });
    assert.equal(await status.exited, 0);
    const rows = JSON.parse(status.stdout()) as { name: string; fields: number | null; status: string }[];
    assert.equal(rows.find((r) => r.name === 'apex_archive')?.fields, 5);
    assert.match(rows.find((r) => r.name === 'stuck')!.status, /unresponsive|not answering/);
    assert.match(hub.stderr(), /does not answer its liveness probe/);
  } finally {
    await stuck.close();
  }
  await waitFor('stuck gone with its session', async () => !(await nodes()).some((n) => n.name === 'stuck'));
});

function s(r: { args: unknown[] }): HubStatus {
  return r.args[0] as HubStatus;
}

test('the hub restarted mid-way ends up with the same nodes, ours and original-style ones', async () => {
  // An original-style node (autobahn, like the Python base class): registers
  // its procedures and calls add once, never listening for hub_ready.
  const original = new autobahn.Connection({
    url: router.tlsUrl,
    realm: router.realm,
    authmethods: ['wampcra'],
    authid: 'server',
    onchallenge: (_session: autobahn.Session, method: string, extra: { challenge: string }) => {
      if (method !== 'wampcra') throw new Error(method);
      return autobahn.auth_cra.sign(router.secrets.server, extra.challenge);
    },
    transports: [{ type: 'websocket', url: router.tlsUrl, agent: new Agent({ ca: router.ca }) }],
    max_retries: 0,
    retry_if_unreachable: false,
  } as unknown as autobahn.IConnectionOptions);
  const session = await new Promise<autobahn.Session>((resolve, reject) => {
    original.onopen = (s) => resolve(s);
    original.onclose = (reason) => {
      reject(new Error(reason));
      return false;
    };
    original.open();
  });
  try {
    await session.register(dataNodeProcedures('legacy').getFields, () => [{}, {}]);
    await session.register(dataNodeProcedures('legacy').getData, () => ({ data: {}, timeline: {} }));
    assert.equal(await session.call(HUB.add, ['legacy', 'An original Python node.', session.id]), true);
    await waitFor('two nodes listed', async () => (await nodes()).length === 2);

    hub.kill('SIGKILL');
    await hub.exited;
    const since = Date.now();
    hub = await startHub();
    const after = await waitFor('both nodes back on the restarted hub', async () => {
      const list = await nodes();
      return list.length === 2 ? list : undefined;
    });
    const byName = new Map(after.map((n) => [n.name, n.description]));
    assert.equal(byName.get('apex_archive'), 'Archived APEX weather.', 'our node announced itself again on hub_ready');
    assert.equal(byName.get('legacy'), REDISCOVERED_DESCRIPTION, 'the original-style node was found through the registration meta API');
    await nextEvent('added', 'legacy', since);
  } finally {
    original.close();
  }
  await waitFor('legacy gone after its session closed', async () => !(await nodes()).some((n) => n.name === 'legacy'));
});

test('SIGKILL of a node process removes it and publishes data_node_subtracted', async (t) => {
  const killedAt = Date.now();
  weather.kill('SIGKILL');
  const ev = await nextEvent('subtracted', 'apex_archive', killedAt);
  t.diagnostic(`data_node_subtracted arrived ${ev.at - killedAt} ms after SIGKILL of the node process`);
  await weather.exited;
  assert.deepEqual(ev.info, { name: 'apex_archive', description: 'Archived APEX weather.' });
  assert.deepEqual(await nodes(), []);
});
