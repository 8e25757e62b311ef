// The bridge follows the nodes' fields_changed events: a node that says its
// field list changed is reloaded at once, so /search (SimpleJson) and
// /metrics (JSON plugin) list new fields without any refresh call or
// request for an unknown name; a change during a load is not lost; the
// subscription comes back with the router; nodes that never publish the
// event (original ones) work as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WampClient } from '../../src/client/client.js';
import { Hub } from '../../src/hub/hub.js';
import { WampUpstream } from '../../src/http/wamp-upstream.js';
import type { DataNodeSource } from '../../src/datanode/source.js';
import { FieldsChangedSignal } from '../../src/datanode/fields-signal.js';
import type { CatalogEvent } from '../../src/http/catalog.js';
import type { FieldInfo } from '../../src/protocol/types.js';
import { CONSUMER_TOPICS, HUB } from '../../src/protocol/uris.js';
import { ApexArchiveSource } from '../../src/servers/weather/source.js';
import { waitFor } from '../helpers/sisock.js';
import { serveNode } from '../helpers/datanode.js';
import { defaultTestConfig, startRouter } from '../helpers/router.js';
import { request, sseEvents, startBridge } from './helpers/bridge.js';
import { growingSource } from './helpers/sources.js';
import { startStack } from './helpers/stack.js';

const searched = async (url: string, target: string): Promise<string[]> => (await request(`${url}/search`, { body: { target } })).json as string[];
const metrics = async (url: string, metric: string): Promise<string[]> =>
  ((await request(`${url}/metrics`, { body: { metric } })).json as { value: string }[]).map((o) => o.value);

