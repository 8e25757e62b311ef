// The bridge against a real router, hub and data node servers: the field
// list follows the hub's events without rescans, unknown names trigger a
// reload, nodes are asked in parallel with a timeout, identical queries
// share one call, a client that goes away cancels the call, and the bridge
// comes back with the router.
import { test } from 'node:test';
import { request as httpRequest } from 'node:http';
import assert from 'node:assert/strict';
import type { DataNodeSource } from '../../src/datanode/source.js';
import type { FieldInfo } from '../../src/protocol/types.js';
import { ApexArchiveSource } from '../../src/servers/weather/source.js';
import { request, startBridge } from './helpers/bridge.js';
import { counting, denseSource, failingSource, mixedSource, slowSource } from './helpers/sources.js';
import { startStack, until } from './helpers/stack.js';

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

const names = async (url: string, target = ''): Promise<string[]> =>
  (await request(`${url}/search`, { body: { target } })).json as string[];

/** How many calls of `procedure` the bridge made (its own count, from GET /metrics). */
async function bridgeCalls(url: string, procedure: string, node = ''): Promise<number> {
  const text = (await request(`${url}/metrics`)).text;
  const re = new RegExp(`^sisock_http_upstream_calls_total\\{procedure="${procedure}",node="${node}",outcome="[^"]+"\\} (\\d+)$`, 'gm');
  return [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
}

test('the field list is loaded once, then follows the hub: nodes added and removed, no rescan per request', async () => {
  const stack = await startStack([await ApexArchiveSource.load()]);
  const b = await startBridge(stack.upstream);
  try {
    await until('the weather fields', async () => (await names(b.url)).length === 5);
    assert.equal(await bridgeCalls(b.url, 'get_fields', 'apex_archive'), 1);
    assert.equal(await bridgeCalls(b.url, 'get_data_node'), 1);
    for (let i = 0; i < 3; i++) assert.equal((await names(b.url)).length, 5);
    const q = await request(`${b.url}/query`, { body: query('apex_archive::apex_temperature') });
    assert.deepEqual(q.json, [{ target: 'apex_archive::apex_temperature', refId: 'A', datapoints: TEMPERATURE, unit: 'celsius' }]);
    assert.equal(await bridgeCalls(b.url, 'get_fields', 'apex_archive'), 1, 'no get_fields per request');
    assert.equal(await bridgeCalls(b.url, 'get_data_node'), 1, 'no node list per request');

    await stack.addNode(mixedSource('fridge'));
    await until('the fridge fields', async () => (await names(b.url, 'fridge')).length === 3);
    assert.deepEqual(await names(b.url, 'nodes()'), ['apex_archive', 'fridge']);

    await stack.removeNode('fridge');
    await until('the fridge to leave', async () => (await names(b.url)).length === 5);
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
  } finally {
    await b.close();
    await stack.close();
  }
});

test('router restart: 503 while it is gone, then the bridge rejoins and resynchronises; nodes gone meanwhile are offline', async () => {
  const stack = await startStack([await ApexArchiveSource.load(), mixedSource('fridge')]);
  const b = await startBridge(stack.upstream);
  try {
    await until('both nodes', async () => (await names(b.url)).length === 8);
    await stack.killRouter();
    await until('the bridge to notice', () => !stack.upstream.connected);
    const down = await request(`${b.url}/`);
    assert.equal(down.status, 503);
    const reason = `not connected to the WAMP router at ${stack.url}`;
    assert.deepEqual(down.json, { status: 'unavailable', message: reason, error: { code: 'no_session', message: reason }, statusCode: 503 });
    const q = await request(`${b.url}/query`, { body: query('apex_archive::apex_temperature') });
    assert.equal(q.status, 503);
    assert.equal((q.json as { message: string }).message, `the sisock HTTP bridge is not connected to the WAMP router at ${stack.url}`);
    await stack.removeNode('fridge');
    await stack.startRouter();
    await until('the weather node back', async () => {
      const r = await request(`${b.url}/query`, { body: query('apex_archive::apex_temperature') });
      return r.status === 200 && JSON.stringify(r.json).includes('-8.73');
    });
    await until('fridge offline', () => b.bridge.service.catalog.node('fridge')?.online === false);
    assert.equal((await request(`${b.url}/`)).status, 200);
  } finally {
    await b.close();
    await stack.close();
  }
});

test('health is 503 hub_unreachable when the hub is gone', async () => {
  const stack = await startStack([]);
  const b = await startBridge(stack.upstream);
  try {
    assert.equal((await request(`${b.url}/`)).status, 200);
    await stack.stopHub();
    // the health answer is cached for a second
    await until('the health check to see it', async () => (await request(`${b.url}/`)).status === 503);
    const r = await request(`${b.url}/`);
    const body = r.json as { error: { code: string }; message: string };
    assert.equal(body.error.code, 'hub_unreachable');
    assert.equal(body.message, 'the sisock hub does not answer: the sisock hub is not registered on the router');
  } finally {
    await b.close();
    await stack.close();
  }
});

test('a field the list does not know yet makes the bridge reload that node, then answer', async () => {
  const fields: Record<string, FieldInfo> = { a: { description: null, timeline: 't', type: 'number', units: null } };
  const growing: DataNodeSource = {
    name: 'growing',
    description: 'gains fields',
    getFields: () => [{ ...fields }, { t: { interval: 1, field: Object.keys(fields) } }],
    getData: (req) => [
      { name: 't', t: Float64Array.from([1499990400]), fields: new Map(req.fields.filter((f) => f in fields).map((f) => [f, [42]])), finalizedUntil: null },
    ],
  };
  const stack = await startStack([growing]);
  const b = await startBridge(stack.upstream, { reloadGapMs: 200 });
  try {
    await until('field a', async () => (await names(b.url)).length === 1);
    fields.b = { description: 'new', timeline: 't', type: 'number', units: 'V' };
    // reloads are rate-limited per node: wait out the gap since the first load
    await new Promise((r) => setTimeout(r, 250));
    const r = await request(`${b.url}/query`, { body: query('growing::b') });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, [{ target: 'growing::b', refId: 'A', datapoints: [[42, 1499990400000]], unit: 'volt' }]);
    const again = await request(`${b.url}/query`, { body: query('growing::c') });
    assert.equal(again.status, 404);
    assert.equal((again.json as { message: string }).message, "data node 'growing' has no field 'c'");
  } finally {
    await b.close();
    await stack.close();
  }
});

