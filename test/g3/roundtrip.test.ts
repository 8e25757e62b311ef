// Writing back what was read reproduces every reference file byte for byte,
// three ways: frames copied as read, every object re-encoded from its decoded
// value, and every frame rebuilt from its values the way the OCS aggregator
// builds it (so keys land in spt3g's order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  dataFrame,
  encodeArchive,
  encodeFrame,
  type G3Frame,
  interpretHkFrame,
  readG3File,
  sessionFrame,
  splitFrames,
  statusFrame,
  translateFrame,
  writeG3File,
  type G3TimesampleMap,
  type IrregBlockDouble,
  type SchemaVersion,
} from '../../src/g3/index.js';
import { INDEX, referencePath } from './fixtures.js';

function concat(parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts);
}

/** The part of a file made of complete frames (all of it, except for the truncated file). */
function completePart(bytes: Buffer): Buffer {
  const { summary } = splitFrames(bytes);
  return bytes.subarray(0, summary.endOffset);
}

/** Builds a frame again from its decoded values, OCS style. */
function rebuild(frame: G3Frame): G3Frame {
  const hk = interpretHkFrame(frame)!;
  const version = hk.version as SchemaVersion;
  switch (hk.kind) {
    case 'session':
      return sessionFrame({ version, sessionId: hk.sessionId, startTime: hk.startTime, description: hk.description });
    case 'status':
      return statusFrame({ version, sessionId: hk.sessionId, timestamp: hk.timestamp, providers: hk.providers });
    case 'data': {
      const blocks = frame.get('blocks');
      assert.equal(blocks?.class, 'G3VectorFrameObject');
      const names = frame.get('block_names');
      return dataFrame({
        version,
        sessionId: hk.sessionId,
        provId: hk.provId,
        timestamp: hk.timestamp,
        blocks: blocks.value as (G3TimesampleMap | IrregBlockDouble)[],
        blockNames: names?.class === 'G3VectorString' ? names.value : undefined,
        address: hk.address,
        providerSessionId: hk.providerSessionId,
      });
    }
    default:
      throw new Error('unexpected frame');
  }
}

for (const entry of INDEX) {
  test(`${entry.file}: frames written back as read give the same bytes`, () => {
    const bytes = readFileSync(referencePath(entry.file));
    const { frames } = splitFrames(bytes);
    // The corrupt frame keeps its recorded (wrong) CRC: a copy does not hide damage.
    assert.ok(concat(frames.map(encodeFrame)).equals(completePart(bytes)));
  });

  test(`${entry.file}: every object re-encoded from its decoded value gives the same blob`, () => {
    const { frames } = splitFrames(readFileSync(referencePath(entry.file)));
    let objects = 0;
    for (const f of frames) {
      for (const k of f.keys()) {
        const o = f.get(k)!;
        assert.notEqual(o.class, 'opaque');
        assert.ok(Buffer.from(encodeArchive(o)).equals(f.raw(k)!), `${f.origin!.offset} ${k}`);
        objects++;
      }
    }
    assert.ok(objects > 50);
  });

  test(`${entry.file}: frames rebuilt from their values the OCS way are byte-identical`, () => {
    const bytes = readFileSync(referencePath(entry.file));
    const { frames } = splitFrames(bytes);
    for (const f of frames) {
      const again = rebuild(f);
      assert.deepEqual(again.keys(), f.keys(), `key order at ${f.origin!.offset}`);
      const out = Buffer.from(encodeFrame(again));
      if (f.crcOk) assert.ok(out.equals(f.storedBytes()!), `frame at ${f.origin!.offset}`);
      else {
        // The bit-flipped frame: same bytes but for its recorded CRC, which we compute afresh.
        const stored = f.storedBytes()!;
        assert.ok(out.subarray(0, -4).equals(stored.subarray(0, -4)));
        assert.equal(out.readUInt32LE(out.length - 4), f.origin!.crcComputed);
      }
    }
  });
}

test('frames written through the file writer (plain and gzip) read back identical', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'g3-write-'));
  try {
    const source = referencePath('16500/1650001219.g3');
    const { frames } = await readG3File(source);
    for (const name of ['copy.g3', 'copy.g3.gz']) {
      const out = join(dir, name);
      await writeG3File(out, frames);
      const back = await readG3File(out);
      assert.equal(back.summary.status, 'complete');
      assert.equal(back.frames.length, frames.length);
      if (name.endsWith('.g3')) assert.ok((await readFile(out)).equals(await readFile(source)));
      else {
        const raw = await readFile(out);
        assert.equal(raw[0], 0x1f);
        assert.equal(raw[1], 0x8b);
        assert.ok(concat(back.frames.map(encodeFrame)).equals(await readFile(source)));
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a changed frame gets a fresh CRC and the stored order plus the new key', () => {
  const { frames } = splitFrames(readFileSync(referencePath('16499/1649997600.g3')));
  const f = frames[0]!;
  const keys = f.keys();
  f.set('extra', { class: 'G3Double', value: 1.5 });
  assert.equal(f.storedBytes(), undefined);
  assert.deepEqual(f.keys(), [...keys, 'extra']);
  const back = splitFrames(encodeFrame(f)).frames[0]!;
  assert.ok(back.crcOk);
  assert.deepEqual(back.keys(), [...keys, 'extra']);
  assert.deepEqual(back.get('extra'), { class: 'G3Double', value: 1.5 });
});

test('v0 and v1 frames translated to v2 hold the same samples, named as so3g names them', () => {
  for (const file of ['15529/1552926766.g3', '15915/1591574400.g3']) {
    const { frames } = splitFrames(readFileSync(referencePath(file)));
    for (const f of frames) {
      const before = interpretHkFrame(f)!;
      const v2 = translateFrame(f);
      assert.notEqual(v2, f);
      // Re-read from bytes: the translated frame is a valid v2 frame.
      const after = interpretHkFrame(splitFrames(encodeFrame(v2)).frames[0]!)!;
      assert.equal(after.version, 2);
      assert.equal(v2.has('hkagg_version_orig'), f.has('hkagg_version'));
      if (before.kind !== 'data' || after.kind !== 'data') continue;
      assert.deepEqual(
        after.blocks.map((b) => [b.name, b.count, b.first, b.last, b.fields.map((x) => x.name)]),
        before.blocks.map((b) => [b.name, b.count, b.first, b.last, b.fields.map((x) => x.name)]),
      );
      assert.ok(after.blocks.every((b) => b.class === 'G3TimesampleMap'));
    }
  }
  // v2 frames pass unchanged.
  const v2 = splitFrames(readFileSync(referencePath('16499/1649997600.g3'))).frames[3]!;
  assert.equal(translateFrame(v2), v2);
});
