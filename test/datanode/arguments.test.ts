import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGetData, parseGetFields } from '../../src/datanode/arguments.js';
import { InvalidArgumentError } from '../../src/datanode/errors.js';
import { toUnixTime } from '../../src/datanode/time.js';

const NOW = 1_700_000_000.25;

test('sisock time: positive is UNIX time, zero is now, negative counts back from now', () => {
  assert.equal(toUnixTime(1_500_000_000, NOW), 1_500_000_000);
  assert.equal(toUnixTime(0, NOW), NOW);
  assert.equal(toUnixTime(-3600, NOW), NOW - 3600);
  assert.ok(Math.abs(toUnixTime(0) - Date.now() / 1000) < 5, 'defaults to the clock');
});

test('get_fields takes start and end positionally or by keyword, resolving relative times', () => {
  assert.deepEqual(parseGetFields({ args: [1, 0] }, NOW), { start: 1, end: NOW });
  assert.deepEqual(parseGetFields({ args: [-60], kwargs: { end: 0 } }, NOW), { start: NOW - 60, end: NOW });
  assert.deepEqual(parseGetFields({ kwargs: { start: 1500000000, end: 1500003600 } }, NOW), { start: 1500000000, end: 1500003600 });
});

test('get_fields rejects missing, mistyped, extra and inverted arguments with clear messages', () => {
  const cases: [Parameters<typeof parseGetFields>[0], RegExp][] = [
    [{ args: [] }, /missing argument 'start'/],
    [{ args: [1] }, /missing argument 'end'/],
    [{ args: ['1', 0] }, /'start' must be a number .* got the string "1"/],
    [{ args: [1, null] }, /'end' must be a number .* got null/],
    [{ args: [1, true] }, /'end' must be a number .* got boolean true/],
    [{ args: [1, 0, 5] }, /takes at most 2 positional arguments, got 3/],
    [{ args: [1, 0], kwargs: { end: 0 } }, /'end' both as a positional and as a keyword/],
    [{ args: [1, 0], kwargs: { when: 0 } }, /unexpected keyword argument 'when'/],
    [{ args: [-10, -3600] }, /start .* is after end/],
    [{ args: [Infinity, 0] }, /'start' must be a number/],
  ];
  for (const [call, message] of cases) {
    assert.throws(() => parseGetFields(call, NOW), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError, `${JSON.stringify(call)} gives InvalidArgumentError`);
      assert.equal(err.uri, 'wamp.error.invalid_argument');
      assert.match(err.message, message);
      return true;
    });
  }
});

test('get_data takes min_stride as fourth positional or as keyword, and None/0 as raw', () => {
  const base = { fields: ['a', 'b'], start: 1500000000, end: NOW, maxPoints: null };
  assert.deepEqual(parseGetData({ args: [['a', 'b'], 1500000000, 0] }, null, NOW), { ...base, minStride: null });
  assert.deepEqual(parseGetData({ args: [['a', 'b'], 1500000000, 0, 60] }, null, NOW), { ...base, minStride: 60 });
  assert.deepEqual(parseGetData({ args: [['a', 'b'], 1500000000, 0], kwargs: { min_stride: 2.5 } }, null, NOW), { ...base, minStride: 2.5 });
  assert.deepEqual(parseGetData({ args: [['a', 'b'], 1500000000, 0, null] }, null, NOW), { ...base, minStride: null });
  assert.deepEqual(parseGetData({ args: [['a', 'b'], 1500000000, 0, 0] }, null, NOW), { ...base, minStride: null });
  assert.deepEqual(
    parseGetData({ kwargs: { field: ['a', 'b'], start: 1500000000, end: 0, min_stride: 1 } }, 500, NOW),
    { ...base, minStride: 1, maxPoints: 500 },
  );
});

test('get_data accepts one field name as a list of one and drops repeated names', () => {
  assert.deepEqual(parseGetData({ args: ['a', -60, 0] }, null, NOW).fields, ['a']);
  assert.deepEqual(parseGetData({ args: [['a', 'b', 'a'], -60, 0] }, null, NOW).fields, ['a', 'b']);
  assert.deepEqual(parseGetData({ args: [[], -60, 0] }, null, NOW).fields, []);
});

test('get_data rejects wrong field lists, strides and times with clear messages', () => {
  const cases: [Parameters<typeof parseGetData>[0], RegExp][] = [
    [{ args: [] }, /missing argument 'field'/],
    [{ args: [{ a: 1 }, 0, 0] }, /'field' must be a list of field names, got an object/],
    [{ args: [['a', 3], 0, 0] }, /item 1 is number 3/],
    [{ args: [['a'], 'yesterday', 0] }, /'start' must be a number/],
    [{ args: [['a'], 0, 0, -1] }, /'min_stride' must be a number of seconds >= 0 or null, got number -1/],
    [{ args: [['a'], 0, 0, '60'] }, /'min_stride' .* got the string "60"/],
    [{ args: [['a'], 0, 0, 60], kwargs: { min_stride: 60 } }, /'min_stride' both as a positional and as a keyword/],
    [{ args: [['a'], 0, 0, 60, 1] }, /at most 4 positional arguments, got 5/],
    [{ args: [['a'], 0, 0], kwargs: { max_points: 3 } }, /unexpected keyword argument 'max_points'/],
  ];
  for (const [call, message] of cases) {
    assert.throws(() => parseGetData(call, null, NOW), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError);
      assert.match(err.message, message);
      return true;
    });
  }
});
