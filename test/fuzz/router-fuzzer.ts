// The router fuzzer: `sisock router` in its own process with the sisock
// default configuration, many raw WebSocket sessions running generated
// scripts (generator.ts) judged by the session model (session.ts), and,
// all the while, well-behaved sessions of three client libraries (our
// client on wampy, autobahn-js, wampy) calling, publishing and subscribing.
// At the end: the router is still up and exits cleanly, it logged no
// internal error, the well-behaved sessions saw no error and missed
// nothing, and the meta API counts sessions, registrations and
// subscriptions back at their baseline. RSS is sampled throughout.
//
// Used by test/fuzz/router.test.ts (bounded) and bench/fuzz.ts (long runs).
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Wampy } from 'wampy';
import { WampClient, type ClientOptions } from '../../src/client/client.js';
import { DataNodeServer } from '../../src/datanode/server.js';
import { Hub } from '../../src/hub/hub.js';
import { ApexArchiveSource } from '../../src/servers/weather/source.js';
import { dataNodeProcedures, HUB } from '../../src/protocol/uris.js';
import { spawnRouter, type RouterProcess } from '../helpers/router.js';
import { connectAutobahn, connectWampy, type AutobahnClient } from '../router/clients.js';
import { errorLines } from './error-lines.js';
import { Rng } from './random.js';
import { makeScript, type GeneratorContext } from './wamp/generator.js';
import { FuzzSession, type SessionReport } from './wamp/session.js';

export interface RouterFuzzOptions {
  seed: number;
  /** stop once this many WAMP messages have been sent */
  messages?: number;
  /** stop after this many ms */
  durationMs?: number;
  /** sessions at once */
  concurrency?: number;
  /** the router's message size limit (smaller than the default, so oversized messages are cheap to make) */
  maxMessageSize?: number;
  /** ms a session may wait for any one answer */
  timeoutMs?: number;
  /** progress lines */
  progress?: (line: string) => void;
  /** stop after this many failing sessions */
  maxFailures?: number;
  /** run only these session indexes (to replay a failure) */
  only?: number[];
}

export interface FailedSession {
  index: number;
  seed: number;
  report: SessionReport;
}

export interface RouterFuzzReport {
  seed: number;
  sessions: number;
  messagesSent: number;
  messagesProcessed: number;
  durationMs: number;
  /** sessions by script kind, and by how they ended */
  kinds: Record<string, number>;
  ends: Record<string, number>;
  protocols: Record<string, number>;
  /** sessions that sent something bad, and how many of them got an ABORT, an ERROR or a close */
  badSessions: number;
  badAnswered: number;
  errorsAnswered: number;
  failures: FailedSession[];
  /** the slowest sessions: index, kind, ms */
  slowest: { index: number; kind: string; ms: number; sent: number }[];
  good: { calls: number; publishes: number; events: Record<string, number>; errors: string[] };
  baseline: MetaCounts;
  after: MetaCounts;
  rssMb: { start: number; peak: number; end: number };
  /** CPU seconds used while fuzzing by the router and by this process (generator, model, clients) */
  cpu: { router: number; fuzzer: number };
  /** router log lines at level error or fatal */
  routerErrors: string[];
  /** router log lines 'protocol violation: aborting the session' */
  violationsLogged: number;
  routerExit: number | null | 'running';
}

export interface MetaCounts {
  sessions: number;
  registrations: number;
  subscriptions: number;
}

const REALM = 'test_realm';
const ECHO = 'org.simonsobservatory.consumer.fuzz.echo';
const TICKS = 'observatory.fuzz.good.ticks';

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

/** A pino logger whose lines at `level` and above are kept. */
function keptLogger(into: string[], who: string, level: pino.Level = 'warn'): pino.Logger {
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) into.push(`${who}: ${line.slice(0, 300)}`);
      cb();
    },
  });
  return pino({ level }, stream);
}

/**
 * The well-behaved sessions: they must see no error while the fuzzer runs.
 * Beside the three clients, a hub and the example weather node run as
 * sisock runs them; fuzz sessions call them with spoiled arguments (an
 * anonymous session may call consumer procedures), and they must answer
 * every call without an internal error.
 */
class GoodSessions {
  errors: string[] = [];
  calls = 0;
  publishes = 0;
  readonly events: Record<string, number[]> = { ours: [], autobahn: [] };
  private running = true;
  private loops: Promise<void>[] = [];
  private readonly token = `good-${Math.random().toString(36).slice(2)}`;

