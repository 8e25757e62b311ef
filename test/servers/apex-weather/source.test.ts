import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApexWeatherSource } from '../../../src/servers/apex-weather/source.js';
import { captureLog } from '../../helpers/log-capture.js';
import { waitFor } from '../../helpers/sisock.js';
import type { DataRequest } from '../../../src/datanode/source.js';

// 2017-12-31T00:00:00Z: two daily files either side of a year boundary
const DAY0 = 1514678400;
const value = (t: number) => (t / 60) % 1000;

function writeDaily(dir: string, field: string, start: number, step = 600): number[] {
  const ts: number[] = [];
  const lines: string[] = [];
  for (let t = start; t < start + 86400; t += step) {
    ts.push(t);
    lines.push(`${t.toFixed(1)} ${value(t).toFixed(3)}`);
  }
  writeFileSync(join(dir, `APEX_${field}_${start}_${start + 86400 - step}.dat`), lines.join('\n') + '\n');
  return ts;
}

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-apex-'));
  const all = new Map<string, number[]>();
  for (const field of ['humidity', 'temperature']) {
    all.set(field, [0, 1, 2].flatMap((d) => writeDaily(dir, field, DAY0 + d * 86400)));
  }
  const log = captureLog();
  const source = new ApexWeatherSource({ dataDir: dir, logger: log.logger, rescanInterval: 0 });
  await source.start();
  const done = () => {
    source.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, all, log, source, done };
}

const req = (fields: string[], start: number, end: number): DataRequest => ({ fields, start, end, minStride: null, maxPoints: null });

test('get_fields lists the archive fields with their units, each on its own timeline', async () => {
  const { source, done } = await setup();
  const [fields, timelines] = source.getFields({ start: 1, end: DAY0 + 10 * 86400 });
  assert.deepEqual(Object.keys(fields).sort(), ['humidity', 'temperature']);
  assert.deepEqual(fields.humidity, { description: 'APEX weather station humidity.', timeline: 'humidity', type: 'number', units: '%' });
  assert.equal(fields.temperature!.units, 'C');
  assert.deepEqual(timelines.temperature, { interval: null, field: ['temperature'] });
  assert.deepEqual(source.getFields({ start: 1, end: DAY0 - 1 }), [{}, {}], 'nothing before the archive');
  done();
});

test('get_data over a range that cuts files and crosses a year boundary returns exactly the rows in [start, end)', async () => {
  const { source, all, done } = await setup();
  const start = DAY0 + 86400 - 3000; // 2017-12-31 23:10
  const end = DAY0 + 86400 + 3000; // 2018-01-01 00:50
  const [tl] = await source.getData(req(['humidity'], start, end));
  const expected = all.get('humidity')!.filter((t) => t >= start && t < end);
  assert.equal(tl!.name, 'humidity');
  assert.deepEqual([...tl!.t], expected);
  assert.deepEqual(Array.from(tl!.fields.get('humidity')! as ArrayLike<unknown>), expected.map((t) => Number(value(t).toFixed(3))));
  assert.equal(tl!.finalizedUntil, expected[expected.length - 1]);
  done();
});

test('several fields come back on their own timelines; unknown fields are left out', async () => {
  const { source, done } = await setup();
  const tls = await source.getData(req(['humidity', 'temperature', 'nonsense', 'humidity'], DAY0, DAY0 + 3 * 86400));
  assert.deepEqual(tls.map((t) => t.name).sort(), ['humidity', 'temperature']);
  for (const tl of tls) assert.equal(tl.t.length, 3 * 144);
  assert.deepEqual(await source.getData(req(['humidity'], DAY0 - 1000, DAY0)), [], 'no data: no timeline');
  done();
});

test('only the files that overlap the request are read, and a second request reads nothing', async () => {
  const { source, done } = await setup();
  await source.getData(req(['humidity'], DAY0 + 100, DAY0 + 200));
  assert.equal(source.cacheStats.fullReads, 1);
  await source.getData(req(['humidity'], DAY0 + 86400 * 2 + 5, DAY0 + 86400 * 2 + 10_000));
  assert.equal(source.cacheStats.fullReads, 2);
  await source.getData(req(['humidity'], DAY0, DAY0 + 3 * 86400));
  assert.equal(source.cacheStats.fullReads, 3, 'only the one file not read before');
  done();
});

