import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dayOfYearToUnix, parsePwvFileName } from '../../../src/servers/ucsc-radiometer/file-names.js';
import { UcscRadiometerSource } from '../../../src/servers/ucsc-radiometer/source.js';
import { pwvRow, writeSyntheticPwvArchive } from '../../../src/servers/ucsc-radiometer/synthetic.js';
import { captureLog } from '../../helpers/log-capture.js';
import { waitFor } from '../../helpers/sisock.js';
import type { DataRequest } from '../../../src/datanode/source.js';

const req = (start: number, end: number, fields = ['pwv']): DataRequest => ({ fields, start, end, minStride: null, maxPoints: null });

/** every (t, value) a file holds, parsed independently of the node */
function expectedRows(dir: string, name: string): [number, number][] {
  const key = parsePwvFileName(name)!;
  return readFileSync(join(dir, name), 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() && !l.includes('NaN'))
    .map((l) => {
      const [x, v] = l.trim().split(/\s+/).map(Number);
      return [dayOfYearToUnix(key.year, x!), v!];
    });
}

test('file names: both namings, padded or not; impossible days refused', () => {
  assert.deepEqual(parsePwvFileName('PWV_UCSC_2019-005.txt'), { year: 2019, doy: 5, dayStart: Date.UTC(2019, 0, 5) / 1000, yearFirst: true });
  assert.equal(parsePwvFileName('PWV_UCSC_2019-5.txt')!.doy, 5);
  assert.deepEqual(parsePwvFileName('PWV_UCSC_150-2018.txt')!.year, 2018);
  assert.equal(parsePwvFileName('PWV_UCSC_150-2018.txt')!.yearFirst, false);
  assert.equal(parsePwvFileName('PWV_UCSC_2016-366.txt')!.dayStart, Date.UTC(2016, 11, 31) / 1000, 'leap year');
  assert.equal(parsePwvFileName('PWV_UCSC_2017-366.txt'), null);
  assert.equal(parsePwvFileName('PWV_UCSC_2017-000.txt'), null);
  assert.equal(parsePwvFileName('PWV_UCSC_2017-001.txt.bak'), null);
  assert.equal(parsePwvFileName('PWV_UCSC_12-34.txt'), null);
});

test('day of year is read in UTC, across a leap year end', () => {
  assert.equal(dayOfYearToUnix(2016, 366.5), Date.UTC(2016, 11, 31, 12) / 1000);
  assert.equal(dayOfYearToUnix(2017, 1), Date.UTC(2017, 0, 1) / 1000);
  assert.equal(dayOfYearToUnix(2016, 367), Date.UTC(2017, 0, 1) / 1000, 'a row spilling past the year end lands in the next year');
});

test('data across a leap-year boundary: rows of three day files, in UTC, NaN rows left out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-pwv-'));
  const names = await writeSyntheticPwvArchive(dir, { start: Date.UTC(2016, 11, 30) / 1000, days: 3, nanEvery: 50 });
  assert.deepEqual(names, ['PWV_UCSC_2016-365.txt', 'PWV_UCSC_2016-366.txt', 'PWV_UCSC_2017-001.txt']);
  const source = new UcscRadiometerSource({ pwvDir: dir, rescanInterval: 0 });
  await source.start();
  const start = Date.UTC(2016, 11, 31, 12) / 1000;
  const end = Date.UTC(2017, 0, 1, 12) / 1000;
  const [tl] = await source.getData(req(start, end));
  const expected = names.flatMap((n) => expectedRows(dir, n)).filter(([t]) => t >= start && t < end);
  assert.ok(expected.length > 1300, 'a day of samples, minus NaN rows');
  assert.deepEqual([...tl!.t], expected.map(([t]) => t));
  assert.deepEqual(Array.from(tl!.fields.get('pwv') as ArrayLike<number>), expected.map(([, v]) => v));
  assert.ok(tl!.t[0]! >= start && tl!.t[tl!.t.length - 1]! < end);
  source.close();
  rmSync(dir, { recursive: true, force: true });
});

