import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WampClient } from '../../../src/client/client.js';
import { SimulatedAgent, parseFeedSpec } from '../../../src/simulate/agent.js';
import { FloatPreservingJsonSerializer } from '../../../src/simulate/float-json.js';
import { fieldsChangedTopic } from '../../../src/protocol/uris.js';
import { spawnSisock, waitFor, type SisockProcess } from '../../helpers/sisock.js';
import { consumer, getData, getFields, startRouter, strideBound, TEST_TLS, type RouterUnderTest } from '../../helpers/datanode.js';
import { FIXTURES, fixture } from './fixtures.js';

let router: RouterUnderTest;
let spoolDir: string;
let c: WampClient;
let publisher: WampClient;
const nodes: SisockProcess[] = [];
/** sisock field name of node A (TARGET=sim1 FEED=temps) -> published [t, v] in publishing order */
const published = new Map<string, [number, number][]>();

function nodeEnv(env: Record<string, string>): Record<string, string> {
  return {
    SISOCK_URL: router.tlsUrl,
    SISOCK_CA: TEST_TLS.caFile,
    WAMP_SECRET: router.secrets.server,
    SISOCK_REALM: router.realm,
    CROSSBAR_HOST: '127.0.0.1',
    CROSSBAR_OCS_PORT: new URL(router.openUrl).port,
    SISOCK_SPOOL_DIR: spoolDir,
    ...env,
  };
}

function startNode(env: Record<string, string>): Promise<SisockProcess> {
  return spawnSisock(['node', 'data-feed'], { env: nodeEnv(env), readyPattern: /serving data node/ });
}

const NODE_A = { TARGET: 'sim1', FEED: 'temps', NAME: 'sim1', BUFFER_TIME: '3600' };

/** Runs the agents for at least `seconds` and until `minSamples` samples of node A's feed went out (a loaded machine publishes slower). */
async function runAgents(seconds: number, minSamples: number): Promise<void> {
  const agents = [
    new SimulatedAgent({
      agentId: 'sim1',
      feeds: [parseFeedSpec('temps:3:20:fake'), parseFeedSpec('ls:2:10:lakeshore')],
      bufferTime: 0.3,
      publish: (topic, args) => publisher.publish(topic, args),
      onPublished: (p) => {
        if (p.feed.feed_name !== 'temps') return;
        for (const block of Object.values(p.message)) {
          for (const [f, vs] of Object.entries(block.data)) {
            const list = published.get(f.toLowerCase()) ?? [];
            block.timestamps.forEach((t, i) => list.push([t, vs[i]!]));
            published.set(f.toLowerCase(), list);
          }
        }
      },
    }),
    // another agent on a feed of the same name: node A must ignore it
    new SimulatedAgent({ agentId: 'sim2', feeds: [parseFeedSpec('temps:2:10:fake')], bufferTime: 0.3, publish: (topic, args) => publisher.publish(topic, args) }),
  ];
  for (const a of agents) a.start();
  const started = Date.now();
  await waitFor(`${minSamples} samples published`, () => Date.now() - started >= seconds * 1000 && total() > minSamples, 60_000);
  await Promise.all(agents.map((a) => a.stop()));
}

async function served(node: string, field: string, start = 1, end = 0): Promise<[number, number][]> {
  const r = await getData(c, node, [field], start, end);
  const tl = r.timeline[`observatory.sim1.${field}`];
  return tl ? tl.t.map((t, i) => [t, r.data[field]![i] as number]) : [];
}

const total = () => [...published.values()].reduce((n, l) => n + l.length, 0);

