// The file fuzzer: mutated inputs for every file parser (file-targets.ts),
// run in a worker thread watched by this one: an input that has not
// finished after `hangMs` is a hang, reported with its index, and the
// worker is stopped. Inputs are numbered; input i of a seed is always the
// same, so `npm run fuzz -- files --seed S --case i` replays it.
import { Worker } from 'node:worker_threads';
import type { WorkerInput, WorkerMessage } from './files-worker.js';

export interface FilesFuzzOptions {
  seed: number;
  inputs?: number;
  durationMs?: number;
  /** ms one input may run before it counts as hung (a hang detector, not a speed limit) */
  hangMs?: number;
  only?: number[];
  progress?: (line: string) => void;
  maxFailures?: number;
}

export interface FilesFuzzReport {
  seed: number;
  inputs: number;
  durationMs: number;
  /** inputs per target */
  targets: Record<string, number>;
  failures: { index: number; target: string; why: string }[];
  /** the slowest inputs */
  slowest: { index: number; target: string; ms: number }[];
}

/** Runs inputs [from, to) (or `only`) in one worker; resolves when it ends or hangs. */
function runBatch(input: WorkerInput, hangMs: number, report: FilesFuzzReport, maxFailures: number): Promise<'end' | 'hang' | 'enough'> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./files-worker.js', import.meta.url), { workerData: input });
    let current: { index: number; target: string; at: number } | null = null;
    let settled = false;
    const finish = (how: 'end' | 'hang' | 'enough'): void => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      void worker.terminate().then(() => resolve(how));
    };
    const watch = setInterval(() => {
      if (current && Date.now() - current.at > hangMs) {
        report.failures.push({ index: current.index, target: current.target, why: `no answer after ${hangMs} ms: hangs` });
        finish('hang');
      }
    }, 100);
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'start') current = { index: m.index, target: m.target, at: Date.now() };
      else if (m.type === 'done') {
        const ms = Date.now() - (current?.at ?? Date.now());
        current = null;
        report.inputs++;
        report.targets[m.target] = (report.targets[m.target] ?? 0) + 1;
        report.slowest.push({ index: m.index, target: m.target, ms });
        report.slowest.sort((a, b) => b.ms - a.ms);
        report.slowest.length = Math.min(report.slowest.length, 5);
        if (m.why !== undefined) {
          report.failures.push({ index: m.index, target: m.target, why: m.why });
          if (report.failures.length >= maxFailures) finish('enough');
        }
      } else finish('end');
    });
    worker.on('error', (err) => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      // an exception that escaped a target (from a callback of the code under test): a failure of that input
      if (current) {
        report.failures.push({ index: current.index, target: current.target, why: `uncaught in the worker: ${err.message}` });
        resolve('hang');
      } else reject(err);
    });
  });
}

export async function fuzzFiles(o: FilesFuzzOptions): Promise<FilesFuzzReport> {
  const hangMs = o.hangMs ?? 20_000;
  const maxFailures = o.maxFailures ?? 20;
  const report: FilesFuzzReport = { seed: o.seed, inputs: 0, durationMs: 0, targets: {}, failures: [], slowest: [] };
  const started = Date.now();
  if (o.only) {
    // one worker per input: a hang in one does not hide the others
    for (const i of o.only) await runBatch({ seed: o.seed, from: 0, to: 0, only: [i] }, hangMs, report, maxFailures);
  } else {
    const total = o.inputs ?? (o.durationMs === undefined ? 20_000 : Infinity);
    const stopAt = o.durationMs !== undefined ? started + o.durationMs : Infinity;
    const batch = 2000;
    let next = 0;
    while (next < total && Date.now() < stopAt && report.failures.length < maxFailures) {
      const to = Math.min(total, next + batch);
      const how = await runBatch({ seed: o.seed, from: next, to }, hangMs, report, maxFailures);
      // after a hang, go on with the input after the one that hung
      next = how === 'hang' ? (report.failures[report.failures.length - 1]?.index ?? to) + 1 : to;
      o.progress?.(`${report.inputs} inputs, ${report.failures.length} failing`);
    }
  }
  report.durationMs = Date.now() - started;
  return report;
}

export function summarizeFiles(r: FilesFuzzReport): string {
  const lines = [
    `seed ${r.seed}: ${r.inputs} inputs in ${(r.durationMs / 1000).toFixed(1)} s`,
    ...Object.entries(r.targets).map(([t, n]) => `  ${String(n).padStart(7)}  ${t}`),
    `  slowest: ${r.slowest.map((s) => `#${s.index} (${s.target}) ${s.ms} ms`).join('; ')}`,
  ];
  for (const f of r.failures.slice(0, 10)) lines.push(`  FAILED input ${f.index} (${f.target}): ${f.why}`);
  return lines.join('\n');
}
