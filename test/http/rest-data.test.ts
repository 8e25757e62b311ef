import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataCsv, dataJson, parseDataQuery } from '../../src/http/rest/data.js';
import type { FieldResult } from '../../src/http/fetcher.js';
import type { ResolvedField } from '../../src/http/resolve.js';
import { UpstreamError } from '../../src/http/upstream.js';

const NOW = 1_500_000_000_000;

test('REST data queries: names repeated or comma-separated, default last hour, points to stride', () => {
  const q = parseDataQuery({ fields: ['a::x,b::y', 'a::x'], points: '100' }, NOW);
  assert.deepEqual(q.names, ['a::x', 'b::y']);
  assert.equal(q.fromMs, NOW - 3_600_000);
  assert.equal(q.toMs, NOW);
  assert.equal(q.stride, 36);
  assert.equal(q.format, 'json');
  const raw = parseDataQuery({ field: 'a::x', from: '1499990400', to: '2017-07-15T00:00:00Z', format: 'CSV' }, NOW);
  assert.equal(raw.fromMs, 1499990400000);
  assert.equal(raw.toMs, 1500076800000);
  assert.equal(raw.stride, null);
  assert.equal(raw.format, 'csv');
  const both = parseDataQuery({ fields: 'a::x', from: -7200, to: 0, points: 7200, stride: 5 }, NOW);
  assert.equal(both.fromMs, NOW - 7_200_000);
  assert.equal(both.stride, 5);
});

test('REST data queries: errors name what is wrong', () => {
  assert.throws(() => parseDataQuery({}, NOW), /name at least one field/);
  assert.throws(() => parseDataQuery({ fields: 'a::x', points: '0' }, NOW), /points must be a positive number/);
  assert.throws(() => parseDataQuery({ fields: 'a::x', points: 'many' }, NOW), /points must be a positive number, got 'many'/);
  assert.throws(() => parseDataQuery({ fields: 'a::x', format: 'xml' }, NOW), /format must be json or csv/);
  assert.throws(() => parseDataQuery({ fields: 'a::x', from: 'now', to: 'now-1h' }, NOW), /bad time range/);
  assert.throws(() => parseDataQuery({ fields: Array.from({ length: 1001 }, (_, i) => `n::f${i}`) }, NOW), /at most 1000 fields/);
});

const f = (name: string, type: 'number' | 'string' | 'bool', units: string | null = null): ResolvedField => {
  const [node, field] = name.split('::') as [string, string];
  return { node, field, name, info: { description: `${field} desc`, timeline: 't', type, units } };
};

test('columnar JSON: metadata, ms times, null for NaN, finalizedUntil in ms, per-field errors', () => {
  const fields = [f('n::a', 'number', 'C'), f('n::s', 'string'), f('m::x', 'number')];
  const results = new Map<string, FieldResult>([
    ['n::a', { ok: true, field: fields[0] as ResolvedField, samples: { t: [1.5, 2], v: [1, NaN], finalizedUntil: 1.75 } }],
    ['n::s', { ok: true, field: fields[1] as ResolvedField, samples: { t: [3], v: ['on'], finalizedUntil: null } }],
    ['m::x', { ok: false, field: fields[2] as ResolvedField, error: new UpstreamError('timeout', "data node 'm' did not answer within 1 s") }],
  ]);
  const q = { names: [], fromMs: 1000, toMs: 5000, stride: 0.5, format: 'json' as const };
  assert.deepEqual(JSON.parse(dataJson(q, fields, results)), {
    from: 1000,
    to: 5000,
    stride: 0.5,
    series: [
      { id: 'n::a', node: 'n', field: 'a', type: 'number', units: 'C', description: 'a desc', t: [1500, 2000], v: [1, null], finalizedUntil: 1750 },
      { id: 'n::s', node: 'n', field: 's', type: 'string', units: null, description: 's desc', t: [3000], v: ['on'], finalizedUntil: null },
      {
        id: 'm::x',
        node: 'm',
        field: 'x',
        type: 'number',
        units: null,
        description: 'x desc',
        t: [],
        v: [],
        finalizedUntil: null,
        error: "data node 'm' did not answer within 1 s",
      },
    ],
  });
  assert.equal(
    dataCsv(fields, results),
    'time,unix_time,field,value\n' +
      '1970-01-01T00:00:01.500Z,1.5,n::a,1\n' +
      '1970-01-01T00:00:02.000Z,2,n::a,\n' +
      '1970-01-01T00:00:03.000Z,3,n::s,on\n',
  );
});

test('CSV times: the same ISO text as Date gives, across seconds, days, before 1970 and far out; none for a time no Date holds', () => {
  const f: ResolvedField = { name: 'n::x', node: 'n', field: 'x', info: { description: null, timeline: 't', type: 'number', units: null } };
  const seconds = [-86_400.25, -1.5, -0.0004, 0, 0.0005, 0.999, 1, 59.9996, 86_399.9995, 1_600_000_000.1, 1_600_000_000.1234567, 253_402_300_799.999, 253_402_300_800, 8.64e12, 8.7e12];
  let x = 1_500_000_000;
  for (let i = 0; i < 2000; i++) seconds.push((x += Math.random() * 3));
  seconds.sort((a, b) => a - b);
  const results = new Map<string, FieldResult>([['n::x', { ok: true, field: f, samples: { t: seconds, v: seconds.map(() => 1), finalizedUntil: null } }]]);
  const rows = dataCsv([f], results).trimEnd().split('\n').slice(1);
  assert.equal(rows.length, seconds.length);
  rows.forEach((row, i) => {
    const ms = Math.round(seconds[i]! * 1000);
    const iso = Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : '';
    assert.equal(row, `${iso},${seconds[i]},n::x,1`);
  });
});
