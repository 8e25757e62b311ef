// Files that end inside a frame, frames whose checksum fails, bytes that are
// not frames at all: what the reader says, where it goes on, and that
// nothing throws on bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { G3FormatError, G3FrameFile, G3Reader, readFrameAt, readG3File, scanG3File, splitFrames } from '../../src/g3/index.js';
import { referencePath, truth } from './fixtures.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'g3-damaged-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a file ending inside a frame is still being written: its complete frames, then where and why it stops', async () => {
  const t = truth<{ frames: { partial?: boolean; parser_reason?: string; offset: number; bytes_available?: number }[] }>('16500_1650008546.json');
  const partial = t.frames.find((f) => f.partial)!;
  const { frames, summary } = await readG3File(referencePath('16500/1650008546.g3'));
  assert.equal(summary.status, 'truncated');
  assert.equal(frames.length, 10);
  assert.ok(frames.every((f) => f.crcOk));
  assert.deepEqual(summary.problems, []);
  assert.deepEqual(summary.tail, { offset: partial.offset, bytesAvailable: partial.bytes_available, reason: partial.parser_reason });
  assert.equal(summary.endOffset, 43496);
});

test('a frame with a bad CRC is read whole, flagged, and reading goes on as the reference does', async () => {
  type FT = { index: number; offset: number; length: number; crc_ok: boolean; read_after_error?: boolean };
  const t = truth<{ frames: FT[] }>('17040_1704067200.json');
  const { frames, summary } = await readG3File(referencePath('17040/1704067200.g3'));
  assert.equal(summary.status, 'corrupt');
  assert.equal(frames.length, 20);
  assert.deepEqual(
    frames.map((f) => [f.origin!.offset, f.origin!.length, f.crcOk]),
    t.frames.map((f) => [f.offset, f.length, f.crc_ok]),
  );
  assert.ok(t.frames.slice(6).every((f) => f.read_after_error));
  assert.equal(summary.problems.length, 1);
  assert.deepEqual(summary.problems[0], {
    kind: 'crc',
    frameIndex: 5,
    offset: 12058,
    length: 3658,
    message: 'Recorded CRC (0x7823f968) does not match calculated (0xd05bfa02)',
  });
});

test('a growing file is scanned as far as it is complete and finished from where it stopped', async () => {
  await withDir(async (dir) => {
    const whole = readFileSync(referencePath('16500/1650001219.g3'));
    const path = join(dir, 'growing.g3');
    const cut = 100_003; // inside a frame
    await writeFile(path, whole.subarray(0, cut));
    const first = await scanG3File(path);
    assert.equal(first.status, 'truncated');
    assert.ok(first.tail!.offset < cut && first.tail!.offset + first.tail!.bytesAvailable === cut);
    await appendFile(path, whole.subarray(cut));
    const rest = await scanG3File(path, { startOffset: first.endOffset, firstFrameIndex: first.frames.length });
    assert.equal(rest.status, 'complete');
    const full = await scanG3File(path);
    assert.deepStrictEqual([...first.frames, ...rest.frames], full.frames);
    assert.equal(rest.endOffset, whole.length);
  });
});

test('bytes that are not a frame: reported with offset, and reading resumes at the next good frame', async () => {
  await withDir(async (dir) => {
    const bytes = Buffer.from(readFileSync(referencePath('16499/1649997600.g3')));
    const { frames } = splitFrames(bytes);
    const third = frames[2]!.origin!;
    // Break the frame flag and the key count of the third frame.
    bytes[third.offset] = 0x07;
    bytes.writeInt32LE(-5, third.offset + 5);
    const path = join(dir, 'broken.g3');
    await writeFile(path, bytes);
    const { frames: read, summary } = await readG3File(path);
    assert.equal(summary.status, 'corrupt');
    assert.deepEqual(summary.problems, [
      {
        kind: 'corrupt',
        frameIndex: 2,
        offset: third.offset,
        message: `bad frame flag 0x07 at offset ${third.offset}`,
        length: third.length,
        resumedAt: third.offset + third.length,
      },
    ]);
    assert.deepEqual(
      read.map((f) => f.origin!.offset),
      frames.filter((_, i) => i !== 2).map((f) => f.origin!.offset),
    );
    // Without resynchronisation the reader stops there.
    const stopped = await readG3File(path, { resync: false });
    assert.equal(stopped.frames.length, 2);
    assert.equal(stopped.summary.problems[0]!.resumedAt, undefined);
  });
});

test('a damaged length that runs past the end is damage, not truncation, when good frames follow', () => {
  const bytes = Buffer.from(readFileSync(referencePath('16499/1649997600.g3')));
  const { frames } = splitFrames(bytes);
  const f = frames[4]!;
  // The u64 length of the first key name becomes huge but plausible.
  bytes.writeUInt32LE(0x7fffffff, f.origin!.offset + 13);
  const r = splitFrames(bytes);
  assert.equal(r.summary.tail, undefined);
  assert.equal(r.summary.problems.length, 1);
  assert.equal(r.summary.problems[0]!.kind, 'corrupt');
  assert.equal(r.summary.problems[0]!.offset, f.origin!.offset);
  assert.equal(r.summary.problems[0]!.resumedAt, frames[5]!.origin!.offset);
  assert.equal(r.frames.length, frames.length - 1);
});

test('empty input, garbage and a lone partial header never throw', () => {
  assert.deepEqual(splitFrames(new Uint8Array(0)).summary, { status: 'complete', frames: 0, problems: [], tail: undefined, endOffset: 0 });
  const garbage = Buffer.alloc(5000);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919) % 251;
  const g = splitFrames(garbage);
  assert.equal(g.frames.length, 0);
  assert.equal(g.summary.status, 'corrupt');
  assert.match(g.summary.problems[0]!.message, /bad frame flag 0x00 at offset 0|big-endian/);
  const head = splitFrames(Uint8Array.from([1, 1, 0, 0]));
  assert.equal(head.summary.status, 'truncated');
  assert.match(head.summary.tail!.reason, /^frame header: need 13 bytes at offset 0, 4 left$/);
});

test('reading one frame by offset, and a clear error where there is none', async () => {
  const path = referencePath('16500/1650004896.g3');
  const { frames } = splitFrames(readFileSync(path));
  const want = frames[7]!;
  const got = await readFrameAt(path, want.origin!.offset);
  assert.deepEqual(got.keys(), want.keys());
  assert.ok(got.crcOk);
  assert.equal(Buffer.compare(got.storedBytes()!, want.storedBytes()!), 0);
  const file = await G3FrameFile.open(path);
  try {
    const [a, b] = await file.framesAt([frames[9]!.origin!, frames[8]!.origin!]);
    assert.equal(a!.origin!.offset, frames[9]!.origin!.offset);
    assert.equal(b!.origin!.offset, frames[8]!.origin!.offset);
    await assert.rejects(file.frameAt(want.origin!.offset + 1), (err: Error) => err instanceof G3FormatError && /no frame at offset/.test(err.message));
  } finally {
    await file.close();
  }
  await assert.rejects(readFrameAt(referencePath('16500/1650008546.g3'), 43496), /incomplete/);
});

test('the reader closes its file when the loop stops early', async () => {
  const openFiles = () => readdirSync('/proc/self/fd').length;
  const before = openFiles();
  const reader = await G3Reader.open(referencePath('16500/1650001219.g3'));
  assert.equal(openFiles(), before + 1);
  let n = 0;
  for await (const _ of reader) {
    if (++n === 3) break;
  }
  assert.equal(n, 3);
  assert.equal(openFiles(), before);
});
