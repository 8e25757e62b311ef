import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { WampClient } from '../../../src/client/client.js';
import { spawnSisock, waitFor, type SisockProcess } from '../../helpers/sisock.js';
import { consumer, getData, getFields, startRouter, TEST_TLS, type RouterUnderTest } from '../../helpers/datanode.js';

let router: RouterUnderTest;
let root: string;
let node: SisockProcess;
let c: WampClient;

function write(rel: string, text: string) {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text + '\n');
}

before(async () => {
  router = await startRouter();
  root = mkdtempSync(join(tmpdir(), 'sisock-sensors-node-'));
  write('sys/class/hwmon/hwmon0/name', 'coretemp');
  write('sys/class/hwmon/hwmon0/temp1_input', '45000');
  write('sys/class/hwmon/hwmon0/temp1_label', 'Package id 0');
  write('sys/class/hwmon/hwmon1/name', 'nct6775');
  write('sys/class/hwmon/hwmon1/fan2_input', '1330');
  // `sisock node sensors` as an operator runs it: real /proc, a sysfs tree of ours
  node = await spawnSisock(['node', 'sensors', '--sys-root', join(root, 'sys'), '--interval', '0.1', '--depth', '40'], {
    env: { SISOCK_URL: router.tlsUrl, SISOCK_CA: TEST_TLS.caFile, WAMP_SECRET: router.secrets.server, SISOCK_REALM: router.realm, MAX_POINTS: '8' },
    readyPattern: /serving data node 'sensors'/,
  });
  c = await consumer(router);
});

after(async () => {
  await c?.close();
  await node?.stop();
  await router?.close();
  rmSync(root, { recursive: true, force: true });
});

test('sisock node sensors serves hwmon, load and memory fields with units on one timeline', async () => {
  const [fields, timelines] = await getFields(c, 'sensors', 1, 0);
  for (const f of ['coretemp_temp1', 'nct6775_fan2', 'cpu_load_1', 'cpu_utilisation', 'memory_used', 'swap_used']) assert.ok(f in fields, f);
  assert.equal(fields.coretemp_temp1!.units, 'C');
  assert.match(fields.coretemp_temp1!.description!, /^Package id 0/);
  assert.equal(fields.nct6775_fan2!.units, 'RPM');
  assert.deepEqual(timelines.t!.field.sort(), Object.keys(fields).sort());
  assert.equal(timelines.t!.interval, 0.1);
});

test('relative times give the latest readings; a changed sensor shows up; MAX_POINTS caps the reply', async () => {
  await waitFor('eight readings', async () => (await getData(c, 'sensors', ['coretemp_temp1'], -60, 0)).data.coretemp_temp1!.length >= 8);
  const reply = await getData(c, 'sensors', ['coretemp_temp1', 'memory_used'], -60, 0);
  const t = reply.timeline.t!.t;
  assert.ok(t.length <= 8, `MAX_POINTS=8 gave ${t.length}`);
  assert.ok(t[t.length - 1]! <= Date.now() / 1000 && t[0]! >= Date.now() / 1000 - 61);
  assert.ok((reply.data.memory_used as number[]).every((m) => m > 0));
  write('sys/class/hwmon/hwmon0/temp1_input', '71500');
  await waitFor('the new temperature served', async () => {
    const d = (await getData(c, 'sensors', ['coretemp_temp1'], -1, 0)).data.coretemp_temp1 as number[];
    return d.at(-1) === 71.5;
  });
});
