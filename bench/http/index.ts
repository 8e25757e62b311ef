// HTTP bridge benchmark: Grafana's /query for 10 fields x 1 day at 10 Hz
// with maxDataPoints 1000, through the bridge (its own process) and the
// router (its own process) to a synthetic data node (its own process, with
// the hub), against the baseline of calling the same get_data on the node
// directly over WAMP, side by side in one run, with 1 client (the latency
// the bridge adds; the ways take turns request by request) and with 20
// concurrent clients (all processes share the machine's cores; the ways
// take turns run by run, with the CPU of each process); latency p50/p99 and
// requests per second, and their ratios, each run measured after ten
// warm-up requests. Goal: the bridge adds under 20% to the data node's own
// time.
//
// No two requests in flight at once ask the same range, so the bridge's
// coalescing of identical requests does not flatter it; a last
// line shows what coalescing gives when the requests are identical. Both
// clients end with the answer decoded (the WAMP client parses its reply;
// the HTTP client parses the JSON, after gunzip when compressed), so
// neither side stops at raw bytes. Grafana's proxy forwards the browser's
// `Accept-Encoding: gzip, deflate`: one more line per client count asks
// for that, so compression is measured as Grafana gets it. Last, a raw
// export through the REST API (10 fields x 6 h at 10 Hz, more than one
// WAMP message holds, so the bridge fetches it in parts) against the node's
// get_data of the same parts, with the bridge's peak memory.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { WampClient } from '../../src/client/client.js';
import { dataNodeProcedures } from '../../src/protocol/uris.js';
import { strideSeconds } from '../../src/http/time.js';

export const description = "Grafana /query through the HTTP bridge vs the data node's own get_data over WAMP";

const BIN = fileURLToPath(new URL('../../../bin/sisock.js', import.meta.url));
const NODE_PROCESS = fileURLToPath(new URL('./node-process.js', import.meta.url));
const CONCURRENCY = 20;
/** twenty-client requests of each way in one run, and the rounds of runs */
const RUN_20 = 100;
const ROUNDS_20 = 4;
/** WAMP serializer of the bridge and of the baseline caller: json, the bridge's default, or msgpack (BENCH_HTTP_SERIALIZER=msgpack) */
const SERIALIZER = (process.env.BENCH_HTTP_SERIALIZER ?? 'json') as 'json' | 'msgpack';
/** set to a folder to write a CPU profile of the bridge process there */
const PROFILE_DIR = process.env.BENCH_HTTP_PROFILE_DIR;
const FIELDS = Array.from({ length: 10 }, (_, i) => `field_${i}`);
const MAX_DATA_POINTS = 1000;
/** requests before each timed run */
const WARM_UP = 10;
/** one-client requests of each way */
const ROUNDS = 100;
/** hours of raw data in the REST export (10 fields: over one 64 MiB message), and its runs */
const EXPORT_HOURS = 6;
const EXPORT_ROUNDS = 3;

interface Stats {
  p50: number;
  p99: number;
  perSecond: number;
  /** CPU ms per request of each process (Linux only; empty elsewhere) */
  cpu?: Cpu;
}

type Cpu = Record<'node' | 'router' | 'bridge' | 'client', number>;

/** CPU ms a child has used so far (utime + stime from /proc), or NaN where there is no /proc. */
function childCpuMs(child: ChildProcess | undefined): number {
  try {
    const stat = readFileSync(`/proc/${child?.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
/** USER_HZ: 100 on every Linux we run on */
const CLOCK_TICKS = 100;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/**
 * Warms up, then runs `total` requests with `concurrency` in flight;
 * `once(i)` is request i. `measured` runs between the two, so what it
 * reads is of the timed requests only.
 */
async function load(total: number, concurrency: number, once: (i: number) => Promise<void>, measured?: () => void): Promise<Timed> {
  // a process that sat idle while the other way was measured runs its first
  // requests slower (the V8 heap shrank, caches went cold): warm-ups at
  // least WARM_UP deep, so the order of the runs does not show in the figures
  for (let done = 0; done < Math.max(WARM_UP, concurrency); done += concurrency) {
    await Promise.all(Array.from({ length: concurrency }, (_, i) => once(total + done + i)));
  }
  measured?.();
  const ms: number[] = [];
  let next = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await once(i);
        ms.push(performance.now() - t0);
      }
    }),
  );
  return { ms, seconds: (performance.now() - began) / 1000 };
}

/** What `load` measured: each request's latency, and the time all of them took. */
interface Timed {
  ms: number[];
  seconds: number;
}

/** Latency percentiles and throughput of runs pooled (requests of all, over the time of all). */
function statsOf(runs: readonly Timed[]): Stats {
  const ms = runs.flatMap((r) => r.ms).sort((a, b) => a - b);
  const seconds = runs.reduce((sum, r) => sum + r.seconds, 0);
  return { p50: percentile(ms, 50), p99: percentile(ms, 99), perSecond: ms.length / seconds };
}

function spawnUntil(args: string[], env: NodeJS.ProcessEnv, pattern: RegExp, what: string): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOGLEVEL: 'warn', ...env } });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${out}`)), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${out}`));
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (out.length < 10_000) out += d;
    });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m });
      }
    });
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** POSTs `body`, parses the JSON answer (gunzipped if compressed); resolves to the bytes received. */
function post(agent: Agent, port: number, path: string, body: string, acceptEncoding?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    if (acceptEncoding) headers['accept-encoding'] = acceptEncoding;
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
        try {
          const raw = Buffer.concat(chunks);
          const text = (res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
          JSON.parse(text);
          resolve(raw.length);
        } catch (err) {
          reject(err as Error);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** GETs `path` and reads the whole answer (plain); resolves to its bytes. */
function get(agent: Agent, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent, headers: { 'accept-encoding': 'identity' } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Peak resident memory of a child so far (VmHWM), MB; NaN where there is no /proc. */
function peakRssMb(child: ChildProcess | undefined): number {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child?.pid}/status`, 'utf8'))?.[1]) / 1024;
  } catch {
    return NaN;
  }
}

