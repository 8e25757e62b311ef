// The file fuzzer's worker thread: runs the inputs and reports each one
// before and after, so the parent can tell a hang (an input that does not
// finish) from a slow machine, and stop it.
import { parentPort, workerData } from 'node:worker_threads';
import { rm } from 'node:fs/promises';
import { Rng } from './random.js';
import { makeScratch, TARGETS } from './file-targets.js';

export interface WorkerInput {
  seed: number;
  /** input indexes to run: [from, to) or a list */
  from: number;
  to: number;
  only?: number[];
}

export type WorkerMessage =
  | { type: 'start'; index: number; target: string }
  | { type: 'done'; index: number; target: string; why?: string }
  | { type: 'end' };

/** Which target input `index` goes to (by weight), and its generator. */
export function inputFor(seed: number, index: number): { target: (typeof TARGETS)[number]; rng: Rng } {
  const rng = Rng.derive(seed, index);
  return { target: rng.weighted(TARGETS.map((t) => [t.weight, t] as const)), rng };
}

const input = workerData as WorkerInput;
const post = (m: WorkerMessage): void => parentPort!.postMessage(m);
const scratch = await makeScratch();
try {
  const indexes = input.only ?? Array.from({ length: input.to - input.from }, (_, i) => input.from + i);
  for (const index of indexes) {
    const { target, rng } = inputFor(input.seed, index);
    post({ type: 'start', index, target: target.name });
    const v = await target.run(rng, scratch);
    post(v.ok ? { type: 'done', index, target: target.name } : { type: 'done', index, target: target.name, why: v.why });
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}
post({ type: 'end' });
