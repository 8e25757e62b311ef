import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDataReply, checkFieldsReply, SourceContractError } from '../../src/datanode/reply.js';
import type { DataRequest, TimelineSamples } from '../../src/datanode/source.js';

function request(fields: string[], minStride: number | null = null, maxPoints: number | null = null): DataRequest {
  return { fields, start: 0, end: 2e9, minStride, maxPoints };
}

const hourly: TimelineSamples = {
  name: 'hourly',
  t: Float64Array.from([100, 200, 300]),
  fields: new Map([
    ['a', Float64Array.from([1, NaN, 3])],
    ['b', Float64Array.from([Infinity, 5, 6])],
  ]),
  finalizedUntil: 300,
};
const events: TimelineSamples = {
  name: 'events',
  t: Float64Array.from([150]),
  fields: new Map([['state', ['on']]]),
  finalizedUntil: null,
};

test('the reply has the contract shape, plain arrays, requested fields only, non-finite numbers as null', () => {
  const reply = buildDataReply(request(['a', 'state']), [hourly, events]);
  assert.deepEqual(reply, {
    data: { a: [1, null, 3], state: ['on'] },
    timeline: {
      hourly: { t: [100, 200, 300], finalized_until: 300 },
      events: { t: [150], finalized_until: null },
    },
  });
  assert.ok(Array.isArray(reply.timeline.hourly!.t));
  assert.deepEqual(JSON.parse(JSON.stringify(reply)), reply, 'JSON carries it unchanged');
});

test('an unknown or empty field gets an empty list, and timelines without requested data are left out', () => {
  const empty: TimelineSamples = { name: 'minutely', t: new Float64Array(0), fields: new Map([['c', new Float64Array(0)]]), finalizedUntil: null };
  const reply = buildDataReply(request(['nope', 'c', 'b']), [hourly, events, empty]);
  assert.deepEqual(reply.data, { nope: [], c: [], b: [null, 5, 6] });
  assert.deepEqual(Object.keys(reply.timeline), ['hourly']);
});

test('the g3 variant lists the requested fields on each timeline', () => {
  const reply = buildDataReply(request(['a']), [{ ...hourly, name: 'group0', listFields: true }]);
  assert.deepEqual(reply.timeline.group0!.fields, ['a']);
});

test('min_stride and max_points downsample each timeline, unless the source already did', () => {
  const n = 10_000;
  const tl: TimelineSamples = {
    name: 'fast',
    t: Float64Array.from({ length: n }, (_, i) => i),
    fields: new Map([['x', Float64Array.from({ length: n }, (_, i) => (i === 4321 ? 100 : i % 7))]]),
    finalizedUntil: null,
  };
  const reply = buildDataReply(request(['x'], 100), [tl]);
  assert.ok(reply.timeline.fast!.t.length <= 110);
  assert.equal(reply.data.x!.length, reply.timeline.fast!.t.length);
  assert.ok(reply.data.x!.includes(100));
  assert.ok(buildDataReply(request(['x'], null, 50), [tl]).timeline.fast!.t.length <= 50);
  assert.equal(buildDataReply(request(['x'], 100), [{ ...tl, downsampled: true }]).timeline.fast!.t.length, n);
});

test('a source breaking its contract gets a SourceContractError naming the problem', () => {
  const bad = (tl: Partial<TimelineSamples>): (() => unknown) => () => buildDataReply(request(['a']), [{ ...hourly, ...tl }], { node: 'n1' });
  assert.throws(bad({ t: [1, 2, 3] as unknown as Float64Array }), /n1: timeline 'hourly': t must be a Float64Array/);
  assert.throws(bad({ t: Float64Array.from([3, 2, 1]) }), /times must be ascending/);
  assert.throws(bad({ fields: new Map([['a', Float64Array.from([1])]]) }), /field 'a' has 1 values for 3 times/);
  assert.throws(bad({ fields: {} as unknown as Map<string, never> }), SourceContractError);
});

test('get_fields answers are checked for the contract shape', () => {
  const ok = [{ a: { description: null, timeline: 'tl', type: 'number', units: null } }, { tl: { interval: null, field: ['a'] } }];
  assert.equal(checkFieldsReply('n', ok), ok);
  assert.throws(() => checkFieldsReply('n', { fields: {} }), /must return \[fields, timelines\]/);
  assert.throws(() => checkFieldsReply('n', [{ a: { timeline: 'tl', type: 'float' } }, {}]), /field 'a' has type float/);
  assert.throws(() => checkFieldsReply('n', [{}, { tl: { interval: 1 } }]), /timeline 'tl' must have a 'field' list/);
});
