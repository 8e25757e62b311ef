import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnsJson, dataCsv, dataJson, parseDataQuery } from '../../src/http/rest/data.js';
import { EMPTY } from '../../src/protocol/data-reply.js';
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

test('JSON of long series is written in pieces that join to the same lists, numbers and strings alike', () => {
  const n = 150_001;
  const num: ResolvedField = { name: 'n::x', node: 'n', field: 'x', info: { description: null, timeline: 't', type: 'number', units: 'K' } };
  const str: ResolvedField = { name: 'n::s', node: 'n', field: 's', info: { description: null, timeline: 't', type: 'string', units: null } };
  const t = Float64Array.from({ length: n }, (_, i) => 1_600_000_000 + i / 10);
  const x = Array.from({ length: n }, (_, i) => (i % 1000 === 7 ? NaN : i % 1000 === 8 ? null : i / 3));
  const s = Array.from({ length: n }, (_, i) => `"é,${i}"`);
  const results = new Map<string, FieldResult>([
    ['n::x', { ok: true, field: num, samples: { t, v: x, finalizedUntil: 1_600_000_100 } }],
    ['n::s', { ok: true, field: str, samples: { t: Array.from(t), v: s, finalizedUntil: null } }],
  ]);
  const q = parseDataQuery({ fields: 'n::x,n::s', from: '1600000000', to: '1600020000' }, NOW);
  const parsed = JSON.parse(dataJson(q, [num, str], results)) as { series: { t: number[]; v: unknown[]; finalizedUntil: number | null }[] };
  const ms = Array.from(t, (sec) => Math.round(sec * 1000));
  assert.deepEqual(parsed.series[0]!.t, ms);
  assert.deepEqual(parsed.series[0]!.v, x.map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : null)));
  assert.equal(parsed.series[0]!.finalizedUntil, 1_600_000_100_000);
  assert.deepEqual(parsed.series[1]!.t, ms);
  assert.deepEqual(parsed.series[1]!.v, s);
  // from an index on, as the live stream sends the newer samples
  const xs = results.get('n::x');
  const f = JSON.parse(`{${columnsJson(num, xs?.ok ? xs.samples : EMPTY, 70_000)}}`) as { t: number[]; v: unknown[] };
  assert.deepEqual(f.t, ms.slice(70_000));
  assert.equal(f.v.length, n - 70_000);
});
