// The router itself killed and restarted mid-way (a real `sisock router`
// process, SIGKILL): the hub and the data node reconnect by themselves and
// the system ends up with the same nodes and working calls.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { WampClient } from '../../src/client/client.js';
import type { DataNodeInfo, DataReply } from '../../src/protocol/types.js';
import { dataNodeProcedures, HUB } from '../../src/protocol/uris.js';
import { spawnRouter, TEST_TLS, type RouterProcess } from '../helpers/router.js';
import { spawnSisock, waitFor, type SisockProcess } from '../helpers/sisock.js';

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

test('a router restarted mid-way ends up with the same nodes and working calls', async (t) => {
  let router: RouterProcess = await spawnRouter();
  cleanup.push(() => router.stop());
  const env = { SISOCK_URL: router.tlsUrl, SISOCK_CA: TEST_TLS.caFile, WAMP_USER: 'server', WAMP_SECRET: router.secrets.server };
  const hub: SisockProcess = await spawnSisock(['hub', '--probe-interval', '0'], { env: { ...env, WAMP_USER: 'hub', WAMP_SECRET: router.secrets.hub } });
  cleanup.push(() => hub.stop());
  const node: SisockProcess = await spawnSisock(['node', 'weather'], { env });
  cleanup.push(() => node.stop());
  const consumer = new WampClient({ url: router.tlsUrl, realm: 'test_realm', ca: router.ca, auth: { method: 'wampcra', authid: 'simonsobs', secret: router.secrets.simonsobs } });
  await consumer.start();
  cleanup.push(() => consumer.close());

  const listed = async (): Promise<DataNodeInfo[]> => (await consumer.call(HUB.getDataNode)).args[0] as DataNodeInfo[];
  const temperature = async (): Promise<number[]> => {
    const r = (await consumer.call(dataNodeProcedures('apex_archive').getData, [['apex_temperature'], 1499990400, 1499997600])).args[0] as DataReply;
    return r.data.apex_temperature as number[];
  };
  await waitFor('the node listed', async () => (await listed()).length === 1);
  const before = await listed();
  assert.deepEqual(await temperature(), [-6.99, -8.73]);

  router.kill('SIGKILL');
  await router.exited;
  await waitFor('the consumer to notice', () => !consumer.joined);
  const restarted = Date.now();
  router = await spawnRouter({ openPort: router.openPort, tlsPort: router.tlsPort });

  const back = await waitFor('the same nodes and working calls', async () => {
    if (!consumer.joined) return undefined;
    const now = await listed();
    if (now.length !== before.length) return undefined;
    return { now, data: await temperature() };
  }, 30_000);
  t.diagnostic(`nodes listed and get_data answering ${Date.now() - restarted} ms after the router came back`);
  assert.deepEqual(back.now, before);
  assert.deepEqual(back.data, [-6.99, -8.73]);
  assert.equal(hub.child.exitCode, null, 'the hub did not exit');
  assert.equal(node.child.exitCode, null, 'the node did not exit');
  assert.match(node.stderr(), /lost the router session/);
});
