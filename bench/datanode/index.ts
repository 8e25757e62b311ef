// Data node benchmark: get_data latency through the router (in its own
// process) against a direct in-process call of the same function
// (answerGetData: argument parsing, the source's getData, downsampling and
// reply building), measured side by side in one run.
//
// Scenarios:
//  - weather: every field of the example APEX archive over the whole archive, raw;
//  - synthetic: 10 fields x 1 day at 10 Hz (8.64 M samples), min_stride for
//    ~1000 points per field.
// Each through the router with the JSON serializer (the contract's baseline)
// and msgpack.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { WampClient, type SerializerName } from '../../src/client/client.js';
import { answerGetData } from '../../src/datanode/answer.js';
import { DataNodeServer } from '../../src/datanode/server.js';
import type { DataNodeSource } from '../../src/datanode/source.js';
import type { DataReply } from '../../src/protocol/types.js';
import { dataNodeProcedures } from '../../src/protocol/uris.js';
import { ApexArchiveSource } from '../../src/servers/weather/source.js';
import { SyntheticSource } from './synthetic.js';

const bin = fileURLToPath(new URL('../../../bin/sisock.js', import.meta.url));

interface Scenario {
  label: string;
  source: DataNodeSource;
  args: unknown[];
  kwargs?: Record<string, unknown>;
  iterations: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(iterations: number, once: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < Math.min(5, iterations); i++) await once();
  const ms: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const began = performance.now();
    await once();
    ms.push(performance.now() - began);
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

async function startRouter(secret: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [bin, 'router', '--host', '127.0.0.1', '--ocs-port', '0', '--no-tls'], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, WAMP_SECRET: secret, LOGLEVEL: 'warn' },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`router did not start: ${out}`)), 15_000);
    child.once('exit', (code) => reject(new Error(`router exited with ${code}: ${out}`)));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on (ws:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  return { child, url };
}

function points(reply: DataReply): number {
  return Object.values(reply.data).reduce((n, v) => n + v.length, 0);
}

export const description = 'get_data latency through the router vs a direct in-process call: the weather archive, and 10 fields x 1 day at 10 Hz';

export async function run(): Promise<void> {
  const weather = await ApexArchiveSource.load();
  const synthetic = new SyntheticSource({ fields: 10, rate: 10, seconds: 86_400 });
  const weatherFields = Object.keys(weather.getFields({ start: 1, end: 2e9 })[0]);
  const span = synthetic.t[synthetic.t.length - 1]! - synthetic.t[0]!;
  const scenarios: Scenario[] = [
    { label: `weather: ${weatherFields.length} fields, whole archive, raw`, source: weather, args: [weatherFields, 1, 0], iterations: 200 },
    {
      label: `synthetic: 10 fields x 1 day at 10 Hz (${(synthetic.samples / 1e6).toFixed(2)} M samples), min_stride ${(span / 1000).toFixed(1)} s`,
      source: synthetic,
      args: [[...Array(10).keys()].map((i) => `field_${i}`), synthetic.t[0]!, synthetic.t[synthetic.t.length - 1]! + 1],
      kwargs: { min_stride: span / 1000 },
      iterations: 40,
    },
  ];

  const secret = randomBytes(18).toString('base64url');
  const router = await startRouter(secret);
  const closers: (() => Promise<void>)[] = [];
  try {
    console.log('data node get_data latency: direct in-process call vs through the router (node and caller in this process, router in its own)');
    for (const serializer of ['json', 'msgpack'] as SerializerName[]) {
      const connection = { url: router.url, realm: 'test_realm', serializer, auth: { method: 'wampcra' as const, authid: 'server', secret }, reconnect: false as const };
      const caller = new WampClient(connection);
      await caller.start();
      closers.push(() => caller.close());
      for (const s of scenarios) {
        const server = new DataNodeServer({ source: s.source, connection, announceRetry: 3_600_000 });
        await server.start();
        const uri = dataNodeProcedures(s.source.name).getData;
        const sample = await answerGetData(s.source, { args: s.args, kwargs: s.kwargs ?? {} });
        const bytes = JSON.stringify(sample).length;
        const direct = await measure(s.iterations, () => answerGetData(s.source, { args: s.args, kwargs: s.kwargs ?? {} }));
        const routed = await measure(s.iterations, () => caller.call(uri, s.args, s.kwargs));
        console.log(`  ${s.label} [${serializer}]`);
        console.log(`    reply: ${points(sample)} points, ${(bytes / 1024).toFixed(0)} KiB as JSON`);
        console.log(`    direct:  p50 ${direct.p50.toFixed(2)} ms  p99 ${direct.p99.toFixed(2)} ms`);
        console.log(`    router:  p50 ${routed.p50.toFixed(2)} ms  p99 ${routed.p99.toFixed(2)} ms`);
        console.log(`    ratio router/direct: p50 x${(routed.p50 / direct.p50).toFixed(2)}  p99 x${(routed.p99 / direct.p99).toFixed(2)}`);
        await server.close();
      }
    }
  } finally {
    for (const close of closers) await close();
    router.child.kill('SIGTERM');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
}
