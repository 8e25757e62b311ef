// The archive view (so3g HKArchiveScanner + HKArchive) against the reference
// library's results: field groups, get_fields, get_data over the full range
// and every recorded query, value for value; and what our default handling
// of damaged files adds on top.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AmbiguousFieldError,
  ArchiveEncoder,
  dataFrame,
  HKArchiveScanner,
  parseFileScan,
  scanG3File,
  serializeFileScan,
  sessionFrame,
  statusFrame,
  timesampleMap,
  vectorDouble,
  writeG3File,
  type DataResult,
  type FieldGroup,
  type HKArchive,
} from '../../src/g3/index.js';
import { REFERENCE, referencePath, truth, truthColumn } from './fixtures.js';

interface ArchiveTruth {
  files: string[];
  errors: { file: string; type: string; message: string }[];
  field_groups: unknown[];
  get_fields: unknown;
  get_data: unknown;
  queries: {
    call: 'get_fields' | 'get_data';
    args: { start?: number; end?: number; field?: string[]; short_match?: boolean };
    result?: unknown;
    error?: { type: string; message: string };
  }[];
}

function groupsAsTruth(groups: readonly FieldGroup[]): unknown[] {
  return groups.map((g) => ({
    prefix: g.prefix,
    fields: g.fields,
    cover: [[g.start, g.end]],
    index_info: g.indexInfo.map((e) => ({
      filename: e.filename,
      byte_offset: e.byteOffset,
      block_index: e.blockIndex,
      count: e.count,
      time_range: e.timeRange,
      counter: -1,
    })),
  }));
}

function fieldsAsTruth(r: ReturnType<HKArchive['getFields']>): unknown {
  return { fields: Object.fromEntries(r.fields), timelines: Object.fromEntries(r.timelines) };
}

/** The data result as the truth JSON has it, key order included (asserted separately). */
function dataAsTruth(r: DataResult): { data: Record<string, unknown>; timelines: Record<string, unknown> } {
  return {
    data: Object.fromEntries([...r.data].map(([k, c]) => [k, truthColumn(c)])),
    timelines: Object.fromEntries([...r.timelines].map(([k, t]) => [k, { fields: t.fields, t: Array.from(t.t), finalized_until: t.finalizedUntil }])),
  };
}

function assertSameData(actual: DataResult, expected: unknown, where: string): void {
  const got = dataAsTruth(actual);
  const want = expected as { data: Record<string, unknown>; timelines: Record<string, unknown> };
  assert.deepStrictEqual(got, want, where);
  // so3g's dicts are filled in reading order; ours keep the same order.
  assert.deepEqual(Object.keys(got.data), Object.keys(want.data), where);
  assert.deepEqual(Object.keys(got.timelines), Object.keys(want.timelines), where);
  assert.deepEqual(actual.problems, [], where);
}

async function archiveOf(t: ArchiveTruth, onError: 'stop' | 'skip'): Promise<{ scanner: HKArchiveScanner; archive: HKArchive }> {
  const scanner = new HKArchiveScanner({ onError });
  for (const f of t.files) await scanner.processFile(referencePath(f), { name: f });
  return { scanner, archive: scanner.finalize({ resolve: (name) => join(REFERENCE, name) }) };
}

for (const name of ['archive_v2_session.json', 'archive_all.json']) {
  test(`${name}: field groups, fields, data and every query as the reference scanner gives them`, async () => {
    const t = truth<ArchiveTruth>(name);
    const { scanner, archive } = await archiveOf(t, 'stop');
    assert.deepStrictEqual(groupsAsTruth(archive.fieldGroups), t.field_groups);
    // Damaged files are reported (not thrown), one issue per reference error.
    assert.deepEqual(
      scanner.issues.map((i) => i.file),
      t.errors.map((e) => e.file),
    );
    assert.deepStrictEqual(fieldsAsTruth(archive.getFields()), t.get_fields);
    assertSameData(await archive.getData(), t.get_data, 'get_data()');
    assert.ok(t.queries.length > 0);
    for (const q of t.queries) {
      const where = `${q.call} ${JSON.stringify(q.args)}`;
      if (q.call === 'get_fields') {
        assert.deepStrictEqual(fieldsAsTruth(archive.getFields(q.args.start, q.args.end)), q.result, where);
        continue;
      }
      const run = () => archive.getData({ fields: q.args.field, start: q.args.start, end: q.args.end, shortMatch: q.args.short_match });
      if (q.error) {
        assert.equal(q.error.type, 'ValueError');
        await assert.rejects(run, (err: Error) => err instanceof AmbiguousFieldError && err.message === q.error!.message, where);
      } else assertSameData(await run(), q.result, where);
    }
  });
}