  private constructor(
    readonly ours: WampClient,
    readonly autobahnClient: AutobahnClient,
    readonly wampy: Wampy,
    private readonly hub: Hub,
    private readonly node: DataNodeServer,
  ) {}

  static async start(url: string, secrets: { server: string; hub: string }): Promise<GoodSessions> {
    const errors: string[] = [];
    const server: ClientOptions = { url, realm: REALM, auth: { method: 'wampcra', authid: 'server', secret: secrets.server }, reconnect: false };
    // sisock's router lets only its `hub` user serve the hub's procedures
    const hubConnection: ClientOptions = { ...server, auth: { method: 'wampcra', authid: 'hub', secret: secrets.hub } };
    const hub = new Hub({ connection: hubConnection, logger: keptLogger(errors, 'hub', 'error'), probe: { interval: 0 } });
    const node = new DataNodeServer({ source: await ApexArchiveSource.load(), connection: server, logger: keptLogger(errors, 'weather node', 'error') });
    const ours = new WampClient({ ...server, logger: keptLogger(errors, 'our client') });
    try {
      await hub.start();
      await node.start();
      await ours.register(ECHO, (inv) => ({ args: inv.args, kwargs: inv.kwargs }));
      await ours.start();
    } catch (err) {
      // nothing is left running when the setup fails
      for (const part of [ours, node, hub]) await part.close().catch(() => undefined);
      throw err;
    }
    // autobahn-js on JSON: its msgpack decoder (msgpack5) throws, uncaught, on a map key __proto__ that a fuzz session publishes
    const ab = await connectAutobahn({ url, realm: REALM, serializer: 'json' });
    const wp = await connectWampy({ url, realm: REALM, serializer: 'cbor' });
    const good = new GoodSessions(ours, ab, wp, hub, node);
    // the loggers write into `errors` from now on, also while fuzzing
    good.errors = errors;
    await ours.subscribe(TICKS, (e) => good.tick('ours', e.kwargs));
    await ab.session.subscribe(TICKS, (_args, kwargs: Record<string, unknown> | undefined) => good.tick('autobahn', kwargs));
    return good;
  }

  private tick(who: string, kwargs: Record<string, unknown> | undefined): void {
    // fuzz sessions publish on this topic too: only our own ticks count
    if (kwargs?.token === this.token) this.events[who]!.push(Number(kwargs.seq));
  }

  run(): void {
    const fail = (who: string) => (err: unknown) => {
      this.errors.push(`${who}: ${err instanceof Error ? err.message : JSON.stringify(err)}`);
    };
    this.loops = [
      this.loop(async (i) => {
        const r = await this.ours.call(ECHO, [i, 'ours'], { n: i });
        this.check('our client', r.args, [i, 'ours'], r.kwargs, { n: i });
      }).catch(fail('our client')),
      this.loop(async (i) => {
        const r = (await this.autobahnClient.session.call(ECHO, [i, 'autobahn'], { n: i })) as { args?: unknown[]; kwargs?: Record<string, unknown> } | unknown;
        const res = r as { args?: unknown[]; kwargs?: Record<string, unknown> };
        this.check('autobahn', res.args, [i, 'autobahn'], res.kwargs, { n: i });
      }).catch(fail('autobahn')),
      this.loop(async (i) => {
        const r = await this.wampy.call(ECHO, { argsList: [i, 'wampy'], argsDict: { n: i } });
        this.check('wampy', r.argsList, [i, 'wampy'], r.argsDict, { n: i });
      }).catch(fail('wampy')),
      this.loop(async (i) => {
        await this.wampy.publish(TICKS, { argsList: [], argsDict: { token: this.token, seq: i } });
        this.publishes++;
      }).catch(fail('wampy publisher')),
    ];
  }

