// One load run: a `sisock router` process, data node sessions and consumer
// sessions in worker processes (real DataNodeServers, the hub, WampClients:
// the code sisock runs), a fixed number of get_data calls spread over every
// node, and the router's resident memory sampled throughout.
import { spawn, fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WampClient } from '../../src/client/client.js';
import type { DataNodeInfo } from '../../src/protocol/types.js';
import { HUB } from '../../src/protocol/uris.js';
import type { ParentMessage, WorkerMessage } from './worker.js';

const BIN = fileURLToPath(new URL('../../../bin/sisock.js', import.meta.url));
const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

export interface LoadOptions {
  nodes: number;
  consumers: number;
  /** calls in all (split evenly over the consumers) */
  calls: number;
  /** calls each consumer keeps in flight */
  window: number;
  /** worker processes for the nodes and for the consumers */
  nodeWorkers?: number;
  consumerWorkers?: number;
  /** ms between samples of the router's memory (default 500) */
  sampleEvery?: number;
  /** called with (calls done, of) now and then */
  onProgress?: (done: number, of: number) => void;
}

export interface RssSample {
  /** ms since the calls began */
  ms: number;
  /** calls done by then */
  done: number;
  rssMiB: number;
}

export interface LoadReport {
  options: LoadOptions;
  calls: number;
  errors: number;
  firstErrors: string[];
  /** ms from the first call to the last answer */
  elapsedMs: number;
  callsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** sessions the router had during the calls (nodes, hub, consumers, our watcher) */
  sessions: number;
  /** nodes the hub listed before the calls began */
  listed: number;
  rss: RssSample[];
  /** the router's CPU time during the calls, ms */
  routerCpuMs: number;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** utime + stime of a process, ms */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks: 100 per second on Linux
}

function startRouter(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'router', '--host', '127.0.0.1', '--no-tls', '--ocs-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env, LOGLEVEL: 'warn' },
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the router did not start: ${out} ${err}`)), 20_000);
    child.once('exit', (code) => reject(new Error(`the router exited with ${code}: ${err.slice(-500)}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (ws:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
  });
}

interface Worker {
  child: ChildProcess;
  /** resolves with the next message of this type */
  next<T extends WorkerMessage['type']>(type: T): Promise<Extract<WorkerMessage, { type: T }>>;
  send(m: ParentMessage): void;
}

