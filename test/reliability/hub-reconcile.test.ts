// After a router restart the hub checks every node it listed against the
// router (their old sessions are gone) while the nodes, back on new
// sessions, announce themselves again. Many nodes make the two overlap. A
// node back in time keeps its place throughout (consumers never see it
// subtracted and added again); a node that does not come back is dropped
// once its grace has run out.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { WampClient } from '../../src/client/client.js';
import { DataNodeServer } from '../../src/datanode/server.js';
import { Hub } from '../../src/hub/hub.js';
import type { DataNodeInfo } from '../../src/protocol/types.js';
import { HUB } from '../../src/protocol/uris.js';
import { spawnRouter, type RouterProcess } from '../helpers/router.js';
import { waitFor } from '../helpers/sisock.js';

const NODES = 30;
const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

test('a router restart: nodes that come back keep their place, a node that does not is dropped', async (t) => {
  let router: RouterProcess = await spawnRouter({ noTls: true });
  cleanup.push(() => router.stop());
  const url = router.openUrl;
  const fast = { initialDelay: 50, maxDelay: 200, factor: 2, jitter: 0.5 };
  const server = { url, realm: 'test_realm', auth: { method: 'wampcra' as const, authid: 'server', secret: router.secrets.server }, reconnect: fast };
  const hub = new Hub({ connection: { ...server, auth: { method: 'wampcra', authid: 'hub', secret: router.secrets.hub } }, probe: { interval: 0 } });
  await hub.start();
  cleanup.push(() => hub.close());
  for (let i = 0; i < NODES; i++) {
    const name = `n${String(i).padStart(2, '0')}`;
    const node = new DataNodeServer({
      source: { name, description: name, getFields: () => [{}, {}], getData: () => [] },
      connection: server,
      announceRetry: 100,
    });
    await node.start();
    cleanup.push(() => node.close());
  }
  // a node that will not come back after the restart
  const ghost = new DataNodeServer({ source: { name: 'ghost', description: 'gone for good', getFields: () => [{}, {}], getData: () => [] }, connection: { ...server, reconnect: false } });
  await ghost.start();
  cleanup.push(() => ghost.close());
  await waitFor('every node listed', () => hub.registry.size === NODES + 1);

  const events: string[] = [];
  const watcher = new WampClient({ url, realm: 'test_realm', auth: { method: 'wampcra', authid: 'simonsobs', secret: router.secrets.simonsobs }, reconnect: fast });
  await watcher.subscribe(HUB.added, (ev) => void events.push(`+${(ev.args[0] as DataNodeInfo).name}`));
  await watcher.subscribe(HUB.subtracted, (ev) => void events.push(`-${(ev.args[0] as DataNodeInfo).name}`));
  await watcher.start();
  cleanup.push(() => watcher.close());

  const oldSessions = new Set(hub.registry.entries().map((e) => e.session));
  router.kill('SIGKILL');
  await router.exited;
  router = await spawnRouter({ noTls: true, openPort: router.openPort });
  const back = Date.now();
  const live = (): boolean => hub.registry.entries().filter((e) => e.name !== 'ghost').every((e) => !oldSessions.has(e.session));
  await waitFor('every node listed again, on its new session', () => hub.registry.size >= NODES && live(), 30_000, 10);
  t.diagnostic(`${NODES} nodes listed on their new sessions ${Date.now() - back} ms after the router's return`);
  await waitFor('the ghost dropped after its grace', () => hub.registry.get('ghost') === undefined, 30_000);
  t.diagnostic(`the node that did not come back dropped ${Date.now() - back} ms after the router's return`);
  await waitFor('the watcher to hear it', () => events.includes('-ghost'));
  assert.equal(hub.registry.size, NODES);
  assert.deepEqual(events.filter((e) => e.startsWith('-')), ['-ghost'], 'no node that came back was ever subtracted');
  const listed = (await watcher.call(HUB.getDataNode)).args[0] as DataNodeInfo[];
  assert.equal(listed.length, NODES);
});
