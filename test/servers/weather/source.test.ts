import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDatFile } from '../../../src/servers/weather/dat-file.js';
import { ApexArchiveSource } from '../../../src/servers/weather/source.js';

const JULY_14 = 1499990400;
const ARCHIVE_END = 1501200000;

test('a .dat file gives its description, timeline, units and sorted unique samples', () => {
  const f = parseDatFile('# Air.\n# hourly\n# C\n# 2017-07-14\n30 3\n10 1\n20 2\n# 2017-07-15\n30 3.5\nbad line here\n40 nan\n50 x\n', 'air.dat');
  assert.equal(f.description, 'Air.');
  assert.equal(f.timeline, 'hourly');
  assert.equal(f.units, 'C');
  assert.deepEqual(Array.from(f.t), [10, 20, 30, 40]);
  assert.deepEqual(Array.from(f.v).slice(0, 3), [1, 2, 3.5], 'a repeated time keeps its last value');
  assert.ok(Number.isNaN(f.v[3]));
  assert.deepEqual(f.skipped.map((s) => s.line), [10, 12]);
  assert.throws(() => parseDatFile('10 1\n', 'x.dat'), /x.dat: expected three header lines/);
});

test('the example archive lists its five fields with headers from the files', async () => {
  const source = await ApexArchiveSource.load();
  assert.equal(source.name, 'apex_archive');
  const [fields, timelines] = source.getFields({ start: 1, end: 2e9 });
  assert.deepEqual(Object.keys(fields).sort(), ['apex_humidity', 'apex_pressure', 'apex_radiometer', 'apex_temperature', 'apex_windspeed']);
  assert.deepEqual(fields.apex_humidity, { description: 'APEX weather station humidity.', timeline: 'hourly', type: 'number', units: '%' });
  assert.deepEqual(fields.apex_radiometer, { description: 'The APEX radiometer data.', timeline: 'minutely', type: 'number', units: 'mm' });
  assert.deepEqual(timelines.hourly, { interval: 3600, field: ['apex_humidity', 'apex_pressure', 'apex_temperature'] });
  assert.deepEqual(timelines.minutely, { interval: 60, field: ['apex_radiometer', 'apex_windspeed'] });
  const [none] = source.getFields({ start: 1, end: JULY_14 });
  assert.deepEqual(none, {}, 'nothing before the archive starts');
});

test('get_data answers [start, end) from memory, fields of one timeline aligned on one time axis', async () => {
  const source = await ApexArchiveSource.load();
  const tls = source.getData({ fields: ['apex_temperature', 'apex_windspeed', 'nope'], start: JULY_14, end: JULY_14 + 3 * 3600, minStride: null, maxPoints: null });
  const byName = new Map(tls.map((tl) => [tl.name, tl]));
  assert.deepEqual(Array.from(byName.get('hourly')!.t), [JULY_14, JULY_14 + 3600, JULY_14 + 7200]);
  assert.deepEqual(Array.from(byName.get('hourly')!.fields.get('apex_temperature') as Float64Array), [-6.99, -8.73, -6.14]);
  assert.equal(byName.get('minutely')!.t.length, 180);
  assert.deepEqual([...byName.get('minutely')!.fields.keys()], ['apex_windspeed']);

  // windspeed has one sample radiometer lacks: both share the minutely axis, radiometer gets NaN there.
  const whole = source.getData({ fields: ['apex_radiometer', 'apex_windspeed'], start: 1, end: 2e9, minStride: null, maxPoints: null });
  const m = whole[0]!;
  const rad = m.fields.get('apex_radiometer') as Float64Array;
  const wind = m.fields.get('apex_windspeed') as Float64Array;
  assert.equal(rad.length, m.t.length);
  const gap = Array.from(m.t).indexOf(1501043100);
  assert.ok(gap > 0 && Number.isNaN(rad[gap]) && Number.isFinite(wind[gap]!));
  assert.equal(m.t[m.t.length - 1], ARCHIVE_END);
  for (let i = 1; i < m.t.length; i++) assert.ok(m.t[i]! > m.t[i - 1]!, 'strictly ascending, day-boundary repeats merged');
});

test('unreadable files and lines are logged and skipped, the rest is served', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sisock-weather-'));
  try {
    await writeFile(join(dir, 'good.dat'), '# Good.\n# hourly\n# C\n10 1\n20 oops\n30 3\n');
    await writeFile(join(dir, 'broken.dat'), 'no header at all\n1 2\n');
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    const lines: { msg: string; file?: string }[] = [];
    const { pino } = await import('pino');
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string; file?: string }) });
    const source = await ApexArchiveSource.load({ dataDir: dir, logger });
    assert.deepEqual(Object.keys(source.getFields({ start: 1, end: 100 })[0]), ['good']);
    assert.deepEqual(Array.from(source.getData({ fields: ['good'], start: 1, end: 100, minStride: null, maxPoints: null })[0]!.t), [10, 30]);
    assert.ok(lines.some((l) => l.file === 'broken.dat' && /cannot read/.test(l.msg)));
    assert.ok(lines.some((l) => l.file === 'good.dat' && /skipped/.test(l.msg)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
