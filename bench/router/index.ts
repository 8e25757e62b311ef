// Router benchmark: our router, a raw `ws` relay and fox-wamp, each in its
// own process on loopback, measured side by side in one run with the same
// minimal client: RPC calls/s (sequential, and 100 in flight), call latency
// p50/p99, events/s delivered to 10 subscribers, and sequential calls with
// a 1 MB payload; JSON and msgpack. Prints each figure and its ratio to the
// relay and to fox-wamp, then what the sequential figures are made of: the
// loopback floor (TCP round trips between two processes) and the router's
// own work per call, measured in process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { routerWorkPerCall } from './in-process.js';
import { WireClient, frameMaker, readHead } from './wire-client.js';

export const description = 'RPC and PubSub throughput and latency of the router against a raw relay and fox-wamp';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const FOX_VERSION = '0.7.28';

export interface Target {
  name: 'sisock' | 'relay' | 'fox-wamp';
  serializers: string[];
  process: ChildProcess;
  /** URLs of the four roles: on a router all the same */
  url: { caller: string; callee: string; pub: string; sub: string };
  realm: string;
  /** true for the relay: frames pass unparsed, the callee answers CALL with RESULT */
  relay: boolean;
}

function startProcess(args: string[], pattern: RegExp, env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no start in time: ${out} ${err}`));
    }, 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}: ${err.slice(-500)}`));
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m });
      }
    });
  });
}

async function startSisock(): Promise<Target> {
  const { child, match } = await startProcess(
    [join(root, 'bin/sisock.js'), 'router', '--no-tls', '--host', '127.0.0.1', '--ocs-port', '0'],
    /open listening on (ws:\/\/\S+)/,
    { LOGLEVEL: 'warn' },
  );
  const url = match[1]!;
  return { name: 'sisock', serializers: ['json', 'msgpack'], process: child, url: { caller: url, callee: url, pub: url, sub: url }, realm: 'test_realm', relay: false };
}

async function startRelay(): Promise<Target> {
  const { child, match } = await startProcess([join(root, 'dist/bench/router/relay-server.js')], /relay listening on (\d+)/);
  const base = `ws://127.0.0.1:${match[1]}`;
  return {
    name: 'relay',
    serializers: ['json', 'msgpack'],
    process: child,
    url: { caller: `${base}/caller`, callee: `${base}/callee`, pub: `${base}/pub`, sub: `${base}/sub` },
    realm: '',
    relay: true,
  };
}

/** fox-wamp from npm, installed on first use into node_modules/.cache (it is not a dependency of sisock). */
function foxPackageDir(): string {
  const dir = join(root, 'node_modules/.cache/sisock-bench-fox');
  if (existsSync(join(dir, 'node_modules/fox-wamp/package.json'))) return dir;
  mkdirSync(dir, { recursive: true });
  console.log(`installing fox-wamp@${FOX_VERSION} for the comparison (once) ...`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', `fox-wamp@${FOX_VERSION}`], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm could not install fox-wamp');
  return dir;
}

async function startFox(): Promise<Target> {
  const dir = foxPackageDir();
  const { child, match } = await startProcess([join(root, 'dist/bench/router/fox-server.js'), join(dir, 'node_modules')], /fox-wamp listening on (\d+)/);
  const url = `ws://127.0.0.1:${match[1]}/ws`;
  // fox-wamp negotiates wamp.2.json only
  return { name: 'fox-wamp', serializers: ['json'], process: child, url: { caller: url, callee: url, pub: url, sub: url }, realm: 'realm1', relay: false };
}

const PROCEDURE = 'observatory.bench.echo';
const TOPIC = 'observatory.bench.topic';
const PAYLOAD = ['hello', 42, { t: 1717171717.25, v: [1.5, 2.5, 3.5] }];
/** A data reply of about 1 MB: 100,000 floats (JSON text 1.1 MB, msgpack 0.9 MB). */
const BIG_PAYLOAD = [Array.from({ length: 100_000 }, (_, i) => i + 0.5)];

