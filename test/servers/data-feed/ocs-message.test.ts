import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFeedEvent } from '../../../src/servers/data-feed/ocs-message.js';
import { FIXTURES, fixture } from './fixtures.js';

const feed = { agent_address: 'observatory.A1', feed_name: 'temps', address: 'observatory.A1.feeds.temps', record: true, session_id: '1.0' };

test('the current block map (fixture): one block, several samples', () => {
  const e = parseFeedEvent(fixture(FIXTURES.fakeData).publish_args);
  assert.equal(e.kind, 'data');
  if (e.kind !== 'data') return;
  assert.equal(e.identity.agentAddress, 'observatory.fake-data1');
  assert.equal(e.identity.feedName, 'false_temperatures');
  assert.equal(e.identity.record, true);
  assert.equal(e.blocks.length, 1);
  assert.deepEqual(e.blocks[0]!.t, [1602089117.0, 1602089117.5, 1602089118.0, 1602089118.5]);
  assert.deepEqual(Object.keys(e.blocks[0]!.data), ['channel_00', 'channel_01']);
  assert.deepEqual(e.problems, []);
});

test('two blocks with spaces in their names (fixture)', () => {
  const e = parseFeedEvent(fixture(FIXTURES.twoBlocks).publish_args);
  assert.equal(e.kind, 'data');
  if (e.kind !== 'data') return;
  assert.deepEqual(e.blocks.map((b) => b.name), ['Channel 05', 'Channel 06']);
  assert.deepEqual(e.blocks[1]!.data, { Channel_06_T: [0], Channel_06_R: [1022.44] });
});

test('the 2019 shape: prefix key in blocks, agent_session_id, integer values (fixture)', () => {
  const e = parseFeedEvent(fixture(FIXTURES.legacy).publish_args);
  assert.equal(e.kind, 'data');
  if (e.kind !== 'data') return;
  assert.deepEqual(e.blocks[0]!.data['Channel 1 T'], [301, 289]);
});

test('an unrecorded heartbeat is a message without samples, not an error (fixture)', () => {
  const e = parseFeedEvent(fixture(FIXTURES.heartbeat).publish_args);
  assert.equal(e.kind, 'other');
});

test('a single sample, several samples, and a list of samples', () => {
  const one = parseFeedEvent([[{ block_name: 'b', timestamp: 10, data: { x: 1, y: 'on', z: true } }, feed]]);
  assert.equal(one.kind, 'data');
  if (one.kind === 'data') assert.deepEqual(one.blocks, [{ name: 'b', t: [10], data: { x: [1], y: ['on'], z: [true] } }]);
  const many = parseFeedEvent([[{ block_name: 'b', timestamps: [1, 2], data: { x: [1, 2.5] } }, feed]]);
  assert.equal(many.kind, 'data');
  if (many.kind === 'data') assert.deepEqual(many.blocks[0]!.t, [1, 2]);
  const list = parseFeedEvent([
    [
      [
        { block_name: 'b', timestamp: 1, data: { x: 1 } },
        { block_name: 'b', timestamp: 2, data: { x: 2 } },
      ],
      feed,
    ],
  ]);
  assert.equal(list.kind, 'data');
  if (list.kind === 'data') assert.deepEqual(list.blocks.map((b) => b.t[0]), [1, 2]);
});

test('the 2018 shapes: channel -> [t, value], with and without a feed dict', () => {
  const withFeed = parseFeedEvent([[{ ch1: [5, 1.5], ch2: [5, 2.5] }, feed]]);
  assert.equal(withFeed.kind, 'data');
  if (withFeed.kind === 'data') assert.deepEqual(withFeed.blocks.map((b) => b.data), [{ ch1: [1.5] }, { ch2: [2.5] }]);
  const bare = parseFeedEvent([{ agent_address: 'observatory.A1', data: { ch1: [5, 1.5] } }]);
  assert.equal(bare.kind, 'data');
  if (bare.kind === 'data') assert.equal(bare.identity.agentAddress, 'observatory.A1');
});

test('two positional arguments instead of one pair are accepted too', () => {
  assert.equal(parseFeedEvent([{ b: { block_name: 'b', timestamps: [1], data: { x: [1] } } }, feed]).kind, 'data');
});

test('malformed messages say why', () => {
  const cases: [unknown[], RegExp][] = [
    [[], /expected one argument/],
    [['hello'], /expected one argument/],
    [[[{}, { feed_name: 'x' }]], /no agent_address/],
    [[['text', feed]], /string, not a map/],
    [[[{ b: { block_name: 'b', timestamps: [1, 2], data: { x: [1] } } }, feed]], /1 values for 2 timestamps/],
    [[[{ b: { block_name: 'b', timestamps: [1, 'x'], data: { x: [1, 2] } } }, feed]], /timestamps is not a list of finite numbers/],
    [[[{ b: { block_name: 'b', timestamps: [1], data: { x: [{ deep: 1 }] } } }, feed]], /not a number, string or bool/],
    [[[{ b: { block_name: 'b', data: { x: [1] } } }, feed]], /no timestamps list/],
    [[[{ acq: 3 }, feed]], /neither a block map nor a sample/],
    [[[[1, 2, 3], feed]], /not sample dicts/],
  ];
  for (const [args, why] of cases) {
    const e = parseFeedEvent(args);
    assert.equal(e.kind, 'malformed', JSON.stringify(args));
    if (e.kind === 'malformed') assert.match(e.why, why);
  }
});

test('a bad block is reported and the good blocks of the message are kept', () => {
  const e = parseFeedEvent([
    [
      {
        good: { block_name: 'good', timestamps: [1], data: { x: [1] } },
        bad: { block_name: 'bad', timestamps: [1], data: { y: [1, 2] } },
      },
      feed,
    ],
  ]);
  assert.equal(e.kind, 'data');
  if (e.kind !== 'data') return;
  assert.deepEqual(e.blocks.map((b) => b.name), ['good']);
  assert.equal(e.problems.length, 1);
  assert.match(e.problems[0]!, /block 'bad'/);
});
