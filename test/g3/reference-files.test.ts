// Every reference file against the reference libraries' own reading of it:
// every frame, key (in stored order), type, CRC, blob position, and every
// decoded value exactly; and the HK view of every frame.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  crcHex,
  frameSamples,
  frameTypeName,
  G3Reader,
  interpretHkFrame,
  splitFrames,
  translatedBlockName,
  type G3Frame,
  type HkFrameInfo,
} from '../../src/g3/index.js';
import { INDEX, int, referencePath, truth, truthColumn, wrapped } from './fixtures.js';

interface ObjectTruth {
  class: string;
  value: unknown;
  blob_offset: number;
  blob_length: number;
}

interface BlockTruth {
  index: number;
  name: string | null;
  class: string;
  n: number;
  t_first?: string;
  t_last?: string;
  t_first_unix: number;
  t_last_unix: number;
  prefix?: string;
  fields: { name: string; class: string; n: number }[];
}

interface HkTruth {
  kind: string;
  hkagg_type: number;
  hkagg_version: number | null;
  session_id: string;
  start_time?: number;
  description?: string;
  timestamp?: number;
  providers?: { prov_id: number; description: string }[];
  prov_id?: number;
  block_names?: string[] | null;
  blocks?: BlockTruth[];
}

interface FrameTruth {
  index: number;
  offset: number;
  length?: number;
  type?: string;
  type_code?: number;
  crc?: string;
  crc_ok?: boolean;
  keys?: string[];
  hk?: HkTruth;
  objects?: Record<string, ObjectTruth>;
  spt3g_error?: string;
  partial?: boolean;
  bytes_available?: number;
  parser_reason?: string;
  crc_recorded?: string;
  crc_computed?: string;
}

interface FileTruth {
  file: string;
  size: number;
  sha256: string;
  status: 'ok' | 'truncated' | 'corrupt';
  complete_frames: number;
  tail: { offset: number; bytes_available: number; reason: string } | null;
  frames: FrameTruth[];
}

const STATUS = { ok: 'complete', truncated: 'truncated', corrupt: 'corrupt' } as const;

function checkHk(hk: HkFrameInfo, t: HkTruth, frame: G3Frame, where: string): void {
  assert.equal(hk.kind, t.kind, where);
  assert.equal(String(hk.sessionId), t.session_id, where);
  assert.equal(hk.version, t.hkagg_version ?? 0, where);
  assert.equal(frame.has('hkagg_version'), t.hkagg_version !== null, where);
  if (hk.kind === 'session') {
    assert.equal(hk.startTime, t.start_time, where);
    assert.equal(hk.description, t.description, where);
  } else if (hk.kind === 'status') {
    assert.equal(hk.timestamp, t.timestamp, where);
    assert.deepEqual(
      hk.providers.map((p) => ({ prov_id: p.provId, description: p.description })),
      t.providers,
      where,
    );
  } else if (hk.kind === 'data') {
    assert.equal(hk.provId, t.prov_id, where);
    assert.equal(hk.timestamp, t.timestamp, where);
    assert.equal(hk.blocks.length, t.blocks!.length, where);
    hk.blocks.forEach((b, i) => {
      const bt = t.blocks![i]!;
      const at = `${where} block ${i}`;
      assert.equal(b.index, bt.index, at);
      assert.equal(b.class, bt.class, at);
      assert.equal(b.count, bt.n, at);
      // v0/v1 blocks have no stored name: so3g names them after the first field.
      assert.equal(b.name, bt.name ?? translatedBlockName(bt.fields.map((f) => f.name)), at);
      if (bt.t_first !== undefined) {
        assert.equal(String(b.first), bt.t_first, at);
        assert.equal(String(b.last), bt.t_last, at);
        assert.equal(Number(b.first) / 1e8, bt.t_first_unix, at);
        assert.equal(Number(b.last) / 1e8, bt.t_last_unix, at);
      } else {
        // v0: float seconds, truncated to ticks as the translator does.
        assert.equal(b.first, BigInt(Math.trunc(bt.t_first_unix * 1e8)), at);
        assert.equal(b.last, BigInt(Math.trunc(bt.t_last_unix * 1e8)), at);
      }
      assert.deepEqual(
        b.fields.map((f, j) => ({ name: f.name, class: f.class, n: b.fieldCounts?.[j] ?? b.count })),
        bt.fields.map((f) => ({ ...f, class: f.class === 'vector<double>' ? 'G3VectorDouble' : f.class })),
        at,
      );
    });
    const names = t.block_names ?? null;
    if (names) assert.deepEqual(hk.blocks.map((b) => b.name), names, where);
  }
}

function checkFrame(frame: G3Frame, t: FrameTruth, where: string): void {
  assert.equal(frame.origin!.offset, t.offset, where);
  assert.equal(frame.origin!.length, t.length, where);
  assert.equal(frame.type, t.type_code, where);
  assert.deepEqual(frame.keys(), t.keys, where);
  if (t.crc_ok === false) {
    assert.equal(frame.crcOk, false, where);
    assert.equal(crcHex(frame.origin!.crcStored), t.crc_recorded, where);
    assert.equal(crcHex(frame.origin!.crcComputed!), t.crc_computed, where);
    return;
  }
  assert.equal(frameTypeName(frame.type), t.type, where);
  assert.equal(crcHex(frame.origin!.crcStored), t.crc, where);
  assert.equal(frame.crcOk, true, where);
  for (const key of t.keys!) {
    const ot = t.objects![key]!;
    const e = frame.entry(key)!;
    assert.equal(e.blobOffset, ot.blob_offset, `${where} ${key}`);
    assert.equal(e.blobLength, ot.blob_length, `${where} ${key}`);
    assert.deepStrictEqual(wrapped(frame.get(key)!), { class: ot.class, value: ot.value }, `${where} ${key}`);
  }
  checkHk(interpretHkFrame(frame)!, t.hk!, frame, where);
}