interface RpcResult {
  callsPerSecond: number;
  p50: number;
  p99: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** One caller, one callee: `inFlight` calls outstanding, for `ms` milliseconds after a warm-up; the call and its result carry `payload`. */
export async function measureRpc(t: Target, protocol: string, inFlight: number, ms: number, payload: unknown[] = PAYLOAD): Promise<RpcResult> {
  const callee = await WireClient.open(t.url.callee, protocol);
  const caller = await WireClient.open(t.url.caller, protocol);
  if (!t.relay) {
    await callee.hello(t.realm);
    await caller.hello(t.realm);
    const reg = await callee.ask([64, 1, {}, PROCEDURE]);
    if (reg[0] !== 65) throw new Error(`register failed: ${JSON.stringify(reg)}`);
  }
  // frames are pre-encoded and only their heads read, so the client costs little and the router is what is measured
  const binary = caller.serializer.binary;
  const callFrame = frameMaker(caller.serializer, [48, 0, {}, PROCEDURE, payload]);
  const answerFrame = frameMaker(callee.serializer, t.relay ? [50, 0, {}, payload] : [70, 0, {}, payload]);
  const sendOpts = { binary };
  // the callee answers each INVOCATION (router: its request id is slot 1) or relayed CALL (relay) at once
  callee.onFrame = (data) => {
    const [type, id] = readHead(binary, data);
    if (type === 68 || type === 48) callee.ws.send(answerFrame(id), sendOpts);
  };
  const started = new Map<number, bigint>();
  const latencies: number[] = [];
  let measuring = false;
  let done = 0;
  let nextId = 1;
  let stop = false;
  let finished!: () => void;
  const allDone = new Promise<void>((r) => (finished = r));
  const fire = (): void => {
    const id = nextId++;
    started.set(id, process.hrtime.bigint());
    caller.ws.send(callFrame(id), sendOpts);
  };
  caller.onFrame = (data) => {
    const [type, id] = readHead(binary, data);
    if (type !== 50) throw new Error(`call failed: ${data.toString('utf8', 0, 200)}`);
    const t0 = started.get(id)!;
    started.delete(id);
    if (measuring) {
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      done++;
    }
    if (!stop) fire();
    else if (started.size === 0) finished();
  };
  for (let i = 0; i < inFlight; i++) fire();
  await new Promise((r) => setTimeout(r, 300)); // warm-up
  measuring = true;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, ms));
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const count = done;
  measuring = false;
  stop = true;
  await Promise.race([allDone, new Promise((r) => setTimeout(r, 2000))]);
  await Promise.all([caller.close(), callee.close()]);
  const sorted = Float64Array.from(latencies).sort();
  return { callsPerSecond: count / elapsed, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
}

/** One publisher, 10 subscribers; the publisher stays at most `window` events ahead of the slowest subscriber. */
export async function measureEvents(t: Target, protocol: string, ms: number, subscribers = 10, window = 100): Promise<number> {
  const subs: WireClient[] = [];
  const counts = new Array<number>(subscribers).fill(0);
  for (let i = 0; i < subscribers; i++) {
    const s = await WireClient.open(t.url.sub, protocol);
    if (!t.relay) {
      await s.hello(t.realm);
      const r = await s.ask([32, 1, {}, TOPIC]);
      if (r[0] !== 33) throw new Error(`subscribe failed: ${JSON.stringify(r)}`);
    }
    subs.push(s);
  }
  const pub = await WireClient.open(t.url.pub, protocol);
  if (!t.relay) await pub.hello(t.realm);
  let published = 0;
  let stop = false;
  let min = 0;
  // the same pre-encoded PUBLISH every time (no acknowledgement, so its id does not matter)
  const frame = pub.serializer.encode([16, 1, {}, TOPIC, PAYLOAD]);
  const sendOpts = { binary: pub.serializer.binary };
  const pump = (): void => {
    while (!stop && published - min < window) {
      published++;
      pub.ws.send(frame, sendOpts);
    }
  };
  // subscribers count frames without decoding them: the router is what is measured
  subs.forEach((s, i) => {
    s.onFrame = () => {
      counts[i]!++;
      if (counts[i] === min + 1 && counts.every((c) => c > min)) {
        min = Math.min(...counts);
        pump();
      }
    };
  });
  pump();
  await new Promise((r) => setTimeout(r, 300)); // warm-up
  const before = counts.reduce((a, b) => a + b, 0);
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, ms));
  const delivered = counts.reduce((a, b) => a + b, 0) - before;
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  stop = true;
  // let the last events arrive before leaving
  await new Promise((r) => setTimeout(r, 200));
  await Promise.all([pub, ...subs].map((s) => s.close()));
  return delivered / elapsed;
}

