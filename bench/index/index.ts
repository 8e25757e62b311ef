// The g3 index benchmark, on a generated archive (default: 50 fields at
// 1-10 Hz over 30 days in 1000 files; `--quick`: 3 days in 100 files; the
// archive is generated once and kept in the temporary folder, keyed by its
// parameters). It measures, each beside a baseline run in the same process:
//
//  - first scan (files, summaries, index writes) in MB/s, beside the g3
//    library's so3g-style scan of the same files (no summaries, no index);
//  - a walk after one file of the archive grew (and after nothing changed),
//    beside a full scan (what re-reading everything costs);
//  - single-field query latency, p50/p99, cold (a new window each time:
//    nothing in the reader's cache) and warm (the same window again), for
//    1 hour (from frames), 1 day and 30 days (from summaries), at screen
//    resolution (~2000 points), beside the original's approach: re-reading
//    the overlapping files in full for each request, then downsampling.
//
// Options: --quick, --mysql (also index into MariaDB at 127.0.0.1:3306 as
// root, a database made and dropped for the run), --keep (keep the index).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { answerGetData } from '../../src/datanode/answer.js';
import { pickSamples } from '../../src/datanode/downsample.js';
import { generateArchive, HKArchiveScanner, scanG3File, type ArchiveSpec, type Column } from '../../src/g3/index.js';
import { MysqlStore } from '../../src/index/mysql-store.js';
import { IndexScanner } from '../../src/index/scanner.js';
import { SqliteStore } from '../../src/index/sqlite-store.js';
import type { IndexStore } from '../../src/index/store.js';
import { G3ReaderSource } from '../../src/servers/g3-reader/source.js';

export const description = 'g3 scanner and index: first scan, rescan after one file grew, query latency from frames and from summaries vs re-reading files';

const T0 = 1700000000.25;
const POINTS = 2000;

interface Shape {
  days: number;
  files: number;
}

/** 5 providers x 10 fields (9 floats and a counter), at 10, 5, 2, 1 and 1 Hz. */
function spec(shape: Shape): ArchiveSpec {
  const duration = shape.days * 86400;
  const provider = (name: string, rate: number, frameLength: number) => ({
    address: `observatory.${name}.feeds.${name}`,
    frameLength,
    blocks: [
      {
        name,
        rate,
        jitter: Math.min(0.01, 0.1 / rate),
        fields: [
          ...Array.from({ length: 9 }, (_, i) => ({ name: `${name}_${i}`, kind: 'float' as const, range: [-10 * (i + 1), 10 * (i + 1)] as [number, number] })),
          { name: `${name}_count`, kind: 'int' as const, counter: { start: 1000, perSecond: rate } },
        ],
      },
    ],
  });
  return {
    start: T0,
    duration,
    fileSeconds: Math.round(duration / shape.files),
    seed: 5,
    providers: [provider('acu', 10, 60), provider('hwp', 5, 60), provider('bluefors', 2, 120), provider('lakeshore', 1, 300), provider('weather', 1, 300)],
  };
}

const FIELD = 'observatory.acu.feeds.acu.acu_3';

interface Archive {
  dir: string;
  files: string[];
  bytes: number;
  /** A copy of the last file, complete (the benchmark makes it grow). */
  lastCopy: string;
}

async function archiveFor(shape: Shape): Promise<Archive> {
  const s = spec(shape);
  const key = createHash('sha256').update(JSON.stringify(s)).digest('hex').slice(0, 12);
  const root = join(tmpdir(), `sisock-bench-g3index-${key}`);
  const done = join(root, 'archive.json');
  const dir = join(root, 'archive');
  if (!existsSync(done)) {
    await rm(root, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    console.log(`generating ${shape.days} days, 50 fields, ${shape.files} files into ${dir} (once; kept for later runs) ...`);
    const began = Date.now();
    const a = await generateArchive(dir, s);
    const files = a.files.map((f) => f.name);
    await writeFile(join(root, 'last.g3'), await readFile(join(dir, files[files.length - 1]!)));
    await writeFile(done, JSON.stringify({ files, bytes: a.bytes }));
    console.log(`  ${(a.bytes / 1e9).toFixed(2)} GB in ${a.files.length} files, ${((Date.now() - began) / 1000).toFixed(0)} s`);
  }
  const info = JSON.parse(await readFile(done, 'utf8')) as { files: string[]; bytes: number };
  return { dir, files: info.files, bytes: info.bytes, lastCopy: join(root, 'last.g3') };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const began = performance.now();
  const out = await fn();
  return [out, performance.now() - began];
}

async function latencies(n: number, once: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) ms.push((await timed(() => once(i)))[1]);
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

/** Deterministic windows of `span` seconds inside the archive. */
function windows(span: number, total: number, n: number, seed: number): number[] {
  let a = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out.push(T0 + 60 + r * Math.max(0, total - span - 120));
  }
  return out;
}

