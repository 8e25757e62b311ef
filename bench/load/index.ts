// Load benchmark: 200 data node sessions and 50 consumers on one router, a
// million get_data calls (`--quick`: 100,000), against a baseline run side
// by side: one node and one consumer with the same calls in flight. Reports
// errors (the goal: none), the throughput reached, call latency, the
// router's CPU per call, and its resident memory over time (the goal: flat
// after warm-up).
import { runLoad, type LoadReport } from './load.js';

export const description = '200 data nodes and 50 consumers on one router, a million calls: errors, throughput, router memory over time';

const WINDOW = 4;

function line(label: string, r: LoadReport): string {
  return (
    `${label.padEnd(34)} ${r.calls.toLocaleString('en-US').padStart(9)} calls  ${String(r.errors).padStart(3)} errors  ` +
    `${Math.round(r.callsPerSecond).toLocaleString('en-US').padStart(7)} calls/s  p50 ${r.latencyMs.p50.toFixed(2)} ms  p99 ${r.latencyMs.p99.toFixed(2)} ms  ` +
    `router CPU ${((r.routerCpuMs * 1000) / r.calls).toFixed(1)} µs/call`
  );
}

/** The router's memory at every tenth of the calls, and its growth after warm-up (the first tenth). */
export function memoryReport(r: LoadReport): string[] {
  const out: string[] = [];
  const at = (fraction: number) => r.rss.find((s) => s.done >= fraction * r.calls) ?? r.rss.at(-1)!;
  out.push('router RSS over the run (MiB), at each tenth of the calls:');
  out.push(
    '  ' +
      [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]
        .map((f) => `${Math.round(f * 100)}% ${at(f).rssMiB.toFixed(0)}`)
        .join('  '),
  );
  const warm = r.rss.filter((s) => s.done >= 0.1 * r.calls);
  const afterWarmUp = warm[0] ?? r.rss[0]!;
  const last = r.rss.at(-1)!;
  const peak = Math.max(...warm.map((s) => s.rssMiB));
  out.push(
    `  after warm-up: ${afterWarmUp.rssMiB.toFixed(1)} MiB at ${afterWarmUp.done.toLocaleString('en-US')} calls, ` +
      `${last.rssMiB.toFixed(1)} MiB at the end (${(last.rssMiB - afterWarmUp.rssMiB >= 0 ? '+' : '')}${(last.rssMiB - afterWarmUp.rssMiB).toFixed(1)} MiB), peak ${peak.toFixed(1)} MiB; ` +
      `${r.rss.length} samples over ${(r.elapsedMs / 1000).toFixed(1)} s`,
  );
  return out;
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const calls = quick ? 100_000 : 1_000_000;
  const baseline = await runLoad({ nodes: 1, consumers: 1, calls: quick ? 20_000 : 50_000, window: WINDOW, nodeWorkers: 1, consumerWorkers: 1 });
  let lastPrinted = 0;
  const full = await runLoad({
    nodes: 200,
    consumers: 50,
    calls,
    window: WINDOW,
    onProgress: (done, of) => {
      if (done - lastPrinted >= of / 10) {
        lastPrinted = done;
        process.stdout.write(`  ... ${done.toLocaleString('en-US')} of ${of.toLocaleString('en-US')} calls\n`);
      }
    },
  });
  console.log(`get_data calls (10 samples each) through one sisock router, ${WINDOW} in flight per consumer; real DataNodeServers, hub and WampClients in worker processes`);
  console.log(line('baseline: 1 node, 1 consumer', baseline));
  console.log(line(`${full.options.nodes} nodes, ${full.options.consumers} consumers`, full));
  console.log(`  ${full.sessions} sessions on the router; the hub listed ${full.listed} nodes before the calls began`);
  console.log(`  throughput x${(full.callsPerSecond / baseline.callsPerSecond).toFixed(2)} of the baseline's (more sessions and calls in flight spread the work, but share two cores with the router)`);
  for (const l of memoryReport(full)) console.log(l);
  for (const r of [baseline, full]) for (const e of r.firstErrors) console.log(`  error: ${e}`);
  if (full.errors > 0 || baseline.errors > 0) console.log(`GOAL MISSED: ${full.errors + baseline.errors} errors (goal: none)`);
}