/**
 * Round trips per second of a 64-byte message between this process and a
 * bare TCP echo process: the floor under any router in its own process (a
 * sequential call is two such round trips: caller to router to callee and back).
 */
export async function measureTcpRoundTrips(port: number, ms: number): Promise<number> {
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const message = Buffer.alloc(64, 1);
  let count = 0;
  let measuring = false;
  let stop = false;
  let finished!: () => void;
  const done = new Promise<void>((r) => (finished = r));
  let received = 0;
  socket.on('data', (d: Buffer) => {
    // TCP may merge or split: a round trip is complete when its 64 bytes are back
    received += d.length;
    while (received >= message.length) {
      received -= message.length;
      if (measuring) count++;
      if (stop) finished();
      else socket.write(message);
    }
  });
  socket.write(message);
  await new Promise((r) => setTimeout(r, 300));
  measuring = true;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, ms));
  const n = count;
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  stop = true;
  await Promise.race([done, new Promise((r) => setTimeout(r, 1000))]);
  socket.destroy();
  return n / elapsed;
}

interface Row {
  figure: string;
  better: 'higher' | 'lower';
  values: Partial<Record<Target['name'], number>>;
}

function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined) return 'n/a';
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits || 3);
}

/** How many times better sisock is than a baseline (>1: better); for latencies the inverse ratio. */
function ratio(row: Row, base: Target['name']): string {
  const ours = row.values.sisock;
  const other = row.values[base];
  if (ours === undefined || other === undefined || other === 0 || ours === 0) return 'n/a';
  const r = row.better === 'higher' ? ours / other : other / ours;
  return `${r.toFixed(2)}x`;
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const ms = quick ? 800 : 2000;
  // sequential figures on a virtual machine are bimodal (where the kernel puts the two processes): enough rounds to see the good mode
  const repeats = quick ? 1 : 5;
  const targets: Target[] = [];
  const notes: string[] = [];
  let echo: { child: ChildProcess } | undefined;
  try {
    // the loopback floor: a bare TCP echo process, measured in the same rounds as the routers
    const echoProcess = await startProcess([join(root, 'dist/bench/router/echo-server.js')], /echo listening on (\d+)/);
    echo = echoProcess;
    const echoPort = Number(echoProcess.match[1]);
    let roundTrips = 0;
    targets.push(await startSisock());
    targets.push(await startRelay());
    try {
      targets.push(await startFox());
    } catch (err) {
      notes.push(`fox-wamp did not run here: ${(err as Error).message}`);
    }
    const rows: Row[] = [];
    for (const ser of ['json', 'msgpack']) {
      const protocol = `wamp.2.${ser}`;
      const seq: Row = { figure: `${ser}: RPC calls/s, sequential`, better: 'higher', values: {} };
      const par: Row = { figure: `${ser}: RPC calls/s, 100 in flight`, better: 'higher', values: {} };
      const p50: Row = { figure: `${ser}: call latency p50 (ms), sequential`, better: 'lower', values: {} };
      const p99: Row = { figure: `${ser}: call latency p99 (ms), sequential`, better: 'lower', values: {} };
      const p99par: Row = { figure: `${ser}: call latency p99 (ms), 100 in flight`, better: 'lower', values: {} };
      const ev: Row = { figure: `${ser}: events/s delivered to 10 subscribers`, better: 'higher', values: {} };
      const big: Row = { figure: `${ser}: RPC calls/s, sequential, 1 MB payload`, better: 'higher', values: {} };
      const eligible = targets.filter((t) => t.serializers.includes(ser));
      const failed = new Set<Target>();
      /** Runs one measurement of `t`; a failure is noted once and drops that target for this serializer. */
      const attempt = async <T>(t: Target, measure: () => Promise<T>): Promise<T | undefined> => {
        if (failed.has(t)) return undefined;
        try {
          return await measure();
        } catch (err) {
          failed.add(t);
          notes.push(`${t.name} with ${ser} failed: ${(err as Error).message}`);
          return undefined;
        }
      };
      // warm-up, so that no target (nor the client) is measured before the JIT has compiled its paths
      for (const t of eligible) {
        await attempt(t, () => measureRpc(t, protocol, 1, 300));
        await attempt(t, () => measureRpc(t, protocol, 100, 300));
      }
      // targets take turns in each round, so that the machine's changing load falls on all of them alike; best of the rounds
      const keep = (row: Row, t: Target, v: number | undefined, better: (a: number, b: number) => boolean): boolean => {
        const old = row.values[t.name];
        if (v === undefined || (old !== undefined && !better(v, old))) return false;
        row.values[t.name] = v;
        return true;
      };
      const higher = (a: number, b: number): boolean => a > b;
      for (let round = 0; round < repeats; round++) {
        roundTrips = Math.max(roundTrips, await measureTcpRoundTrips(echoPort, ms));
        for (const t of eligible) {
          process.stderr.write(`measuring ${t.name} with ${ser}, round ${round + 1} of ${repeats} ...\n`);
          const s = await attempt(t, () => measureRpc(t, protocol, 1, ms));
          // latencies come from the sequential run with the best rate
          if (keep(seq, t, s?.callsPerSecond, higher)) {
            p50.values[t.name] = s!.p50;
            p99.values[t.name] = s!.p99;
          }
          const p = await attempt(t, () => measureRpc(t, protocol, 100, ms));
          if (keep(par, t, p?.callsPerSecond, higher)) p99par.values[t.name] = p!.p99;
          keep(ev, t, await attempt(t, () => measureEvents(t, protocol, ms)), higher);
          keep(big, t, (await attempt(t, () => measureRpc(t, protocol, 1, ms, BIG_PAYLOAD)))?.callsPerSecond, higher);
        }
      }
      rows.push(seq, par, p50, p99, p99par, ev, big);
    }
    // what the figures above are made of: the router's own work (the kernel's floor was measured in the rounds)
    const work = ['json', 'msgpack'].map((ser) => `${ser} ${(routerWorkPerCall(`wamp.2.${ser}`, PAYLOAD) / 1000).toFixed(2)} us`);
    if (!targets.some((t) => t.name === 'fox-wamp')) notes.push('fox-wamp columns are empty');
    else notes.push('fox-wamp negotiates wamp.2.json only: its msgpack columns are n/a');
    const header = ['figure', 'sisock', 'raw relay', 'fox-wamp', 'sisock/relay', 'sisock vs fox-wamp'];
    const table = rows.map((r) => [r.figure, fmt(r.values.sisock), fmt(r.values.relay), fmt(r.values['fox-wamp']), ratio(r, 'relay'), ratio(r, 'fox-wamp')]);
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
    const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    console.log(line(header));
    for (const row of table) console.log(line(row));
    console.log(`\neach figure: best of ${repeats} round(s) of ${ms} ms (targets take turns in each round; warm-ups before); small payload ${JSON.stringify(PAYLOAD)};`);
    console.log('1 MB payload: 100,000 floats (i + 0.5) in the call and in its result');
    console.log('ratios: sisock/relay is sisock\'s share of the raw relay (rates: ours/theirs; latencies: theirs/ours);');
    console.log('"sisock vs fox-wamp" is how many times better sisock is (>1: better).');
    console.log(`loopback floor: ${fmt(roundTrips)} TCP round trips/s between two Node processes (no WebSocket, no WAMP), ${(1e6 / roundTrips).toFixed(1)} us each;`);
    console.log(`  a sequential call makes two, so no router in its own process passes ${fmt(roundTrips / 2)} calls/s here`);
    console.log(`router work per call in process (CALL, INVOCATION, YIELD, RESULT; no sockets, no WebSocket): ${work.join(', ')}`);
    for (const n of notes) console.log(`note: ${n}`);
  } finally {
    for (const t of targets) t.process.kill('SIGTERM');
    echo?.child.kill('SIGTERM');
  }
}
