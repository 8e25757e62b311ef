// The checksum variant and the key-order model, against the check values and
// the observed orders of FORMAT 3.3 and 3.4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { crc32c } from '@node-rs/crc32';
import { g3Crc, libstdcxxHash, libstdcxxKeyOrder, splitFrames, UnorderedMapOrder } from '../../src/g3/index.js';
import { INDEX, referencePath } from './fixtures.js';

test('CRC-32C with register 0 and no inversion: the check values', () => {
  const digits = new TextEncoder().encode('123456789');
  assert.equal(g3Crc(digits), 0x58e3fa20);
  // The textbook CRC-32C differs: that is the native library's own convention.
  assert.equal(crc32c(Buffer.from(digits)), 0xe3069283);
  assert.equal(g3Crc(new Uint8Array(0)), 0);
  const first = readFileSync(referencePath('16499/1649997600.g3'));
  assert.equal(first.readUInt32LE(0x15e), 0xfaec38cd);
  assert.equal(splitFrames(first).frames[0]!.origin!.crcComputed, 0xfaec38cd);
});

test('the CRC chains: pieces give the CRC of the whole, in JavaScript and native sizes alike', () => {
  const data = new Uint8Array(1000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 0xff;
  const whole = g3Crc(data);
  for (const cut of [0, 1, 17, 95, 96, 97, 500, 999, 1000]) {
    assert.equal(g3Crc(data.subarray(cut), g3Crc(data.subarray(0, cut))), whole, `cut at ${cut}`);
  }
  // Table loop (short pieces) against the native path (long pieces), byte by byte.
  let c = 0;
  for (let i = 0; i < data.length; i++) c = g3Crc(data.subarray(i, i + 1), c);
  assert.equal(c, whole);
});

test("libstdc++'s std::hash of strings", () => {
  // std::hash<std::string>{}("") on x86-64 libstdc++.
  assert.equal(libstdcxxHash(''), 6142509188972423790n);
  // Bytes are hashed, not UTF-16 units.
  assert.equal(libstdcxxHash('é'), libstdcxxHash(Uint8Array.from([0xc3, 0xa9])));
  assert.notEqual(libstdcxxHash('hkagg_type'), libstdcxxHash('hkagg_typf'));
});

test('insertion orders of OCS frames give the stored orders observed (FORMAT 3.4)', () => {
  const table: [string[], string[]][] = [
    [
      ['hkagg_type', 'hkagg_version', 'session_id', 'start_time', 'description'],
      ['description', 'start_time', 'session_id', 'hkagg_version', 'hkagg_type'],
    ],
    [
      ['hkagg_type', 'hkagg_version', 'session_id', 'timestamp', 'providers'],
      ['session_id', 'timestamp', 'hkagg_version', 'providers', 'hkagg_type'],
    ],
    [
      ['hkagg_version', 'hkagg_type', 'session_id', 'prov_id', 'timestamp', 'blocks', 'block_names', 'address', 'provider_session_id'],
      ['address', 'block_names', 'blocks', 'provider_session_id', 'prov_id', 'session_id', 'hkagg_type', 'timestamp', 'hkagg_version'],
    ],
    [
      ['hkagg_version', 'hkagg_type', 'session_id', 'prov_id', 'timestamp', 'blocks', 'address', 'provider_session_id'],
      ['address', 'blocks', 'provider_session_id', 'prov_id', 'session_id', 'hkagg_type', 'timestamp', 'hkagg_version'],
    ],
  ];
  for (const [inserted, stored] of table) assert.deepEqual(libstdcxxKeyOrder(inserted), stored);
  // v0 data: built as v1, then hkagg_version deleted.
  const v0 = new UnorderedMapOrder(table[3]![0]);
  v0.delete('hkagg_version');
  assert.deepEqual(v0.keys(), ['address', 'blocks', 'provider_session_id', 'prov_id', 'session_id', 'hkagg_type', 'timestamp']);
});

test('every frame of every reference file is in the order the model gives', () => {
  const inserted: Record<string, string[]> = {
    '0': ['hkagg_type', 'hkagg_version', 'session_id', 'start_time', 'description'],
    '1': ['hkagg_type', 'hkagg_version', 'session_id', 'timestamp', 'providers'],
    '2': ['hkagg_version', 'hkagg_type', 'session_id', 'prov_id', 'timestamp', 'blocks', 'block_names', 'address', 'provider_session_id'],
  };
  let checked = 0;
  for (const entry of INDEX) {
    for (const f of splitFrames(readFileSync(referencePath(entry.file))).frames) {
      const type = f.get('hkagg_type');
      assert.equal(type?.class, 'G3Int');
      const keys = f.keys();
      const model = new UnorderedMapOrder(inserted[String(type.value)]!.filter((k) => keys.includes(k) || k === 'hkagg_version'));
      if (!keys.includes('hkagg_version')) model.delete('hkagg_version');
      assert.deepEqual(model.keys(), keys, `${entry.file} at ${f.origin!.offset}`);
      checked++;
    }
  }
  assert.equal(checked, 15 + 17 + 19 + 58 + 26 + 10 + 20);
});

test('a map grows from 13 to 29 buckets on its 14th key and stays a permutation of its keys', () => {
  const keys = Array.from({ length: 40 }, (_, i) => `key_${i}`);
  const m = new UnorderedMapOrder();
  for (const k of keys) m.insert(k);
  assert.deepEqual([...m.keys()].sort(), [...keys].sort());
  // Growth re-places keys: the first 13 are not in the same relative order after the 14th.
  const before = libstdcxxKeyOrder(keys.slice(0, 13));
  const after = libstdcxxKeyOrder(keys.slice(0, 14)).filter((k) => k !== 'key_13');
  assert.notDeepEqual(after, before);
  m.insert('key_0');
  assert.equal(m.size, 40);
});
