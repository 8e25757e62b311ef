import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FloatPreservingJsonSerializer, stringifyWithFloats } from '../../src/simulate/float-json.js';
import { OcsFeed } from '../../src/simulate/ocs-feed.js';
import { SimulatedAgent, parseFeedSpec } from '../../src/simulate/agent.js';
import { FeedStore } from '../../src/servers/data-feed/feed-store.js';

test('floats stay floats on the wire; other numbers are written as they are', () => {
  const text = stringifyWithFloats([16, 7, {}, 'topic', [[{ b: { data: { x: Float64Array.of(293, 0, -1.5, 1e21) }, timestamps: Float64Array.of(1602089117) } }, { frame_length: 60, record: true, s: 'a"b' }]]]);
  assert.equal(text, '[16,7,{},"topic",[[{"b":{"data":{"x":[293.0,0.0,-1.5,1e+21]},"timestamps":[1602089117.0]}},{"frame_length":60,"record":true,"s":"a\\"b"}]]]');
  const s = new FloatPreservingJsonSerializer();
  assert.equal(s.protocol, 'json');
  assert.deepEqual(s.decode(s.encode({ a: Float64Array.of(2) })), { a: [2] });
  assert.deepEqual(s.decode(new TextEncoder().encode('[1]')), [1]);
});

test('a feed buffers samples per block and publishes the block map after the buffer time, as OCS does', () => {
  const feed = new OcsFeed({ agentAddress: 'observatory.sim', feedName: 'temps', bufferTime: 1, sessionId: '1.0', agentClass: 'X' });
  assert.equal(feed.add('a', 10, { x: 1 }, 10), null);
  assert.equal(feed.add('b', 10.5, { y: 2 }, 10.5), null);
  const p = feed.add('a', 11, { x: 3 }, 11);
  assert.ok(p);
  assert.equal(p.topic, 'observatory.sim.feeds.temps');
  assert.deepEqual(Object.keys(p.message), ['a', 'b']);
  assert.deepEqual([...p.message.a!.timestamps], [10, 11]);
  assert.deepEqual([...p.message.a!.data.x!], [1, 3]);
  assert.deepEqual(p.feed, { agent_address: 'observatory.sim', agg_params: { frame_length: 60 }, feed_name: 'temps', address: 'observatory.sim.feeds.temps', record: true, session_id: '1.0', agent_class: 'X' });
  assert.equal(feed.flush(), null, 'nothing left');
  assert.throws(() => feed.add('a', 12, { z: 1 }, 12), /block 'a' has fields x/);
  assert.throws(() => feed.add('c', 12, { 'bad name': 1 }, 12), /invalid OCS field name/);
});

test('feed specs are checked', () => {
  assert.deepEqual(parseFeedSpec('temperatures'), { name: 'temperatures', channels: 4, rate: 10, style: 'fake' });
  assert.deepEqual(parseFeedSpec('t:8:2.5:lakeshore'), { name: 't', channels: 8, rate: 2.5, style: 'lakeshore' });
  assert.throws(() => parseFeedSpec('Temps'), /lower-case/);
  assert.throws(() => parseFeedSpec('t:0'), /channels/);
  assert.throws(() => parseFeedSpec('t:1:0'), /rate/);
  assert.throws(() => parseFeedSpec('t:1:1:weird'), /style/);
});

test('what the simulated agent publishes is read back sample for sample by the data-feed store', async () => {
  const store = new FeedStore({ selector: { addressRoot: 'observatory', target: 'sim1', feed: null }, bufferTime: 3600, maxSamples: 100_000 });
  const published = new Map<string, number[]>();
  const serializer = new FloatPreservingJsonSerializer();
  let heartbeats = 0;
  const agent = new SimulatedAgent({
    agentId: 'sim1',
    feeds: [parseFeedSpec('temps:3:50:fake'), parseFeedSpec('ls:4:40:lakeshore')],
    bufferTime: 0.2,
    publish: (topic, args) => {
      // through the wire format, as a subscriber would get it
      const back = serializer.decode(serializer.encode(args)) as unknown[];
      if (topic.endsWith('.heartbeat')) heartbeats++;
      store.ingest(back, topic);
    },
    onPublished: (p) => {
      for (const block of Object.values(p.message)) {
        for (const f of Object.keys(block.data)) {
          const key = `${p.feed.feed_name}.${f.toLowerCase()}`;
          published.set(key, [...(published.get(key) ?? []), ...block.timestamps]);
        }
      }
    },
  });
  agent.start();
  await new Promise((r) => setTimeout(r, 1100));
  await agent.stop();
  assert.ok(heartbeats >= 1, 'heartbeat published');
  assert.equal(published.size, 3 + 4 * 2);
  for (const [field, ts] of published) {
    const [tl] = store.getData({ fields: [field], start: 0, end: Infinity, minStride: null, maxPoints: null });
    assert.deepEqual([...tl!.t], ts, field);
  }
  assert.equal(store.counts.malformed, 0);
});
