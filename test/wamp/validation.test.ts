import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolViolation, validateMessage } from '../../src/wamp/index.js';

test('well-formed messages pass and keep their shape', () => {
  const call = [48, 1, {}, 'com.x', [1], { a: 1 }];
  assert.equal(validateMessage(call), call);
  assert.deepEqual(validateMessage([70, 5, {}]), [70, 5, {}]);
  assert.deepEqual(validateMessage([67, 5]), [67, 5]);
});

test('bigint ids from binary serializers become numbers', () => {
  const m = validateMessage([34, 1n, 2n ** 40n]);
  assert.deepEqual(m, [34, 1, 2 ** 40]);
});

test('malformed messages are protocol violations with a message that says why', () => {
  const bad: Array<[unknown, RegExp]> = [
    [{}, /non-empty array/],
    [[], /non-empty array/],
    [['1', 'r', {}], /unknown message type/],
    [[48, 1, {}], /CALL must have/],
    [[48, 1.5, {}, 'x'], /element 1 must be an id/],
    [[48, 1, [], 'x'], /element 2 must be a dictionary/],
    [[48, 1, {}, 7], /element 3 must be a string/],
    [[48, 1, {}, 'x', {}], /element 4 must be a list/],
    [[48, 1, {}, 'x', [], 'kw'], /element 5 must be a dictionary/],
    [[16, 2 ** 53 + 2, {}, 'x'], /id in \[0, 2\^53\]/],
    [[8, 'x', 1, {}, 'e'], /element 1 must be an integer/],
    [[1, 'realm', null], /must be a dictionary/],
  ];
  for (const [msg, why] of bad) assert.throws(() => validateMessage(msg), (e: unknown) => e instanceof ProtocolViolation && why.test(e.message), JSON.stringify(msg));
});
