// The hub killed (SIGKILL) and started again: no data node is lost from its
// list, neither ours (they announce again on `hub_ready`) nor an original
// Python-style node that announces once and never again (the hub finds it
// through the registration meta API); a node that left while the hub was
// away is not listed as a ghost; the nodes answer throughout. Real
// processes on loopback; recovery times are recorded, not asserted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WampClient } from '../../src/client/client.js';
import { REDISCOVERED_DESCRIPTION } from '../../src/hub/hub.js';
import type { DataNodeInfo, DataReply } from '../../src/protocol/types.js';
import { dataNodeProcedures, HUB } from '../../src/protocol/uris.js';
import { waitFor, type SisockProcess } from '../helpers/sisock.js';
import { startSystem, type System } from '../helpers/system.js';

const JULY_14 = 1499990400;
const HUB_ARGS = ['--probe-interval', '0', '--claim-timeout', '20'];

let system: System;
let hub: SisockProcess;
let consumer: WampClient;
let original: WampClient;
const nodes: SisockProcess[] = [];

async function listed(): Promise<DataNodeInfo[]> {
  return ((await consumer.call(HUB.getDataNode, [], undefined, { timeout: 5000 })).args[0] as DataNodeInfo[]).sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * A data node as the original Python library wrote them: it registers its
 * two procedures, calls data_node.add once on joining, and ignores the hub
 * from then on.
 */
async function originalStyleNode(name: string): Promise<WampClient> {
  const c = new WampClient({ url: system.router.tlsUrl, realm: 'test_realm', ca: system.router.ca, auth: { method: 'wampcra', authid: 'server', secret: system.router.secrets.server } });
  const fields = [{ x: { description: 'x', timeline: 't', type: 'number', units: null } }, { t: { interval: null, field: ['x'] } }];
  await c.register(dataNodeProcedures(name).getFields, () => ({ args: [fields] }));
  await c.register(dataNodeProcedures(name).getData, () => ({ args: [{ data: { x: [1] }, timeline: { t: { t: [1], finalized_until: null } } }] }));
  c.onJoin(async ({ sessionId }) => {
    await c.call(HUB.add, [name, 'an original-style node', sessionId]);
  });
  await c.start();
  return c;
}

before(async () => {
  system = await startSystem();
  hub = await system.startHub(HUB_ARGS);
  consumer = await system.consumer();
  for (const name of ['alpha', 'beta', 'gamma']) nodes.push(await system.startNode(['weather', '--name', name]));
  original = await originalStyleNode('python_style');
  await waitFor('four nodes listed', async () => (await listed()).length === 4);
});

after(async () => {
  await original?.close();
  await system?.close();
});

async function answers(name: string): Promise<number[]> {
  const r = (await consumer.call(dataNodeProcedures(name).getData, [['apex_temperature'], JULY_14, JULY_14 + 7200], undefined, { timeout: 20_000 })).args[0] as DataReply;
  return r.data.apex_temperature as number[];
}

test('a hub killed and restarted lists every live node again, the original-style one included, and no ghost', async (t) => {
  const before = await listed();
  assert.deepEqual(before.map((n) => n.name), ['alpha', 'beta', 'gamma', 'python_style']);

  hub.kill('SIGKILL');
  await hub.exited;
  await waitFor('the hub\'s procedures to be gone', async () => {
    try {
      await listed();
      return false;
    } catch {
      return true;
    }
  });
  // while the hub is away: the nodes answer; one node leaves, another arrives
  assert.deepEqual(await answers('alpha'), [-6.99, -8.73]);
  assert.equal(await nodes[2]!.stop(), 0, 'gamma stops cleanly without a hub');
  const delta = await system.startNode(['weather', '--name', 'delta']);
  nodes.push(delta);

  const restartedAt = Date.now();
  hub = await system.startHub(HUB_ARGS);
  const ready = Date.now();
  const after = await waitFor('every live node listed again', async () => {
    const now = await listed();
    return now.length === 4 && now.every((n) => n.description !== REDISCOVERED_DESCRIPTION || n.name === 'python_style') ? now : undefined;
  }, 30_000, 20);
  t.diagnostic(`hub restarted (ready ${ready - restartedAt} ms after its start); complete list ${Date.now() - ready} ms after it was ready`);
  assert.deepEqual(after.map((n) => n.name), ['alpha', 'beta', 'delta', 'python_style'], 'gamma left while the hub was away: no ghost');
  for (const n of after.filter((n) => n.name !== 'python_style')) assert.equal(n.description, 'Archived APEX weather.');
  // the original never announces again: the hub found it through the registration meta API
  assert.equal(after.find((n) => n.name === 'python_style')!.description, REDISCOVERED_DESCRIPTION);
  for (const name of ['alpha', 'beta', 'delta']) assert.deepEqual(await answers(name), [-6.99, -8.73]);
  for (const n of [nodes[0]!, nodes[1]!, delta]) assert.equal(n.child.exitCode, null, 'no node exited');

  // a second kill right after the first restart: the same again
  hub.kill('SIGKILL');
  await hub.exited;
  hub = await system.startHub(HUB_ARGS);
  const again = Date.now();
  await waitFor('every live node listed after the second restart', async () => (await listed()).length === 4, 30_000, 20);
  t.diagnostic(`second restart: complete list ${Date.now() - again} ms after the hub was ready`);
  assert.deepEqual((await listed()).map((n) => n.name), ['alpha', 'beta', 'delta', 'python_style']);
});
