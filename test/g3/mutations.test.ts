// Bad input of any kind: reference files with bytes flipped, cut or spliced
// at random (deterministic seeds) are read, decoded, interpreted and scanned
// without an exception escaping; damage is reported instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { frameSamples, HKArchiveScanner, HkSchemaError, interpretHkFrame, scanG3Bytes, splitFrames, type G3Object } from '../../src/g3/index.js';
import { INDEX, referencePath } from './fixtures.js';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function touch(o: G3Object | null | undefined): void {
  if (!o) return;
  if (o.class === 'G3VectorFrameObject') o.value.forEach(touch);
  else if (o.class === 'G3MapFrameObject') o.value.forEach(touch);
  else if (o.class === 'G3TimesampleMap') o.fields.forEach(touch);
}

/** Everything a reader does with a file; only the documented HK error may come out of interpretation. */
function readEverything(bytes: Uint8Array): { frames: number; problems: number; status: string } {
  const { frames, summary } = splitFrames(bytes);
  for (const f of frames) {
    for (const k of f.keys()) touch(f.get(k));
    if (!f.crcOk) continue;
    try {
      const hk = interpretHkFrame(f);
      if (hk?.kind === 'data') frameSamples(f);
    } catch (err) {
      if (!(err instanceof HkSchemaError)) throw err;
    }
  }
  const scanner = new HKArchiveScanner();
  scanner.processScan(scanG3Bytes(bytes, 'mutated.g3'));
  scanner.finalize().getFields();
  return { frames: frames.length, problems: summary.problems.length, status: summary.status };
}

test('flipped bytes, cuts and splices never make the reader throw', () => {
  const next = rng(20240101);
  let damaged = 0;
  for (let round = 0; round < 300; round++) {
    const entry = INDEX[Math.floor(next() * INDEX.length)]!;
    const bytes = Buffer.from(readFileSync(referencePath(entry.file)));
    const what = round % 3;
    let input: Buffer = bytes;
    if (what === 0) {
      // a few flipped bytes anywhere
      for (let k = 0; k < 1 + Math.floor(next() * 4); k++) bytes[Math.floor(next() * bytes.length)] ^= 1 + Math.floor(next() * 255);
    } else if (what === 1) {
      // cut anywhere
      input = bytes.subarray(0, Math.floor(next() * bytes.length));
    } else {
      // a chunk of the file pasted somewhere else
      const from = Math.floor(next() * bytes.length);
      const len = Math.floor(next() * 2000);
      const at = Math.floor(next() * bytes.length);
      input = Buffer.concat([bytes.subarray(0, at), bytes.subarray(from, from + len), bytes.subarray(at)]);
    }
    const r = readEverything(input);
    if (r.status !== 'complete') damaged++;
  }
  assert.ok(damaged > 100, `most mutations are noticed (${damaged})`);
});

test('a flipped bit inside a sample is caught by the CRC, not served', () => {
  const bytes = Buffer.from(readFileSync(referencePath('16499/1649997600.g3')));
  const { frames } = splitFrames(bytes);
  const blob = frames[3]!.entry('blocks')!;
  bytes[blob.blobOffset + 200]! ^= 0x10;
  const r = splitFrames(bytes);
  assert.equal(r.summary.status, 'corrupt');
  assert.equal(r.frames[3]!.crcOk, false);
  const scan = scanG3Bytes(bytes, 'x.g3');
  assert.equal(scan.frames[3]!.hk, undefined);
  assert.equal(scan.problems[0]!.kind, 'crc');
});
