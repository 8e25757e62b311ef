import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SensorsSource } from '../../../src/servers/sensors/source.js';
import type { DataRequest } from '../../../src/datanode/source.js';

function write(root: string, rel: string, text: string) {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text + '\n');
}

/** a machine with a CPU sensor, a board monitor, two NVMe drives, a thermal zone */
function fakeMachine(): { root: string; sys: string; proc: string } {
  const root = mkdtempSync(join(tmpdir(), 'sisock-sensors-'));
  const sys = join(root, 'sys');
  const proc = join(root, 'proc');
  write(sys, 'class/hwmon/hwmon0/name', 'coretemp');
  write(sys, 'class/hwmon/hwmon0/temp1_input', '45000');
  write(sys, 'class/hwmon/hwmon0/temp1_label', 'Package id 0');
  write(sys, 'class/hwmon/hwmon0/temp2_input', '43500');
  write(sys, 'class/hwmon/hwmon0/temp2_crit', '100000'); // not a reading
  write(sys, 'class/hwmon/hwmon1/name', 'nct6775');
  write(sys, 'class/hwmon/hwmon1/fan1_input', '1200');
  write(sys, 'class/hwmon/hwmon1/in0_input', '1024');
  write(sys, 'class/hwmon/hwmon1/in0_label', 'Vcore');
  write(sys, 'class/hwmon/hwmon1/curr1_input', '1500');
  write(sys, 'class/hwmon/hwmon1/power1_average', '12500000');
  write(sys, 'class/hwmon/hwmon1/in1_input', 'garbage'); // a sensor that reads badly
  for (const [hw, dev] of [['hwmon2', 'nvme0'], ['hwmon3', 'nvme1']] as const) {
    write(sys, `devices/pci/${dev}/.keep`, '');
    write(sys, `class/hwmon/${hw}/name`, 'nvme');
    write(sys, `class/hwmon/${hw}/temp1_input`, dev === 'nvme0' ? '38850' : '41850');
    symlinkSync(join(sys, 'devices/pci', dev), join(sys, 'class/hwmon', hw, 'device'));
  }
  write(sys, 'class/thermal/thermal_zone0/type', 'x86_pkg_temp');
  write(sys, 'class/thermal/thermal_zone0/temp', '50000');
  write(sys, 'class/thermal/cooling_device0/type', 'Processor');
  write(proc, 'loadavg', '0.52 0.58 0.59 1/467 12345');
  write(proc, 'stat', 'cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0');
  write(proc, 'meminfo', 'MemTotal:       16384000 kB\nMemFree:         1024000 kB\nMemAvailable:    8192000 kB\nSwapTotal:       2048000 kB\nSwapFree:        1024000 kB');
  return { root, sys, proc };
}

const all = (fields: string[]): DataRequest => ({ fields, start: 1, end: Date.now() / 1000 + 10, minStride: null, maxPoints: null });

function last(source: SensorsSource, field: string): unknown {
  const [tl] = source.getData(all([field]));
  const v = Array.from(tl!.fields.get(field) as ArrayLike<unknown>);
  return v[v.length - 1];
}

test('hwmon, thermal zones, load and memory are read with labels and units', async () => {
  const m = fakeMachine();
  const source = new SensorsSource({ roots: { sys: m.sys, proc: m.proc }, interval: 60 });
  await source.poll();
  const [fields, timelines] = source.getFields({ start: 1, end: Date.now() / 1000 + 1 });
  assert.deepEqual(Object.keys(fields).sort(), [
    'coretemp_temp1',
    'coretemp_temp2',
    'cpu_load_1',
    'cpu_load_15',
    'cpu_load_5',
    'cpu_utilisation',
    'memory_available',
    'memory_used',
    'memory_used_percent',
    'nct6775_curr1',
    'nct6775_fan1',
    'nct6775_in0',
    'nct6775_in1',
    'nct6775_power1',
    'nvme-nvme0_temp1',
    'nvme-nvme1_temp1',
    'swap_used',
    'thermal_x86_pkg_temp',
  ]);
  assert.deepEqual(fields.coretemp_temp1, { description: 'Package id 0: coretemp temperature (temp1)', timeline: 't', type: 'number', units: 'C' });
  assert.equal(fields.nct6775_in0!.units, 'V');
  assert.match(fields.nct6775_in0!.description!, /^Vcore/);
  assert.equal(fields.nct6775_fan1!.units, 'RPM');
  assert.equal(fields.memory_used!.units, 'MiB');
  assert.deepEqual(timelines, { t: { interval: 60, field: Object.keys(fields) } });
  assert.equal(last(source, 'coretemp_temp1'), 45);
  assert.equal(last(source, 'coretemp_temp2'), 43.5);
  assert.equal(last(source, 'nct6775_in0'), 1.024);
  assert.equal(last(source, 'nct6775_curr1'), 1.5);
  assert.equal(last(source, 'nct6775_power1'), 12.5);
  assert.equal(last(source, 'nvme-nvme1_temp1'), 41.85);
  assert.equal(last(source, 'thermal_x86_pkg_temp'), 50);
  assert.equal(last(source, 'cpu_load_5'), 0.58);
  assert.equal(last(source, 'memory_used'), 8000);
  assert.equal(last(source, 'memory_used_percent'), 50);
  assert.equal(last(source, 'swap_used'), 1000);
  assert.ok(Number.isNaN(last(source, 'nct6775_in1')), 'an unreadable sensor is a missing value');
  assert.ok(Number.isNaN(last(source, 'cpu_utilisation')), 'no utilisation before a second poll');
  await source.close();
  rmSync(m.root, { recursive: true, force: true });
});

