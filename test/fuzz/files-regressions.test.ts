// Cases the file fuzzer found in the parsers, each kept as a plain test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMemory } from '../../src/servers/sensors/readings.js';
import { parseApexFileName } from '../../src/servers/apex-weather/file-names.js';
import { G3Reader } from '../../src/g3/index.js';

// found by the fuzzer: a meminfo number too long for a double made
// memory_used and swap_used Infinity, served as a reading (null in JSON,
// Infinity in msgpack) instead of a missing value
test('sensors: a meminfo value beyond a double is a missing reading, not Infinity', async () => {
  const proc = await mkdtemp(join(tmpdir(), 'sisock-meminfo-'));
  try {
    await writeFile(join(proc, 'meminfo'), `MemTotal:       ${'9'.repeat(400)} kB\nMemAvailable:   8765432 kB\nSwapTotal:       2097148 kB\nSwapFree:        1048574 kB\n`);
    const readings = Object.fromEntries((await readMemory(proc)).map((r) => [r.field, r.value]));
    assert.ok(Number.isNaN(readings.memory_used), `memory_used ${readings.memory_used}`);
    assert.ok(Number.isNaN(readings.memory_used_percent));
    assert.equal(readings.memory_available, 8765432 / 1024);
    assert.equal(readings.swap_used, 1048574 / 1024);
  } finally {
    await rm(proc, { recursive: true, force: true });
  }
});

// found by the fuzzer: an end time of hundreds of digits read as Infinity
// and was taken for a file covering all time to come
test('apex-weather: a file name whose times do not fit a double is not an archive file', () => {
  assert.equal(parseApexFileName(`APEX_temperature_1500000000_${'5'.repeat(400)}.dat`), null);
  assert.equal(parseApexFileName(`APEX_temperature_${'1'.repeat(400)}_${'2'.repeat(401)}.dat`), null);
  assert.deepEqual(parseApexFileName('APEX_temperature_1500000000_1500086399.dat'), { field: 'temperature', start: 1500000000, end: 1500086399 });
});

// found by the file fuzzer ("Closing file descriptor N on garbage
// collection"): reading a damaged .g3.gz or .g3.bz2 ended the decompressor
// but left the file stream under it open, one descriptor per file until
// the garbage collector came by; a g3 reader serving a damaged archive
// would have run out of descriptors
test('g3: reading a damaged compressed file closes the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sisock-g3-fd-'));
  try {
    const reference = readFileSync(fileURLToPath(new URL('../../../test/fixtures/g3/compressed/1649997600.g3.gz', import.meta.url)));
    const gz = Buffer.from(reference);
    gz.fill(0x5a, 200, 400); // the deflate stream damaged early on
    const bz = Buffer.from(readFileSync(fileURLToPath(new URL('../../../test/fixtures/g3/compressed/1649997600.g3.bz2', import.meta.url))));
    bz.fill(0x5a, 200, 400);
    await writeFile(join(dir, 'a.g3.gz'), gz);
    await writeFile(join(dir, 'b.g3.bz2'), bz);
    const descriptors = (): number => readdirSync('/proc/self/fd').length;
    const before = descriptors();
    for (let i = 0; i < 10; i++) {
      for (const name of ['a.g3.gz', 'b.g3.bz2']) {
        const reader = await G3Reader.open(join(dir, name));
        for await (const frame of reader) void frame;
        assert.equal(reader.summary().status, 'corrupt');
      }
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(descriptors(), before, 'file descriptors left open');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
