import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldInfo } from '../../src/protocol/types.js';
import { answerJson, grafanaUnit, type SeriesData } from '../../src/http/grafana/answer.js';
import type { QueryTarget } from '../../src/http/grafana/request.js';

const info = (type: FieldInfo['type'], units: string | null = null, description: string | null = null): FieldInfo => ({
  description,
  timeline: 't',
  type,
  units,
});
const series = (name: string, fi: FieldInfo, t: number[], v: unknown[]): SeriesData => ({
  name,
  info: fi,
  samples: { t, v: v as SeriesData['samples']['v'], finalizedUntil: null },
});
/** The answer as text. */
const answer = (answers: Parameters<typeof answerJson>[0]): string => answerJson(answers).toString('utf8');
const target = (t: string, refId: string, format: QueryTarget['format'] = 'timeseries'): QueryTarget => ({ target: t, refId, format });

test('time series: [value, integer ms] pairs, NaN/Infinity/None as null, unit, refId echoed', () => {
  const text = answer([
    {
      target: target('a::temp', 'A'),
      series: [series('a::temp', info('number', 'C'), [1499990400.0, 1499994000.0004, 1499997600], [-6.99, NaN, Infinity])],
      notices: [],
    },
  ]);
  assert.doesNotMatch(text, /NaN|Infinity/);
  assert.deepEqual(JSON.parse(text), [
    {
      target: 'a::temp',
      refId: 'A',
      datapoints: [
        [-6.99, 1499990400000],
        [null, 1499994000000],
        [null, 1499997600000],
      ],
      unit: 'celsius',
    },
  ]);
});

test('string and bool fields become two-column tables; a table target becomes Time/Field/Value rows in time order', () => {
  const text = answer([
    {
      target: target('n::(state|ok)', 'A'),
      series: [
        series('n::ok', info('bool'), [2, 3], [true, null]),
        series('n::state', info('string'), [1], ['cold "he"']),
      ],
      notices: [],
    },
    {
      target: target('n::(t1|t2)', 'B', 'table'),
      series: [series('n::t1', info('number', 'K'), [5, 7], [1.5, NaN]), series('n::t2', info('number', 'K'), [6], [2])],
      notices: [],
    },
  ]);
  assert.deepEqual(JSON.parse(text), [
    {
      type: 'table',
      refId: 'A',
      name: 'n::ok',
      columns: [
        { text: 'Time', type: 'time' },
        { text: 'n::ok', type: 'boolean' },
      ],
      rows: [
        [2000, true],
        [3000, null],
      ],
    },
    {
      type: 'table',
      refId: 'A',
      name: 'n::state',
      columns: [
        { text: 'Time', type: 'time' },
        { text: 'n::state', type: 'string' },
      ],
      rows: [[1000, 'cold "he"']],
    },
    {
      type: 'table',
      refId: 'B',
      columns: [
        { text: 'Time', type: 'time' },
        { text: 'Field', type: 'string' },
        { text: 'Value', type: 'number', unit: 'kelvin' },
      ],
      rows: [
        [5000, 'n::t1', 1.5],
        [6000, 'n::t2', 2],
        [7000, 'n::t1', null],
      ],
    },
  ]);
});

test('frames carry typed fields, unit, description and display name', () => {
  const text = answer([
    {
      target: target('n::h', 'B', 'frame'),
      series: [series('n::h', info('number', '%', 'humidity'), [1, 2], [10, 20])],
      notices: [],
    },
  ]);
  assert.deepEqual(JSON.parse(text), [
    {
      name: 'n::h',
      refId: 'B',
      fields: [
        { name: 'Time', type: 'time', values: [1000, 2000] },
        {
          name: 'n::h',
          type: 'number',
          values: [10, 20],
          config: { displayNameFromDS: 'n::h', unit: 'percent', description: 'humidity' },
        },
      ],
    },
  ]);
});

test('a failed target answers an empty series named after it, with the reason as a notice; order kept', () => {
  const text = answer([
    { target: target('x::missing', 'A'), series: [], notices: ["data node 'x' is not connected"] },
    { target: target('n::v', 'B'), series: [series('n::v', info('number'), [1], [1])], notices: [] },
    { target: target('x::gone', 'C', 'frame'), series: [], notices: ['timed out'] },
  ]);
  assert.deepEqual(JSON.parse(text), [
    {
      target: 'x::missing',
      refId: 'A',
      datapoints: [],
      meta: { notices: [{ severity: 'warning', text: "data node 'x' is not connected" }] },
    },
    { target: 'n::v', refId: 'B', datapoints: [[1, 1000]] },
    {
      name: 'x::gone',
      refId: 'C',
      fields: [
        { name: 'Time', type: 'time', values: [] },
        { name: 'x::gone', type: 'number', values: [], config: { displayNameFromDS: 'x::gone' } },
      ],
      meta: { notices: [{ severity: 'warning', text: 'timed out' }] },
    },
  ]);
});

test('a target without refId answers without one; an empty answer is []', () => {
  assert.equal(answer([]), '[]');
  const parsed = JSON.parse(answer([{ target: { target: 'n::v', format: 'timeseries' }, series: [], notices: [] }]));
  assert.deepEqual(parsed, [{ target: 'n::v', datapoints: [] }]);
});

test('units map to Grafana ids, others become suffixes', () => {
  assert.equal(grafanaUnit('C'), 'celsius');
  assert.equal(grafanaUnit('mBar'), 'pressurembar');
  assert.equal(grafanaUnit('km/h'), 'velocitykmh');
  assert.equal(grafanaUnit('furlongs'), 'suffix: furlongs');
  assert.equal(grafanaUnit(null), undefined);
  assert.equal(grafanaUnit(' '), undefined);
});

test('fields on one timeline share its times; fields on others keep their own, in every format and across targets', () => {
  const shared = [1000, 1001.5, 1002];
  const other = [2000, 2001, 2002]; // same length, other times: must not be taken for the shared one
  const a = series('n::a', info('number'), shared, [1, 2, 3]);
  const b = series('n::b', info('number'), shared, [4, 5, 6]);
  const c = series('n::c', info('number'), other, [7, 8, 9]);
  const text = answer([
    { target: target('n::a', 'A', 'frame'), series: [a], notices: [] },
    { target: target('n::(b|c)', 'B', 'frame'), series: [b, c], notices: [] },
    { target: target('n::a', 'C'), series: [a], notices: [] },
    { target: target('n::c', 'D'), series: [c], notices: [] },
  ]);
  const items = JSON.parse(text) as { fields?: { values: number[] }[]; datapoints?: [number, number][] }[];
  const sharedMs = [1000000, 1001500, 1002000];
  const otherMs = [2000000, 2001000, 2002000];
  assert.deepEqual(items[0]?.fields?.[0]?.values, sharedMs);
  assert.deepEqual(items[1]?.fields?.[0]?.values, sharedMs);
  assert.deepEqual(items[1]?.fields?.[1]?.values, [4, 5, 6]);
  assert.deepEqual(items[2]?.fields?.[0]?.values, otherMs);
  assert.deepEqual(items[2]?.fields?.[1]?.values, [7, 8, 9]);
  assert.deepEqual(items[3]?.datapoints, [
    [1, 1000000],
    [2, 1001500],
    [3, 1002000],
  ]);
  assert.deepEqual(items[4]?.datapoints, [
    [7, 2000000],
    [8, 2001000],
    [9, 2002000],
  ]);
});
