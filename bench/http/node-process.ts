// Child process of the HTTP bridge benchmark: the hub and a synthetic data
// node (10 fields x 1 day at 10 Hz), joined to the router given in the
// environment, so the node's work runs beside, not inside, the bridge.
// Prints `ready` once the node is announced; stops on SIGTERM.
import { Hub } from '../../src/hub/hub.js';
import { DataNodeServer } from '../../src/datanode/server.js';
import { SyntheticSource } from '../datanode/synthetic.js';

const url = process.env.BENCH_ROUTER_URL;
const secret = process.env.BENCH_SECRET;
if (!url || !secret) {
  console.error('BENCH_ROUTER_URL and BENCH_SECRET are required');
  process.exit(2);
}
const connection = { url, realm: 'test_realm', auth: { method: 'wampcra' as const, authid: 'server', secret } };
// the hub joins as its own user (the router's SISOCK_HUB_SECRET is the same secret here)
const hub = new Hub({ connection: { ...connection, auth: { method: 'wampcra', authid: 'hub', secret } }, probe: { interval: 0 } });
await hub.start();
const source = new SyntheticSource({ fields: 10, rate: 10, seconds: 86_400 });
const node = new DataNodeServer({ source, connection, announceRetry: 3_600_000 });
await node.start();
console.log(`ready ${source.t[0]} ${source.t[source.t.length - 1]}`);

const stop = async (): Promise<void> => {
  await node.close();
  await hub.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
