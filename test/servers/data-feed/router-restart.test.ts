import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WampClient } from '../../../src/client/client.js';
import { spawnRouter, TEST_TLS, type RouterProcess } from '../../helpers/router.js';
import { spawnSisock, waitFor } from '../../helpers/sisock.js';
import { getData } from '../../helpers/datanode.js';

const feed = { agent_address: 'observatory.rr1', feed_name: 'temps', address: 'observatory.rr1.feeds.temps', record: true, session_id: '1.0' };

function block(ts: number[]) {
  return [[{ temps: { block_name: 'temps', timestamps: ts, data: { T: ts.map((t) => t % 1000) } } }, feed]];
}

test('a router crash and restart: the data-feed node keeps its buffer, subscribes again and serves new samples', async () => {
  const spool = mkdtempSync(join(tmpdir(), 'sisock-feed-rr-'));
  let router: RouterProcess = await spawnRouter();
  const node = await spawnSisock(['node', 'data-feed'], {
    env: {
      SISOCK_URL: router.tlsUrl,
      SISOCK_CA: TEST_TLS.caFile,
      WAMP_SECRET: router.secrets.server,
      CROSSBAR_HOST: '127.0.0.1',
      CROSSBAR_OCS_PORT: String(router.openPort),
      TARGET: 'rr1',
      FEED: 'temps',
      NAME: 'rr1',
      SISOCK_SPOOL_DIR: spool,
    },
    readyPattern: /serving data node 'rr1'/,
  }).catch(async (err: unknown) => {
    await router.stop();
    throw err;
  });
  const clients: WampClient[] = [];
  try {
    const client = new WampClient({ url: router.openUrl, realm: 'test_realm' });
    clients.push(client);
    await client.start();
    const now = Math.floor(Date.now() / 1000);
    const first = [now - 30, now - 29, now - 28];
    await client.publish('observatory.rr1.feeds.temps', block(first));
    const served = async () => {
      try {
        return (await getData(client, 'rr1', ['t'], 1, 0)).timeline['observatory.rr1.t']?.t ?? [];
      } catch {
        return [];
      }
    };
    await waitFor('first samples served', async () => (await served()).length === 3);

    router.kill('SIGKILL');
    await router.exited;
    router = await spawnRouter({ openPort: router.openPort, tlsPort: router.tlsPort });
    // everyone reconnects with backoff: the node (both its sessions) and this client
    const second = [now - 10, now - 9];
    await waitFor('new samples served after the restart', async () => {
        if (!client.joined) return false;
        await client.publish('observatory.rr1.feeds.temps', block(second)).catch(() => undefined);
        return (await served()).length === 5;
      }, 30_000);
    assert.deepEqual(await served(), [...first, ...second], 'the buffer outlived the router; nothing doubled');
  } finally {
    for (const c of clients) await c.close();
    await node.stop();
    await router.stop();
    rmSync(spool, { recursive: true, force: true });
  }
});