test('archive_all has 12 queries covering sub-ranges, short names, int64, bools, strings and NaN', () => {
  const t = truth<ArchiveTruth>('archive_all.json');
  assert.equal(t.queries.length, 12);
});

test('the truncated and the corrupt file are reported with offset and reason', async () => {
  const t = truth<ArchiveTruth>('archive_all.json');
  const { scanner } = await archiveOf(t, 'stop');
  const [truncated, corrupt] = scanner.issues;
  assert.equal(truncated!.kind, 'truncated');
  assert.equal(truncated!.file, '16500/1650008546.g3');
  assert.equal(truncated!.offset, 43496);
  assert.match(truncated!.message, /still being written.*blob of key 'blocks': need 4734 bytes at offset 43733, 2997 left/);
  assert.equal(corrupt!.kind, 'crc');
  assert.equal(corrupt!.file, '17040/1704067200.g3');
  assert.equal(corrupt!.offset, 12058);
  assert.equal(corrupt!.frameIndex, 5);
  assert.equal(corrupt!.message, 'Recorded CRC (0x7823f968) does not match calculated (0xd05bfa02)');
});

test('by default the good frames after a bad one are served too; everything else is as the reference', async () => {
  const t = truth<ArchiveTruth>('archive_all.json');
  const stop = await archiveOf(t, 'stop');
  const skip = await archiveOf(t, 'skip');
  const ptc = (g: FieldGroup) => g.prefix === 'observatory.ptc1.feeds.ptc_status';
  // Other providers: identical.
  assert.deepStrictEqual(
    groupsAsTruth(skip.archive.fieldGroups.filter((g) => !g.indexInfo.some((e) => e.filename.startsWith('17040')))),
    groupsAsTruth(stop.archive.fieldGroups.filter((g) => !g.indexInfo.some((e) => e.filename.startsWith('17040')))),
  );
  // ptc1 in the corrupt file: the reference stops at frame 5 (offset 12058);
  // we leave out that frame only.
  const before = stop.archive.fieldGroups.filter(ptc).flatMap((g) => g.indexInfo.map((e) => e.byteOffset));
  const after = skip.archive.fieldGroups.filter(ptc).flatMap((g) => g.indexInfo.map((e) => e.byteOffset));
  assert.ok(before.every((o) => o < 12058));
  assert.ok(after.some((o) => o > 12058));
  assert.ok(!after.includes(12058));
  assert.deepEqual(after.filter((o) => o < 12058), before);
  const { data, problems } = await skip.archive.getData({ fields: ['observatory.ptc1.feeds.ptc_status.HeliumTemp'] });
  assert.deepEqual(problems, []);
  const full = data.get('observatory.ptc1.feeds.ptc_status.HeliumTemp')!;
  const cut = (await stop.archive.getData({ fields: ['observatory.ptc1.feeds.ptc_status.HeliumTemp'] })).data.get('observatory.ptc1.feeds.ptc_status.HeliumTemp')!;
  assert.ok(full.values.length > cut.values.length);
});

test('an archive rebuilt from stored scans, without reading the files again, is the same', async () => {
  const t = truth<ArchiveTruth>('archive_all.json');
  const scans = await Promise.all(t.files.map((f) => scanG3File(referencePath(f), { name: f })));
  const fresh = new HKArchiveScanner({ onError: 'stop' });
  for (const s of scans) {
    const stored = parseFileScan(serializeFileScan(s));
    // The stored form is the scan, int64 values included (e.g. as an index keeps it).
    assert.equal(serializeFileScan(stored), serializeFileScan(s));
    assert.equal(typeof (stored.frames[0]!.hk as { sessionId: unknown }).sessionId, 'bigint');
    fresh.processScan(stored);
  }
  assert.deepStrictEqual(groupsAsTruth(fresh.finalize().fieldGroups), t.field_groups);
  // What an index needs per file: offsets and lengths of frames, providers, fields and time spans.
  const s = scans[2]!;
  assert.equal(s.name, '16499/1649997600.g3');
  assert.equal(s.frames.length, 19);
  assert.equal(s.frames[3]!.offset, 1654);
  assert.equal(s.frames[3]!.length, 5391);
  const data = s.frames[3]!.hk!;
  assert.equal(data.kind, 'data');
  assert.equal(data.kind === 'data' && data.address, 'observatory.bluefors.feeds.bluefors');
});