for (const entry of INDEX) {
  test(`${entry.file}: every frame, key, CRC and value as the reference read it`, () => {
    const t = truth<FileTruth>(entry.truth);
    const bytes = readFileSync(referencePath(entry.file));
    assert.equal(bytes.length, t.size);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), t.sha256);
    const { frames, summary } = splitFrames(bytes);
    assert.equal(summary.status, STATUS[t.status]);
    assert.equal(frames.filter((f) => f.crcOk).length, t.complete_frames);
    const readable = t.frames.filter((f) => !f.partial);
    assert.equal(frames.length, readable.length);
    readable.forEach((ft, i) => checkFrame(frames[i]!, ft, `${entry.file} frame ${ft.index}`));
    // Damage: the truncated tail and the bad CRC where the reference found them.
    if (t.tail) {
      assert.deepEqual(summary.tail, { offset: t.tail.offset, bytesAvailable: t.tail.bytes_available, reason: t.tail.reason });
      assert.equal(summary.endOffset, t.tail.offset);
    } else {
      assert.equal(summary.tail, undefined);
      assert.equal(summary.endOffset, bytes.length);
    }
    const crcErrors = entry.errors.filter((e) => e.spt3g_error.startsWith('Recorded CRC'));
    assert.deepEqual(
      summary.problems.map((p) => ({ frame_index: p.frameIndex, offset: p.offset, message: p.message })),
      crcErrors.map((e) => ({ frame_index: e.frame_index, offset: e.offset, message: e.spt3g_error.replace(/ \(in .*\)$/, '') })),
    );
  });

  test(`${entry.file}: streaming read gives the same frames at the same offsets`, async () => {
    const bytes = readFileSync(referencePath(entry.file));
    const inMemory = splitFrames(bytes);
    // Small reads so frames straddle the reader's buffers.
    const reader = await G3Reader.open(referencePath(entry.file), { chunkSize: 4096 });
    const streamed: G3Frame[] = [];
    for await (const f of reader) streamed.push(f);
    assert.deepEqual(
      streamed.map((f) => [f.origin!.offset, f.origin!.length, f.crcOk, f.keys()]),
      inMemory.frames.map((f) => [f.origin!.offset, f.origin!.length, f.crcOk, f.keys()]),
    );
    for (let i = 0; i < streamed.length; i++) {
      for (const k of streamed[i]!.keys()) assert.equal(Buffer.compare(streamed[i]!.raw(k)!, inMemory.frames[i]!.raw(k)!), 0);
    }
    assert.deepEqual(reader.summary(), inMemory.summary);
  });
}

test('session ids beyond 2^53 and every int64 come back exact', () => {
  const { frames } = splitFrames(readFileSync(referencePath('16500/1650001219.g3')));
  const sid = frames[0]!.get('session_id');
  assert.equal(sid?.class, 'G3Int');
  assert.equal(sid.value, 442917858260311476n);
  assert.equal(int(sid.value), '442917858260311476');
  // timestamp_ns of the HWP encoder is stored with 64-bit width.
  const data = frames.map((f) => interpretHkFrame(f)!).filter((h) => h.kind === 'data');
  assert.ok(data.some((h) => h.blocks.some((b) => b.fields.some((f) => f.name === 'timestamp_ns'))));
});

test('the samples of every data frame, as columns, are the values the reference read', () => {
  let blocks = 0;
  for (const entry of INDEX) {
    const t = truth<FileTruth>(entry.truth);
    const { frames } = splitFrames(readFileSync(referencePath(entry.file)));
    frames.forEach((frame, i) => {
      const ft = t.frames[i]!;
      if (!frame.crcOk || ft.hk?.kind !== 'data') return;
      const samples = frameSamples(frame);
      const truthBlocks = ft.objects!.blocks!.value as { class: string; value: { times?: string[]; t?: number[]; fields?: Record<string, { value: unknown[] }>; data?: Record<string, unknown[]> } }[];
      assert.equal(samples.length, truthBlocks.length);
      samples.forEach((s, j) => {
        const bt = truthBlocks[j]!.value;
        const where = `${entry.file} frame ${i} block ${j}`;
        assert.equal(s.name, ft.hk!.blocks![j]!.name ?? translatedBlockName(Object.keys(bt.fields ?? bt.data!)), where);
        const times = bt.times ? bt.times.map((x) => Number(BigInt(x)) / 1e8) : bt.t!.map((x) => Math.trunc(x * 1e8) / 1e8);
        assert.deepEqual(Array.from(s.t), times, where);
        const values = bt.fields ? Object.fromEntries(Object.entries(bt.fields).map(([k, v]) => [k, v.value])) : bt.data!;
        assert.deepEqual([...s.fields.keys()], Object.keys(values), where);
        for (const [k, col] of s.fields) assert.deepStrictEqual(truthColumn(col).values, values[k], `${where} ${k}`);
        assert.equal(s.problems.size, 0);
        blocks++;
      });
    });
  }
  assert.ok(blocks > 200);
});
