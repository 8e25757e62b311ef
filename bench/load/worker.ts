// A child process of the load run (forked, talks over IPC). Two roles:
//
//   nodes <first> <count> [hub]   serves data nodes load_<first> .. load_<first+count-1>
//                                 (real DataNodeServers, one WAMP session each, user
//                                 server), and the hub (user hub) when asked;
//                                 says {ready} once every node is announced.
//   consumers <count> <nodes> <calls> <window>
//                                 `count` consumer sessions (user simonsobs); on {go}
//                                 each makes `calls` get_data calls, `window` at a
//                                 time, to the nodes in turn; reports {progress}
//                                 every 250 ms and {done} with counts and latencies.
//
// The router URL and the secrets come in the environment (LOAD_URL,
// LOAD_SERVER_SECRET, LOAD_HUB_SECRET, LOAD_CONSUMER_SECRET).
import { WampClient } from '../../src/client/client.js';
import { describeError } from '../../src/client/errors.js';
import { DataNodeServer } from '../../src/datanode/server.js';
import type { DataNodeSource } from '../../src/datanode/source.js';
import { Hub } from '../../src/hub/hub.js';
import type { DataReply } from '../../src/protocol/types.js';
import { dataNodeProcedures } from '../../src/protocol/uris.js';

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'progress'; done: number; errors: number }
  | { type: 'done'; done: number; errors: number; firstErrors: string[]; latenciesMs: number[] }
  | { type: 'failed'; error: string };

export type ParentMessage = { type: 'go' } | { type: 'stop' };

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const url = env('LOAD_URL');
const realm = 'test_realm';
const send = (m: WorkerMessage): void => void process.send?.(m);

/** The data every load node serves: ten samples of one field. */
export const SAMPLES = 10;
const T = Float64Array.from({ length: SAMPLES }, (_, i) => 1_700_000_000 + i);
const V = Float64Array.from({ length: SAMPLES }, (_, i) => i * 0.5);

function source(name: string): DataNodeSource {
  return {
    name,
    description: `load node ${name}`,
    getFields: () => [{ v: { description: 'a value', timeline: 't', type: 'number', units: null } }, { t: { interval: 1, field: ['v'] } }],
    getData: () => [{ name: 't', t: T, fields: new Map([['v', V]]), finalizedUntil: null }],
  };
}

async function nodes(first: number, count: number, withHub: boolean): Promise<() => Promise<void>> {
  const closers: (() => Promise<void>)[] = [];
  if (withHub) {
    const hub = new Hub({ connection: { url, realm, auth: { method: 'wampcra', authid: 'hub', secret: env('LOAD_HUB_SECRET') } }, probe: { interval: 0 } });
    await hub.start();
    closers.push(() => hub.close());
  }
  const connection = { url, realm, auth: { method: 'wampcra' as const, authid: 'server', secret: env('LOAD_SERVER_SECRET') } };
  const servers = Array.from({ length: count }, (_, i) => new DataNodeServer({ source: source(`load_${first + i}`), connection, announceRetry: 1000 }));
  await Promise.all(
    servers.map(async (s) => {
      const announced = new Promise<void>((resolve) => s.once('announced', () => resolve()));
      await s.start();
      await announced;
    }),
  );
  closers.push(...servers.map((s) => () => s.close()));
  return async () => {
    for (const c of closers.reverse()) await c();
  };
}

async function consumers(count: number, nodeCount: number, calls: number, window: number): Promise<() => Promise<void>> {
  const clients = Array.from(
    { length: count },
    () => new WampClient({ url, realm, auth: { method: 'wampcra', authid: 'simonsobs', secret: env('LOAD_CONSUMER_SECRET') } }),
  );
  await Promise.all(clients.map((c) => c.start()));
  let done = 0;
  let errors = 0;
  const firstErrors: string[] = [];
  const latenciesMs: number[] = [];
  const run = async (c: WampClient, k: number): Promise<void> => {
    let next = k;
    let left = calls;
    const lane = async (): Promise<void> => {
      while (left > 0) {
        left--;
        const node = `load_${next++ % nodeCount}`;
        const began = performance.now();
        try {
          const r = (await c.call(dataNodeProcedures(node).getData, [['v'], 1, 0], undefined, { timeout: 30_000 })).args[0] as DataReply;
          if ((r.data.v?.length ?? 0) !== SAMPLES) throw new Error(`${node} answered ${JSON.stringify(r).slice(0, 100)}`);
        } catch (err) {
          errors++;
          if (firstErrors.length < 5) firstErrors.push(`${node}: ${describeError(err)}`);
        }
        done++;
        // every 16th latency: plenty for percentiles, little memory
        if ((done & 15) === 0) latenciesMs.push(performance.now() - began);
      }
    };
    await Promise.all(Array.from({ length: window }, lane));
  };
  await new Promise<void>((resolve) => {
    process.on('message', (m: ParentMessage) => {
      if (m.type === 'go') resolve();
    });
    send({ type: 'ready' });
  });
  const timer = setInterval(() => send({ type: 'progress', done, errors }), 250);
  // consumers start at different nodes, so the load spreads at once
  await Promise.all(clients.map((c, i) => run(c, Math.floor((i * nodeCount) / count))));
  clearInterval(timer);
  send({ type: 'done', done, errors, firstErrors, latenciesMs });
  return async () => {
    await Promise.all(clients.map((c) => c.close()));
  };
}

const [role, ...args] = process.argv.slice(2);
try {
  let close: () => Promise<void>;
  if (role === 'nodes') {
    close = await nodes(Number(args[0]), Number(args[1]), args[2] === 'hub');
    send({ type: 'ready' });
  } else if (role === 'consumers') {
    close = await consumers(Number(args[0]), Number(args[1]), Number(args[2]), Number(args[3]));
  } else {
    throw new Error(`unknown role ${role}`);
  }
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'stop') void close().finally(() => process.exit(0));
  });
} catch (err) {
  send({ type: 'failed', error: describeError(err) });
  process.exit(1);
}
