// The bridge against its upstream: the field list follows hub events
// without rescans, unknown names trigger a reload, nodes are asked in
// parallel with a timeout, identical queries share one call, and a client
// that goes away cancels the work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DataNodeSource } from '../../src/datanode/source.js';
import type { FieldInfo } from '../../src/protocol/types.js';
import { request, startBridge } from './helpers/bridge.js';
import { LocalUpstream } from './helpers/local-upstream.js';
import { apexSource, failingSource, mixedSource, slowSource } from './helpers/sources.js';

const RANGE = { from: '2017-07-14T00:00:00.000Z', to: '2017-07-14T03:00:00.000Z' };
const query = (...targets: string[]) => ({
  range: RANGE,
  targets: targets.map((target, i) => ({ target, refId: String.fromCharCode(65 + i) })),
});
const TEMPERATURE = [
  [-6.99, 1499990400000],
  [-8.73, 1499994000000],
  [-6.14, 1499997600000],
];

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('the field list is loaded once and then follows node added/removed events, with no rescan per request', async () => {
  const up = new LocalUpstream([apexSource()]);
  const b = await startBridge(up);
  try {
    assert.equal(up.count('get_data_node'), 1);
    assert.equal(up.count('get_fields', 'apex_archive'), 1);
    for (let i = 0; i < 3; i++) assert.equal(((await request(`${b.url}/search`, { body: { target: '' } })).json as string[]).length, 5);
    await request(`${b.url}/query`, { body: query('apex_archive::apex_temperature') });
    assert.equal(up.count('get_data_node'), 1);
    assert.equal(up.count('get_fields'), 1);

    up.add(mixedSource('fridge'));
    await until('fridge fields', async () => ((await request(`${b.url}/search`, { body: { target: 'fridge' } })).json as string[]).length === 3);
    assert.deepEqual((await request(`${b.url}/search`, { body: { target: 'nodes()' } })).json, ['apex_archive', 'fridge']);

    up.remove('fridge');
    const after = (await request(`${b.url}/search`, { body: { target: '' } })).json as string[];
    assert.equal(after.length, 5);
    const nodes = (await request(`${b.url}/api/v1/nodes`)).json as { nodes: { name: string; online: boolean }[] };
    assert.deepEqual(
      nodes.nodes.map((n) => [n.name, n.online]),
      [
        ['apex_archive', true],
        ['fridge', false],
      ],
    );
    const gone = await request(`${b.url}/query`, { body: query('fridge::temp') });
    assert.equal(gone.status, 404);
    assert.equal((gone.json as { message: string }).message, "data node 'fridge' is not connected");
    // the node list was read less than the reload gap ago: no resync for the offline node
    assert.equal(up.count('get_data_node'), 1);
  } finally {
    await b.close();
  }
});

test('after a reconnect the list is synchronised again; nodes that left meanwhile go offline', async () => {
  const up = new LocalUpstream([apexSource(), mixedSource('fridge')]);
  const b = await startBridge(up);
  try {
    up.setConnected(false);
    // removed while the bridge was not listening: no event reaches it
    (up as unknown as { sources: Map<string, DataNodeSource> }).sources.delete('fridge');
    up.setConnected(true);
    await until('fridge offline', () => b.bridge.service.catalog.node('fridge')?.online === false);
    assert.equal(b.bridge.service.catalog.node('apex_archive')?.online, true);
  } finally {
    await b.close();
  }
});

test('a field the list does not know yet makes the bridge reload that node once, then answer', async () => {
  const fields: Record<string, FieldInfo> = { a: { description: null, timeline: 't', type: 'number', units: null } };
  const growing: DataNodeSource = {
    name: 'growing',
    description: 'gains fields',
    getFields: () => [{ ...fields }, { t: { interval: 1, field: Object.keys(fields) } }],
    getData: (req) => [
      { name: 't', t: Float64Array.from([1499990400]), fields: new Map(req.fields.map((f) => [f, [42]])), finalizedUntil: null },
    ],
  };
  const up = new LocalUpstream([growing]);
  const b = await startBridge(up, { reloadGapMs: 200 });
  try {
    fields.b = { description: 'new', timeline: 't', type: 'number', units: 'V' };
    // reloads are rate-limited per node: the first one is allowed once the gap since loading has passed
    await new Promise((r) => setTimeout(r, 250));
    const r = await request(`${b.url}/query`, { body: query('growing::b') });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, [{ target: 'growing::b', refId: 'A', datapoints: [[42, 1499990400000]], unit: 'volt' }]);
    assert.equal(up.count('get_fields', 'growing'), 2);
    const again = await request(`${b.url}/query`, { body: query('growing::c') });
    assert.equal(again.status, 404);
    assert.equal((again.json as { message: string }).message, "data node 'growing' has no field 'c'");
  } finally {
    await b.close();
  }
});