test('2018 files under both namings are served as one timeline', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-pwv-'));
  const names = await writeSyntheticPwvArchive(dir, { start: Date.UTC(2018, 6, 19) / 1000, days: 3 });
  assert.deepEqual(names, ['PWV_UCSC_200-2018.txt', 'PWV_UCSC_201-2018.txt', 'PWV_UCSC_2018-202.txt']);
  const source = new UcscRadiometerSource({ pwvDir: dir, rescanInterval: 0 });
  await source.start();
  const [tl] = await source.getData(req(Date.UTC(2018, 6, 19) / 1000, Date.UTC(2018, 6, 22) / 1000));
  assert.equal(tl!.t.length, names.flatMap((n) => expectedRows(dir, n)).length);
  for (let i = 1; i < tl!.t.length; i++) assert.ok(tl!.t[i]! > tl!.t[i - 1]!);
  source.close();
  rmSync(dir, { recursive: true, force: true });
});

test('one day under both namings is served once, with a warning', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-pwv-'));
  const text = `header\n${pwvRow(150.5, 1.25)}\n`;
  writeFileSync(join(dir, 'PWV_UCSC_150-2018.txt'), text);
  writeFileSync(join(dir, 'PWV_UCSC_2018-150.txt'), text);
  const log = captureLog();
  const source = new UcscRadiometerSource({ pwvDir: dir, rescanInterval: 0, logger: log.logger });
  await source.start();
  const [tl] = await source.getData(req(1, 2e9));
  assert.deepEqual([...tl!.t], [dayOfYearToUnix(2018, 150.5)]);
  assert.equal(log.warnings(/two files for one day/).length, 1);
  source.close();
  rmSync(dir, { recursive: true, force: true });
});

test('get_fields: pwv in mm at 60.48 s when there is data in range, nothing otherwise', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-pwv-'));
  await writeSyntheticPwvArchive(dir, { start: Date.UTC(2019, 0, 10) / 1000, days: 1 });
  const source = new UcscRadiometerSource({ pwvDir: dir, rescanInterval: 0 });
  await source.start();
  assert.deepEqual(source.getFields({ start: Date.UTC(2019, 0, 10, 5) / 1000, end: Date.UTC(2019, 0, 10, 6) / 1000 }), [
    { pwv: { description: 'PWV from UCSC Radiometer', timeline: 'pwv', type: 'number', units: 'mm' } },
    { pwv: { interval: 60.48, field: ['pwv'] } },
  ]);
  assert.deepEqual(source.getFields({ start: Date.UTC(2019, 5, 1) / 1000, end: Date.UTC(2019, 5, 2) / 1000 }), [{}, {}]);
  assert.deepEqual(await source.getData(req(1, 2e9, ['other'])), [], 'only pwv exists');
  source.close();
  rmSync(dir, { recursive: true, force: true });
});

test('malformed lines are logged and skipped; today\'s file growing is followed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-pwv-'));
  const path = join(dir, 'PWV_UCSC_2020-060.txt');
  writeFileSync(path, `DOY PWV\n${pwvRow(60.0, 1)}\nXX YY ZZ\n${pwvRow(60.25, 2)}\n`);
  const log = captureLog();
  const source = new UcscRadiometerSource({ pwvDir: dir, rescanInterval: 0, logger: log.logger });
  await source.start();
  const day = dayOfYearToUnix(2020, 60);
  const [tl] = await source.getData(req(day, day + 86400));
  assert.deepEqual([...tl!.t], [day, day + 21600]);
  assert.equal(log.warnings(/malformed/).length, 1);
  appendFileSync(path, `${pwvRow(60.5, 3)}\n${pwvRow(60.75, NaN)}\n`);
  await waitFor('appended row served', async () => (await source.getData(req(day, day + 86400)))[0]!.t.length === 3);
  const [grown] = await source.getData(req(day, day + 86400));
  assert.deepEqual(Array.from(grown!.fields.get('pwv') as ArrayLike<number>), [1, 2, 3]);
  assert.equal(source.cacheStats.fullReads, 1);
  source.close();
  rmSync(dir, { recursive: true, force: true });
});
