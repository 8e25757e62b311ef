// The archive generator: what it writes reads back, through the scanner and
// get_data, exactly as generated; it is deterministic; it rotates files and
// lets providers come and go the OCS way; it writes every schema version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateArchive,
  HKArchiveScanner,
  interpretHkFrame,
  perfShape,
  readG3File,
  type ArchiveSpec,
  type GeneratedArchive,
  type HKArchive,
} from '../../src/g3/index.js';
import { int, truthColumn } from './fixtures.js';

const SPEC: ArchiveSpec = {
  start: 1700000000.25,
  duration: 3 * 3600,
  fileSeconds: 3600,
  seed: 7,
  providers: [
    {
      address: 'observatory.test-a.feeds.a',
      frameLength: 60,
      blocks: [
        {
          name: 'fast',
          rate: 0.5,
          jitter: 0.01,
          fields: [
            { name: 'volts', kind: 'float', range: [-2, 2] },
            { name: 'mode', kind: 'int', range: [0, 3] },
            { name: 'locked', kind: 'bool' },
          ],
        },
        { name: 'slow', rate: 0.02, jitter: 0.1, fields: [{ name: 'summary', kind: 'string' }] },
      ],
    },
    {
      address: 'observatory.test-b.feeds.b',
      frameLength: 300,
      start: 1800,
      stop: 7000,
      blocks: [{ name: 'b', rate: 0.2, jitter: 0.01, fields: [{ name: 'kelvin', kind: 'float', range: [0.01, 4] }] }],
    },
    {
      address: 'observatory.clock.feeds.ns',
      frameLength: 600,
      blocks: [{ name: 'ns', rate: 0.1, jitter: 0.001, fields: [{ name: 'stamp', kind: 'int', counter: { start: 2n ** 60n + 12345n, perSecond: 1e9 } }] }],
    },
  ],
};

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'g3-gen-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function archiveOf(gen: GeneratedArchive): Promise<{ archive: HKArchive; scanner: HKArchiveScanner }> {
  const scanner = new HKArchiveScanner();
  const byName = new Map(gen.files.map((f) => [f.name, f.path]));
  for (const f of [...gen.files].sort((a, b) => (a.name < b.name ? -1 : 1))) await scanner.processFile(f.path, { name: f.name });
  return { scanner, archive: scanner.finalize({ resolve: (n) => byName.get(n)! }) };
}

async function assertReadsBackAsGenerated(gen: GeneratedArchive): Promise<void> {
  const { archive, scanner } = await archiveOf(gen);
  assert.deepEqual(scanner.issues, []);
  const { data, timelines, problems } = await archive.getData();
  assert.deepEqual(problems, []);
  const expected = gen.expected!;
  assert.deepEqual([...data.keys()].sort(), [...expected.keys()].sort());
  const timeOf = new Map<string, Float64Array>();
  for (const t of timelines.values()) for (const f of t.fields) timeOf.set(f, t.t);
  for (const [field, want] of expected) {
    const col = data.get(field)!;
    assert.deepEqual(Array.from(timeOf.get(field)!), want.t, `${field} times`);
    const values = truthColumn(col).values;
    const norm = want.values.map((v) => (typeof v === 'number' || typeof v === 'bigint' ? (Number.isNaN(v) ? 'NaN' : int(v)) : v));
    assert.deepEqual(values, norm, `${field} values`);
  }
}

test('a generated archive reads back exactly as generated: times, values and types of every field', async () => {
  await withDir(async (dir) => {
    const gen = await generateArchive(dir, SPEC, { collect: true });
    // OCS layout and rotation: <5 digits>/<unix time>.g3, a new file every
    // hour (the last one holds the frames written at the very end).
    assert.deepEqual(
      gen.files.map((f) => f.name),
      ['17000/1700000000.g3', '17000/1700003600.g3', '17000/1700007200.g3', '17000/1700010800.g3'],
    );
    await assertReadsBackAsGenerated(gen);
    const { archive } = await archiveOf(gen);
    const { data } = await archive.getData({ fields: ['observatory.clock.feeds.ns.stamp', 'observatory.test-a.feeds.a.locked', 'observatory.test-a.feeds.a.summary'] });
    const stamp = data.get('observatory.clock.feeds.ns.stamp')!;
    assert.equal(stamp.dtype, 'int64');
    assert.ok(stamp.values instanceof BigInt64Array, 'int64 beyond 2^53 stays exact');
    assert.equal(data.get('observatory.test-a.feeds.a.locked')!.dtype, 'bool');
    assert.equal(data.get('observatory.test-a.feeds.a.summary')!.dtype, 'str');
  });
});