  private async loop(step: (i: number) => Promise<void>): Promise<void> {
    for (let i = 0; this.running; i++) {
      await step(i);
      // leave the router to the fuzzer most of the time
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  private check(who: string, args: unknown, wantArgs: unknown[], kwargs: unknown, wantKwargs: Record<string, unknown>): void {
    this.calls++;
    if (JSON.stringify(args) !== JSON.stringify(wantArgs) || JSON.stringify(kwargs) !== JSON.stringify(wantKwargs)) {
      this.errors.push(`${who}: echo answered ${JSON.stringify([args, kwargs])}, expected ${JSON.stringify([wantArgs, wantKwargs])}`);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    // every tick published (and acknowledged) reaches both subscribers, in order
    await new Promise((r) => setTimeout(r, 200));
    for (const [who, seqs] of Object.entries(this.events)) {
      const missing = this.publishes - seqs.length;
      if (missing !== 0 || seqs.some((s, i) => s !== i)) this.errors.push(`${who} subscriber: got ${seqs.length} of ${this.publishes} ticks${seqs.some((s, i) => s !== i) ? ', out of order' : ''}`);
    }
  }

  async close(): Promise<void> {
    await this.autobahnClient.close().catch(() => undefined);
    await this.wampy.disconnect().catch(() => undefined);
    await this.ours.close();
    await this.node.close();
    await this.hub.close();
  }
}

async function metaCounts(client: WampClient): Promise<MetaCounts> {
  const count = (r: { args: unknown[] }): number => {
    const v = r.args[0] as { exact: number[]; prefix: number[]; wildcard: number[] };
    return v.exact.length + v.prefix.length + v.wildcard.length;
  };
  const [s, r, sub] = await Promise.all([client.call('wamp.session.count'), client.call('wamp.registration.list'), client.call('wamp.subscription.list')]);
  return { sessions: Number(s.args[0]), registrations: count(r), subscriptions: count(sub) };
}

const same = (a: MetaCounts, b: MetaCounts): boolean => a.sessions === b.sessions && a.registrations === b.registrations && a.subscriptions === b.subscriptions;

export async function fuzzRouter(o: RouterFuzzOptions): Promise<RouterFuzzReport> {
  const maxMessageSize = o.maxMessageSize ?? 1024 * 1024;
  const concurrency = o.concurrency ?? 24;
  const timeoutMs = o.timeoutMs ?? 20_000;
  const maxFailures = o.maxFailures ?? 20;
  const progress = o.progress ?? (() => undefined);
  const router: RouterProcess = await spawnRouter({ noTls: true, args: ['--max-message-size', String(maxMessageSize)], env: { LOGLEVEL: 'warn' } });
  const node = 'apex_archive';
  const ctx: GeneratorContext = {
    realm: REALM,
    echoUri: ECHO,
    goodTopic: TICKS,
    maxMessageSize,
    dataNode: node,
    served: [...Object.values(dataNodeProcedures(node)), HUB.getDataNode, HUB.status],
  };
  const report: RouterFuzzReport = {
    seed: o.seed,
    sessions: 0,
    messagesSent: 0,
    messagesProcessed: 0,
    durationMs: 0,
    kinds: {},
    ends: {},
    protocols: {},
    badSessions: 0,
    badAnswered: 0,
    errorsAnswered: 0,
    failures: [],
    slowest: [],
    good: { calls: 0, publishes: 0, events: {}, errors: [] },
    baseline: { sessions: 0, registrations: 0, subscriptions: 0 },
    after: { sessions: 0, registrations: 0, subscriptions: 0 },
    rssMb: { start: 0, peak: 0, end: 0 },
    cpu: { router: 0, fuzzer: 0 },
    routerErrors: [],
    violationsLogged: 0,
    routerExit: 'running',
  };
  let good: GoodSessions | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    good = await GoodSessions.start(router.openUrl, router.secrets);
    report.baseline = await metaCounts(good.ours);
    report.rssMb.start = report.rssMb.peak = rssMb(router.pid);
    sampler = setInterval(() => (report.rssMb.peak = Math.max(report.rssMb.peak, rssMb(router.pid))), 250);
    good.run();

    const started = Date.now();
    const routerCpu0 = cpuSeconds(router.pid);
    const ownCpu0 = process.cpuUsage();
    const stopAt = o.durationMs !== undefined ? started + o.durationMs : Infinity;
    const target = o.only ? Infinity : (o.messages ?? (o.durationMs === undefined ? 100_000 : Infinity));
    const only = o.only ? [...o.only] : undefined;
    let next = 0;
    let lastProgress = started;
    let routerDown = false;
    void router.exited.then(() => (routerDown = true));
    const worker = async (): Promise<void> => {
      while (report.messagesSent < target && Date.now() < stopAt && report.failures.length < maxFailures && !routerDown) {
        if (only && only.length === 0) break;
        const index = only ? only.shift()! : next++;
        const rng = Rng.derive(o.seed, index);
        const script = makeScript(rng, ctx);
        const r = await new FuzzSession(script, rng, { url: router.openUrl, ctx, timeoutMs }, index).run();
        report.sessions++;
        report.messagesSent += r.sent;
        report.messagesProcessed += r.processed;
        report.kinds[r.kind] = (report.kinds[r.kind] ?? 0) + 1;
        report.protocols[r.protocol] = (report.protocols[r.protocol] ?? 0) + 1;
        const end = r.end === 'closed' ? `closed ${r.closeCode}` : r.end === 'abort' ? `abort ${r.abortReason}` : 'alive';
        report.ends[end] = (report.ends[end] ?? 0) + 1;
        report.errorsAnswered += r.errors;
        if (r.bad) {
          report.badSessions++;
          if (r.end !== 'alive' || r.errors > 0) report.badAnswered++;
        }
        if (r.failures.length > 0) report.failures.push({ index, seed: o.seed, report: r });
        report.slowest.push({ index, kind: r.kind, ms: r.ms, sent: r.sent });
        report.slowest.sort((a, b) => b.ms - a.ms);
        report.slowest.length = Math.min(report.slowest.length, 5);
        if (Date.now() - lastProgress > 5000) {
          lastProgress = Date.now();
          progress(`${report.sessions} sessions, ${report.messagesSent} messages, router RSS ${rssMb(router.pid)} MB, ${report.failures.length} failing`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    report.durationMs = Date.now() - started;
    const own = process.cpuUsage(ownCpu0);
    report.cpu = { router: cpuSeconds(router.pid) - routerCpu0, fuzzer: (own.user + own.system) / 1e6 };
    await good.stop();
    report.good = { calls: good.calls, publishes: good.publishes, events: Object.fromEntries(Object.entries(good.events).map(([k, v]) => [k, v.length])), errors: good.errors };

    // every fuzz session has gone: the router's books must be back at the baseline
    if (!routerDown) {
      const deadline = Date.now() + 10_000;
      do {
        report.after = await metaCounts(good.ours);
        if (same(report.after, report.baseline)) break;
        await new Promise((r) => setTimeout(r, 100));
      } while (Date.now() < deadline);
      report.rssMb.end = rssMb(router.pid);
    }
  } finally {
    if (sampler) clearInterval(sampler);
    await good?.close();
    report.routerExit = router.child.exitCode ?? (router.child.signalCode ? null : 'running');
    if (report.routerExit === 'running') report.routerExit = await router.stop();
    const log = router.stderr();
    report.violationsLogged = log.split('"protocol violation: aborting the session"').length - 1;
    report.routerErrors.push(...errorLines(log));
  }
  return report;
}

/** A readable summary of a run, for logs and the bench. */
export function summarize(r: RouterFuzzReport): string {
  const lines = [
    `seed ${r.seed}: ${r.sessions} sessions, ${r.messagesSent} WAMP messages sent (${r.messagesProcessed} confirmed processed) in ${(r.durationMs / 1000).toFixed(1)} s`,
    `  kinds: ${JSON.stringify(r.kinds)}`,
    `  subprotocols: ${JSON.stringify(r.protocols)}`,
    `  endings: ${JSON.stringify(r.ends)}`,
    `  bad sessions: ${r.badSessions}, of which answered with ABORT, ERROR or a close: ${r.badAnswered}; ERRORs answered: ${r.errorsAnswered}; violations logged: ${r.violationsLogged}`,
    `  well-behaved: ${r.good.calls} calls, ${r.good.publishes} publications, events ${JSON.stringify(r.good.events)}, ${r.good.errors.length} errors`,
    `  meta counts baseline ${JSON.stringify(r.baseline)}, after ${JSON.stringify(r.after)}`,
    `  slowest sessions: ${r.slowest.map((x) => `#${x.index} ${x.kind} ${x.sent} messages ${x.ms} ms`).join('; ')}`,
    `  CPU while fuzzing: router ${r.cpu.router.toFixed(1)} s, fuzzer ${r.cpu.fuzzer.toFixed(1)} s`,
    `  router RSS: ${r.rssMb.start} MB at start, ${r.rssMb.peak} MB peak, ${r.rssMb.end} MB at the end; exit ${r.routerExit}; ${r.routerErrors.length} error log lines`,
  ];
  for (const f of r.failures.slice(0, 5)) {
    lines.push(`  FAILED session ${f.index} (seed ${f.seed}, ${f.report.kind}, ${f.report.protocol}):`, ...f.report.failures.map((x) => `    - ${x}`), ...f.report.transcript.slice(0, 12).map((x) => `      > ${x}`));
  }
  if (process.env.FUZZ_FRAMES) for (const f of r.failures) lines.push(`  frames of session ${f.index}:`, ...f.report.lastFrames.map((h) => `    ${h}`));
  for (const e of r.good.errors.slice(0, 5)) lines.push(`  WELL-BEHAVED ERROR: ${e}`);
  for (const e of r.routerErrors.slice(0, 5)) lines.push(`  ROUTER ERROR: ${e}`);
  return lines.join('\n');
}
