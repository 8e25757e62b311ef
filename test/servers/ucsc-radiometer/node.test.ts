import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WampClient } from '../../../src/client/client.js';
import type { DataNodeServer } from '../../../src/datanode/server.js';
import { dayOfYearToUnix, parsePwvFileName, yearStart } from '../../../src/servers/ucsc-radiometer/file-names.js';
import { UcscRadiometerSource } from '../../../src/servers/ucsc-radiometer/source.js';
import { pwvRow, writeSyntheticPwvArchive } from '../../../src/servers/ucsc-radiometer/synthetic.js';
import { captureLog } from '../../helpers/log-capture.js';
import { waitFor } from '../../helpers/sisock.js';
import { consumer, getData, getFields, serveNode, startRouter, strideBound, type RouterUnderTest } from '../../helpers/datanode.js';

let router: RouterUnderTest;
let dir: string;
let node: DataNodeServer;
let capped: DataNodeServer;
let c: WampClient;
let todayPath: string;
const log = captureLog();

function rowsOf(name: string): [number, number][] {
  const key = parsePwvFileName(name)!;
  return readFileSync(join(dir, name), 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() && !/nan/i.test(l))
    .map((l) => {
      const [x, v] = l.trim().split(/\s+/).map(Number);
      return [dayOfYearToUnix(key.year, x!), v!];
    });
}

before(async () => {
  router = await startRouter();
  dir = mkdtempSync(join(tmpdir(), 'sisock-pwv-node-'));
  // 2016 is a leap year: days 365 and 366, then 2017-001
  await writeSyntheticPwvArchive(dir, { start: Date.UTC(2016, 11, 30) / 1000, days: 3, nanEvery: 40 });
  // today's file, up to an hour ago, to be appended to
  const now = new Date();
  const year = now.getUTCFullYear();
  const doy = Math.floor((Date.UTC(year, now.getUTCMonth(), now.getUTCDate()) / 1000 - yearStart(year)) / 86400) + 1;
  todayPath = join(dir, `PWV_UCSC_${year}-${String(doy).padStart(3, '0')}.txt`);
  const lines = ['DOY PWV'];
  const nowX = doy + (now.getTime() / 1000 - (yearStart(year) + (doy - 1) * 86400)) / 86400;
  for (let x = nowX - 3 / 24; x < nowX - 1 / 24; x += 60.48 / 86400) lines.push(pwvRow(x, 1.5));
  lines.push('garbage line');
  writeFileSync(todayPath, lines.join('\n') + '\n');
  const source = new UcscRadiometerSource({ pwvDir: dir, rescanInterval: 0, logger: log.logger });
  await source.start();
  node = await serveNode(router, source);
  const cappedSource = new UcscRadiometerSource({ pwvDir: dir, rescanInterval: 0, name: 'ucsc_radiometer_capped' });
  await cappedSource.start();
  capped = await serveNode(router, cappedSource, 100);
  c = await consumer(router);
});

after(async () => {
  await c?.close();
  await node?.close();
  await capped?.close();
  await router?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('get_fields through the router: pwv in mm at 60.48 s', async () => {
  assert.deepEqual(await getFields(c, 'ucsc_radiometer', 1, 0), [
    { pwv: { description: 'PWV from UCSC Radiometer', timeline: 'pwv', type: 'number', units: 'mm' } },
    { pwv: { interval: 60.48, field: ['pwv'] } },
  ]);
});

test('get_data across the end of a leap year, in UTC, NaN rows left out', async () => {
  const start = Date.UTC(2016, 11, 31, 18) / 1000;
  const end = Date.UTC(2017, 0, 1, 6) / 1000;
  const reply = await getData(c, 'ucsc_radiometer', ['pwv'], start, end);
  const expected = ['PWV_UCSC_2016-366.txt', 'PWV_UCSC_2017-001.txt'].flatMap(rowsOf).filter(([t]) => t >= start && t < end);
  assert.ok(expected.length > 600);
  assert.deepEqual(reply.timeline.pwv!.t, expected.map(([t]) => t));
  assert.deepEqual(reply.data.pwv, expected.map(([, v]) => v));
});

test('relative times, min_stride and MAX_POINTS', async () => {
  const recent = await getData(c, 'ucsc_radiometer', ['pwv'], -4 * 3600, 0);
  const t = recent.timeline.pwv!.t;
  assert.ok(t.length > 100, `${t.length} samples in the last 4 hours`);
  assert.ok(t[0]! >= Date.now() / 1000 - 4 * 3600 - 5);
  const all = await getData(c, 'ucsc_radiometer', ['pwv'], Date.UTC(2016, 11, 30) / 1000, Date.UTC(2017, 0, 2) / 1000);
  const strided = await getData(c, 'ucsc_radiometer', ['pwv'], Date.UTC(2016, 11, 30) / 1000, Date.UTC(2017, 0, 2) / 1000, 3600, true);
  assert.ok(strided.timeline.pwv!.t.length <= strideBound(all.timeline.pwv!.t, 3600));
  assert.equal(Math.max(...(strided.data.pwv as number[])), Math.max(...(all.data.pwv as number[])));
  const cappedReply = await getData(c, 'ucsc_radiometer_capped', ['pwv'], 1, 0);
  assert.ok(cappedReply.timeline.pwv!.t.length <= 100);
});

test('a malformed line is logged and skipped; rows appended to today\'s file are served', async () => {
  assert.equal(log.warnings(/malformed lines/).length, 1);
  const before = (await getData(c, 'ucsc_radiometer', ['pwv'], -4 * 3600, 0)).data.pwv!.length;
  const now = new Date();
  const key = parsePwvFileName(todayPath.slice(todayPath.lastIndexOf('/') + 1))!;
  const x = key.doy + (now.getTime() / 1000 - 1800 - key.dayStart) / 86400;
  appendFileSync(todayPath, `${pwvRow(x, 2.25)}\n`);
  await waitFor('appended row served', async () => (await getData(c, 'ucsc_radiometer', ['pwv'], -4 * 3600, 0)).data.pwv!.length === before + 1);
  const last = await getData(c, 'ucsc_radiometer', ['pwv'], -2400, 0);
  assert.deepEqual(last.data.pwv, [2.25]);
});

test('days without a file are gaps, not errors', async () => {
  // the archive has 2016-12-30 .. 2017-01-01; ask for a week around it
  const reply = await getData(c, 'ucsc_radiometer', ['pwv'], Date.UTC(2016, 11, 27) / 1000, Date.UTC(2017, 0, 4) / 1000);
  const expected = ['PWV_UCSC_2016-365.txt', 'PWV_UCSC_2016-366.txt', 'PWV_UCSC_2017-001.txt'].flatMap(rowsOf);
  assert.deepEqual(reply.timeline.pwv!.t, expected.map(([t]) => t));
});