test('unknown names, failing and slow nodes: errors alone, notices beside answered targets', async () => {
  const stack = await startStack([await ApexArchiveSource.load(), failingSource('broken', 'disk on fire'), slowSource('slow', 600_000)]);
  const b = await startBridge(stack.upstream, { nodeTimeoutMs: 300 });
  try {
    await until('all fields', async () => (await names(b.url)).length === 7);
    const node = await request(`${b.url}/query`, { body: query('nope::x') });
    assert.equal(node.status, 404);
    assert.deepEqual(node.json, { message: "unknown data node 'nope'", error: 'Not Found', statusCode: 404, code: 'query_failed' });
    const both = await request(`${b.url}/query`, { body: query('nope::x', 'apex_archive::apex_wind') });
    assert.equal((both.json as { message: string }).message, "unknown data node 'nope'; data node 'apex_archive' has no field 'apex_wind'");

    const broken = await request(`${b.url}/query`, { body: query('broken::v') });
    assert.equal(broken.status, 502);
    assert.deepEqual(broken.json, {
      message: "data node 'broken' failed: disk on fire",
      error: 'Bad Gateway',
      statusCode: 502,
      code: 'query_failed',
    });
    const slow = await request(`${b.url}/query`, { body: query('slow::v') });
    assert.equal(slow.status, 504);
    assert.equal((slow.json as { message: string }).message, "data node 'slow' did not answer within 0.3 s");

    const mixed = await request(`${b.url}/query`, { body: query('apex_archive::apex_temperature', 'nope::x', 'broken::v', 'slow::v') });
    assert.equal(mixed.status, 200);
    const notice = (text: string) => ({ notices: [{ severity: 'warning', text }] });
    assert.deepEqual(mixed.json, [
      { target: 'apex_archive::apex_temperature', refId: 'A', datapoints: TEMPERATURE, unit: 'celsius' },
      { target: 'nope::x', refId: 'B', datapoints: [], meta: notice("unknown data node 'nope'") },
      { target: 'broken::v', refId: 'C', datapoints: [], meta: notice("data node 'broken' failed: disk on fire") },
      { target: 'slow::v', refId: 'D', datapoints: [], meta: notice("data node 'slow' did not answer within 0.3 s") },
    ]);
    const metrics = (await request(`${b.url}/metrics`)).text;
    assert.match(metrics, /^sisock_http_upstream_calls_total\{procedure="get_data",node="broken",outcome="error"\} 2$/m);
    assert.match(metrics, /^sisock_http_upstream_calls_total\{procedure="get_data",node="slow",outcome="(timeout|canceled)"\} 2$/m);
  } finally {
    await b.close();
    await stack.close();
  }
});