test('CPU utilisation comes from the /proc/stat difference between polls; new sensors join later', async () => {
  const m = fakeMachine();
  const source = new SensorsSource({ roots: { sys: m.sys, proc: m.proc }, interval: 60 });
  let changes = 0;
  source.onFieldsChanged(() => changes++);
  await source.poll();
  assert.equal(changes, 1, 'the first reading makes the field list');
  await source.poll();
  assert.equal(changes, 1, 'the same sensors again: no change');
  write(m.proc, 'stat', 'cpu  130 0 130 840 0 0 0 0 0 0'); // 60 busy of 100
  write(m.sys, 'class/hwmon/hwmon4/name', 'acpi_fan');
  write(m.sys, 'class/hwmon/hwmon4/fan1_input', '900');
  await new Promise((r) => setTimeout(r, 5));
  await source.poll();
  assert.equal(changes, 2, 'a new sensor changes the field list');
  assert.equal(last(source, 'cpu_utilisation'), 60);
  const [tl] = source.getData(all(['acpi_fan_fan1', 'coretemp_temp1']));
  assert.equal(tl!.t.length, 3);
  const fan = Array.from(tl!.fields.get('acpi_fan_fan1') as ArrayLike<number>);
  assert.ok(Number.isNaN(fan[0]!) && Number.isNaN(fan[1]!) && fan[2] === 900, 'a sensor found later is missing before it appeared');
  await source.close();
  rmSync(m.root, { recursive: true, force: true });
});

test('the buffer keeps the last `depth` readings', async () => {
  const m = fakeMachine();
  const source = new SensorsSource({ roots: { sys: m.sys, proc: m.proc }, interval: 60, depth: 3 });
  for (let i = 0; i < 5; i++) {
    write(m.sys, 'class/hwmon/hwmon0/temp1_input', String(40000 + i * 1000));
    await source.poll();
    await new Promise((r) => setTimeout(r, 3));
  }
  const [tl] = source.getData(all(['coretemp_temp1']));
  assert.deepEqual(Array.from(tl!.fields.get('coretemp_temp1') as ArrayLike<number>), [42, 43, 44]);
  assert.equal(source.length, 3);
  await source.close();
  rmSync(m.root, { recursive: true, force: true });
});

test('a machine without hwmon or thermal sensors still serves load and memory', async () => {
  const root = mkdtempSync(join(tmpdir(), 'sisock-sensors-'));
  const source = new SensorsSource({ roots: { sys: join(root, 'no-sys'), proc: '/proc' }, interval: 60 });
  await source.poll();
  const [fields] = source.getFields({ start: 1, end: Date.now() / 1000 + 1 });
  assert.deepEqual(Object.keys(fields).sort(), ['cpu_load_1', 'cpu_load_15', 'cpu_load_5', 'cpu_utilisation', 'memory_available', 'memory_used', 'memory_used_percent', 'swap_used']);
  const mem = last(source, 'memory_used') as number;
  assert.ok(Number.isFinite(mem) && mem > 0, `memory_used ${mem}`);
  assert.ok(Number.isFinite(last(source, 'cpu_load_1') as number));
  await source.close();
  rmSync(root, { recursive: true, force: true });
});

test('the real /sys and /proc of this machine are read without errors', async () => {
  const source = new SensorsSource({ interval: 60 });
  await source.start();
  await new Promise((r) => setTimeout(r, 60));
  await source.poll();
  assert.equal(source.length, 2);
  const [fields] = source.getFields({ start: 1, end: Date.now() / 1000 + 1 });
  assert.ok('memory_used' in fields && 'cpu_load_1' in fields);
  assert.ok(Number.isFinite(last(source, 'cpu_utilisation') as number), 'utilisation after two polls');
  assert.deepEqual(source.getFields({ start: 1, end: 2 }), [{}, {}], 'nothing in a range before the first poll');
  await source.close();
});