before(async () => {
  router = await startRouter();
  spoolDir = mkdtempSync(join(tmpdir(), 'sisock-feed-node-'));
  c = await consumer(router);
  publisher = new WampClient({ url: router.openUrl, realm: router.realm, serializer: new FloatPreservingJsonSerializer(), reconnect: false });
  await publisher.start();
  // nodes[0] is node A
  nodes.push(...(await Promise.all([
    startNode(NODE_A),
    startNode({ TARGET: 'sim1', FEED: 'temps', NAME: 'short', BUFFER_TIME: '2', SISOCK_SPOOL_MAX_MB: '0' }),
    startNode({ TARGET: '*', FEED: '*', NAME: 'everything', BUFFER_TIME: '1000000000', MAX_POINTS: '10', SISOCK_SPOOL_MAX_MB: '0' }),
  ])));
  await runAgents(3, 150);
});

after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await publisher?.close();
  await c?.close();
  await router?.close();
  rmSync(spoolDir, { recursive: true, force: true });
});

test('fed by simulated agents, the node serves every published sample of its feed, in order, once', async () => {
  assert.deepEqual([...published.keys()].sort(), ['channel_00', 'channel_01', 'channel_02']);
  assert.ok(total() > 150, `${total()} samples published`);
  await waitFor('all samples arrived', async () => (await served('sim1', 'channel_02')).length === published.get('channel_02')!.length);
  const [fields, timelines] = await getFields(c, 'sim1', 1, 0);
  assert.deepEqual(Object.keys(fields).sort(), ['channel_00', 'channel_01', 'channel_02'], 'other feeds and agents ignored');
  assert.deepEqual(fields.channel_00, { description: null, timeline: 'observatory.sim1.channel_00', type: 'number', units: null });
  assert.deepEqual(timelines['observatory.sim1.channel_00'], { interval: null, field: ['channel_00'] });
  for (const [field, list] of published) assert.deepEqual(await served('sim1', field), list, field);
});

test('samples older than BUFFER_TIME are forgotten', async () => {
  const list = published.get('channel_00')!;
  const before = Date.now() / 1000;
  const got = await served('short', 'channel_00');
  const after = Date.now() / 1000;
  assert.ok(got.length > 0 && got.length < list.length, `${got.length} of ${list.length} kept`);
  assert.ok(got[0]![0] >= before - 2, 'nothing older than BUFFER_TIME');
  const from = list.findIndex(([t]) => t === got[0]![0]);
  assert.deepEqual(got, list.slice(from), 'a contiguous run of the newest samples');
  assert.ok(list.filter(([t]) => t >= after - 2).every(([t]) => got.some(([u]) => u === t)), 'everything younger is kept');
});

test('min_stride thins, and MAX_POINTS caps, the feed data', async () => {
  const all = (await getData(c, 'sim1', ['channel_01'], 1, 0)).timeline['observatory.sim1.channel_01']!.t;
  const strided = (await getData(c, 'sim1', ['channel_01'], 1, 0, 0.5)).timeline['observatory.sim1.channel_01']!.t;
  assert.ok(strided.length < all.length && strided.length <= strideBound(all, 0.5), `${strided.length} of ${all.length}`);
  const capped = await getData(c, 'everything', ['sim1.temps.channel_01'], 1, 0);
  assert.ok(capped.data['sim1.temps.channel_01']!.length <= 10);
});

test('one wildcard node follows every agent and feed, naming fields per agent and feed; OCS fixtures too', async () => {
  for (const name of Object.values(FIXTURES)) {
    const fx = fixture(name);
    await publisher.publish(fx.topic, fx.publish_args);
  }
  await waitFor('fixtures arrived', async () => 'LSA22Z2.temperatures.channel_1_t' in (await getFields(c, 'everything', 1, 0))[0]);
  const [fields] = await getFields(c, 'everything', 1, 0);
  for (const f of [
    'sim1.temps.channel_00',
    'sim1.ls.channel_01_t',
    'sim1.ls.channel_02_r',
    'sim2.temps.channel_01',
    'fake-data1.false_temperatures.channel_01',
    'LSA22YE.temperatures.channel_05_t',
    'LSA22YE.temperatures.channel_06_r',
  ]) {
    assert.ok(f in fields, f);
  }
  assert.equal(fields['LSA22YE.temperatures.channel_05_t']!.timeline, 'observatory.LSA22YE.temperatures.channel_05_t');
  assert.ok(!Object.keys(fields).some((f) => f.includes('heartbeat') || f.endsWith('.acq')), 'heartbeats are not data');
  const r = await getData(c, 'everything', ['LSA22Z2.temperatures.channel_1_t'], 1, 0);
  assert.deepEqual(r.data['LSA22Z2.temperatures.channel_1_t'], [301, 289], 'ints are numbers');
});

