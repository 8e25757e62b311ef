import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listNames, type NameSource } from '../../src/http/grafana/names-query.js';

const source: NameSource = {
  names: () => ['apex_archive::apex_humidity', 'apex_archive::apex_temperature', 'sensors::cpu.temp', 'sensors::gpu,temp'],
  nodes: () => [
    { name: 'sensors', online: true },
    { name: 'apex_archive', online: true },
    { name: 'old', online: false },
  ],
};

test('plain filters list full names with text = value', () => {
  assert.deepEqual(
    listNames('', source).map((o) => o.value),
    source.names(),
  );
  assert.deepEqual(listNames('temp', source), [
    { text: 'apex_archive::apex_temperature', value: 'apex_archive::apex_temperature' },
    { text: 'sensors::cpu.temp', value: 'sensors::cpu.temp' },
    { text: 'sensors::gpu,temp', value: 'sensors::gpu,temp' },
  ]);
});

test('nodes() lists online data nodes, sorted; nodes(regex) filters them', () => {
  assert.deepEqual(listNames('nodes()', source), [
    { text: 'apex_archive', value: 'apex_archive' },
    { text: 'sensors', value: 'sensors' },
  ]);
  assert.deepEqual(listNames(' NODES( ^sen ) ', source), [{ text: 'sensors', value: 'sensors' }]);
});

test('fields(node) gives field texts and full-name values; several nodes give full-name texts', () => {
  assert.deepEqual(listNames('fields(apex_archive)', source), [
    { text: 'apex_humidity', value: 'apex_archive::apex_humidity' },
    { text: 'apex_temperature', value: 'apex_archive::apex_temperature' },
  ]);
  assert.deepEqual(listNames('fields(apex_archive, hum)', source), [{ text: 'apex_humidity', value: 'apex_archive::apex_humidity' }]);
  assert.deepEqual(
    listNames('fields((apex_archive|sensors), temp{1})', source).map((o) => o.text),
    ['apex_archive::apex_temperature', 'sensors::cpu.temp', 'sensors::gpu,temp'],
  );
  // a node name is matched whole: a prefix is not a node
  assert.deepEqual(listNames('fields(apex)', source), []);
  assert.deepEqual(listNames('fields(nope)', source), []);
});
