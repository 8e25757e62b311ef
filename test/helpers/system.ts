// A whole sisock system of real processes on loopback, for fault tests: the
// router (`sisock router`, TLS), the hub, data nodes, the HTTP bridge, and
// misbehaving fixture nodes, each joined as `sisock up` joins them (hub as
// user hub, nodes as server, the bridge as simonsobs). Components keep their
// default reconnection settings: recovery times measured here are the
// product's.
import { fileURLToPath } from 'node:url';
import { WampClient, type ClientOptions } from '../../src/client/client.js';
import { spawnRouter, TEST_TLS, type RouterProcess } from './router.js';
import { spawnScript, spawnSisock, type SisockProcess } from './sisock.js';

const MISBEHAVING_NODE = fileURLToPath(new URL('./misbehaving-node.js', import.meta.url));

export interface Bridge {
  process: SisockProcess;
  /** http://127.0.0.1:PORT */
  url: string;
}

export interface System {
  router: RouterProcess;
  /** environment of a data node (user server) */
  serverEnv: NodeJS.ProcessEnv;
  /** environment of the hub (user hub) */
  hubEnv: NodeJS.ProcessEnv;
  /** environment of a consumer such as the bridge (user simonsobs) */
  consumerEnv: NodeJS.ProcessEnv;
  startHub(args?: string[]): Promise<SisockProcess>;
  /** `sisock node <args>` as user server */
  startNode(args: string[]): Promise<SisockProcess>;
  /** a fixture node of test/helpers/misbehaving-node.ts */
  startMisbehaving(mode: 'hang-on-signal' | 'slow-large' | 'progressive', name: string, env?: NodeJS.ProcessEnv): Promise<SisockProcess>;
  /** `sisock http --port 0 <args>` as user simonsobs */
  startBridge(args?: string[]): Promise<Bridge>;
  /** a WAMP client as user simonsobs on the secure listener (default reconnection), started */
  consumer(options?: Partial<ClientOptions>): Promise<WampClient>;
  /** SIGKILL the router and wait for its end */
  killRouter(): Promise<void>;
  /** start the router again on the same ports */
  restartRouter(): Promise<void>;
  /** stops every process and client started through this object, last first */
  close(): Promise<void>;
}

export async function startSystem(): Promise<System> {
  let router = await spawnRouter({ env: { LOGLEVEL: 'info' } });
  const base = { SISOCK_URL: router.tlsUrl, SISOCK_CA: TEST_TLS.caFile, SISOCK_REALM: 'test_realm' };
  const serverEnv = { ...base, WAMP_USER: 'server', WAMP_SECRET: router.secrets.server };
  const hubEnv = { ...base, WAMP_USER: 'hub', WAMP_SECRET: router.secrets.hub };
  const consumerEnv = { ...base, WAMP_USER: 'simonsobs', WAMP_SECRET: router.secrets.simonsobs };
  const processes: SisockProcess[] = [];
  const clients: WampClient[] = [];
  const keep = (p: SisockProcess): SisockProcess => {
    processes.push(p);
    return p;
  };
  const system: System = {
    get router() {
      return router;
    },
    serverEnv,
    hubEnv,
    consumerEnv,
    startHub: async (args = []) => keep(await spawnSisock(['hub', ...args], { env: hubEnv })),
    startNode: async (args) => keep(await spawnSisock(['node', ...args], { env: serverEnv })),
    startMisbehaving: async (mode, name, env = {}) =>
      keep(await spawnScript(MISBEHAVING_NODE, [mode], { env: { ...serverEnv, NODE_NAME: name, ...env }, readyPattern: /^ready$/m })),
    startBridge: async (args = []) => {
      const p = keep(await spawnSisock(['http', '--port', '0', ...args], { env: consumerEnv, readyPattern: /on http:\/\/127\.0\.0\.1:\d+\// }));
      const port = /on http:\/\/127\.0\.0\.1:(\d+)\//.exec(p.stdout())![1];
      return { process: p, url: `http://127.0.0.1:${port}` };
    },
    consumer: async (options = {}) => {
      const c = new WampClient({
        url: router.tlsUrl,
        realm: 'test_realm',
        ca: router.ca,
        auth: { method: 'wampcra', authid: 'simonsobs', secret: router.secrets.simonsobs },
        ...options,
      });
      clients.push(c);
      await c.start();
      return c;
    },
    killRouter: async () => {
      router.kill('SIGKILL');
      await router.exited;
    },
    restartRouter: async () => {
      router = await spawnRouter({ openPort: router.openPort, tlsPort: router.tlsPort, env: { LOGLEVEL: 'info' } });
    },
    close: async () => {
      for (const c of clients.reverse()) await c.close();
      for (const p of processes.reverse()) await p.stop();
      await router.stop();
    },
  };
  return system;
}