/**
 * The original's way: find the files that may hold the range (OCS names are
 * opening times), read each in full, then cut and downsample.
 */
async function reReadFiles(a: Archive, fileSeconds: number, start: number, end: number, minStride: number): Promise<number> {
  const scanner = new HKArchiveScanner();
  for (const f of a.files) {
    const opened = Number(f.slice(f.lastIndexOf('/') + 1, -3));
    if (opened > end || opened + fileSeconds + 600 < start) continue;
    await scanner.processFile(join(a.dir, f), { name: f });
  }
  const archive = scanner.finalize({ resolve: (n) => join(a.dir, n) });
  const { data, timelines } = await archive.getData({ fields: [FIELD], start, end });
  let points = 0;
  for (const tl of timelines.values()) {
    const col = data.get(FIELD) as Column & { dtype: 'float64' };
    const idx = pickSamples(tl.t, [col.values], { minStride, maxPoints: null });
    points += idx ? idx.length : tl.t.length;
  }
  return points;
}

function row(cells: (string | number)[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  ');
}

const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

async function benchStore(label: string, store: IndexStore, a: Archive, shape: Shape): Promise<{ scanMBs: number; ratioQueries: [string, number][] }> {
  const s = spec(shape);
  const total = shape.days * 86400;
  // The last file starts at 60 % of its length: it will grow during the benchmark.
  const lastName = a.files[a.files.length - 1]!;
  const lastPath = join(a.dir, lastName);
  const whole = await readFile(a.lastCopy);
  const frames = (await scanG3File(a.lastCopy)).frames;
  const cut = frames[Math.floor(frames.length * 0.6)]!.offset;
  await writeFile(lastPath, whole.subarray(0, cut));

  console.log(`\n-- ${label}: ${store.where}`);
  const scanner = new IndexScanner({ root: a.dir, store, interval: 0, watch: false });
  const [first, scanMs] = await timed(() => scanner.pass());
  const scanBytes = first!.bytes;
  const scanMBs = scanBytes / 1e6 / (scanMs / 1000);

  // Baseline: the g3 library's scan of every file (so3g's process_file), nothing stored.
  const [, libMs] = await timed(async () => {
    const sc = new HKArchiveScanner();
    for (const f of a.files) await sc.processFile(join(a.dir, f), { name: f });
  });
  const libMBs = scanBytes / 1e6 / (libMs / 1000);

  // One file of the archive grows; then a walk with nothing changed.
  await appendFile(lastPath, whole.subarray(cut));
  const [grown, grownMs] = await timed(() => scanner.pass());
  const [, idleMs] = await timed(() => scanner.pass());

  const widths = [44, 12, 12, 9];
  console.log(row(['measurement', 'ours', 'baseline', 'ratio'], widths));
  console.log(row([`first scan, ${a.files.length} files, ${(scanBytes / 1e9).toFixed(2)} GB (MB/s)`, scanMBs.toFixed(0), libMBs.toFixed(0), (scanMBs / libMBs).toFixed(2)], widths));
  console.log(row([`walk after 1 of ${a.files.length} files grew (ms)`, ms(grownMs), ms(scanMs), `${(scanMs / grownMs).toFixed(0)}x`], widths));
  console.log(row(['  bytes read for it', `${(grown!.bytes / 1e6).toFixed(1)} MB`, `${(scanBytes / 1e6).toFixed(0)} MB`, ''], widths));
  console.log(row(['walk with nothing changed (ms)', ms(idleMs), ms(scanMs), `${(scanMs / idleMs).toFixed(0)}x`], widths));

  const reader = new G3ReaderSource({ store, refreshInterval: 60_000, cacheBytes: 256 << 20 });
  await reader.start();
  const call = (start: number, end: number) => answerGetData(reader, { args: [[FIELD], start, end, (end - start) / POINTS], kwargs: {} });
  const out: [string, number][] = [];
  const cases: [string, number, number][] = [
    ['1 hour (frames)', 3600, 30],
    ['1 day (summaries)', 86400, 30],
    [`${shape.days} days (summaries)`, total, 30],
  ];
  console.log(row(['query, 1 field, ~2000 points (ms)', 'p50 / p99', 'baseline', 'p50 ratio'], [44, 14, 20, 9]));
  for (const [name, span, n] of cases) {
    const starts = span >= total ? Array.from({ length: n }, () => T0) : windows(span, total, n, span);
    const cold = await latencies(n, (i) => call(starts[i]!, starts[i]! + span));
    const warm = await latencies(n, () => call(starts[0]!, starts[0]! + span));
    const route = reader.lastRoute;
    // The baseline reads whole files: a few runs are enough (the whole archive once).
    const bn = span >= total ? 1 : span >= 86400 ? 3 : 5;
    const base = await latencies(bn, (i) => reReadFiles(a, s.fileSeconds!, starts[i]!, starts[i]! + span, span / POINTS));
    const how = route.summaries.length > 0 ? `level ${route.summaries[0]!.width} s buckets` : 'frames';
    console.log(row([`${name}, cold`, `${ms(cold.p50)} / ${ms(cold.p99)}`, `${ms(base.p50)} (n=${bn})`, `${(base.p50 / cold.p50).toFixed(0)}x`], [44, 14, 20, 9]));
    console.log(row([`${name}, warm  [${how}]`, `${ms(warm.p50)} / ${ms(warm.p99)}`, '', `${(base.p50 / warm.p50).toFixed(0)}x`], [44, 14, 20, 9]));
    out.push([name, cold.p99]);
  }
  const whole30 = out[out.length - 1]![1];
  console.log(`goal: a single-field query over the whole archive at screen resolution under 200 ms: p99 ${ms(whole30)} ms ${whole30 < 200 ? '(met)' : '(NOT met)'}`);
  await reader.close();
  return { scanMBs, ratioQueries: out };
}

export async function run(args: string[] = process.argv.slice(2)): Promise<void> {
  const quick = args.includes('--quick');
  const shape: Shape = quick ? { days: 3, files: 100 } : { days: 30, files: 1000 };
  const a = await archiveFor(shape);
  console.log(`archive: ${a.files.length} files, ${(a.bytes / 1e9).toFixed(2)} GB, 50 fields at 1-10 Hz over ${shape.days} days; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const work = join(tmpdir(), `sisock-bench-g3index-run-${process.pid}`);
  await mkdir(work, { recursive: true });
  try {
    const path = join(work, 'index.sqlite');
    const sqlite = new SqliteStore({ path });
    await sqlite.open();
    await benchStore('SQLite', sqlite, a, shape);
    const files = [path, `${path}-wal`].filter((p) => existsSync(p));
    const size = (await Promise.all(files.map((p) => stat(p)))).reduce((n, s) => n + s.size, 0);
    console.log(`index size: ${(size / 1e6).toFixed(1)} MB (${((100 * size) / a.bytes).toFixed(2)} % of the archive)`);
    await sqlite.close();
    if (args.includes('--mysql')) {
      const database = `sisock_bench_${process.pid}`;
      const m = new MysqlStore({ host: '127.0.0.1', port: 3306, user: 'root', database });
      await m.open();
      try {
        await benchStore('MariaDB', m, a, shape);
      } finally {
        await m.close();
        if (!args.includes('--keep')) {
          const mysql = (await import('mysql2/promise')).default;
          const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
          await c.query(`DROP DATABASE IF EXISTS \`${database}\``);
          await c.end();
        }
      }
    }
  } finally {
    if (!args.includes('--keep')) await rm(work, { recursive: true, force: true });
    // Leave the archive as generated.
    const last = a.files[a.files.length - 1]!;
    await writeFile(join(a.dir, last), await readFile(a.lastCopy));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
}


