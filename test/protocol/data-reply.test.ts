import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDataReply, DataReplyError, joinSamples, samplesOf } from '../../src/protocol/data-reply.js';
import { JsonNumberList, parseKeepingNumberLists } from '../../src/client/json-number-lists.js';

test('contract timelines: a field takes the timeline get_fields named', () => {
  const reply = checkDataReply({
    data: { a: [1, 2], b: [5] },
    timeline: { ta: { t: [10, 11], finalized_until: 10.5 }, tb: { t: [12], finalized_until: null } },
  });
  const a = samplesOf(reply, 'a', 'ta');
  assert.deepEqual(Array.from(a.t), [10, 11]);
  assert.deepEqual(Array.from(a.v), [1, 2]);
  assert.equal(a.finalizedUntil, 10.5);
  assert.equal(a.problem, undefined);
  const b = samplesOf(reply, 'b', 'tb');
  assert.deepEqual(Array.from(b.t), [12]);
  assert.equal(b.finalizedUntil, null);
});

test("the g3 reader's group0... timelines are found through their own fields lists", () => {
  const reply = checkDataReply({
    data: { 'x.T1': [1, 2, 3], 'x.T2': [4] },
    timeline: {
      group0: { t: [1, 2, 3], finalized_until: 3, fields: ['x.T1'] },
      group1: { t: [9], finalized_until: 9, fields: ['x.T2'] },
    },
  });
  // the get_fields timeline name does not appear in get_data: the fields list decides
  const s = samplesOf(reply, 'x.T2', 'x');
  assert.deepEqual(Array.from(s.t), [9]);
  assert.deepEqual(Array.from(s.v), [4]);
  assert.equal(s.finalizedUntil, 9);
});

test('without a usable hint: the only timeline, or the only one of the right length', () => {
  const one = checkDataReply({ data: { a: [1] }, timeline: { other: { t: [5], finalized_until: null } } });
  assert.deepEqual(Array.from(samplesOf(one, 'a', 'missing').t), [5]);
  const two = checkDataReply({
    data: { a: [1, 2] },
    timeline: { x: { t: [5], finalized_until: null }, y: { t: [6, 7], finalized_until: null } },
  });
  assert.deepEqual(Array.from(samplesOf(two, 'a', undefined).t), [6, 7]);
  const ambiguous = checkDataReply({
    data: { a: [1] },
    timeline: { x: { t: [5], finalized_until: null }, y: { t: [6], finalized_until: null } },
  });
  const s = samplesOf(ambiguous, 'a', undefined);
  assert.equal(s.t.length, 0);
  assert.match(s.problem ?? '', /no timeline/);
});

test('a field left out or empty gives empty samples, not an error', () => {
  const reply = checkDataReply({ data: { a: [] }, timeline: {} });
  assert.equal(samplesOf(reply, 'a', 't').t.length, 0);
  assert.equal(samplesOf(reply, 'missing', 't').t.length, 0);
});

test('inconsistent replies are repaired: lengths cut to the shorter, bad times dropped, order restored', () => {
  const reply = checkDataReply({
    data: { a: [1, 2, 3, 4], b: [7, 8, 9] },
    timeline: { ta: { t: [1, 2], finalized_until: null }, tb: { t: [3, null, 1], finalized_until: null } },
  });
  const a = samplesOf(reply, 'a', 'ta');
  assert.deepEqual(Array.from(a.t), [1, 2]);
  assert.deepEqual(Array.from(a.v), [1, 2]);
  assert.match(a.problem ?? '', /4 values for 2 times/);
  const b = samplesOf(reply, 'b', 'tb');
  assert.deepEqual(Array.from(b.t), [1, 3]);
  assert.deepEqual(Array.from(b.v), [9, 7]);
  assert.match(b.problem ?? '', /unordered or invalid/);
});

test("malformed replies are errors; the original's `false` says too much data", () => {
  assert.throws(() => checkDataReply(false), (e: unknown) => e instanceof DataReplyError && e.kind === 'refused' && /too much data/.test(e.message));
  assert.throws(() => checkDataReply(null), (e: unknown) => e instanceof DataReplyError && e.kind === 'bad-reply');
  assert.throws(() => checkDataReply([1]), /not an object/);
  assert.throws(() => checkDataReply({ timeline: {} }), /no 'data'/);
  assert.throws(() => checkDataReply({ data: {} }), /no 'timeline'/);
});

test('lists kept as JSON text: times are read, values stay text (vJson) unless a repair needs them', () => {
  const text =
    '{"data":{"a":[1.5,null,-2],"b":[1,2,3],"c":[7,8],"d":[1e400,2,3]},' +
    '"timeline":{"ta":{"t":[10,11,12],"finalized_until":11},"tc":{"t":[20,21],"finalized_until":null},"tbad":{"t":[5,4,6]}}}';
  const reply = checkDataReply(parseKeepingNumberLists(text, 1));
  const a = samplesOf(reply, 'a', 'ta');
  assert.ok(a.vJson instanceof JsonNumberList);
  assert.equal(a.vJson.text, '[1.5,null,-2]');
  assert.deepEqual(Array.from(a.t), [10, 11, 12]);
  assert.deepEqual(Array.from(a.v), [1.5, null, -2], 'values are read when asked for');
  assert.equal(a.finalizedUntil, 11);
  const b = samplesOf(reply, 'b', 'ta');
  assert.equal(b.t, a.t, 'fields of one timeline share its times');
  // a length mismatch and unordered times are repaired from the read values: no text to copy then
  const c = samplesOf(reply, 'c', 'ta');
  assert.equal(c.vJson, undefined);
  assert.deepEqual([Array.from(c.t), Array.from(c.v)], [[10, 11], [7, 8]]);
  assert.match(c.problem ?? '', /2 values for 3 times/);
  const unordered = samplesOf(reply, 'b', 'tbad');
  assert.equal(unordered.vJson, undefined);
  assert.deepEqual([Array.from(unordered.t), Array.from(unordered.v)], [[4, 5, 6], [2, 1, 3]]);
  // a number beyond a double's range is not copied as text (it would read as Infinity)
  const d = samplesOf(reply, 'd', 'ta');
  assert.equal(d.vJson, undefined);
  assert.deepEqual(Array.from(d.v), [Infinity, 2, 3]);
});

test('samples of adjacent windows join in order; a boundary sample in two windows is kept once', () => {
  const text = '{"data":{"x":[3,4,5]},"timeline":{"t":{"t":[12,13,14],"finalized_until":13}}}';
  const kept = samplesOf(checkDataReply(parseKeepingNumberLists(text, 1)), 'x', 't');
  assert.ok(kept.vJson, 'a window whose values are still text');
  const joined = joinSamples([
    { t: [10, 11, 12], v: [1, 2, 3], finalizedUntil: null },
    { t: [], v: [], finalizedUntil: null },
    kept,
    { t: [14, 15], v: [5, null], finalizedUntil: 20, problem: 'repaired' },
  ]);
  assert.deepEqual(Array.from(joined.t), [10, 11, 12, 13, 14, 15]);
  assert.deepEqual(joined.v, [1, 2, 3, 4, 5, null]);
  assert.equal(joined.vJson, undefined, 'the joined values are no one text');
  assert.equal(joined.finalizedUntil, 13, 'final up to the earliest point any window is final to');
  assert.equal(joined.problem, 'repaired');
  assert.deepEqual(joinSamples([{ t: [1], v: ['on'], finalizedUntil: null }]), { t: Float64Array.from([1]), v: ['on'], finalizedUntil: null });
  assert.deepEqual(Array.from(joinSamples([]).t), []);
});
