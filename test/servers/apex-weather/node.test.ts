import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WampClient } from '../../../src/client/client.js';
import type { DataNodeServer } from '../../../src/datanode/server.js';
import { ApexWeatherSource } from '../../../src/servers/apex-weather/source.js';
import { captureLog } from '../../helpers/log-capture.js';
import { waitFor } from '../../helpers/sisock.js';
import { consumer, getData, getFields, serveNode, startRouter, strideBound, type RouterUnderTest } from '../../helpers/datanode.js';

// Three daily files of humidity and temperature either side of 2018-01-01,
// every 5 minutes; a "live" humidity file covering the last two hours.
const DAY0 = Date.UTC(2017, 11, 30) / 1000;
const STEP = 300;
const value = (field: string, t: number) => Number(((field === 'humidity' ? 30 : -5) + 10 * Math.sin(t / 7000)).toFixed(3));

let router: RouterUnderTest;
let dir: string;
let node: DataNodeServer;
let capped: DataNodeServer;
let c: WampClient;
let livePath: string;
let liveStart: number;
const log = captureLog();
const rows = new Map<string, number[]>();

function writeFile(field: string, start: number, end: number, step: number): string {
  const ts: number[] = [];
  for (let t = start; t <= end; t += step) ts.push(t);
  const path = join(dir, `APEX_${field}_${start}_${end}.dat`);
  writeFileSync(path, ts.map((t) => `${t.toFixed(1)} ${value(field, t).toFixed(3)}`).join('\n') + '\n');
  rows.set(field, [...(rows.get(field) ?? []), ...ts]);
  return path;
}

before(async () => {
  router = await startRouter();
  dir = mkdtempSync(join(tmpdir(), 'sisock-apex-node-'));
  for (const field of ['humidity', 'temperature']) {
    for (let d = 0; d < 3; d++) writeFile(field, DAY0 + d * 86400, DAY0 + (d + 1) * 86400 - STEP, STEP);
  }
  liveStart = Math.floor(Date.now() / 1000 / 60) * 60 - 7200;
  livePath = writeFile('humidity', liveStart, liveStart + 7200 - 60, 60);
  // a file with a bad line in the middle, and a file that is not an archive file
  writeFileSync(join(dir, `APEX_pressure_${DAY0}_${DAY0 + 600}.dat`), `${DAY0} 556.1\nnot a row\n${DAY0 + 600} 556.3\n`);
  writeFileSync(join(dir, 'notes.txt'), 'ignored');
  const source = new ApexWeatherSource({ dataDir: dir, rescanInterval: 0, logger: log.logger });
  await source.start();
  node = await serveNode(router, source);
  const cappedSource = new ApexWeatherSource({ dataDir: dir, rescanInterval: 0, name: 'apex_weather_capped' });
  await cappedSource.start();
  capped = await serveNode(router, cappedSource, 50);
  c = await consumer(router);
});

