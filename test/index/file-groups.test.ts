// The per-file bookkeeping: one pass gives the g3 library's (so3g's) field
// groups for each reference file under both damage policies, and a file
// indexed in two parts, cut at any frame, ends exactly as one pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HKArchiveScanner, scanG3File, type FieldGroup, type ScannedFrame } from '../../src/g3/index.js';
import { FileGroupBuilder, type DamagePolicy, type GroupRecord } from '../../src/index/file-groups.js';
import { progressLine } from '../../src/index/progress.js';
import { ARCHIVE, REFERENCE } from './helpers.js';
import { join } from 'node:path';

function asLibrary(file: string, groups: GroupRecord[]): unknown[] {
  return [...groups]
    .sort((a, b) => a.seq - b.seq)
    .map((g) => ({
      prefix: g.prefix,
      fields: g.fields,
      classes: g.classes,
      start: g.start,
      end: g.end,
      indexInfo: g.entries.map((e) => ({ filename: file, byteOffset: e.offset, frameLength: e.length, blockIndex: e.blockIndex, count: e.count, timeRange: [e.first, e.last] })),
    }));
}

function libraryGroups(groups: readonly FieldGroup[]): unknown[] {
  return groups.map((g) => ({ prefix: g.prefix, fields: g.fields, classes: g.classes, start: g.start, end: g.end, indexInfo: g.indexInfo }));
}

/** One pass of the builder over frames; returns every group (closed ones as they closed, open ones at the end). */
function onePass(file: string, frames: ScannedFrame[], policy: DamagePolicy, startOffset = 0): GroupRecord[] {
  const b = new FileGroupBuilder(file, policy, { state: { sessionId: null, providers: [], nextGroup: 0, closed: 0, stopped: false }, open: new Map(), startOffset });
  for (const f of frames) b.frame(f);
  b.finish();
  return [...b.touched.values()];
}

for (const policy of ['skip', 'stop'] as const) {
  test(`one pass over each reference file gives the library's field groups ('${policy}')`, async () => {
    for (const file of ARCHIVE.files) {
      const scan = await scanG3File(join(REFERENCE, file), { name: file });
      const lib = new HKArchiveScanner({ onError: policy });
      lib.processScan(scan);
      assert.deepStrictEqual(asLibrary(file, onePass(file, scan.frames, policy)), libraryGroups(lib.finalize().fieldGroups), `${file} (${policy})`);
    }
  });
}

test('a file indexed in two parts, cut at any frame, ends as one pass: same groups, same order', async () => {
  let cuts = 0;
  for (const file of ARCHIVE.files) {
    const { frames } = await scanG3File(join(REFERENCE, file), { name: file });
    for (const policy of ['skip', 'stop'] as const) {
      const whole = asLibrary(file, onePass(file, frames, policy));
      for (let k = 0; k <= frames.length; k++) {
        // First part, then the state and open groups as a store keeps them (JSON).
        const first = new FileGroupBuilder(file, policy, { state: { sessionId: null, providers: [], nextGroup: 0, closed: 0, stopped: false }, open: new Map(), startOffset: 0 });
        for (const f of frames.slice(0, k)) first.frame(f);
        const done = first.finish();
        const kept = new Map<number, GroupRecord>();
        for (const g of first.touched.values()) kept.set(g.n, JSON.parse(JSON.stringify(g)) as GroupRecord);
        const state = JSON.parse(JSON.stringify(done.state)) as typeof done.state;
        const open = new Map([...kept].filter(([, g]) => !g.closed));
        const next = k < frames.length ? frames[k]!.offset : 0;
        const second = new FileGroupBuilder(file, policy, { state, open, startOffset: k > 0 ? frames[k - 1]!.offset + frames[k - 1]!.length : next });
        for (const f of frames.slice(k)) second.frame(f);
        second.finish();
        for (const g of second.touched.values()) kept.set(g.n, g);
        assert.deepStrictEqual(asLibrary(file, [...kept.values()]), whole, `${file} cut before frame ${k} (${policy})`);
        cuts++;
      }
    }
  }
  assert.ok(cuts > 300);
});

test('the progress line says files, bytes, rate and time left', () => {
  assert.equal(progressLine({ files: 10, bytes: 250e6 }, { files: 40, bytes: 1e9 }, 5, 100), '[########......................] 10/40 files  250.0 MB/1.00 GB  50 MB/s  15s left');
  assert.match(progressLine({ files: 0, bytes: 0 }, { files: 3, bytes: 9e9 }, 0, 80), /0\/3 files .* \? left/);
  assert.ok(progressLine({ files: 1, bytes: 1 }, { files: 2, bytes: 2 }, 1, 40).length <= 40);
});