test('malformed messages are logged and dropped; the buffer is kept', async () => {
  const before = await served('sim1', 'channel_00');
  const feed = { agent_address: 'observatory.sim1', feed_name: 'temps', record: true };
  await publisher.publish('observatory.sim1.feeds.temps', ['nonsense']);
  await publisher.publish('observatory.sim1.feeds.temps', [[{ temps: { block_name: 'temps', timestamps: [1, 2], data: { channel_00: [1] } } }, feed]]);
  await publisher.publish('observatory.sim1.feeds.temps', [[{ temps: { block_name: 'temps', timestamps: [Date.now() / 1000], data: { channel_00: [{ x: 1 }] } } }, feed]]);
  const a = nodes[0]!;
  await waitFor('three warnings logged', () => a.logs().filter((l) => l.msg === 'malformed feed message dropped').length === 3);
  assert.deepEqual(await served('sim1', 'channel_00'), before);
  assert.match(String(a.logs().find((l) => l.msg === 'malformed feed message dropped')!.why), /expected one argument/);
});

test('the buffer survives a restart of the node (clean stop, then a crash)', async () => {
  const expected = await served('sim1', 'channel_00');
  assert.equal(await nodes[0]!.stop(), 0);
  nodes[0] = await startNode(NODE_A);
  assert.deepEqual(await served('sim1', 'channel_00'), expected, 'restored after SIGTERM');
  // more samples, then SIGKILL: what was flushed (all but the last second at most) comes back
  await runAgents(1.5, total() + 30);
  await waitFor('new samples arrived', async () => (await served('sim1', 'channel_00')).length === published.get('channel_00')!.length);
  await nodes[0]!.stop('SIGKILL');
  nodes[0] = await startNode(NODE_A);
  for (const [field, list] of published) {
    const got = await served('sim1', field);
    assert.ok(got.length >= expected.length, `${field}: the first run's samples are all back`);
    assert.deepEqual(got, list.slice(0, got.length), `${field}: a prefix of what was published, in order, once`);
  }
});

test('sisock simulate-agent publishes feeds a node picks up', async () => {
  const agent = await spawnSisock(['simulate-agent', '--agent-id', 'cli1', '--feed', 'x:2:5', '--buffer-time', '0.4', '--duration', '2'], {
    env: { CROSSBAR_HOST: '127.0.0.1', CROSSBAR_OCS_PORT: new URL(router.openUrl).port, SISOCK_REALM: router.realm },
    readyPattern: /agent observatory\.cli1 publishing/,
  });
  assert.equal(await agent.exited, 0);
  assert.match(agent.stdout(), /publications sent/);
  const [fields] = await getFields(c, 'everything', 1, 0);
  assert.ok('cli1.x.channel_00' in fields && 'cli1.x.channel_01' in fields);
});

test('a field seen for the first time makes the node publish fields_changed, with the field already listed', async () => {
  const heard: string[][] = [];
  await c.subscribe(fieldsChangedTopic('sim1'), async () => {
    heard.push(Object.keys((await getFields(c, 'sim1', 1, 0))[0]).sort());
  });
  const feed = { agent_address: 'observatory.sim1', feed_name: 'temps', record: true };
  await publisher.publish('observatory.sim1.feeds.temps', [[{ temps: { block_name: 'temps', timestamps: [Date.now() / 1000], data: { channel_new: [7.5] } } }, feed]]);
  await waitFor('the event', () => heard.length > 0);
  assert.ok(heard[0]!.includes('channel_new'), `listed when the event is heard: ${heard[0]!.join(', ')}`);
});
