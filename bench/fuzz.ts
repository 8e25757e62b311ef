// `npm run fuzz`: the long fuzzing runs (the bounded versions run in
// `npm test`, test/fuzz/). Usage:
//
//   npm run fuzz                               every target: 100,000 router messages, 20,000 HTTP requests, 200,000 file inputs
//   npm run fuzz -- router --duration 10m      one target for a time
//   npm run fuzz -- router --count 1000000     ... or for a number of cases (router: WAMP messages)
//   npm run fuzz -- files --seed 1234          replay a run (the seed is printed at the start)
//   npm run fuzz -- router --seed 1234 --case 17,40      replay cases (router sessions, HTTP requests, file inputs) by index
//
// Exit status 1 when any target found a problem; its report says which
// case (seed and index) to replay.
import { fuzzRouter, summarize as summarizeRouter } from '../test/fuzz/router-fuzzer.js';
import { fuzzHttp, summarizeHttp } from '../test/fuzz/http-fuzzer.js';
import { fuzzFiles, summarizeFiles } from '../test/fuzz/files-fuzzer.js';

const TARGETS = ['router', 'http', 'files'] as const;
type Target = (typeof TARGETS)[number];

interface Args {
  targets: Target[];
  durationMs?: number;
  count?: number;
  seed: number;
  concurrency?: number;
  /** only these cases (router: session indexes; http: request indexes; files: input indexes) */
  cases?: number[];
}

function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new Error(`not a duration: '${s}' (e.g. 90s, 10m, 2h)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  return Number(m[1]) * unit;
}

function parseArgs(argv: string[]): Args {
  const out: Args = { targets: [], seed: Math.floor(Math.random() * 2 ** 31) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--duration') out.durationMs = parseDuration(value());
    else if (a === '--count') out.count = Number(value());
    else if (a === '--seed') out.seed = Number(value());
    else if (a === '--concurrency') out.concurrency = Number(value());
    else if (a === '--session' || a === '--case') (out.cases ??= []).push(...value().split(',').map(Number));
    else if ((TARGETS as readonly string[]).includes(a)) out.targets.push(a as Target);
    else if (/^\d/.test(a)) {
      // a bare number or duration: a count or a duration
      if (/[a-z]$/.test(a)) out.durationMs = parseDuration(a);
      else out.count = Number(a);
    } else throw new Error(`unknown argument '${a}'; targets: ${TARGETS.join(', ')}; options: --duration, --count, --seed, --concurrency`);
  }
  if (out.targets.length === 0) out.targets = [...TARGETS];
  if (out.count !== undefined && !(out.count > 0)) throw new Error('--count must be a positive number');
  return out;
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`fuzz: ${(err as Error).message}`);
    return 2;
  }
  console.log(`fuzz: seed ${args.seed} (replay with --seed ${args.seed})`);
  let failed = false;
  for (const target of args.targets) {
    console.log(`\n== ${target}`);
    if (target === 'router') {
      const r = await fuzzRouter({
        seed: args.seed,
        ...(args.durationMs !== undefined ? { durationMs: args.durationMs } : { messages: args.count ?? 100_000 }),
        ...(args.concurrency !== undefined ? { concurrency: args.concurrency } : {}),
        ...(args.cases ? { only: args.cases } : {}),
        progress: (line) => console.log(`  ${line}`),
      });
      console.log(summarizeRouter(r));
      const ok = r.failures.length === 0 && r.good.errors.length === 0 && r.routerErrors.length === 0 && r.routerExit === 0 && JSON.stringify(r.after) === JSON.stringify(r.baseline);
      console.log(ok ? 'router: no problem found' : 'router: PROBLEMS FOUND');
      failed ||= !ok;
    }
    if (target === 'http') {
      const r = await fuzzHttp({
        seed: args.seed,
        ...(args.durationMs !== undefined ? { durationMs: args.durationMs } : { requests: args.count ?? 20_000 }),
        ...(args.concurrency !== undefined ? { concurrency: args.concurrency } : {}),
        ...(args.cases ? { only: args.cases } : {}),
        progress: (line) => console.log(`  ${line}`),
      });
      console.log(summarizeHttp(r));
      const ok = r.failures.length === 0 && r.bridgeErrors.length === 0 && r.routerErrors.length === 0 && r.healthAfter === 200 && r.referenceSame && r.routerExit === 0;
      console.log(ok ? 'http: no problem found' : 'http: PROBLEMS FOUND');
      failed ||= !ok;
    }
    if (target === 'files') {
      const r = await fuzzFiles({
        seed: args.seed,
        ...(args.durationMs !== undefined ? { durationMs: args.durationMs } : { inputs: args.count ?? 200_000 }),
        ...(args.cases ? { only: args.cases } : {}),
        progress: (line) => console.log(`  ${line}`),
      });
      console.log(summarizeFiles(r));
      const ok = r.failures.length === 0;
      console.log(ok ? 'files: no problem found' : 'files: PROBLEMS FOUND');
      failed ||= !ok;
    }
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
