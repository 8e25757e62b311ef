// The REST API for scripts and the web monitor, against a real router, hub
// and data nodes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { DataNodeSource } from '../../src/datanode/source.js';
import { ApexArchiveSource } from '../../src/servers/weather/source.js';
import { apexDatapoints, apexHeader, request, sseEvents as events, startBridge, type RunningBridge } from './helpers/bridge.js';
import { counting, failingSource, mixedSource } from './helpers/sources.js';
import { startStack, until, type Stack } from './helpers/stack.js';

const JSON_TYPE = 'application/json; charset=utf-8';
let stack: Stack;
let apex: ReturnType<typeof counting>;
let b: RunningBridge;
before(async () => {
  apex = counting(await ApexArchiveSource.load());
  stack = await startStack([apex, failingSource('broken', 'disk on fire')]);
  b = await startBridge(stack.upstream);
  await until('both nodes listed', () => b.bridge.service.catalog.names().length === 6);
});
after(async () => {
  await b.close();
  await stack.close();
});

test('GET /api/v1/status and /nodes describe the bridge and the data nodes', async () => {
  const status = await request(`${b.url}/api/v1/status`);
  assert.equal(status.status, 200);
  const s = status.json as Record<string, unknown>;
  assert.match(String(s.version), /^\d+\.\d+\.\d+$/);
  assert.deepEqual({ ...s, version: 'v' }, { version: 'v', connected: true, nodes: 2, fields: 6, hubError: null, nodeTimeoutMs: 10000 });
  const nodes = await request(`${b.url}/api/v1/nodes`);
  assert.equal(nodes.headers.get('content-type'), JSON_TYPE);
  const list = (nodes.json as { nodes: Record<string, unknown>[] }).nodes;
  // health is the hub's liveness verdict (its probe is off in these tests: unknown)
  assert.deepEqual(
    list.map((n) => [n.name, n.description, n.online, n.fields, n.fieldsError, n.health, n.lastProbeMs]),
    [
      ['apex_archive', 'Archived APEX weather.', true, 5, null, 'unknown', null],
      ['broken', 'always fails', true, 1, null, 'unknown', null],
    ],
  );
  for (const n of list) assert.ok(!Number.isNaN(Date.parse(String(n.since))));
});

test('GET /api/v1/nodes/:node lists fields with description, units, type, timeline, and the timelines', async () => {
  const r = await request(`${b.url}/api/v1/nodes/apex_archive`);
  assert.equal(r.status, 200);
  const node = r.json as { name: string; online: boolean; fields: Record<string, unknown>[]; timelines: Record<string, unknown> };
  assert.equal(node.name, 'apex_archive');
  assert.equal(node.online, true);
  assert.deepEqual(node.fields[3], {
    id: 'apex_archive::apex_temperature',
    node: 'apex_archive',
    field: 'apex_temperature',
    description: apexHeader('apex_temperature').description,
    units: 'C',
    type: 'number',
    timeline: 'hourly',
  });
  assert.deepEqual(node.timelines.hourly, { interval: 3600, field: ['apex_humidity', 'apex_pressure', 'apex_temperature'] });
  const missing = await request(`${b.url}/api/v1/nodes/nope`);
  assert.equal(missing.status, 404);
  assert.equal((missing.json as { message: string }).message, "unknown data node 'nope'");
  const fields = await request(`${b.url}/api/v1/fields?match=hum`);
  assert.deepEqual(
    (fields.json as { fields: { id: string }[] }).fields.map((f) => f.id),
    ['apex_archive::apex_humidity'],
  );
});

test('GET /api/v1/data: columnar JSON over a range, downsampled to about N points', async () => {
  const from = '2017-07-14T00:00:00Z';
  const to = '2017-07-15T00:00:00Z';
  const r = await request(
    `${b.url}/api/v1/data?fields=apex_archive::apex_temperature,apex_archive::apex_windspeed&from=${from}&to=${to}&points=144`,
  );
  assert.equal(r.status, 200, r.text);
  const body = r.json as { from: number; to: number; stride: number; series: { id: string; t: number[]; v: number[]; units: string }[] };
  assert.equal(body.from, Date.parse(from));
  assert.equal(body.to, Date.parse(to));
  assert.equal(body.stride, 600);
  const [temp, wind] = body.series;
  const expected = apexDatapoints('apex_temperature', body.from, body.to);
  assert.deepEqual(
    temp?.t.map((t, i) => [temp.v[i], t]).filter((p, i, all) => i === 0 || p[1] !== all[i - 1]?.[1]),
    expected,
  );
  assert.equal(temp?.units, 'C');
  assert.equal(wind?.id, 'apex_archive::apex_windspeed');
  // minutely data at a 600 s stride: far fewer points, all of them real samples, ascending
  const raw = new Map(apexDatapoints('apex_windspeed', body.from, body.to).map(([v, t]) => [t, v]));
  assert.ok((wind?.t.length ?? 0) > 0 && (wind?.t.length ?? 0) < raw.size / 5);
  wind?.t.forEach((t, i) => {
    assert.equal(raw.get(t), wind.v[i]);
    if (i > 0) assert.ok(t > (wind.t[i - 1] as number));
  });
});

