import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FeedStore } from '../../../src/servers/data-feed/feed-store.js';
import { fieldNames, selectorPart, subscriptionFor, topicMatches, type FeedSelector } from '../../../src/servers/data-feed/naming.js';
import type { DataRequest } from '../../../src/datanode/source.js';
import { captureLog } from '../../helpers/log-capture.js';
import { FIXTURES, fixture } from './fixtures.js';

const all = (fields: string[]): DataRequest => ({ fields, start: 0, end: Infinity, minStride: null, maxPoints: null });
const exact = (target: string, feed: string): FeedSelector => ({ addressRoot: 'observatory', target, feed });

function storeFor(selector: FeedSelector, now = () => 1602089120, bufferTime = 1e9) {
  const log = captureLog();
  const store = new FeedStore({ selector, bufferTime, maxSamples: 100_000, logger: log.logger, now });
  return { store, log };
}

function values(x: unknown): unknown[] {
  return Array.from(x as ArrayLike<unknown>);
}

test('subscriptions: exact for one feed, OCS wildcard patterns otherwise; topics checked on arrival', () => {
  const sel = (target: string | null, feed: string | null): FeedSelector => ({ addressRoot: 'observatory', target, feed });
  assert.deepEqual(subscriptionFor(sel('LSA22YE', 'temperatures')), { topic: 'observatory.LSA22YE.feeds.temperatures', match: 'exact' });
  assert.deepEqual(subscriptionFor(sel(null, null)), { topic: 'observatory..feeds.', match: 'wildcard' });
  assert.deepEqual(subscriptionFor(sel(null, 'temperatures')), { topic: 'observatory..feeds.temperatures', match: 'wildcard' });
  assert.deepEqual(subscriptionFor(sel('A', null)), { topic: 'observatory.A.feeds.', match: 'wildcard' });
  assert.ok(topicMatches(sel(null, null), 'observatory.A.feeds.temps'));
  assert.ok(topicMatches(sel('A', null), 'observatory.A.feeds.temps'));
  for (const t of ['observatory.A.feeds', 'observatory.A.feeds.temps.x', 'observatory.A.data', 'observatoryX.A.feeds.t', 'observatory..feeds.t', 'observatory.B.feeds.t']) {
    assert.ok(!topicMatches(sel('A', null), t), t);
  }
  assert.equal(selectorPart('*'), null);
  assert.equal(selectorPart(''), null);
  assert.equal(selectorPart('x'), 'x');
});

test('events on topics that are not followed feeds are ignored before they are read', () => {
  const { store, log } = storeFor({ addressRoot: 'observatory', target: null, feed: null });
  assert.equal(store.ingest(['anything'], 'observatory.A.data'), 'ignored');
  assert.equal(store.ingest(fixture(FIXTURES.fakeData).publish_args, 'observatory.fake-data1.feeds.false_temperatures'), 'data');
  assert.equal(log.warnings().length, 0);
});

test('fields and timelines are named like the original (fixture derived names)', () => {
  for (const name of [FIXTURES.fakeData, FIXTURES.twoBlocks]) {
    const fx = fixture(name);
    const derived = fx.derived.sisock_data_feed_server as { env: { TARGET: string; FEED: string }; fields: string[]; timelines?: Record<string, string[]> };
    const { store } = storeFor(exact(derived.env.TARGET, derived.env.FEED));
    assert.equal(store.ingest(fx.publish_args, fx.topic), 'data');
    const [fields, timelines] = store.getFields();
    assert.deepEqual(Object.keys(fields).sort(), [...derived.fields].sort());
    for (const f of derived.fields) {
      assert.deepEqual(fields[f], { description: null, timeline: `observatory.${derived.env.TARGET}.${f}`, type: 'number', units: null });
    }
    if (derived.timelines) {
      for (const [tl, fs] of Object.entries(derived.timelines)) assert.deepEqual(timelines[tl], { interval: null, field: fs });
    }
  }
});

