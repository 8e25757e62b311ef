// Cases the file fuzzer found in the parsers, each kept as a plain test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMemory } from '../../src/servers/sensors/readings.js';
import { parseApexFileName } from '../../src/servers/apex-weather/file-names.js';

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
