// `sisock g3 dump` and `sisock g3 fields` as a person runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { INDEX, referencePath, truth } from './fixtures.js';

const bin = fileURLToPath(new URL('../../../bin/sisock.js', import.meta.url));

function sisock(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
}

test('g3 dump lists frames, keys, classes and block summaries', () => {
  const r = sisock('g3', 'dump', referencePath('16499/1649997600.g3'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^#0 offset 0, 354 bytes, Housekeeping, CRC 0xfaec38cd ok$/m);
  assert.match(r.stdout, /HK session \(v2\) id 442917858260311476, started 2022-04-15T04:40:00\.800Z/);
  assert.match(r.stdout, /block 1 "flow": 15 samples 2022-04-15T04:40:09\.098Z \.\. 2022-04-15T04:44:49\.103Z; flowmeter Double, heater_state String, motor_current_mA Int, valve_count Int/);
  assert.match(r.stdout, /block_names +G3VectorString \[2\] "pressures", "flow"/);
  assert.equal((r.stdout.match(/^#\d+ /gm) ?? []).length, 19);
  assert.match(r.stdout, /1649997600\.g3: 19 frames, complete$/m);
});

test('g3 dump says where a file is damaged or still being written, and exits 1 for damage', () => {
  const bad = sisock('g3', 'dump', referencePath('17040/1704067200.g3'));
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /^#5 offset 12058, 3658 bytes, Housekeeping, CRC 0x7823f968 BAD \(computed 0xd05bfa02\)$/m);
  assert.match(bad.stdout, /bad CRC at offset 12058 \(frame #5\)/);
  const cut = sisock('g3', 'dump', referencePath('16500/1650008546.g3'));
  assert.equal(cut.status, 0);
  assert.match(cut.stdout, /10 frames, truncated/);
  assert.match(cut.stdout, /ends inside a frame at offset 43496 \(3234 bytes of it; still being written\?\)/);
});

test('g3 dump --json gives one object per frame and a summary', () => {
  const r = sisock('g3', 'dump', '--json', referencePath('15529/1552926766.g3'));
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 16);
  assert.deepEqual(lines[0]!.keys, [
    { key: 'description', class: 'G3String' },
    { key: 'start_time', class: 'G3Double' },
    { key: 'session_id', class: 'G3Int' },
    { key: 'hkagg_type', class: 'G3Int' },
  ]);
  assert.equal((lines[0]!.hk as { sessionId: string }).sessionId, '416860604671221172');
  assert.equal((lines[15]!.summary as { status: string }).status, 'complete');
});

test('g3 fields lists the fields of several files as one archive', () => {
  const r = sisock('g3', 'fields', ...INDEX.map((e) => referencePath(e.file)));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^observatory\.hwp-enc\.feeds\.hwp_rotation\.locked +bool +1999 +2022-04-15T05:46:41\.048Z +2022-04-15T06:19:59\.048Z$/m);
  assert.match(r.stdout, /^observatory\.bluefors\.feeds\.bluefors\.heater_state +str +593 /m);
  assert.match(r.stdout, /^44 fields in 7 file\(s\)$/m);
  // The damaged files are named on stderr.
  assert.match(r.stderr, /1650008546\.g3: truncated at offset 43496/);
  assert.match(r.stderr, /1704067200\.g3: crc at offset 12058/);
  const json = sisock('g3', 'fields', '--json', referencePath('16499/1649997600.g3'));
  const parsed = JSON.parse(json.stdout) as { fields: { field: string; samples: number }[] };
  // As many samples as the reference counts in the file's 'pressures' blocks.
  const t = truth<{ frames: { hk?: { blocks?: { name: string | null; n: number }[] } }[] }>('16499_1649997600.json');
  const expected = t.frames.flatMap((f) => f.hk?.blocks ?? []).filter((b) => b.name === 'pressures').reduce((n, b) => n + b.n, 0);
  assert.ok(expected > 0);
  assert.equal(parsed.fields.find((f) => f.field === 'observatory.bluefors.feeds.bluefors.pressure_ch1')!.samples, expected);
});

test('bad use and missing files get a clear message and a non-zero exit', () => {
  const none = sisock('g3', 'fields', 'no-such-file.g3');
  assert.equal(none.status, 1);
  assert.match(none.stderr, /no-such-file\.g3: ENOENT/);
  const usage = sisock('g3', 'dump');
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /takes one file/);
  const unknown = sisock('g3', 'frobnicate');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown g3 command 'frobnicate'/);
  const missing = sisock('g3', 'dump', 'no-such-file.g3');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /ENOENT/);
});
