// The bridge joins the router with msgpack, whose decoder gives integers
// beyond 2^53 (a g3 file's int64 field) as bigint: they must reach the
// JSON answers as numbers, as they would have arrived over JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Packr, unpack } from 'msgpackr';
import { numbersForBigints } from '../../src/http/wamp-upstream.js';
import { checkDataReply, samplesOf } from '../../src/protocol/data-reply.js';

test('integers beyond 2^53 in a msgpack get_data reply become numbers in place; the rest is untouched', () => {
  const big = 2n ** 53n + 2n;
  const packed = new Packr({ useRecords: false, useBigIntExtension: false }).pack({
    data: { counter: [big, 5, -big], label: ['x'] },
    timeline: { t: { t: [1, 2, 3], finalized_until: big } },
  });
  const reply = unpack(packed) as { data: { counter: unknown[]; label: unknown[] }; timeline: { t: { t: unknown[]; finalized_until: unknown } } };
  // what msgpack gives the bridge
  assert.equal(typeof reply.data.counter[0], 'bigint');
  numbersForBigints(reply);
  assert.deepEqual(reply.data.counter, [Number(big), 5, -Number(big)]);
  assert.equal(reply.timeline.t.finalized_until, Number(big));
  assert.deepEqual(reply.data.label, ['x']);
  const samples = samplesOf(checkDataReply(reply), 'counter', 't');
  assert.equal(JSON.stringify(Array.from(samples.v)), `[${Number(big)},5,${-Number(big)}]`);
});

test('replies of other shapes are left for the checks that follow', () => {
  for (const odd of [null, false, 3, 'x', [], { data: 1 }, { data: { f: 'x' }, timeline: [1n] }]) {
    assert.doesNotThrow(() => numbersForBigints(odd));
  }
});