test('rotated files start with the session frame and the last status; providers come and go', async () => {
  await withDir(async (dir) => {
    const gen = await generateArchive(dir, SPEC);
    for (const [i, f] of gen.files.entries()) {
      const { frames, summary } = await readG3File(f.path);
      assert.equal(summary.status, 'complete');
      const kinds = frames.map((fr) => interpretHkFrame(fr)!.kind);
      assert.equal(kinds[0], 'session');
      assert.equal(kinds[1], 'status', `file ${i}`);
      assert.ok(frames.every((fr) => fr.crcOk));
    }
    const { archive } = await archiveOf(gen);
    const t0 = SPEC.start;
    const has = (fields: Map<string, unknown>, p: string) => [...fields.keys()].some((k) => k.startsWith(p));
    assert.ok(!has(archive.getFields(t0, t0 + 1700).fields, 'observatory.test-b'), 'b starts at 1800 s');
    assert.ok(has(archive.getFields(t0 + 2000, t0 + 2100).fields, 'observatory.test-b'));
    assert.ok(!has(archive.getFields(t0 + 7300, t0 + 9000).fields, 'observatory.test-b'), 'b stops at 7000 s');
    assert.ok(has(archive.getFields(t0 + 7300, t0 + 9000).fields, 'observatory.test-a'));
  });
});

test('the generator is deterministic', async () => {
  const digest = (gen: GeneratedArchive) => gen.files.map((f) => createHash('sha256').update(readFileSync(f.path)).digest('hex'));
  await withDir(async (a) =>
    withDir(async (b) => {
      const x = await generateArchive(a, SPEC);
      const y = await generateArchive(b, SPEC);
      assert.deepEqual(digest(x), digest(y));
      const z = await generateArchive(join(b, 'other'), { ...SPEC, seed: 8 });
      assert.notDeepEqual(digest(x), digest(z));
    }),
  );
});

test('schema v0 and v1 archives: IrregBlockDouble blocks and int32 integer vectors, read back as generated', async () => {
  for (const version of [0, 1] as const) {
    await withDir(async (dir) => {
      const spec: ArchiveSpec = { ...SPEC, version, duration: 3600, fileSeconds: undefined, providers: [SPEC.providers[0]!, { ...SPEC.providers[1]!, start: 0, stop: undefined }] };
      if (version === 1) spec.providers = [{ ...SPEC.providers[0]!, blocks: [SPEC.providers[0]!.blocks[0]!] }];
      const gen = await generateArchive(dir, spec, { collect: true, layout: 'flat' });
      const { frames } = await readG3File(gen.files[0]!.path);
      const data = frames.find((f) => interpretHkFrame(f)!.kind === 'data')!;
      const blocks = data.get('blocks');
      assert.equal(blocks?.class, 'G3VectorFrameObject');
      const first = blocks.value[0]!;
      if (version === 0) {
        assert.equal(first.class, 'IrregBlockDouble');
        assert.equal(data.has('hkagg_version'), false);
      } else {
        assert.equal(first.class, 'G3TimesampleMap');
        const mode = first.fields.get('mode');
        assert.equal(mode?.class, 'G3VectorInt');
        assert.equal(mode.version, 1);
        assert.equal(data.has('block_names'), false);
      }
      await assertReadsBackAsGenerated(gen);
    });
  }
});

test('the benchmark shapes have the providers, rates and fields of the format notes', () => {
  const hour = perfShape('hour');
  const day = perfShape('day');
  assert.equal(hour.providers.length, 5);
  assert.equal(hour.providers.reduce((n, p) => n + p.blocks.reduce((m, b) => m + b.fields.length, 0), 0), 50);
  assert.deepEqual(
    hour.providers.map((p) => [p.blocks[0]!.rate, p.frameLength]),
    [
      [200, 60],
      [200, 60],
      [100, 60],
      [10, 300],
      [1, 600],
    ],
  );
  assert.deepEqual(
    day.providers.map((p) => p.blocks[0]!.rate),
    [10, 10, 5, 0.5, 0.05],
  );
  assert.equal(hour.duration, 3600);
  assert.equal(day.duration, 86400);
  assert.equal(hour.start, 1700000000.25);
});