test('POST /api/v1/data and CSV; unknown names are 404, bad parameters 400, a failing node 502', async () => {
  const post = await request(`${b.url}/api/v1/data`, {
    body: { fields: ['apex_archive::apex_humidity'], from: 1499990400, to: 1499997600 },
  });
  assert.equal(post.status, 200);
  const series = (post.json as { series: { t: number[]; v: number[]; finalizedUntil: null }[] }).series;
  assert.deepEqual(series[0]?.t, [1499990400000, 1499994000000]);
  assert.deepEqual(series[0]?.v, [33.34, 36.11]);
  const csv = await request(`${b.url}/api/v1/data?fields=apex_archive::apex_humidity&from=1499990400&to=1499997600&format=csv`);
  assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
  assert.equal(
    csv.text,
    'time,unix_time,field,value\n2017-07-14T00:00:00.000Z,1499990400,apex_archive::apex_humidity,33.34\n2017-07-14T01:00:00.000Z,1499994000,apex_archive::apex_humidity,36.11\n',
  );
  const unknown = await request(`${b.url}/api/v1/data?fields=apex_archive::nope,apex_archive::apex_humidity`);
  assert.equal(unknown.status, 404);
  assert.equal((unknown.json as { message: string }).message, "data node 'apex_archive' has no field 'nope'");
  const none = await request(`${b.url}/api/v1/data`);
  assert.equal(none.status, 400);
  assert.match((none.json as { message: string }).message, /name at least one field/);
  const badPoints = await request(`${b.url}/api/v1/data?fields=apex_archive::apex_humidity&points=-1`);
  assert.equal(badPoints.status, 400);
  const badFormat = await request(`${b.url}/api/v1/data?fields=apex_archive::apex_humidity&format=xml`);
  assert.equal(badFormat.status, 400);
  const inverted = await request(`${b.url}/api/v1/data?fields=apex_archive::apex_humidity&from=now&to=now-1h`);
  assert.equal(inverted.status, 400);
  const broken = await request(`${b.url}/api/v1/data?fields=broken::v`);
  assert.equal(broken.status, 502);
  assert.equal((broken.json as { message: string }).message, "data node 'broken' failed: disk on fire");
  const partial = await request(`${b.url}/api/v1/data?fields=broken::v,apex_archive::apex_humidity&from=1499990400&to=1499994000`);
  assert.equal(partial.status, 200);
  const ps = (partial.json as { series: { id: string; error?: string; t: number[] }[] }).series;
  assert.deepEqual(
    ps.map((s) => [s.id, s.error ?? null, s.t.length]),
    [
      ['broken::v', "data node 'broken' failed: disk on fire", 0],
      ['apex_archive::apex_humidity', null, 1],
    ],
  );
});

test('GET /api/v1/events streams node changes and new samples of chosen fields', async () => {
  const samples: [number, number][] = [[1_000, 1]];
  const live: DataNodeSource = {
    name: 'live',
    description: 'grows',
    getFields: () => [{ x: { description: 'x', timeline: 't', type: 'number', units: null } }, { t: { interval: 1, field: ['x'] } }],
    getData: (req) => {
      const rows = samples.filter(([t]) => t >= req.start && t < req.end);
      return [{ name: 't', t: Float64Array.from(rows.map((r) => r[0])), fields: new Map([['x', rows.map((r) => r[1])]]), finalizedUntil: null }];
    },
  };
  await stack.addNode(live);
  const controller = new AbortController();
  try {
    await until('the live node listed', () => b.bridge.service.catalog.names().includes('live::x'));
    const res = await fetch(`${b.url}/api/v1/events?fields=live::x&since=1000&interval=0.2`, { signal: controller.signal });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const stream = events(res.body as ReadableStream<Uint8Array>);
    const next = async (name: string): Promise<unknown> => {
      for (;;) {
        const { value, done } = await stream.next();
        assert.equal(done, false);
        if (value?.event === name) return value.data;
      }
    };
    const hello = (await next('hello')) as { connected: boolean; fields: string[]; nodes: { name: string }[] };
    assert.equal(hello.connected, true);
    assert.deepEqual(hello.fields, ['live::x']);
    assert.ok(hello.nodes.some((n) => n.name === 'live'));
    assert.deepEqual(await next('samples'), { series: [{ id: 'live::x', t: [1_000_000], v: [1] }] });
    samples.push([1_001, 2], [1_002, 3]);
    assert.deepEqual(await next('samples'), { series: [{ id: 'live::x', t: [1_001_000, 1_002_000], v: [2, 3] }] });
    await stack.addNode(mixedSource('fridge'));
    const added = (await next('node-added')) as { name: string; online: boolean };
    assert.deepEqual([added.name, added.online], ['fridge', true]);
    await stack.removeNode('fridge');
    const removed = (await next('node-removed')) as { name: string; online: boolean };
    assert.deepEqual([removed.name, removed.online], ['fridge', false]);
  } finally {
    controller.abort();
    await stack.removeNode('live');
  }
  const unknown = await request(`${b.url}/api/v1/events?fields=nope::x`);
  assert.equal(unknown.status, 404);
  const badInterval = await request(`${b.url}/api/v1/events?interval=0`);
  assert.equal(badInterval.status, 400);
});

test('POST /api/v1/refresh reloads the field lists', async () => {
  const before = apex.calls.getFields;
  const r = await request(`${b.url}/api/v1/refresh`, { method: 'POST' });
  assert.equal(r.status, 200);
  assert.equal(apex.calls.getFields, before + 1);
  const one = await request(`${b.url}/api/v1/refresh?node=apex_archive`, { method: 'POST' });
  assert.equal(one.status, 200);
  assert.equal(apex.calls.getFields, before + 2);
  assert.equal((await request(`${b.url}/api/v1/refresh?node=nope`, { method: 'POST' })).status, 404);
});