function startWorker(args: string[], env: NodeJS.ProcessEnv, onProgress?: (m: Extract<WorkerMessage, { type: 'progress' }>) => void): Worker {
  const child = fork(WORKER, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<string, ((m: WorkerMessage) => void)[]>();
  let failure: Error | null = null;
  const failAll = (err: Error): void => {
    failure ??= err;
    for (const list of waiting.values()) for (const w of list.splice(0)) w({ type: 'failed', error: err.message });
  };
  child.on('message', (m: WorkerMessage) => {
    if (m.type === 'progress') onProgress?.(m);
    if (m.type === 'failed') failAll(new Error(`load worker ${args.join(' ')} failed: ${m.error}`));
    for (const w of waiting.get(m.type)?.splice(0) ?? []) w(m);
  });
  child.once('exit', (code) => failAll(new Error(`load worker ${args.join(' ')} exited with ${code}`)));
  return {
    child,
    next: (type) =>
      new Promise((resolve, reject) => {
        if (failure) return reject(failure);
        const list = waiting.get(type) ?? [];
        list.push((m) => (m.type === 'failed' ? reject(new Error(m.error)) : resolve(m as never)));
        waiting.set(type, list);
      }),
    send: (m) => void child.send(m),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Splits `total` into `parts` near-equal whole numbers. */
function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const secrets = { server: randomBytes(18).toString('base64url'), hub: randomBytes(18).toString('base64url'), consumer: randomBytes(18).toString('base64url') };
  const router = await startRouter({ WAMP_SECRET: secrets.server, SISOCK_HUB_SECRET: secrets.hub, SISOCK_CONSUMER_SECRET: secrets.consumer });
  const env = { LOAD_URL: router.url, LOAD_SERVER_SECRET: secrets.server, LOAD_HUB_SECRET: secrets.hub, LOAD_CONSUMER_SECRET: secrets.consumer, LOGLEVEL: 'warn' };
  const workers: Worker[] = [];
  // reads the hub's list and the meta API (role server may)
  const watcher = new WampClient({ url: router.url, realm: 'test_realm', auth: { method: 'wampcra', authid: 'server', secret: secrets.server }, reconnect: false });
  try {
    // the nodes (and the hub, in the first worker)
    let first = 0;
    const nodeWorkers = split(options.nodes, options.nodeWorkers ?? Math.min(4, Math.max(1, Math.ceil(options.nodes / 50)))).map((count, i) => {
      const w = startWorker(['nodes', String(first), String(count), ...(i === 0 ? ['hub'] : [])], env);
      first += count;
      return w;
    });
    workers.push(...nodeWorkers);
    await Promise.all(nodeWorkers.map((w) => w.next('ready')));
    await watcher.start();
    const listed = ((await watcher.call(HUB.getDataNode)).args[0] as DataNodeInfo[]).length;

    // the consumers
    const perConsumer = split(options.calls, options.consumers);
    if (new Set(perConsumer).size > 1) throw new Error(`${options.calls} calls do not split evenly over ${options.consumers} consumers`);
    const calls = perConsumer[0]!;
    const consumerWorkers = split(options.consumers, options.consumerWorkers ?? Math.min(2, options.consumers));
    const progress = new Map<Worker, number>();
    const total = (): number => [...progress.values()].reduce((a, b) => a + b, 0);
    const cw = consumerWorkers.map((count) => {
      const w: Worker = startWorker(['consumers', String(count), String(options.nodes), String(calls), String(options.window)], env, (m) => {
        progress.set(w, m.done);
        options.onProgress?.(total(), options.calls);
      });
      return w;
    });
    workers.push(...cw);
    await Promise.all(cw.map((w) => w.next('ready')));
    const sessions = (await watcher.call('wamp.session.count')).args[0] as number;

    // go, sampling the router's memory
    const pid = router.child.pid!;
    const rss: RssSample[] = [{ ms: 0, done: 0, rssMiB: rssMiB(pid) }];
    const cpuBefore = cpuMs(pid);
    const began = performance.now();
    const sampler = setInterval(() => rss.push({ ms: Math.round(performance.now() - began), done: total(), rssMiB: rssMiB(pid) }), options.sampleEvery ?? 500);
    const finished = Promise.all(cw.map((w) => w.next('done')));
    for (const w of cw) w.send({ type: 'go' });
    const results = await finished;
    const elapsedMs = performance.now() - began;
    clearInterval(sampler);
    rss.push({ ms: Math.round(elapsedMs), done: options.calls, rssMiB: rssMiB(pid) });
    const routerCpuMs = cpuMs(pid) - cpuBefore;

    const latencies = results.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
    const done = results.reduce((n, r) => n + r.done, 0);
    return {
      options,
      calls: done,
      errors: results.reduce((n, r) => n + r.errors, 0),
      firstErrors: results.flatMap((r) => r.firstErrors).slice(0, 5),
      elapsedMs,
      callsPerSecond: done / (elapsedMs / 1000),
      latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? NaN },
      sessions,
      listed,
      rss,
      routerCpuMs,
    };
  } finally {
    await watcher.close();
    for (const w of workers) if (w.child.connected) w.send({ type: 'stop' });
    await Promise.all(workers.map((w) => ended(w.child, 10_000)));
    router.child.kill('SIGTERM');
    await ended(router.child, 10_000);
  }
}

/** Waits for a child to end; SIGKILL after `graceMs`. */
async function ended(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await new Promise((r) => child.once('exit', r));
  clearTimeout(killer);
}