test('malformed lines and unreadable files are logged and skipped; the rest is still served', async () => {
  const { source, dir, all, log, done } = await setup();
  const bad = DAY0 + 5 * 86400;
  writeFileSync(join(dir, `APEX_humidity_${bad}_${bad + 1000}.dat`), `${bad} 1\nthis is not data\n${bad + 600} 2\n`);
  writeFileSync(join(dir, 'APEX_humidity_notanumber_5.dat'), '1 1\n');
  writeFileSync(join(dir, 'README'), 'not part of the archive');
  await source.rescan();
  const [tl] = await source.getData(req(['humidity'], DAY0, bad + 2000));
  assert.deepEqual([...tl!.t], [...all.get('humidity')!, bad, bad + 600]);
  assert.equal(log.warnings(/malformed/).length, 1);
  // a file removed behind the node's back is skipped, the others still served
  unlinkSync(join(dir, `APEX_humidity_${DAY0}_${DAY0 + 86400 - 600}.dat`));
  const [after] = await source.getData(req(['humidity'], DAY0, bad + 2000));
  assert.equal(after!.t.length, 2 * 144 + 2);
  done();
});

test('rows appended to a file while it is served show up, reading only the new tail', async () => {
  const { source, dir, done } = await setup();
  const live = DAY0 + 3 * 86400;
  const path = join(dir, `APEX_humidity_${live}_${live + 86400}.dat`);
  writeFileSync(path, `${live} 1\n`);
  await waitFor('new file served', async () => (await source.getData(req(['humidity'], live, live + 86400))).length === 1);
  const reads = source.cacheStats.fullReads;
  appendFileSync(path, `${live + 60} 2\n${live + 120} 3\n`);
  await waitFor('appended rows served', async () => {
    const [tl] = await source.getData(req(['humidity'], live, live + 86400));
    return tl!.t.length === 3;
  });
  const [tl] = await source.getData(req(['humidity'], live, live + 86400));
  assert.deepEqual(Array.from(tl!.fields.get('humidity')! as ArrayLike<unknown>), [1, 2, 3]);
  assert.equal(source.cacheStats.fullReads, reads, 'no full re-read');
  assert.ok(source.cacheStats.tailReads >= 1);
  done();
});

test('a request for a field never written, or a directory that is missing, is empty, not an error', async () => {
  const log = captureLog();
  const source = new ApexWeatherSource({ dataDir: join(tmpdir(), 'sisock-does-not-exist-' + process.pid), logger: log.logger, rescanInterval: 0 });
  await source.start();
  assert.deepEqual(source.getFields({ start: 1, end: 2e9 }), [{}, {}]);
  assert.deepEqual(await source.getData(req(['humidity'], 1, 2e9)), []);
  assert.equal(log.warnings(/not readable/).length, 1);
  source.close();
});

test('files whose spans overlap still give ascending times', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-apex-'));
  writeFileSync(join(dir, 'A_pressure_100_400.dat'), '100 1\n200 2\n300 3\n400 4\n');
  writeFileSync(join(dir, 'B_pressure_250_350.dat'), '250 9\n350 9\n');
  const source = new ApexWeatherSource({ dataDir: dir, rescanInterval: 0 });
  await source.start();
  const [tl] = await source.getData(req(['pressure'], 0, 1000));
  assert.deepEqual([...tl!.t], [100, 200, 250, 300, 350, 400]);
  const [one] = await source.getData(req(['pressure'], 260, 360));
  assert.deepEqual([...one!.t], [300, 350], 'range ends cut both files');
  source.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the newest file of a field is followed past the end its name gives; older files are not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-apex-'));
  writeFileSync(join(dir, 'A_windspeed_100_200.dat'), '100 1\n200 2\n250 2.5\n');
  writeFileSync(join(dir, 'A_windspeed_1000_2000.dat'), '1000 10\n2000 20\n');
  const source = new ApexWeatherSource({ dataDir: dir, rescanInterval: 0 });
  await source.start();
  appendFileSync(join(dir, 'A_windspeed_1000_2000.dat'), '2500 25\n');
  const [tl] = await source.getData(req(['windspeed'], 2100, 3000));
  assert.deepEqual([...tl!.t], [2500]);
  assert.deepEqual(await source.getData(req(['windspeed'], 220, 900)), [], 'an older file is trusted to end where its name says');
  source.close();
  rmSync(dir, { recursive: true, force: true });
});
