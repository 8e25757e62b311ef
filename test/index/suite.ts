// The index's behaviour, the same for both stores: each store's test file
// runs this suite against its own databases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { appendFile, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateArchive, scanG3File, type ArchiveSpec } from '../../src/g3/index.js';
import { IndexScanner, type PassStats } from '../../src/index/scanner.js';
import type { IndexOutcome } from '../../src/index/file-indexer.js';
import type { IndexStore, StoredFile } from '../../src/index/store.js';
import { LEVEL_WIDTHS } from '../../src/index/summaries.js';
import { G3ReaderSource } from '../../src/servers/g3-reader/source.js';
import { num } from '../g3/fixtures.js';
import {
  ARCHIVE,
  bruteForceSummaries,
  comparable,
  indexedGroupsAsTruth,
  libraryArchive,
  REFERENCE,
  referenceCopy,
  storedBuckets,
  type StoreFactory,
} from './helpers.js';

type DataTruth = { data: Record<string, { dtype: string; values: unknown[] }>; timelines: Record<string, { fields: string[]; t: number[]; finalized_until: number }> };
type Query = { call: 'get_fields' | 'get_data'; args: { start?: number; end?: number; field?: string[]; short_match?: boolean }; result?: unknown; error?: unknown };

const TRUNCATED = '16500/1650008546.g3';
const CORRUPT = '17040/1704067200.g3';

function scanner(root: string, store: IndexStore, policy: 'skip' | 'stop' = 'skip', watch = false): IndexScanner {
  return new IndexScanner({ root, store, interval: 0, watch, policy, settle: 50 });
}

async function filesByName(store: IndexStore): Promise<Map<string, StoredFile>> {
  return new Map((await store.files()).map((f) => [f.name, f]));
}

/** A reader's answer in the truth's encoding (int64 as numbers: the wire carries JSON numbers). */
async function assertReaderMatches(reader: G3ReaderSource, fields: string[], start: number, end: number, want: DataTruth, where: string): Promise<void> {
  const tls = await reader.getData({ fields, start, end, minStride: null, maxPoints: null });
  assert.deepEqual(
    tls.map((t) => t.name),
    Object.keys(want.timelines),
    `${where}: timelines`,
  );
  for (const tl of tls) {
    const w = want.timelines[tl.name]!;
    assert.deepEqual([...tl.fields.keys()], w.fields, `${where}: fields of ${tl.name}`);
    assert.deepEqual(Array.from(tl.t), w.t, `${where}: t of ${tl.name}`);
    assert.equal(tl.finalizedUntil, w.finalized_until, `${where}: finalized_until of ${tl.name}`);
    for (const [k, v] of tl.fields) {
      const truthCol = want.data[k]!;
      const expected = truthCol.values.map((x) => (truthCol.dtype === 'int64' && typeof x === 'string' ? Number(x) : x));
      assert.deepEqual(
        Array.from(v as ArrayLike<unknown>, (x) => (typeof x === 'number' ? num(x) : x)),
        expected,
        `${where}: ${k}`,
      );
    }
  }
}

/** Asserts the summaries an index holds equal a brute-force computation over the raw samples of `files`. */
async function assertSummariesExact(store: IndexStore, dir: string, files: readonly string[]): Promise<{ series: number; buckets: number; levels: Set<number> }> {
  const brute = await bruteForceSummaries(await libraryArchive(dir, files));
  const series = await store.series();
  assert.equal(series.length, brute.size, 'one series per field');
  let buckets = 0;
  const levels = new Set<number>();
  for (const s of series) {
    const want = brute.get(s.name);
    assert.ok(want, `series ${s.name} has raw samples`);
    for (let level = 0; level < LEVEL_WIDTHS.length; level++) {
      const got = await storedBuckets(store, s.id, level);
      if (level < s.minLevel) {
        assert.equal(got.length, 0, `${s.name}: no level ${level} below its finest level ${s.minLevel}`);
        continue;
      }
      const isString = s.type === 'string';
      const expected: unknown[] = [...want[level]!.values()].sort((a, b) => a.n - b.n).map((b) => comparable(b, isString));
      assert.deepStrictEqual(
        got.map((b) => comparable(b, isString)),
        expected,
        `${s.name} at ${LEVEL_WIDTHS[level]} s`,
      );
      buckets += got.length;
      levels.add(level);
    }
  }
  return { series: series.length, buckets, levels };
}