test('frames missing at query time are reported and the rest is served', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'g3-archive-'));
  try {
    const files = ['16499/1649997600.g3', '16500/1650001219.g3'];
    const scanner = new HKArchiveScanner();
    for (const f of files) {
      const copy = join(dir, f.replace('/', '_'));
      await copyFile(referencePath(f), copy);
      await scanner.processFile(copy, { name: f });
    }
    const archive = scanner.finalize({ resolve: (n) => join(dir, n.replace('/', '_')) });
    await unlink(join(dir, '16499_1649997600.g3'));
    const field = 'observatory.bluefors.feeds.bluefors.pressure_ch1';
    const { data, timelines, problems } = await archive.getData({ fields: [field] });
    assert.ok(problems.length > 0);
    assert.match(problems[0]!, /16499\/1649997600\.g3: .*ENOENT/);
    const t = [...timelines.values()][0]!.t;
    assert.equal(data.get(field)!.values.length, t.length);
    assert.ok(t.length > 0);
    assert.ok(t[0]! >= 1650001219 - 600, 'only samples of the second file are left');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('short names: unknown names are absent, an ambiguous one is an error naming both fields', async () => {
  const t = truth<ArchiveTruth>('archive_v2_session.json');
  const { archive } = await archiveOf(t, 'stop');
  const none = await archive.getData({ fields: ['nosuch.field'], shortMatch: true });
  assert.equal(none.data.size, 0);
  const one = await archive.getData({ fields: ['bluefors.valve_count'], shortMatch: true });
  assert.deepEqual([...one.data.keys()], ['bluefors.valve_count']);
  assert.equal(one.data.get('bluefors.valve_count')!.dtype, 'int64');
  // The restarted LSA22YE (a new prov_id) is the same full name: not ambiguous.
  const restarted = await archive.getData({ fields: ['LSA22YE.Channel_01_T'], shortMatch: true });
  assert.deepEqual([...restarted.data.keys()], ['LSA22YE.Channel_01_T']);
  const all = await archiveOf(truth<ArchiveTruth>('archive_all.json'), 'stop');
  await assert.rejects(
    all.archive.getData({ fields: ['feeds.Channel_01_T'], shortMatch: true }),
    /^AmbiguousFieldError: Multiple matches for soft key: feeds\.Channel_01_T \[observatory\.LSA22YE\.feeds\.temperatures\.Channel_01_T, observatory\.LSA2761\.feeds\.temperatures\.Channel_01_T\]\.$/,
  );
  // A zero-length span matches nothing.
  const empty = archive.getFields(1650001600, 1650001600);
  assert.equal(empty.fields.size, 0);
});

test('unknown classes in an HK frame are reported and the rest of the frame is served', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'g3-unknown-'));
  try {
    const strange = (() => {
      const e = new ArchiveEncoder();
      e.flag();
      e.w.u32(0x80000001);
      e.w.str('G3MapDouble');
      e.w.u32(0x80000001);
      e.w.u32(1);
      e.w.u32(1);
      e.w.u64(0);
      return { class: 'opaque' as const, className: 'G3MapDouble', reason: 'test', bytes: e.w.bytes().slice() };
    })();
    const sessionId = 12345n;
    const data = dataFrame({
      version: 2,
      sessionId,
      provId: 0,
      timestamp: 1700000060,
      blocks: [timesampleMap(BigInt64Array.from([170000000000000000n, 170000000100000000n]), [
        ['good', vectorDouble([1.5, 2.5])],
        ['odd', strange],
      ])],
      blockNames: ['b'],
      address: 'observatory.x.feeds.y',
    });
    data.set('extra', strange);
    const path = join(dir, 'u.g3');
    await writeG3File(path, [
      sessionFrame({ version: 2, sessionId, startTime: 1700000000 }),
      statusFrame({ version: 2, sessionId, timestamp: 1700000001, providers: [{ provId: 0, description: 'observatory.x.feeds.y' }] }),
      data,
    ]);
    const scanner = new HKArchiveScanner();
    await scanner.processFile(path, { name: 'u.g3' });
    assert.deepEqual(
      scanner.issues.map((i) => [i.kind, i.message]),
      [
        ['undecoded', "key 'extra' holds an object of unknown class G3MapDouble, kept as raw bytes"],
        ['undecoded', "block 0 field 'odd' is not readable: not a vector: G3MapDouble"],
      ],
    );
    const archive = scanner.finalize({ resolve: () => path });
    const { data: values, problems } = await archive.getData();
    assert.deepEqual(truthColumn(values.get('observatory.x.feeds.y.good')!), { dtype: 'float64', values: [1.5, 2.5] });
    assert.deepEqual(truthColumn(values.get('observatory.x.feeds.y.odd')!), { dtype: 'float64', values: ['NaN', 'NaN'] });
    assert.match(problems[0]!, /field 'odd': not a vector: G3MapDouble/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