test('wildcard naming puts the open parts in front of the field', () => {
  const any: FeedSelector = { addressRoot: 'observatory', target: null, feed: null };
  assert.deepEqual(fieldNames(any, 'LSA22YE', 'temperatures', 'Channel_05_T'), {
    field: 'LSA22YE.temperatures.channel_05_t',
    timeline: 'observatory.LSA22YE.temperatures.channel_05_t',
  });
  assert.deepEqual(fieldNames({ ...any, feed: 'temperatures' }, 'LSA22YE', 'temperatures', 'Channel 1 T'), {
    field: 'LSA22YE.channel_1_t',
    timeline: 'observatory.LSA22YE.channel_1_t',
  });
  assert.deepEqual(fieldNames({ ...any, target: 'LSA22YE' }, 'LSA22YE', 'temperatures', 'x'), {
    field: 'temperatures.x',
    timeline: 'observatory.LSA22YE.temperatures.x',
  });
});

test('one store follows many agents and feeds without collisions', () => {
  const { store } = storeFor({ addressRoot: 'observatory', target: null, feed: null });
  for (const name of [FIXTURES.fakeData, FIXTURES.twoBlocks, FIXTURES.legacy, FIXTURES.heartbeat]) {
    const fx = fixture(name);
    store.ingest(fx.publish_args, fx.topic);
  }
  const [fields] = store.getFields();
  assert.deepEqual(Object.keys(fields).sort(), [
    'LSA22YE.temperatures.channel_05_r',
    'LSA22YE.temperatures.channel_05_t',
    'LSA22YE.temperatures.channel_06_r',
    'LSA22YE.temperatures.channel_06_t',
    'LSA22Z2.temperatures.channel_1_t',
    'LSA22Z2.temperatures.channel_1_v',
    'LSA22Z2.temperatures.channel_2_t',
    'LSA22Z2.temperatures.channel_2_v',
    'fake-data1.false_temperatures.channel_00',
    'fake-data1.false_temperatures.channel_01',
  ]);
  assert.equal(store.counts.ignored, 1, 'the heartbeat');
});

test('data: every sample of every block, ints and floats alike, on each field\'s timeline', () => {
  const { store } = storeFor(exact('LSA22YE', 'temperatures'));
  store.ingest(fixture(FIXTURES.twoBlocks).publish_args);
  const tls = store.getData(all(['channel_05_t', 'channel_06_t', 'nope']));
  assert.deepEqual(tls.map((t) => t.name), ['observatory.LSA22YE.channel_05_t', 'observatory.LSA22YE.channel_06_t']);
  assert.deepEqual([...tls[0]!.t], [1601924482.722671, 1601924483.0412, 1601924483.3607]);
  assert.deepEqual(values(tls[0]!.fields.get('channel_05_t')), [293.644, 293.641, 293.647]);
  assert.deepEqual(values(tls[1]!.fields.get('channel_06_t')), [0]);
  assert.equal(tls[0]!.finalizedUntil, null);
  // integers then floats in one field are one number field
  store.ingest([[{ b: { block_name: 'b', timestamps: [1601924490, 1601924491], data: { Channel_06_T: [1, 1.5] } } }, (fixture(FIXTURES.twoBlocks).publish_args[0] as unknown[])[1]]]);
  const [t6] = store.getData(all(['channel_06_t']));
  assert.deepEqual(values(t6!.fields.get('channel_06_t')), [0, 1, 1.5]);
});

test('messages from other agents or feeds are ignored', () => {
  const { store } = storeFor(exact('fake-data1', 'false_temperatures'));
  assert.equal(store.ingest(fixture(FIXTURES.twoBlocks).publish_args), 'ignored');
  const fx = fixture(FIXTURES.fakeData);
  const [[message, feed]] = fx.publish_args as [[unknown, Record<string, unknown>]];
  assert.equal(store.ingest([[message, { ...feed, feed_name: 'other_feed', address: 'observatory.fake-data1.feeds.other_feed' }]]), 'ignored');
  assert.equal(store.ingest([[message, { ...feed, agent_address: 'elsewhere.fake-data1' }]]), 'ignored');
  assert.deepEqual(store.getFields(), [{}, {}]);
  assert.equal(store.ingest(fx.publish_args), 'data');
});