const fmt = (s: Stats): string => `p50 ${s.p50.toFixed(1)} ms  p99 ${s.p99.toFixed(1)} ms  ${s.perSecond.toFixed(1)} req/s`;

export async function run(): Promise<void> {
  const secret = randomBytes(18).toString('base64url');
  let router: ChildProcess | undefined;
  let nodes: ChildProcess | undefined;
  let bridge: ChildProcess | undefined;
  let caller: WampClient | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const r = await spawnUntil([BIN, 'router', '--host', '127.0.0.1', '--ocs-port', '0', '--no-tls'], { WAMP_SECRET: secret, SISOCK_HUB_SECRET: secret }, /listening on (ws:\/\/\S+)/, 'the router');
    router = r.child;
    const url = r.match[1] as string;
    const n = await spawnUntil([NODE_PROCESS], { BENCH_ROUTER_URL: url, BENCH_SECRET: secret }, /ready (\S+) (\S+)/, 'the data node');
    nodes = n.child;
    const t0 = Number(n.match[1]);
    const t1 = Number(n.match[2]) + 0.1;
    const b = await spawnUntil(
      [...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []), BIN, 'http', '--port', '0', '--url', url, '--user', 'server', '--node-timeout', '60', '--fields-refresh', '0', '--serializer', SERIALIZER],
      { WAMP_SECRET: secret },
      /on http:\/\/127\.0\.0\.1:(\d+)\//,
      'the bridge',
    );
    bridge = b.child;
    const port = Number(b.match[1]);

    caller = new WampClient({ url, realm: 'test_realm', serializer: SERIALIZER, auth: { method: 'wampcra', authid: 'server', secret }, reconnect: false });
    await caller.start();
    const stride = strideSeconds({ fromMs: t0 * 1000, toMs: t1 * 1000, intervalMs: 60_000, maxDataPoints: MAX_DATA_POINTS }) as number;
    const uri = dataNodeProcedures('synthetic').getData;
    const wamp = caller;
    const direct = (i: number): Promise<void> =>
      wamp.call(uri, [FIELDS, t0, t1 + i / 1000], { min_stride: stride }).then(() => undefined);

    // wait until the bridge lists the node's fields (it learns them from the hub)
    for (let i = 0; ; i++) {
      const listed = await post(agent, port, '/search', '{"target":"synthetic::"}').catch(() => 0);
      if (listed > 100) break;
      if (i > 600) throw new Error('the bridge never listed the synthetic node');
      await new Promise((res) => setTimeout(res, 100));
    }
    // as SimpleJson sends it (answered with time series) and as the JSON plugin does (answered with frames)
    const body = (i: number, plugin: 'simplejson' | 'json'): string =>
      JSON.stringify({
        range: { from: new Date(t0 * 1000).toISOString(), to: new Date(t1 * 1000 + i).toISOString() },
        intervalMs: 60_000,
        interval: '1m',
        maxDataPoints: MAX_DATA_POINTS,
        targets: FIELDS.map((f, k) => ({
          target: `synthetic::${f}`,
          refId: String.fromCharCode(65 + k),
          ...(plugin === 'simplejson' ? { type: 'timeserie' } : { payload: {}, editorMode: 'code' }),
        })),
      });
    const bytes = await post(agent, port, '/query', body(0, 'simplejson'));
    const frameBytes = await post(agent, port, '/query', body(0, 'json'));
    const GRAFANA_ENCODING = 'gzip, deflate';
    const gzipBytes = await post(agent, port, '/query', body(0, 'json'), GRAFANA_ENCODING);
    const viaBridge = (i: number): Promise<void> => post(agent, port, '/query', body(i, 'simplejson')).then(() => undefined);
    const viaBridgeFrames = (i: number): Promise<void> => post(agent, port, '/query', body(i, 'json')).then(() => undefined);
    const viaBridgeGzip = (i: number): Promise<void> => post(agent, port, '/query', body(i, 'json'), GRAFANA_ENCODING).then(() => undefined);

    console.log(
      `HTTP bridge /query: ${FIELDS.length} fields x 1 day at 10 Hz, maxDataPoints ${MAX_DATA_POINTS} (min_stride ${stride} s); ` +
        `router, data node and bridge in their own processes; baseline: the same get_data called on the node over WAMP; ${SERIALIZER}`,
    );
    console.log(
      `  answer: ${(bytes / 1024).toFixed(0)} KiB of JSON as time series (SimpleJson), ${(frameBytes / 1024).toFixed(0)} KiB as frames (JSON plugin), ` +
        `${(gzipBytes / 1024).toFixed(0)} KiB as frames gzipped (Accept-Encoding: ${GRAFANA_ENCODING}, as Grafana's proxy forwards it)`,
    );
    // the CPU each process spends per request: unlike latency, barely moved by other load on the machine
    const cpuNow = (): Cpu => {
      const own = process.cpuUsage();
      return { node: childCpuMs(nodes), router: childCpuMs(router), bridge: childCpuMs(bridge), client: (own.user + own.system) / 1000 };
    };
    const cpuTotal = (c: Cpu): number => c.node + c.router + c.bridge + c.client;
    const fmtCpu = (c: Cpu | undefined): string =>
      c && Number.isFinite(cpuTotal(c))
        ? `CPU per request: data node ${c.node.toFixed(1)} ms, router ${c.router.toFixed(1)}, bridge ${c.bridge.toFixed(1)}, client ${c.client.toFixed(1)}; total ${cpuTotal(c).toFixed(1)}`
        : '';
    const report = (title: string, d: Stats, ways: readonly (readonly [string, Stats])[]): void => {
      console.log(title);
      console.log(`    direct get_data over WAMP:            ${fmt(d)}`);
      if (fmtCpu(d.cpu)) console.log(`      ${fmtCpu(d.cpu)}`);
      for (const [label, h] of ways) {
        console.log(`    ${label}: ${fmt(h)}`);
        console.log(
          `      ratio to direct: p50 x${(h.p50 / d.p50).toFixed(2)}  p99 x${(h.p99 / d.p99).toFixed(2)}  ` +
            `throughput x${(h.perSecond / d.perSecond).toFixed(2)}  (goal: latency under x1.20)`,
        );
        if (fmtCpu(h.cpu) && h.cpu && d.cpu) {
          console.log(`      ${fmtCpu(h.cpu)} (x${(cpuTotal(h.cpu) / cpuTotal(d.cpu)).toFixed(2)})`);
          // the goal read literally: the bridge's own work beside the node's, both measured in the same runs
          console.log(`      the bridge's CPU is ${((100 * h.cpu.bridge) / h.cpu.node).toFixed(0)}% of the data node's`);
        }
      }
    };
    const labels = ['/query through the bridge, SimpleJson', '/query through the bridge, JSON plugin', '/query through the bridge, JSON plugin, gzip'] as const;
    const ways = [direct, viaBridge, viaBridgeFrames, viaBridgeGzip];
    let offset = 0;

    // One client: the four ways request by request in turn (each round
    // starting with another), so a drift of the machine's speed, which
    // moves a run of requests by 20% or more here, falls on all alike.
    {
      const ms: number[][] = ways.map(() => []);
      const base = (offset += 10_000);
      for (let i = 0; i < WARM_UP; i++) for (const f of ways) await f(base + ROUNDS + i);
      for (let r = 0; r < ROUNDS; r++) {
        for (let k = 0; k < ways.length; k++) {
          const w = (r + k) % ways.length;
          const t0 = performance.now();
          await (ways[w] as (i: number) => Promise<void>)(base + r);
          (ms[w] as number[]).push(performance.now() - t0);
        }
      }
      const stats = ms.map((list): Stats => {
        const sorted = [...list].sort((a, b) => a - b);
        const mean = list.reduce((a, b) => a + b, 0) / list.length;
        return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), perSecond: 1000 / mean };
      });
      report(
        `  1 client, ${ROUNDS} requests each way, in turn:`,
        stats[0] as Stats,
        labels.map((l, k) => [l, stats[k + 1] as Stats] as const),
      );
    }

    // Twenty clients: the ways take turns run by run, each round starting
    // with another (a run takes seconds, and the machine's speed drifts by
    // 20% or more over the minute all of them take: rounds spread that over
    // all ways alike), with the CPU each process spent (read from /proc, in
    // 10 ms ticks: runs of 100 requests keep its error within a few percent).
    {
      const timed: Timed[][] = ways.map(() => []);
      const cpu: Cpu[] = ways.map(() => ({ node: 0, router: 0, bridge: 0, client: 0 }));
      for (let r = 0; r < ROUNDS_20; r++) {
        for (let k = 0; k < ways.length; k++) {
          const w = (r + k) % ways.length;
          const f = ways[w] as (i: number) => Promise<void>;
          const base = (offset += 2 * RUN_20);
          let before = cpuNow();
          (timed[w] as Timed[]).push(await load(RUN_20, CONCURRENCY, (i) => f(base + i), () => (before = cpuNow())));
          const after = cpuNow();
          const sum = cpu[w] as Cpu;
          for (const p of ['node', 'router', 'bridge', 'client'] as const) sum[p] += (after[p] - before[p]) / (ROUNDS_20 * RUN_20);
        }
      }
      const stats = timed.map((runs, w): Stats => ({ ...statsOf(runs), cpu: cpu[w] as Cpu }));
      report(
        `  ${CONCURRENCY} clients, ${ROUNDS_20 * RUN_20} requests each way, in ${ROUNDS_20} rounds:`,
        stats[0] as Stats,
        labels.map((l, k) => [l, stats[k + 1] as Stats] as const),
      );
    }
    const same = statsOf([await load(RUN_20, CONCURRENCY, () => viaBridgeFrames(0))]);
    console.log(`  ${CONCURRENCY} clients sending identical /query bodies (coalesced in the bridge): ${fmt(same)}`);

    // A raw export through the REST API larger than one WAMP message: the
    // node says so, the bridge fetches in parts and streams the answer.
    // Baseline: the node's get_data for the same parts, called directly.
    {
      const end = t0 + EXPORT_HOURS * 3600;
      const names = FIELDS.map((f) => `synthetic::${f}`).join(',');
      const half = FIELDS.length / 2;
      const parts = [FIELDS.slice(0, half), FIELDS.slice(half)];
      const directParts = async (): Promise<void> => {
        for (const p of parts) await wamp.call(uri, [p, t0, end], undefined, { timeout: 120_000 });
      };
      const wholeError = await wamp.call(uri, [FIELDS, t0, end], undefined, { timeout: 120_000 }).then(
        () => 'fits one message',
        (err: unknown) => String((err as Error).message),
      );
      console.log(`  REST export, ${FIELDS.length} fields x ${EXPORT_HOURS} h raw at 10 Hz; asked whole, the node says: ${wholeError}`);
      const rssBefore = peakRssMb(bridge);
      const timeOf = async (f: () => Promise<unknown>): Promise<number> => {
        const began = performance.now();
        await f();
        return performance.now() - began;
      };
      const runs: Record<'direct' | 'csv' | 'json', number[]> = { direct: [], csv: [], json: [] };
      const sizes: Record<'csv' | 'json', number> = { csv: 0, json: 0 };
      for (let r = 0; r < EXPORT_ROUNDS; r++) {
        runs.direct.push(await timeOf(directParts));
        for (const format of ['csv', 'json'] as const) {
          runs[format].push(await timeOf(async () => (sizes[format] = await get(agent, port, `/api/v1/data?fields=${names}&from=${t0}&to=${end}&format=${format}`))));
        }
      }
      const median = (list: number[]): number => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] as number;
      const d = median(runs.direct);
      console.log(`    direct get_data of the ${parts.length} parts over WAMP: ${(d / 1000).toFixed(2)} s (median of ${EXPORT_ROUNDS})`);
      for (const format of ['csv', 'json'] as const) {
        const m = median(runs[format]);
        console.log(`    /api/v1/data as ${format}: ${(m / 1000).toFixed(2)} s for ${(sizes[format] / 1e6).toFixed(0)} MB (x${(m / d).toFixed(2)} of direct)`);
      }
      console.log(`    the bridge's peak memory: ${rssBefore.toFixed(0)} MB before the exports, ${peakRssMb(bridge).toFixed(0)} MB after`);
    }
  } finally {
    agent.destroy();
    await caller?.close();
    await stop(bridge);
    await stop(nodes);
    await stop(router);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
}
