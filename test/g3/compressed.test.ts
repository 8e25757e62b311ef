// .g3.gz and .g3.bz2: the reference library's compressed copies read as the
// plain file; damaged compressed streams are reported, not thrown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFrame, HKArchiveScanner, readFrameAt, readG3File, splitFrames } from '../../src/g3/index.js';
import { COMPRESSED, referencePath, truth } from './fixtures.js';

interface CompressedTruth {
  file: string;
  sha256: string;
  decompressed_size: number;
  decompressed_sha256: string;
  identical_to: string;
  frames_read_by_spt3g: number;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

for (const t of truth<CompressedTruth[]>('compressed.json')) {
  test(`${t.file}: decompresses to the plain reference file, frame for frame`, async () => {
    const path = join(COMPRESSED, t.file);
    assert.equal(sha(readFileSync(path)), t.sha256);
    const { frames, summary } = await readG3File(path);
    assert.equal(summary.status, 'complete');
    assert.equal(frames.length, t.frames_read_by_spt3g);
    const bytes = Buffer.concat(frames.map(encodeFrame));
    assert.equal(bytes.length, t.decompressed_size);
    assert.equal(sha(bytes), t.decompressed_sha256);
    const plain = splitFrames(readFileSync(referencePath(t.identical_to))).frames;
    assert.deepEqual(
      frames.map((f) => f.origin!.offset),
      plain.map((f) => f.origin!.offset),
    );
    // A frame by offset (read from the start of the stream).
    const f = await readFrameAt(path, plain[5]!.origin!.offset);
    assert.equal(Buffer.compare(f.storedBytes()!, plain[5]!.storedBytes()!), 0);
  });

  test(`${t.file}: cut short or damaged, it is reported and what came before is kept`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'g3-z-'));
    try {
      const whole = readFileSync(join(COMPRESSED, t.file));
      const cut = join(dir, `cut-${t.file}`);
      await writeFile(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
      const r = await readG3File(cut);
      assert.notEqual(r.summary.status, 'complete');
      assert.ok(r.frames.every((f) => f.crcOk));
      if (t.file.endsWith('.gz')) {
        // gzip says where its data stops: a file still being written, its last frame partial.
        assert.equal(r.summary.status, 'truncated');
        assert.ok(r.frames.length > 5);
        assert.ok(r.summary.tail);
      }
      const bad = Buffer.from(whole);
      bad[Math.floor(bad.length / 2)]! ^= 0x5a;
      const damaged = join(dir, `bad-${t.file}`);
      await writeFile(damaged, bad);
      const d = await readG3File(damaged);
      assert.equal(d.summary.status, 'corrupt');
      assert.ok(d.summary.problems.some((p) => /decompression failed|CRC|frame/.test(p.message)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('a compressed file in an archive is scanned and served like a plain one', async () => {
  const scanner = new HKArchiveScanner();
  await scanner.processFile(join(COMPRESSED, '1649997600.g3.gz'), { name: 'z.g3.gz' });
  const zipped = scanner.finalize({ resolve: () => join(COMPRESSED, '1649997600.g3.gz') });
  const plainScanner = new HKArchiveScanner();
  await plainScanner.processFile(referencePath('16499/1649997600.g3'), { name: 'p.g3' });
  const plain = plainScanner.finalize({ resolve: () => referencePath('16499/1649997600.g3') });
  const a = await zipped.getData();
  const b = await plain.getData();
  assert.deepEqual(a.problems, []);
  assert.deepStrictEqual([...a.data.keys()], [...b.data.keys()]);
  for (const [k, c] of a.data) assert.deepStrictEqual(c, b.data.get(k));
});
