// A real sisock system for bridge tests: our router in its own process
// (ephemeral port, the router's own test helper), the hub and data node
// servers in this process, and the bridge's WAMP upstream joined as the
// consumer user `simonsobs`, as `sisock up` runs it.
import { WampClient, type ClientOptions } from '../../../src/client/client.js';
import { DataNodeServer } from '../../../src/datanode/server.js';
import type { DataNodeSource } from '../../../src/datanode/source.js';
import { Hub } from '../../../src/hub/hub.js';
import { WampUpstream } from '../../../src/http/wamp-upstream.js';
import { spawnRouter, type RouterProcess } from '../../helpers/router.js';

const FAST_RECONNECT = { initialDelay: 50, maxDelay: 300, factor: 2, jitter: 0.2 };

export interface Stack {
  /** the router's ws:// URL */
  url: string;
  upstream: WampUpstream;
  hub: Hub | null;
  nodes: Map<string, DataNodeServer>;
  /** connection options of a server-role client (hub, data nodes) */
  serverConnection: ClientOptions;
  /** serves `source`; `connection` overrides the node's client options (e.g. its message size limit) */
  addNode(source: DataNodeSource, connection?: Partial<ClientOptions>): Promise<DataNodeServer>;
  removeNode(name: string): Promise<void>;
  stopHub(): Promise<void>;
  startHub(): Promise<void>;
  /** kills the router (SIGKILL: no goodbye) */
  killRouter(): Promise<void>;
  /** starts the router again on the same port */
  startRouter(): Promise<void>;
  close(): Promise<void>;
}

export async function startStack(sources: DataNodeSource[] = []): Promise<Stack> {
  let router: RouterProcess = await spawnRouter({ noTls: true, env: { LOGLEVEL: 'warn' } });
  const url = router.openUrl;
  const port = router.openPort;
  const { server: serverSecret, simonsobs: consumerSecret, hub: hubSecret } = router.secrets;
  const serverConnection: ClientOptions = {
    url,
    realm: 'test_realm',
    auth: { method: 'wampcra', authid: 'server', secret: serverSecret },
    reconnect: FAST_RECONNECT,
  };
  const nodes = new Map<string, DataNodeServer>();
  let hub: Hub | null = null;
  const startHub = async (): Promise<void> => {
    hub = new Hub({ connection: { ...serverConnection, auth: { method: 'wampcra', authid: 'hub', secret: hubSecret } }, probe: { interval: 0 }, claimTimeout: 5000 });
    await hub.start();
  };
  await startHub();
  const addNode = async (source: DataNodeSource, connection: Partial<ClientOptions> = {}): Promise<DataNodeServer> => {
    const server = new DataNodeServer({ source, connection: { ...serverConnection, ...connection }, announceRetry: 200 });
    await server.start();
    nodes.set(source.name, server);
    return server;
  };
  for (const s of sources) await addNode(s);
  const client = new WampClient({
    url,
    realm: 'test_realm',
    auth: { method: 'wampcra', authid: 'simonsobs', secret: consumerSecret },
    reconnect: FAST_RECONNECT,
  });
  const upstream = new WampUpstream(client);
  await upstream.start();
  await client.start();
  const stack: Stack = {
    url,
    upstream,
    get hub() {
      return hub;
    },
    nodes,
    serverConnection,
    addNode,
    async removeNode(name) {
      const server = nodes.get(name);
      nodes.delete(name);
      await server?.close();
    },
    async stopHub() {
      await hub?.close();
      hub = null;
    },
    startHub,
    async killRouter() {
      router.kill('SIGKILL');
      await router.exited;
    },
    async startRouter() {
      router = await spawnRouter({ noTls: true, openPort: port, env: { LOGLEVEL: 'warn' } });
    },
    async close() {
      await upstream.close();
      for (const s of nodes.values()) await s.close();
      nodes.clear();
      await hub?.close();
      await router.stop();
    },
  };
  return stack;
}

/** Waits for `check` to hold, polling; fails with `what` after a generous bound. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
