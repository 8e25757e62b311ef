// A synthetic APEX archive for tests, benchmarks and demos: plausible
// weather (daily cycles plus noise, from a seeded generator so runs repeat)
// written in the archive's own file layout.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { APEX_FIELDS } from './fields.js';
import { apexFileName } from './file-names.js';

export interface SyntheticApexOptions {
  /** first sample, UNIX seconds */
  start: number;
  /** seconds the archive covers */
  duration: number;
  /** seconds between samples (60: minutely) */
  step?: number;
  /** seconds covered by one file (86400: daily files) */
  fileSpan?: number;
  fields?: string[];
  prefix?: string;
  seed?: number;
}

/** small, fast, seeded PRNG (mulberry32) */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** a plausible reading of `field` at time `t` */
export function apexValue(field: string, t: number, rnd: () => number): number {
  const day = Math.sin((2 * Math.PI * t) / 86400);
  const noise = rnd() - 0.5;
  switch (field) {
    case 'humidity':
      return Math.min(100, Math.max(0, 30 + 15 * day + 4 * noise));
    case 'pressure':
      return 556 + 1.5 * day + 0.2 * noise;
    case 'radiometer':
      return Math.max(0.05, 1.2 + 0.4 * day + 0.05 * noise);
    case 'dewpoint':
      return -20 + 4 * day + noise;
    case 'temperature':
      return -5 + 6 * day + noise;
    case 'windspeed':
      return Math.max(0, 20 + 10 * day + 6 * noise);
    case 'winddirection':
      return (((270 + 40 * day + 30 * noise) % 360) + 360) % 360;
    default:
      return 10 * day + noise;
  }
}

/**
 * Writes the archive into `dir`; returns the files written and their total
 * size in bytes.
 */
export async function writeSyntheticApexArchive(dir: string, options: SyntheticApexOptions): Promise<{ files: string[]; bytes: number }> {
  const step = options.step ?? 60;
  const span = options.fileSpan ?? 86400;
  const fields = options.fields ?? Object.keys(APEX_FIELDS);
  const prefix = options.prefix ?? 'APEX';
  const end = options.start + options.duration;
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  let bytes = 0;
  for (const field of fields) {
    const rnd = seededRandom((options.seed ?? 1) * 7919 + field.length * 104729 + field.charCodeAt(0));
    const digits = field === 'radiometer' ? 6 : 2;
    for (let f0 = options.start; f0 < end; f0 += span) {
      const f1 = Math.min(f0 + span, end);
      const lines: string[] = [];
      for (let t = f0; t < f1; t += step) lines.push(`${t.toFixed(1)} ${apexValue(field, t, rnd).toFixed(digits)}`);
      const text = lines.join('\n') + '\n';
      const name = apexFileName(prefix, field, f0, f1 - step);
      await writeFile(join(dir, name), text);
      files.push(name);
      bytes += Buffer.byteLength(text);
    }
  }
  return { files, bytes };
}