after(async () => {
  await c?.close();
  await node?.close();
  await capped?.close();
  await router?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('get_fields through the router: the archive fields with units, one timeline each', async () => {
  const [fields, timelines] = await getFields(c, 'apex_weather', 1, 0);
  assert.deepEqual(Object.keys(fields).sort(), ['humidity', 'pressure', 'temperature']);
  assert.deepEqual(fields.pressure, { description: 'APEX weather station pressure.', timeline: 'pressure', type: 'number', units: 'mBar' });
  assert.deepEqual(timelines.humidity, { interval: null, field: ['humidity'] });
  const [old] = await getFields(c, 'apex_weather', DAY0 - 86400, DAY0 - 3600);
  assert.deepEqual(old, {}, 'nothing before the archive');
});

test('get_data over a range cutting files and crossing a year boundary is exact', async () => {
  const start = Date.UTC(2017, 11, 31, 22, 2) / 1000;
  const end = Date.UTC(2018, 0, 1, 1, 33) / 1000;
  const reply = await getData(c, 'apex_weather', ['humidity', 'temperature', 'no_such_field'], start, end);
  for (const field of ['humidity', 'temperature']) {
    const expected = rows.get(field)!.filter((t) => t >= start && t < end);
    assert.deepEqual(reply.timeline[field]!.t, expected, field);
    assert.deepEqual(reply.data[field], expected.map((t) => value(field, t)), field);
    assert.equal(reply.timeline[field]!.finalized_until, expected[expected.length - 1]);
  }
  assert.deepEqual(reply.data.no_such_field, [], 'an unknown field is an empty list, not an error');
  assert.equal(reply.timeline.no_such_field, undefined);
});

test('relative times: the last half hour of the live file', async () => {
  const before = Date.now() / 1000;
  const reply = await getData(c, 'apex_weather', ['humidity'], -1800, 0);
  const after = Date.now() / 1000;
  const t = reply.timeline.humidity!.t;
  const live = rows.get('humidity')!.filter((x) => x >= liveStart);
  assert.ok(t.length >= 25 && t.length <= 31, `${t.length} samples`);
  assert.ok(t[0]! >= before - 1800 && t[t.length - 1]! < after);
  assert.deepEqual(t, live.filter((x) => x >= t[0]!), 'every live sample from the first one served');
});

test('min_stride, positional or keyword, thins to its bound and keeps the peaks', async () => {
  const [start, end] = [DAY0, DAY0 + 3 * 86400];
  const raw = await getData(c, 'apex_weather', ['temperature'], start, end);
  const pos = await getData(c, 'apex_weather', ['temperature'], start, end, 3600);
  const kw = await getData(c, 'apex_weather', ['temperature'], start, end, 3600, true);
  assert.deepEqual(kw, pos);
  const t = pos.timeline.temperature!.t;
  const v = pos.data.temperature as number[];
  const rawV = raw.data.temperature as number[];
  assert.equal(raw.timeline.temperature!.t.length, 3 * 288);
  assert.ok(t.length < rawV.length && t.length <= strideBound(raw.timeline.temperature!.t, 3600), `${t.length} points`);
  assert.equal(Math.max(...v), Math.max(...rawV), 'the maximum is kept');
  assert.equal(Math.min(...v), Math.min(...rawV), 'the minimum is kept');
  const rawByT = new Map(raw.timeline.temperature!.t.map((x, i) => [x, rawV[i]]));
  t.forEach((x, i) => assert.equal(rawByT.get(x), v[i], 'every point is a real sample'));
});

test('MAX_POINTS caps every field of a reply', async () => {
  const reply = await getData(c, 'apex_weather_capped', ['humidity', 'temperature'], 1, 0);
  const n = reply.timeline.temperature!.t.length;
  assert.ok(n <= 50 && n >= 25, `${n} points`);
  assert.ok(reply.timeline.humidity!.t.length <= 50);
  assert.equal(reply.data.humidity!.length, reply.timeline.humidity!.t.length);
});

test('a malformed line is logged and skipped; the rest of the file is served', async () => {
  const reply = await getData(c, 'apex_weather', ['pressure'], DAY0, DAY0 + 3600);
  assert.deepEqual(reply.timeline.pressure!.t, [DAY0, DAY0 + 600]);
  assert.deepEqual(reply.data.pressure, [556.1, 556.3]);
  const w = log.warnings(/malformed lines/);
  assert.equal(w.length, 1);
  assert.deepEqual(w[0]!.examples, [{ line: 2, text: 'not a row' }]);
});

test('rows appended while served, and a new file, are served', async () => {
  const t1 = liveStart + 7200 - 30;
  appendFileSync(livePath, `${t1}.0 42.5\n`);
  await waitFor('appended row served', async () => (await getData(c, 'apex_weather', ['humidity'], t1, t1 + 1)).data.humidity!.length === 1);
  // the last row written before, and the new one (past the end in the file's name)
  const lastRow = liveStart + 7200 - 60;
  const reply = await getData(c, 'apex_weather', ['humidity'], lastRow, t1 + 1);
  assert.deepEqual(reply.data.humidity, [value('humidity', lastRow), 42.5]);
  const d = DAY0 - 86400;
  writeFileSync(join(dir, `APEX_winddirection_${d}_${d + 60}.dat`), `${d} 270\n${d + 60} 275.5\n`);
  await waitFor('new field listed', async () => 'winddirection' in (await getFields(c, 'apex_weather', 1, 0))[0]);
  assert.deepEqual((await getData(c, 'apex_weather', ['winddirection'], d, d + 120)).data.winddirection, [270, 275.5]);
});

test('a file that goes away while served is skipped; the other files are still served', async () => {
  const all = await getData(c, 'apex_weather', ['temperature'], DAY0, DAY0 + 3 * 86400);
  assert.equal(all.data.temperature!.length, 3 * 288);
  unlinkSync(join(dir, `APEX_temperature_${DAY0 + 86400}_${DAY0 + 2 * 86400 - STEP}.dat`));
  await waitFor('the gone day skipped', async () => (await getData(c, 'apex_weather', ['temperature'], DAY0, DAY0 + 3 * 86400)).data.temperature!.length === 2 * 288);
  const reply = await getData(c, 'apex_weather', ['temperature'], DAY0, DAY0 + 3 * 86400);
  const kept = rows.get('temperature')!.filter((t) => t < DAY0 + 86400 || (t >= DAY0 + 2 * 86400 && t < DAY0 + 3 * 86400));
  assert.deepEqual(reply.timeline.temperature!.t, kept);
});
