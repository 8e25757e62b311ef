import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldInfo } from '../../src/protocol/types.js';
import { resolveTarget, type NameIndex } from '../../src/http/resolve.js';

const num = (timeline: string, units: string | null = null): FieldInfo => ({ description: null, timeline, type: 'number', units });

function index(nodes: Record<string, { online: boolean; fields: Record<string, FieldInfo> }>): NameIndex {
  return {
    node: (n) => nodes[n],
    names: () =>
      Object.entries(nodes)
        .filter(([, v]) => v.online)
        .flatMap(([n, v]) => Object.keys(v.fields).map((f) => `${n}::${f}`))
        .sort(),
  };
}

const idx = index({
  apex_archive: {
    online: true,
    fields: { apex_temperature: num('hourly', 'C'), apex_humidity: num('hourly', '%'), apex_pressure: num('hourly') },
  },
  g3_reader: { online: true, fields: { 'observatory.LSA22YE.feeds.temperatures.Channel_05_T': num('g') } },
  gone: { online: false, fields: { x: num('t') } },
});

test('an exact node::field resolves to that field with its info', () => {
  const r = resolveTarget('apex_archive::apex_temperature', idx);
  assert.ok(r.ok);
  assert.equal(r.fields.length, 1);
  assert.deepEqual(r.fields[0], {
    node: 'apex_archive',
    field: 'apex_temperature',
    name: 'apex_archive::apex_temperature',
    info: num('hourly', 'C'),
  });
});

test('a dotted name wins exactly even though . is a regex wildcard; an escaped one resolves after unescaping', () => {
  const exact = resolveTarget('g3_reader::observatory.LSA22YE.feeds.temperatures.Channel_05_T', idx);
  assert.ok(exact.ok);
  const escaped = resolveTarget('g3_reader::observatory\\.LSA22YE\\.feeds\\.temperatures\\.Channel_05_T', idx);
  assert.ok(escaped.ok);
  assert.equal(escaped.fields[0]?.name, 'g3_reader::observatory.LSA22YE.feeds.temperatures.Channel_05_T');
});

test('a multi-value variable (a|b) resolves as an anchored regex over known names, in name order', () => {
  const r = resolveTarget('apex_archive::apex_(temperature|humidity)', idx);
  assert.ok(r.ok);
  assert.deepEqual(
    r.fields.map((f) => f.name),
    ['apex_archive::apex_humidity', 'apex_archive::apex_temperature'],
  );
  // anchored: a prefix alone matches nothing
  const prefix = resolveTarget('apex_archive::apex_temp', idx);
  assert.equal(prefix.ok, false);
});

test('unknown node, offline node, unknown field and plain garbage each get their own message', () => {
  const node = resolveTarget('nope::x', idx);
  assert.deepEqual(node, { ok: false, reason: 'unknown-node', node: 'nope', message: "unknown data node 'nope'" });
  const offline = resolveTarget('gone::x', idx);
  assert.deepEqual(offline, { ok: false, reason: 'offline-node', node: 'gone', message: "data node 'gone' is not connected" });
  const field = resolveTarget('apex_archive::apex_wind', idx);
  assert.deepEqual(field, {
    ok: false,
    reason: 'unknown-field',
    node: 'apex_archive',
    message: "data node 'apex_archive' has no field 'apex_wind'",
  });
  const garbage = resolveTarget('temperature', idx);
  assert.equal(garbage.ok, false);
  assert.equal(!garbage.ok && garbage.reason, 'no-match');
  assert.match(!garbage.ok ? garbage.message : '', /no field matches 'temperature'/);
  const badRegex = resolveTarget('(a|b::x', idx);
  assert.equal(badRegex.ok, false);
});