test('identical concurrent queries share one get_data; a client that disconnects cancels its call, and the node stops its work', async () => {
  const slow = counting(slowSource('slow', 400));
  const stuckWork = { aborted: 0 };
  const stuck = counting(slowSource('stuck', 600_000, stuckWork));
  const stack = await startStack([slow, stuck]);
  const b = await startBridge(stack.upstream, { nodeTimeoutMs: 60_000 });
  try {
    await until('the fields', async () => (await names(b.url)).length === 2);
    const body = query('slow::v');
    const answers = await Promise.all([1, 2, 3, 4].map(() => request(`${b.url}/query`, { body })));
    for (const a of answers) {
      assert.equal(a.status, 200);
      assert.deepEqual(a.json, [{ target: 'slow::v', refId: 'A', datapoints: [[1, 1000], [1, 2000], [1, 3000]] }]);
    }
    assert.equal(slow.calls.getData, 1);
    assert.match((await request(`${b.url}/metrics`)).text, /^sisock_http_coalesced_calls_total 3$/m);
    await request(`${b.url}/query`, { body });
    assert.equal(slow.calls.getData, 2, 'sequential queries are not coalesced');

    const controller = new AbortController();
    const pending = fetch(`${b.url}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(query('stuck::v')),
      signal: controller.signal,
    });
    await until('the call to reach the node', () => stuck.calls.getData === 1);
    controller.abort();
    await assert.rejects(pending);
    await until('the WAMP call to be canceled', async () =>
      /^sisock_http_upstream_calls_total\{procedure="get_data",node="stuck",outcome="canceled"\} 1$/m.test((await request(`${b.url}/metrics`)).text),
    );
    // the router interrupts the node's invocation: its source sees the abort
    await until('the node to stop its work', () => stuckWork.aborted === 1);
    assert.equal((await request(`${b.url}/`)).status, 200);
  } finally {
    await b.close();
    await stack.close();
  }
});

test('strings and bools become tables, NaN and Infinity null, on the g3 reader group timelines', async () => {
  const stack = await startStack([mixedSource('fridge')]);
  const b = await startBridge(stack.upstream);
  try {
    await until('the fridge fields', async () => (await names(b.url)).length === 3);
    const r = await request(`${b.url}/query`, {
      body: { range: { from: 0, to: 1_000_000 }, targets: [{ target: 'fridge::(state|ok|temp)', refId: 'A' }] },
    });
    assert.equal(r.status, 200, r.text);
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
    await stack.close();
  }
});

test('ad-hoc node filters narrow pattern targets; tag values list online nodes', async () => {
  const stack = await startStack([await ApexArchiveSource.load(), mixedSource('fridge')]);
  const b = await startBridge(stack.upstream);
  try {
    await until('both nodes', async () => (await names(b.url)).length === 8);
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
    await stack.close();
  }
});

/** POSTs `body` and reads nothing of the answer until `read()` is called. */
function heldAnswer(url: string, body: unknown): Promise<{ read: () => Promise<string> }> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (res) => {
      resolve({
        read: () =>
          new Promise((done, fail) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
            res.on('error', fail);
          }),
      });
    });
    req.on('error', reject);
    req.end(text);
  });
}

test('an answer still on its way out keeps its bytes while later answers are written', async () => {
  const stack = await startStack([denseSource('dense', 250_000)]);
  const b = await startBridge(stack.upstream);
  try {
    await until('the dense field', async () => (await names(b.url)).length === 1);
    // every sample, a thousand less each time: answers of ~9 MB, more than a socket takes at once
    const body = (k: number): unknown => ({
      range: { from: new Date((1e9 + 1000 * k) * 1000).toISOString(), to: new Date((1e9 + 250_000) * 1000).toISOString() },
      maxDataPoints: 1_000_000,
      targets: [{ target: 'dense::x', refId: 'A' }],
    });
    const alone = (await request(`${b.url}/query`, { body: body(0), headers: { 'accept-encoding': 'identity' } })).text;
    assert.ok(alone.length > 8_000_000, `a large answer (${alone.length} bytes)`);
    // a client that reads nothing yet: most of its answer waits in the bridge
    const held = await heldAnswer(`${b.url}/query`, body(0));
    for (let k = 1; k < 4; k++) {
      const other = await request(`${b.url}/query`, { body: body(k), headers: { 'accept-encoding': 'identity' } });
      assert.equal(other.status, 200);
      assert.notEqual(other.text, alone);
    }
    assert.equal(await held.read(), alone, 'the held answer arrives whole, as it was written');
  } finally {
    await b.close();
    await stack.close();
  }
});