/** How many get_fields calls the bridge made to `node` (its own count). */
async function fieldsCalls(url: string, node: string): Promise<number> {
  const text = (await request(`${url}/metrics`)).text;
  const re = new RegExp(`^sisock_http_upstream_calls_total\\{procedure="get_fields",node="${node}",outcome="[^"]+"\\} (\\d+)$`, 'gm');
  return [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
}

test('a node that announces a new field has it in /search and /metrics promptly; an original node works as before', async () => {
  const growing = growingSource('growing');
  growing.add('a', false);
  const quiet = growingSource('quiet', { silent: true });
  quiet.add('a', false);
  const stack = await startStack([growing, quiet, await ApexArchiveSource.load()]);
  // no refresh timer: only the events, or a request naming an unknown field, reload a list
  const b = await startBridge(stack.upstream, { fieldsRefreshMs: 0, reloadGapMs: 200 });
  const events: string[] = [];
  b.bridge.service.catalog.onChange((e: CatalogEvent) => {
    if (e.type === 'fields-changed') events.push(e.node.name);
  });
  try {
    await waitFor('every node listed', async () => (await searched(b.url, '')).length === 7);
    const loads = await fieldsCalls(b.url, 'growing');
    // the live stream the monitor follows
    const controller = new AbortController();
    const res = await fetch(`${b.url}/api/v1/events`, { signal: controller.signal });
    const stream = sseEvents(res.body as ReadableStream<Uint8Array>);
    assert.equal((await stream.next()).value?.event, 'hello');

    growing.add('b');
    for (;;) {
      const { value, done } = await stream.next();
      assert.equal(done, false);
      if (value?.event !== 'fields-changed') continue;
      assert.deepEqual([(value.data as { name: string }).name, (value.data as { fields: number }).fields], ['growing', 2], 'the stream says so');
      break;
    }
    controller.abort();
    await waitFor('growing::b in /search', async () => (await searched(b.url, 'growing')).includes('growing::b'));
    assert.deepEqual(await searched(b.url, 'growing'), ['growing::a', 'growing::b']);
    assert.deepEqual(await metrics(b.url, 'growing'), ['growing::a', 'growing::b'], 'the JSON plugin\'s list too');
    assert.ok(events.includes('growing'), 'the catalog told its listeners (the live stream, the monitor)');
    assert.ok((await fieldsCalls(b.url, 'growing')) > loads);

    // several changes: the last is always followed
    for (const f of ['c', 'd', 'e']) growing.add(f);
    await waitFor('growing::e in /metrics', async () => (await metrics(b.url, 'growing::e')).length === 1);
    assert.deepEqual(await searched(b.url, 'growing'), ['growing::a', 'growing::b', 'growing::c', 'growing::d', 'growing::e']);

    // the original node: listed, answered, and its new fields still found by the reload on an unknown name
    assert.deepEqual(await searched(b.url, 'quiet'), ['quiet::a']);
    quiet.add('late', false);
    await waitFor('quiet::late answered', async () => {
      const r = await request(`${b.url}/query`, { body: { range: { from: '1970-01-01T00:00:00.000Z', to: '1970-01-01T00:01:00.000Z' }, targets: [{ target: 'quiet::late', refId: 'A' }] } });
      return r.status === 200;
    });
    assert.ok((await searched(b.url, 'quiet')).includes('quiet::late'));
    assert.equal((await searched(b.url, 'apex')).length, 5);
  } finally {
    await b.close();
    await stack.close();
  }
});

test('a change announced while the bridge is loading that node\'s fields is followed by one more load', async () => {
  const fields: Record<string, FieldInfo> = { a: { description: null, timeline: 't', type: 'number', units: null } };
  const signal = new FieldsChangedSignal();
  let hold: Promise<void> | null = null;
  let held = 0;
  const source: DataNodeSource = {
    name: 'slowlist',
    description: 'reads its list, then takes its time',
    getFields: async () => {
      const reply: ReturnType<DataNodeSource['getFields']> = [{ ...fields }, { t: { interval: null, field: Object.keys(fields) } }];
      if (hold) {
        held++;
        await hold;
      }
      return reply;
    },
    getData: () => [],
    onFieldsChanged: (l) => signal.listen(l),
  };
  const add = (name: string) => {
    fields[name] = { description: null, timeline: 't', type: 'number', units: null };
    signal.notify();
  };
  const stack = await startStack([source]);
  const b = await startBridge(stack.upstream, { fieldsRefreshMs: 0 });
  // the catalog listened first: when this listener hears an event, the catalog has handled it
  const relayed: string[] = [];
  stack.upstream.subscribe((e) => {
    if (e.type === 'fields-changed') relayed.push(e.node);
  });
  let release!: () => void;
  try {
    await waitFor('slowlist::a', async () => (await searched(b.url, 'slowlist')).length === 1);
    hold = new Promise((r) => (release = r));
    add('b');
    await waitFor('the bridge loading (the reply read before the next change)', () => held === 1);
    const before = relayed.length;
    add('c');
    // the announcement of c reaches the bridge while that load waits; then the load finishes
    await waitFor('the event of c handled', () => relayed.length > before);
    hold = null;
    release();
    await waitFor('slowlist::c in /search', async () => (await searched(b.url, 'slowlist')).includes('slowlist::c'));
    assert.deepEqual(await searched(b.url, 'slowlist'), ['slowlist::a', 'slowlist::b', 'slowlist::c']);
  } finally {
    release?.();
    await b.close();
    await stack.close();
  }
});

test('the bridge\'s subscription comes back with the router, and new fields are followed again', async () => {
  const growing = growingSource('growing');
  growing.add('a', false);
  const stack = await startStack([growing]);
  const b = await startBridge(stack.upstream, { fieldsRefreshMs: 0 });
  const relayed: string[] = [];
  stack.upstream.subscribe((e) => {
    if (e.type === 'fields-changed') relayed.push(e.node);
  });
  try {
    await waitFor('growing::a', async () => (await searched(b.url, 'growing')).length === 1);
    await stack.killRouter();
    await waitFor('the bridge to notice', () => !stack.upstream.connected);
    await stack.startRouter();
    await waitFor('the bridge and the node back', () => stack.upstream.connected && stack.nodes.get('growing')!.client.joined && b.bridge.service.catalog.node('growing')?.online === true);

    // the router says who is subscribed to the pattern: the bridge's new session
    const admin = new WampClient({ ...stack.serverConnection, reconnect: false });
    await admin.start();
    try {
      const id = (await admin.call('wamp.subscription.lookup', [CONSUMER_TOPICS, { match: 'prefix' }])).args[0];
      assert.equal(typeof id, 'number', 'the prefix subscription exists on the new router');
      const subscribers = (await admin.call('wamp.subscription.list_subscribers', [id])).args[0] as number[];
      assert.ok(subscribers.includes(stack.upstream.client.sessionId!), 'with the bridge among its subscribers');
    } finally {
      await admin.close();
    }

    const before = relayed.length;
    growing.add('after_restart');
    await waitFor('the event relayed', () => relayed.length > before);
    assert.equal(relayed[relayed.length - 1], 'growing');
    await waitFor('growing::after_restart in /search', async () => (await searched(b.url, 'growing')).includes('growing::after_restart'));
  } finally {
    await b.close();
    await stack.close();
  }
});

test('a node whose name has dots is followed too; other topics under consumer are no fields_changed', async () => {
  const dotted = growingSource('site.platform.sensors');
  dotted.add('a', false);
  const stack = await startStack([dotted]);
  const b = await startBridge(stack.upstream, { fieldsRefreshMs: 0, reloadGapMs: 200 });
  const changed: string[] = [];
  b.bridge.service.catalog.onChange((e: CatalogEvent) => {
    if (e.type === 'fields-changed') changed.push(e.node.name);
  });
  try {
    await waitFor('the dotted node listed', async () => (await searched(b.url, '')).includes('site.platform.sensors::a'));
    dotted.add('b');
    await waitFor('its new field in /search', async () => (await searched(b.url, '')).includes('site.platform.sensors::b'));
    assert.deepEqual([...new Set(changed)], ['site.platform.sensors']);
    // the hub's own events come through the prefix too: a node going away is no fields change
    await stack.removeNode('site.platform.sensors');
    await waitFor('the node offline', () => b.bridge.service.catalog.node('site.platform.sensors')?.online === false);
    assert.deepEqual([...new Set(changed)], ['site.platform.sensors']);
  } finally {
    await b.close();
    await stack.close();
  }
});

test('a router whose roles refuse the subscription: the bridge works as before, learning fields on demand', async () => {
  const config = defaultTestConfig();
  const consumerRole = config.realms[0]!.roles.find((r) => r.name === 'consumer')!;
  const none = { caller: false, publisher: false };
  consumerRole.permissions = [
    { uri: 'org.simonsobservatory.consumer.', match: 'prefix', allow: { call: true }, disclose: none },
    { uri: HUB.added, match: 'exact', allow: { subscribe: true }, disclose: none },
    { uri: HUB.subtracted, match: 'exact', allow: { subscribe: true }, disclose: none },
  ];
  const router = await startRouter({ config });
  const connection = { url: router.tlsUrl, realm: router.realm, ca: router.ca, reconnect: false } as const;
  const hub = new Hub({ connection: { ...connection, auth: { method: 'wampcra', authid: 'hub', secret: router.secrets.hub } }, probe: { interval: 0 }, claimTimeout: 0 });
  await hub.start();
  const growing = growingSource('growing');
  growing.add('a', false);
  const node = await serveNode(router, growing);
  const client = new WampClient({ ...connection, auth: { method: 'wampcra', authid: 'simonsobs', secret: router.secrets.simonsobs } });
  const upstream = new WampUpstream(client);
  await upstream.start();
  await client.start();
  const b = await startBridge(upstream, { fieldsRefreshMs: 0, reloadGapMs: 200 });
  try {
    await waitFor('growing::a', async () => (await searched(b.url, 'growing')).length === 1);
    growing.add('b'); // announced, but this bridge may not hear it
    await waitFor('growing::b answered', async () => {
      const r = await request(`${b.url}/query`, { body: { range: { from: '1970-01-01T00:00:00.000Z', to: '1970-01-01T00:01:00.000Z' }, targets: [{ target: 'growing::b', refId: 'A' }] } });
      return r.status === 200;
    });
    assert.deepEqual(await searched(b.url, 'growing'), ['growing::a', 'growing::b']);
    assert.ok(client.joined, 'the refusal did not cost the bridge its session');
  } finally {
    await b.close();
    await node.close();
    await hub.close();
    await router.close();
  }
});