test('a malformed message is logged and dropped; the buffer keeps what it had', () => {
  const { store, log } = storeFor(exact('fake-data1', 'false_temperatures'));
  const fx = fixture(FIXTURES.fakeData);
  store.ingest(fx.publish_args);
  const before = store.getData(all(['channel_00']))[0]!.t.length;
  const feed = (fx.publish_args[0] as unknown[])[1];
  for (const bad of [[], ['x'], [[null, feed]], [[{ temps: { block_name: 'temps', timestamps: [1], data: { channel_00: [1, 2] } } }, feed]]]) {
    assert.equal(store.ingest(bad), 'malformed');
  }
  // a value of another kind in a number field: that field's part is dropped, the rest kept
  store.ingest([[{ temps: { block_name: 'temps', timestamps: [1602089119], data: { channel_00: ['hot'], channel_01: [0.5] } } }, feed]]);
  assert.equal(store.getData(all(['channel_00']))[0]!.t.length, before);
  assert.equal(store.getData(all(['channel_01']))[0]!.t.length, before + 1);
  assert.equal(store.counts.malformed, 4);
  assert.equal(log.warnings(/malformed feed message dropped/).length, 4);
  assert.equal(log.warnings(/parts of a feed message dropped/).length, 1);
});

test('samples older than BUFFER_TIME (by the wall clock) are forgotten', () => {
  let now = 1000;
  const { store } = storeFor(exact('A', 'f'), () => now, 10);
  const feed = { agent_address: 'observatory.A', feed_name: 'f', record: true };
  store.ingest([[{ b: { block_name: 'b', timestamps: [985, 995, 1000], data: { x: [1, 2, 3] } } }, feed]]);
  assert.deepEqual([...store.getData(all(['x']))[0]!.t], [995, 1000], '985 was too old on arrival');
  now = 1006;
  assert.deepEqual([...store.getData(all(['x']))[0]!.t], [1000]);
  now = 1011;
  assert.deepEqual(store.getData(all(['x'])), []);
  assert.deepEqual(store.getFields(), [{}, {}], 'a field with nothing left is not listed');
});

test('string and bool fields keep their type', () => {
  const { store } = storeFor(exact('A', 'f'), () => 20);
  const feed = { agent_address: 'observatory.A', feed_name: 'f', record: true };
  store.ingest([[{ b: { block_name: 'b', timestamps: [10, 11], data: { State: ['idle', 'run'], On: [false, true] } } }, feed]]);
  const [fields] = store.getFields();
  assert.equal(fields.state!.type, 'string');
  assert.equal(fields.on!.type, 'bool');
  assert.deepEqual(values(store.getData(all(['state']))[0]!.fields.get('state')), ['idle', 'run']);
});

test('the store tells when a field appears: first samples, or samples again after it emptied by age; not for more samples', () => {
  let now = 1000;
  const appeared: string[] = [];
  const store = new FeedStore({ selector: exact('A', 'f'), bufferTime: 10, maxSamples: 1000, now: () => now, onFieldAppeared: (meta) => appeared.push(meta.field) });
  const feed = { agent_address: 'observatory.A', feed_name: 'f', record: true };
  const send = (t: number, data: Record<string, unknown[]>) => store.ingest([[{ b: { block_name: 'b', timestamps: [t], data } }, feed]]);
  send(1000, { x: [1], y: [2] });
  assert.deepEqual(appeared, ['x', 'y']);
  send(1001, { x: [1], y: [2] });
  send(1002, { x: [null] });
  assert.deepEqual(appeared, ['x', 'y'], 'more samples of known fields say nothing');
  send(1003, { z: [null] });
  assert.deepEqual(appeared, ['x', 'y'], 'a field with only missing values is not listed yet');
  send(1004, { z: [3] });
  assert.deepEqual(appeared, ['x', 'y', 'z']);
  now = 1020;
  assert.deepEqual(store.getFields(), [{}, {}]);
  send(1020, { x: [5] });
  assert.deepEqual(appeared, ['x', 'y', 'z', 'x'], 'listed again after it was forgotten');
  send(1000, { y: [5] });
  assert.deepEqual(appeared, ['x', 'y', 'z', 'x'], 'samples too old to keep do not make a field appear');
});