/** A small archive with fast and slow fields of every type, in 20-minute files. */
const MIXED: ArchiveSpec = {
  start: 1700000003.5,
  duration: 5400,
  fileSeconds: 1200,
  seed: 7,
  providers: [
    {
      address: 'observatory.fast.feeds.fast',
      frameLength: 60,
      blocks: [
        {
          name: 'fast',
          rate: 20,
          jitter: 0.002,
          fields: [
            { name: 'az', kind: 'float', range: [0, 360] },
            { name: 'mode', kind: 'int', range: [0, 3] },
            { name: 'locked', kind: 'bool' },
          ],
        },
      ],
    },
    {
      address: 'observatory.slow.feeds.slow',
      frameLength: 300,
      start: 400,
      blocks: [
        { name: 'slow', rate: 0.5, jitter: 0.01, fields: [{ name: 'temp', kind: 'float', range: [0, 300] }, { name: 'state', kind: 'string' }] },
      ],
    },
  ],
};

export function indexSuite(makeFactory: () => Promise<StoreFactory>): void {
  test('first scan of the reference archive: so3g field groups, file states and problems, the original tables', async () => {
    const factory = await makeFactory();
    const { dir, cleanup } = await referenceCopy();
    const store = await factory.make();
    try {
      const s = scanner(dir, store, 'stop');
      const stats = (await s.pass())!;
      assert.equal(stats.new, 7);
      assert.equal(stats.truncated, 1);
      assert.equal(stats.corrupt, 1);
      assert.deepStrictEqual(await indexedGroupsAsTruth(store), ARCHIVE.field_groups);

      const files = await filesByName(store);
      assert.deepEqual([...files.keys()].sort(), ARCHIVE.files);
      assert.equal(files.get(TRUNCATED)!.status, 'truncated');
      assert.equal(files.get(TRUNCATED)!.endOffset, 43496, 'indexed up to its last complete frame');
      assert.match(files.get(TRUNCATED)!.issues.find((i) => i.kind === 'truncated')!.message, /still being written/);
      const corrupt = files.get(CORRUPT)!;
      assert.equal(corrupt.status, 'corrupt');
      assert.deepEqual(
        corrupt.issues.map((i) => [i.kind, i.offset, i.message]),
        [['crc', 12058, 'Recorded CRC (0x7823f968) does not match calculated (0xd05bfa02)']],
      );
      for (const f of ARCHIVE.files.filter((n) => n !== TRUNCATED && n !== CORRUPT)) assert.equal(files.get(f)!.status, 'ok', f);
      assert.equal(await store.getMeta('data_directory'), dir);

      // The original scanner's tables: a feed per provider per file, field spans, full names.
      const feeds = await factory.sql('SELECT filename, path, prov_id, description, scanned FROM feeds ORDER BY path, filename, prov_id');
      assert.ok(feeds.length >= ARCHIVE.files.length);
      const scanned = new Map(feeds.map((f) => [`${String(f.filename)}`, Number(f.scanned)]));
      assert.equal(scanned.get('1650001219.g3'), 1);
      assert.equal(scanned.get('1650008546.g3'), 0, 'a file still being written is not marked scanned');
      assert.ok(feeds.every((f) => String(f.path).startsWith(dir)));
      const names = (await factory.sql('SELECT description FROM description')).map((r) => String(r.description)).sort();
      assert.deepEqual(names, Object.keys((ARCHIVE.get_fields as { fields: object }).fields).sort());
      const span = await factory.sql(
        "SELECT F.start AS start, F.`end` AS `end` FROM fields F JOIN feeds E ON F.feed_id = E.id WHERE E.filename = '1649997600.g3' AND E.description = 'observatory.bluefors.feeds.bluefors' AND F.field = 'pressure_ch1'",
      );
      assert.equal(span.length, 1);
      assert.match(String(span[0]!.start), /^2022-04-15 04:40:06\.503143/);
    } finally {
      await store.close();
      await cleanup();
      await factory.cleanup();
    }
  });

  test('data read through the index equal the truth: every field over the archive, and the recorded queries', async () => {
    const factory = await makeFactory();
    const { dir, cleanup } = await referenceCopy();
    const store = await factory.make();
    const reader = new G3ReaderSource({ store: factory.again(), refreshInterval: 0 });
    try {
      await scanner(dir, store, 'stop').pass();
      await reader.start();
      const all = ARCHIVE.get_data as DataTruth;
      await assertReaderMatches(reader, Object.keys(all.data), 0, 4e9, all, 'get_data()');
      assert.deepEqual(reader.lastRoute.summaries, [], 'raw data without a stride');
      let queries = 0;
      for (const q of ARCHIVE.queries as Query[]) {
        if (q.error || q.args.short_match) continue;
        const start = q.args.start ?? 0;
        const end = q.args.end ?? 4e9;
        if (q.call === 'get_fields') {
          const [fields, timelines] = await reader.getFields({ start, end });
          const want = q.result as { fields: Record<string, { timeline: string; type: string }>; timelines: Record<string, { field: string[] }> };
          assert.deepEqual(Object.keys(fields), Object.keys(want.fields));
          for (const [k, v] of Object.entries(fields)) assert.equal(v.timeline, want.fields[k]!.timeline);
          assert.deepEqual(Object.fromEntries(Object.entries(timelines).map(([k, v]) => [k, v.field])), Object.fromEntries(Object.entries(want.timelines).map(([k, v]) => [k, v.field])));
        } else {
          const fields = q.args.field ?? Object.keys((q.result as DataTruth).data);
          await assertReaderMatches(reader, fields, start, end, q.result as DataTruth, `get_data ${JSON.stringify(q.args)}`);
        }
        queries++;
      }
      assert.ok(queries >= 9);
      // Field types come from the vectors (so3g says "number" for all).
      const [fields] = await reader.getFields({ start: 1, end: 4e9 });
      assert.equal(fields['observatory.bluefors.feeds.bluefors.heater_state']!.type, 'string');
      assert.equal(fields['observatory.hwp-enc.feeds.hwp_rotation.locked']!.type, 'bool');
      assert.equal(fields['observatory.bluefors.feeds.bluefors.valve_count']!.type, 'number');
    } finally {
      await reader.close();
      await store.close();
      await cleanup();
      await factory.cleanup();
    }
  });

  test('summaries equal a brute-force computation over the raw samples, at every level kept', async () => {
    const factory = await makeFactory();
    const ref = await referenceCopy();
    const gen = await referenceCopy([]);
    const stores: IndexStore[] = [];
    try {
      const store = await factory.make();
      stores.push(store);
      await scanner(ref.dir, store).pass();
      const a = await assertSummariesExact(store, ref.dir, ARCHIVE.files);
      assert.ok(a.buckets > 100);

      const archive = await generateArchive(gen.dir, MIXED);
      const store2 = await factory.make();
      stores.push(store2);
      await scanner(gen.dir, store2).pass();
      const b = await assertSummariesExact(store2, gen.dir, archive.files.map((f) => f.name));
      assert.deepEqual([...b.levels].sort(), [0, 1, 2, 3, 4], 'the fast fields keep every level');
      const series = await store2.series();
      assert.equal(series.find((s) => s.name === 'observatory.fast.feeds.fast.az')!.minLevel, 0, '200 samples per 10 s');
      assert.equal(series.find((s) => s.name === 'observatory.slow.feeds.slow.temp')!.minLevel, 2, 'a field at 0.5 Hz keeps 10-minute buckets and coarser');
    } finally {
      for (const s of stores) await s.close();
      await ref.cleanup();
      await gen.cleanup();
      await factory.cleanup();
    }
  });

  test('a file growing while served: only new frames are read, and the index equals one scan of the whole file', async () => {
    const factory = await makeFactory();
    const { dir, cleanup } = await referenceCopy([]);
    const src = (await referenceCopy(['16500/1650001219.g3'])).dir;
    const name = '16500/1650001219.g3';
    const whole = await readFile(join(src, name));
    const frames = (await scanG3File(join(src, name))).frames;
    const store = await factory.make();
    const reader = new G3ReaderSource({ store: factory.again(), refreshInterval: 0, dataDir: dir });
    try {
      await mkdir(join(dir, '16500'));
      const path = join(dir, name);
      // Written in three steps: 20 frames, then up to the middle of frame 40, then the rest.
      const cut1 = frames[20]!.offset;
      const cut2 = frames[40]!.offset + 1000;
      await writeFile(path, whole.subarray(0, cut1));
      const s = scanner(dir, store);
      await s.pass();
      await reader.start();
      const field = 'observatory.LSA22YE.feeds.temperatures.Channel_01_T';
      const before = await reader.getData({ fields: [field], start: 0, end: 4e9, minStride: null, maxPoints: null });
      await appendFile(path, whole.subarray(cut1, cut2));
      const outcomes: IndexOutcome[] = [];
      s.on('file', (o: IndexOutcome) => outcomes.push(o));
      await s.pass();
      let f = (await filesByName(store)).get(name)!;
      assert.equal(f.status, 'truncated');
      assert.equal(f.endOffset, frames[40]!.offset);
      assert.equal(outcomes[0]!.mode, 'grown');
      assert.equal(outcomes[0]!.bytes, frames[40]!.offset - cut1, 'only the new complete frames were read');
      await appendFile(path, whole.subarray(cut2));
      await s.pass();
      f = (await filesByName(store)).get(name)!;
      assert.equal(f.status, 'ok');
      assert.equal(outcomes[1]!.mode, 'grown');
      const after = await reader.getData({ fields: [field], start: 0, end: 4e9, minStride: null, maxPoints: null });
      const n = (tls: typeof before) => tls.reduce((k, t) => k + t.t.length, 0);
      assert.ok(n(after) > n(before), 'the reader serves the new samples');

      // The same as one scan of the complete file, groups and summaries.
      const fresh = await factory.make();
      try {
        await scanner(src, fresh).pass();
        assert.deepStrictEqual(await indexedGroupsAsTruth(store), await indexedGroupsAsTruth(fresh));
        await assertSummariesExact(store, src, [name]);
      } finally {
        await fresh.close();
      }
    } finally {
      await reader.close();
      await store.close();
      await cleanup();
      await rm(src, { recursive: true, force: true });
      await factory.cleanup();
    }
  });

  test('new files are picked up by file-system events; files that leave are dropped', async () => {
    const factory = await makeFactory();
    const { dir, cleanup } = await referenceCopy(['16499/1649997600.g3']);
    const store = await factory.make();
    const s = scanner(dir, store, 'skip', true);
    try {
      const first = once(s, 'pass');
      s.start();
      await first;
      const indexed = once(s, 'file');
      await mkdir(join(dir, '16500'));
      await copyFile(join(REFERENCE, '16500/1650004896.g3'), join(dir, '16500/1650004896.g3'));
      const [outcome] = (await indexed) as [IndexOutcome];
      assert.equal(outcome.update.name, '16500/1650004896.g3');
      assert.equal(outcome.mode, 'new');
      const removed = once(s, 'removed');
      await rm(join(dir, '16499/1649997600.g3'));
      assert.deepEqual(await removed, ['16499/1649997600.g3']);
      assert.deepEqual([...(await filesByName(store)).keys()], ['16500/1650004896.g3']);
      await assertSummariesExact(store, dir, ['16500/1650004896.g3']);
      assert.deepEqual(
        (await factory.sql("SELECT filename FROM feeds WHERE filename = '1649997600.g3'")).length,
        0,
        'its rows in the original tables go too',
      );
    } finally {
      await s.stop();
      await store.close();
      await cleanup();
      await factory.cleanup();
    }
  });

  test('a corrupt file is recorded with the reason and read again only when it changes; a rewritten file replaces what was stored', async () => {
    const factory = await makeFactory();
    const { dir, cleanup } = await referenceCopy([CORRUPT, '16499/1649997600.g3', '16500/1650004896.g3']);
    const store = await factory.make();
    try {
      await writeFile(join(dir, '17040/garbage.g3'), Buffer.from('this is not a g3 file at all, only words'));
      const s = scanner(dir, store);
      await s.pass();
      const gen = await store.generation();
      const garbage = (await filesByName(store)).get('17040/garbage.g3')!;
      assert.equal(garbage.status, 'corrupt');
      assert.match(garbage.issues[0]!.message, /bad frame flag|not|frame/);
      const again = (await s.pass())!;
      assert.equal(again.unchanged, 4);
      assert.equal(await store.generation(), gen, 'nothing read or written when nothing changed');

      // The corrupt file grows by a good frame (a copy of its first): read from where it stopped.
      const path = join(dir, CORRUPT);
      const bytes = await readFile(path);
      const first = (await scanG3File(path)).frames[0]!;
      await appendFile(path, bytes.subarray(0, first.length));
      const grown: IndexOutcome[] = [];
      s.on('file', (o: IndexOutcome) => grown.push(o));
      await s.pass();
      assert.equal(grown.length, 1);
      assert.equal(grown[0]!.mode, 'grown');
      assert.equal(grown[0]!.bytes, first.length);
      const corrupt = (await filesByName(store)).get(CORRUPT)!;
      assert.equal(corrupt.status, 'corrupt', 'the damage is still there');
      assert.equal(corrupt.issues.filter((i) => i.kind === 'crc').length, 1, 'and is not counted twice');

      // A file replaced by other content: indexed again from the start, nothing counted twice.
      await copyFile(join(dir, '16500/1650004896.g3'), join(dir, '16499/1649997600.g3'));
      grown.length = 0;
      await s.pass();
      assert.equal(grown[0]!.mode, 'rewritten');
      const files = ['16499/1649997600.g3', '16500/1650004896.g3', CORRUPT];
      await assertSummariesExact(store, dir, files);
      const groups = (await indexedGroupsAsTruth(store)) as { index_info: { filename: string }[] }[];
      const a = groups.filter((g) => g.index_info[0]!.filename === '16499/1649997600.g3').length;
      const b = groups.filter((g) => g.index_info[0]!.filename === '16500/1650004896.g3').length;
      assert.equal(a, b, 'the rewritten file has the groups of its new content only');
    } finally {
      await store.close();
      await cleanup();
      await factory.cleanup();
    }
  });

  test('a data directory found empty (an unmounted disk?) leaves the index as it is', async () => {
    const factory = await makeFactory();
    const { dir, cleanup } = await referenceCopy(['16499/1649997600.g3']);
    const store = await factory.make();
    try {
      const s = scanner(dir, store);
      await s.pass();
      await rm(join(dir, '16499'), { recursive: true });
      const stats = (await s.pass())!;
      assert.equal(stats.removed, 0);
      assert.equal((await store.files()).length, 1);
    } finally {
      await store.close();
      await cleanup();
      await factory.cleanup();
    }
  });

  test('stopped in the middle of a first scan, a new scanner goes on and the index equals one uninterrupted scan', async () => {
    const factory = await makeFactory();
    const { dir, cleanup } = await referenceCopy();
    const store = await factory.make();
    try {
      const s1 = scanner(dir, store, 'stop');
      const one = once(s1, 'file');
      s1.start();
      await one;
      await s1.stop();
      const partial = (await store.files()).length;
      assert.ok(partial >= 1 && partial < ARCHIVE.files.length, `${partial} files committed before the stop`);
      const other = factory.again();
      await other.open();
      const stats: PassStats = (await scanner(dir, other, 'stop').pass())!;
      await other.close();
      assert.equal(stats.new, ARCHIVE.files.length - partial, 'files already committed are not read again');
      assert.deepStrictEqual(await indexedGroupsAsTruth(store), ARCHIVE.field_groups);
    } finally {
      await store.close();
      await cleanup();
      await factory.cleanup();
    }
  });
}