test('unknown node and unknown field are 404 with a message; with another target they are notices on a 200', async () => {
  const b = await startBridge(new LocalUpstream([apexSource()]));
  try {
    const node = await request(`${b.url}/query`, { body: query('nope::x') });
    assert.equal(node.status, 404);
    assert.deepEqual(node.json, { message: "unknown data node 'nope'", error: 'Not Found', statusCode: 404, code: 'query_failed' });
    const both = await request(`${b.url}/query`, { body: query('nope::x', 'apex_archive::apex_wind') });
    assert.equal((both.json as { message: string }).message, "unknown data node 'nope'; data node 'apex_archive' has no field 'apex_wind'");
    const partial = await request(`${b.url}/query`, { body: query('apex_archive::apex_temperature', 'nope::x') });
    assert.equal(partial.status, 200);
    assert.deepEqual(partial.json, [
      { target: 'apex_archive::apex_temperature', refId: 'A', datapoints: TEMPERATURE, unit: 'celsius' },
      { target: 'nope::x', refId: 'B', datapoints: [], meta: { notices: [{ severity: 'warning', text: "unknown data node 'nope'" }] } },
    ]);
  } finally {
    await b.close();
  }
});

test('a node that errors: 502 with its message alone, a notice beside answered targets', async () => {
  const b = await startBridge(new LocalUpstream([apexSource(), failingSource('broken', 'disk on fire')]));
  try {
    const alone = await request(`${b.url}/query`, { body: query('broken::v') });
    assert.equal(alone.status, 502);
    assert.deepEqual(alone.json, { message: 'disk on fire', error: 'Bad Gateway', statusCode: 502, code: 'query_failed' });
    const mixed = await request(`${b.url}/query`, { body: query('broken::v', 'apex_archive::apex_temperature') });
    assert.equal(mixed.status, 200);
    assert.deepEqual(mixed.json, [
      { target: 'broken::v', refId: 'A', datapoints: [], meta: { notices: [{ severity: 'warning', text: 'disk on fire' }] } },
      { target: 'apex_archive::apex_temperature', refId: 'B', datapoints: TEMPERATURE, unit: 'celsius' },
    ]);
  } finally {
    await b.close();
  }
});

test('a slow node is cut off after the node timeout while the other targets are answered; alone it is 504', async () => {
  const seen = { aborted: 0 };
  const up = new LocalUpstream([apexSource(), slowSource('slow', 60_000, seen)]);
  const b = await startBridge(up, { nodeTimeoutMs: 300 });
  try {
    const r = await request(`${b.url}/query`, { body: query('apex_archive::apex_temperature', 'slow::v') });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, [
      { target: 'apex_archive::apex_temperature', refId: 'A', datapoints: TEMPERATURE, unit: 'celsius' },
      {
        target: 'slow::v',
        refId: 'B',
        datapoints: [],
        meta: { notices: [{ severity: 'warning', text: "data node 'slow' did not answer within 0.3 s" }] },
      },
    ]);
    assert.equal(seen.aborted, 1, 'the slow call was canceled, not left running');
    const alone = await request(`${b.url}/query`, { body: query('slow::v') });
    assert.equal(alone.status, 504);
    assert.equal((alone.json as { message: string }).message, "data node 'slow' did not answer within 0.3 s");
    const metrics = await request(`${b.url}/metrics`);
    assert.match(metrics.text, /^sisock_http_upstream_calls_total\{procedure="get_data",node="slow",outcome="canceled"\} 2$/m);
  } finally {
    await b.close();
  }
});

