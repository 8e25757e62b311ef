// `sisock query` against a real router, hub and weather node: the node list,
// a node's fields, and samples in each output format, checked against the
// example data files.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WampClient } from '../../src/client/client.js';
import { HUB } from '../../src/protocol/uris.js';
import type { DataNodeInfo } from '../../src/protocol/types.js';
import { groupByNode } from '../../src/cli/commands/query.js';
import { startRouter, TEST_TLS, type RouterUnderTest } from '../helpers/router.js';
import { SISOCK_BIN, spawnSisock, waitFor, type SisockProcess } from '../helpers/sisock.js';

let router: RouterUnderTest;
const procs: SisockProcess[] = [];

function serverEnv(): NodeJS.ProcessEnv {
  return { SISOCK_URL: router.tlsUrl, SISOCK_CA: TEST_TLS.caFile, WAMP_USER: 'server', WAMP_SECRET: router.secrets.server };
}

/** Runs `sisock query ...` as a consumer on the open port, as a user would beside `sisock up`. */
function query(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const port = new URL(router.openUrl).port;
  const child = spawn(process.execPath, [SISOCK_BIN, 'query', ...args], {
    env: { ...process.env, CROSSBAR_OCS_PORT: port, SISOCK_CONFIG: '', LOGLEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

/** `unix_time value` rows of an example data file in [start, end). */
function rows(file: string, start: number, end: number): [number, number][] {
  const path = fileURLToPath(new URL(`../../../data/apex-example/${file}`, import.meta.url));
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number])
    .filter(([t]) => t >= start && t < end);
}

before(async () => {
  router = await startRouter();
  procs.push(await spawnSisock(['hub'], { env: { ...serverEnv(), WAMP_USER: 'hub', WAMP_SECRET: router.secrets.hub } }));
  procs.push(await spawnSisock(['node', 'weather'], { env: serverEnv() }));
  const c = new WampClient({ url: router.openUrl, realm: router.realm, reconnect: false });
  await c.start();
  await waitFor('apex_archive on the hub', async () => ((await c.call(HUB.getDataNode)).args[0] as DataNodeInfo[]).some((n) => n.name === 'apex_archive'));
  await c.close();
});

after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await router.close();
});

test('without arguments it lists the data nodes the hub knows', async () => {
  const r = await query([]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^NODE +DESCRIPTION\napex_archive +Archived APEX weather\.\n$/);
});

test('with a node it lists the fields with type, units and timeline', async () => {
  const r = await query(['apex_archive', '--format', 'csv']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], 'field,type,units,timeline,interval,description');
  assert.ok(lines.includes('apex_archive::apex_temperature,number,C,hourly,3600 s,APEX weather station temperature.'), lines.join('\n'));
  assert.equal(lines.length, 1 + 5);
});

test('with NODE::FIELD names it prints the samples of the range, exactly the files\' rows', async () => {
  const start = 1499990400;
  const end = start + 6 * 3600;
  const r = await query(['apex_archive::apex_temperature', 'apex_archive::apex_humidity', '--from', String(start), '--to', String(end), '--format', 'csv']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], 'time,unix_time,field,value');
  const got = (field: string): [number, number][] =>
    lines
      .slice(1)
      .map((l) => l.split(','))
      .filter((c) => c[2] === field)
      .map((c) => [Number(c[1]), Number(c[3])]);
  assert.deepEqual(got('apex_archive::apex_temperature'), rows('apex_temperature.dat', start, end));
  assert.deepEqual(got('apex_archive::apex_humidity'), rows('apex_humidity.dat', start, end));
  assert.ok(lines[1]!.startsWith('2017-07-14T00:00:00.000Z,'), lines[1]);
});

test('--points downsamples on the node and JSON keeps the shape', async () => {
  const r = await query(['apex_archive::apex_windspeed', '--from', '2017-07-14T00:00:00Z', '--to', '2017-07-28T00:00:00Z', '--points', '100', '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { series: { id: string; t: number[]; v: number[] }[] };
  assert.equal(out.series.length, 1);
  const s = out.series[0]!;
  const raw = rows('apex_windspeed.dat', Date.parse('2017-07-14T00:00:00Z') / 1000, Date.parse('2017-07-28T00:00:00Z') / 1000);
  assert.ok(s.t.length > 0 && s.t.length < raw.length / 10, `${s.t.length} of ${raw.length} points`);
  // downsampling keeps real samples and the peaks
  const rawMap = new Map(raw);
  assert.ok(s.t.every((t, i) => rawMap.get(t) === s.v[i]), 'every point is a real sample');
  assert.equal(Math.max(...s.v), Math.max(...raw.map(([, v]) => v)));
});

test('unknown nodes and fields are reported with exit code 1; bad arguments with 2', async () => {
  const noNode = await query(['nosuch::x', '--from', '1499990400', '--to', '1499994000']);
  assert.equal(noNode.code, 1);
  assert.match(noNode.stderr, /nosuch::x: no data node 'nosuch'/);
  const noField = await query(['apex_archive::nope', '--from', '1499990400', '--to', '1499994000']);
  assert.equal(noField.code, 1);
  assert.match(noField.stderr, /node 'apex_archive' has no field 'nope'/);
  const badNode = await query(['nosuch']);
  assert.equal(badNode.code, 1);
  assert.match(badNode.stderr, /no data node 'nosuch'/);
  const inverted = await query(['apex_archive::apex_humidity', '--from', '1499994000', '--to', '1499990400']);
  assert.equal(inverted.code, 2);
  assert.match(inverted.stderr, /must be before --to/);
  const badTime = await query(['apex_archive::apex_humidity', '--from', 'yesterday']);
  assert.equal(badTime.code, 2);
  assert.match(badTime.stderr, /--from is not a time/);
});

test('names group by node in the order given', () => {
  assert.deepEqual([...groupByNode(['a::x', 'b::y', 'a::z'])], [['a', ['x', 'z']], ['b', ['y']]]);
  assert.throws(() => groupByNode(['a::']), /not NODE::FIELD/);
});

test('an answer too large for one WAMP message says what to ask for instead; the node stays on', async () => {
  const tiny = await spawnSisock(['node', 'weather', '--name', 'tiny'], { env: { ...serverEnv(), SISOCK_MAX_MESSAGE_SIZE: '2048' } });
  procs.push(tiny);
  const c = new WampClient({ url: router.openUrl, realm: router.realm, reconnect: false });
  await c.start();
  await waitFor('tiny on the hub', async () => ((await c.call(HUB.getDataNode)).args[0] as DataNodeInfo[]).some((n) => n.name === 'tiny'));
  await c.close();
  const big = await query(['tiny::apex_temperature', '--from', '2017-07-14T00:00:00Z', '--to', '2017-07-28T00:00:00Z']);
  assert.equal(big.code, 1);
  assert.match(big.stderr, /tiny::apex_temperature: the result of this call would be a message of [\d.]+ KiB, over the 2\.0 KiB that the callee's connection carries: ask for --points or --stride, or a shorter range/);
  const small = await query(['tiny::apex_temperature', '--from', '1499990400', '--to', String(1499990400 + 7200)]);
  assert.equal(small.code, 0, small.stderr);
  assert.equal(small.stdout.trim().split('\n').length, 1 + 2);
});