test('identical concurrent queries share one get_data per node', async () => {
  const up = new LocalUpstream([slowSource('slow', 300)]);
  const b = await startBridge(up);
  try {
    const body = query('slow::v');
    const answers = await Promise.all([1, 2, 3, 4].map(() => request(`${b.url}/query`, { body })));
    for (const a of answers) {
      assert.equal(a.status, 200);
      assert.deepEqual(a.json, [{ target: 'slow::v', refId: 'A', datapoints: [[1, 1000], [1, 2000], [1, 3000]] }]);
    }
    assert.equal(up.count('get_data', 'slow'), 1);
    assert.match((await request(`${b.url}/metrics`)).text, /^sisock_http_coalesced_calls_total 3$/m);
    // sequential ones are not coalesced
    await request(`${b.url}/query`, { body });
    assert.equal(up.count('get_data', 'slow'), 2);
  } finally {
    await b.close();
  }
});

test('a client that disconnects cancels the get_data it was waiting for', async () => {
  const seen = { aborted: 0 };
  const up = new LocalUpstream([slowSource('slow', 60_000, seen)]);
  const b = await startBridge(up, { nodeTimeoutMs: 60_000 });
  try {
    const controller = new AbortController();
    const pending = fetch(`${b.url}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(query('slow::v')),
      signal: controller.signal,
    });
    await until('the call to reach the node', () => up.count('get_data', 'slow') === 1);
    controller.abort();
    await assert.rejects(pending);
    await until('the node call to be aborted', () => seen.aborted === 1);
    // the bridge keeps serving
    assert.equal((await request(`${b.url}/`)).status, 200);
  } finally {
    await b.close();
  }
});

test('strings and bools become tables, NaN and Infinity null, on the g3 reader group timelines', async () => {
  const b = await startBridge(new LocalUpstream([mixedSource('fridge')]));
  try {
    const r = await request(`${b.url}/query`, {
      body: { range: { from: 0, to: 1_000_000 }, targets: [{ target: 'fridge::(state|ok|temp)', refId: 'A' }] },
    });
    assert.equal(r.status, 200);
    assert.doesNotMatch(r.text, /NaN|Infinity/);
    assert.deepEqual(r.json, [
      {
        type: 'table',
        refId: 'A',
        name: 'fridge::ok',
        columns: [
          { text: 'Time', type: 'time' },
          { text: 'fridge::ok', type: 'boolean' },
        ],
        rows: [
          [100000, true],
          [110000, false],
          [120000, true],
        ],
      },
      {
        type: 'table',
        refId: 'A',
        name: 'fridge::state',
        columns: [
          { text: 'Time', type: 'time' },
          { text: 'fridge::state', type: 'string' },
        ],
        rows: [
          [100000, 'cold'],
          [110000, 'cycling'],
          [120000, 'cold'],
        ],
      },
      {
        target: 'fridge::temp',
        refId: 'A',
        datapoints: [
          [0.1, 100000],
          [null, 101000],
          [null, 102000],
          [0.12, 103000],
        ],
        unit: 'kelvin',
      },
    ]);
  } finally {
    await b.close();
  }
});

test('ad-hoc node filters narrow pattern targets; tag values list online nodes', async () => {
  const b = await startBridge(new LocalUpstream([apexSource(), mixedSource('fridge')]));
  try {
    const keys = await request(`${b.url}/tag-keys`, { method: 'POST' });
    assert.deepEqual(keys.json, [{ type: 'string', text: 'node' }]);
    const values = await request(`${b.url}/tag-values`, { body: { key: 'node' } });
    assert.deepEqual(values.json, [
      { text: 'apex_archive', value: 'apex_archive' },
      { text: 'fridge', value: 'fridge' },
    ]);
    assert.deepEqual((await request(`${b.url}/tag-values`, { body: { key: 'City' } })).json, []);
    const r = await request(`${b.url}/query`, {
      body: { ...query('.*::(apex_)?temp(erature)?'), filters: [{ key: 'node', operator: '!=', value: 'apex_archive' }] },
    });
    assert.deepEqual(
      (r.json as { target: string }[]).map((s) => s.target),
      ['fridge::temp'],
    );
    const none = await request(`${b.url}/query`, {
      body: { ...query('.*::(apex_)?temp(erature)?'), adhocFilters: [{ key: 'node', operator: '=', value: 'elsewhere' }] },
    });
    assert.equal(none.status, 200);
    assert.deepEqual(none.json, [{ target: '.*::(apex_)?temp(erature)?', refId: 'A', datapoints: [] }]);
  } finally {
    await b.close();
  }
});
