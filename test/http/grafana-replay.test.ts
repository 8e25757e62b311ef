// Every recorded Grafana request (test/fixtures/grafana), sent as its plugin
// sends it, through the bridge, our router (its own process), the hub and
// the example weather node, with every field of the answer checked against
// the weather data read straight from its files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FORMAT_OPTIONS, FORMAT_PAYLOAD } from '../../src/http/plugins/grafana-json.js';
import { fixture, fixtureNames } from './helpers/fixtures.js';
import { apexDatapoints, apexHeader, replay, startBridge, withoutRepeats, type Answer, type RunningBridge } from './helpers/bridge.js';
import { ApexArchiveSource } from '../../src/servers/weather/source.js';
import { startStack, until, type Stack } from './helpers/stack.js';
import { WampClient } from '../../src/client/client.js';
import { WampUpstream } from '../../src/http/wamp-upstream.js';

const NAMES = [
  'apex_archive::apex_humidity',
  'apex_archive::apex_pressure',
  'apex_archive::apex_radiometer',
  'apex_archive::apex_temperature',
  'apex_archive::apex_windspeed',
];
const FIELDS = NAMES.map((n) => n.split('::')[1] as string);
const JSON_TYPE = 'application/json; charset=utf-8';

let stack: Stack;
let running: RunningBridge;
before(async () => {
  stack = await startStack([await ApexArchiveSource.load()]);
  running = await startBridge(stack.upstream);
  await until('the bridge to list the weather fields', () => running.bridge.service.catalog.names().length === 5);
});
after(async () => {
  await running.close();
  await stack.close();
});

function rangeOf(name: string): [number, number] {
  const body = fixture(name).body as { range: { from: string; to: string } };
  return [Date.parse(body.range.from), Date.parse(body.range.to)];
}

/**
 * Checks that `points` ([value, ms]) are what a peak-keeping downsampling of
 * the field's raw samples in the window may give (the node chooses how many
 * it keeps): real samples only, ascending, the first and last sample and
 * the minimum and maximum kept.
 */
function checkSamples(field: string, points: [unknown, number][], fromMs: number, toMs: number): void {
  const raw = apexDatapoints(field, fromMs, toMs);
  assert.ok(raw.length > 0, `the window must cover data of ${field}`);
  const byTime = new Map(raw.map(([v, t]) => [t, v]));
  assert.ok(points.length > 0 && points.length <= raw.length, `${field}: ${points.length} points for ${raw.length} samples`);
  points.forEach(([v, t], i) => {
    assert.ok(Number.isInteger(t), `${field}: integer ms`);
    if (i > 0) assert.ok(t > (points[i - 1] as [unknown, number])[1], `${field}: ascending at ${t}`);
    // the node's timeline may hold times of a sibling field: no value there
    assert.equal(v, byTime.has(t) ? byTime.get(t) : null, `${field}: value at ${t}`);
  });
  const times = new Set(points.map(([, t]) => t));
  const values = new Set(points.map(([v]) => v));
  assert.ok(times.has((raw[0] as [number, number])[1]), `${field}: first sample kept`);
  assert.ok(times.has((raw[raw.length - 1] as [number, number])[1]), `${field}: last sample kept`);
  assert.ok(values.has(Math.min(...raw.map(([v]) => v))), `${field}: minimum kept`);
  assert.ok(values.has(Math.max(...raw.map(([v]) => v))), `${field}: maximum kept`);
}

const SAMPLES = '<checked samples>';
const fieldOf = (name: unknown): string => String(name).split('::')[1] as string;

/** Checks every sample array of an answer with checkSamples and puts SAMPLES in its place. */
function checkedAnswer(answer: unknown, fromMs: number, toMs: number): unknown {
  if (!Array.isArray(answer)) return answer;
  return (withoutRepeats(answer) as Record<string, unknown>[]).map((item) => {
    const out = { ...item };
    if (Array.isArray(out.datapoints) && out.datapoints.length > 0) {
      checkSamples(fieldOf(out.target), out.datapoints as [unknown, number][], fromMs, toMs);
      out.datapoints = SAMPLES;
    }
    if (Array.isArray(out.rows) && out.rows.length > 0) {
      const rows = out.rows as [number, string, unknown][];
      for (const name of new Set(rows.map((r) => r[1]))) {
        checkSamples(fieldOf(name), rows.filter((r) => r[1] === name).map(([t, , v]) => [v, t]), fromMs, toMs);
      }
      assert.deepEqual(rows.map((r) => r[0]), rows.map((r) => r[0]).sort((x, y) => x - y), 'rows oldest first');
      out.rows = SAMPLES;
    }
    if (Array.isArray(out.fields)) {
      const [time, value] = out.fields as [{ values: number[] }, { values: unknown[] }];
      checkSamples(fieldOf(out.name), time.values.map((t, i) => [value.values[i], t]), fromMs, toMs);
      out.fields = (out.fields as Record<string, unknown>[]).map((f) => ({ ...f, values: SAMPLES }));
    }
    return out;
  });
}

function series(refId: string, field: string, unit: string): unknown {
  return { target: `apex_archive::${field}`, refId, datapoints: SAMPLES, unit };
}

const ok = (a: Answer, expected: unknown, window?: [number, number]): void => {
  assert.equal(a.status, 200, a.text);
  assert.equal(a.headers.get('content-type'), JSON_TYPE);
  assert.deepEqual(window ? checkedAnswer(a.json, ...window) : a.json, expected);
};

function frame(refId: string, field: string, unit: string): unknown {
  const name = `apex_archive::${field}`;
  return {
    name,
    refId,
    fields: [
      { name: 'Time', type: 'time', values: SAMPLES },
      { name, type: 'number', values: SAMPLES, config: { displayNameFromDS: name, unit, description: apexHeader(field).description } },
    ],
  };
}

function table(refId: string, field: string, unit: string): unknown {
  return {
    type: 'table',
    refId,
    columns: [
      { text: 'Time', type: 'time' },
      { text: 'Field', type: 'string' },
      { text: 'Value', type: 'number', unit },
    ],
    rows: SAMPLES,
  };
}

const expectations: Record<string, (a: Answer) => void> = {
  'sj-health': (a) => ok(a, { status: 'ok', message: 'sisock HTTP bridge is working', nodes: 1, fields: 5 }),
  'simpod-health': (a) => ok(a, { status: 'ok', message: 'sisock HTTP bridge is working', nodes: 1, fields: 5 }),
  'sj-search-open': (a) => ok(a, NAMES),
  'sj-search-typed': (a) => ok(a, ['apex_archive::apex_temperature']),
  'sj-search-variable-multi': (a) => ok(a, ['apex_archive::apex_humidity', 'apex_archive::apex_temperature']),
  'sj-search-variable-nodes': (a) => ok(a, ['apex_archive']),
  'sj-search-variable-fields': (a) => ok(a, FIELDS.map((f) => ({ text: f, value: `apex_archive::${f}` }))),
  'sj-query-grafana5': (a) =>
    ok(a, [series('A', 'apex_temperature', 'celsius'), series('B', 'apex_humidity', 'percent')], rangeOf('sj-query-grafana5')),
  'sj-query-grafana10': (a) =>
    ok(
      a,
      [
        series('A', 'apex_windspeed', 'velocitykmh'),
        {
          target: 'apex_archive::apex\\.does\\.not\\.exist',
          refId: 'B',
          datapoints: [],
          meta: { notices: [{ severity: 'warning', text: "data node 'apex_archive' has no field 'apex.does.not.exist'" }] },
        },
        table('C', 'apex_pressure', 'pressurembar'),
      ],
      rangeOf('sj-query-grafana10'),
    ),
  'sj-query-multivalue': (a) =>
    ok(a, [series('A', 'apex_pressure', 'pressurembar'), series('A', 'apex_temperature', 'celsius')], rangeOf('sj-query-multivalue')),
  'sj-annotations': (a) => ok(a, []),
  'sj-tag-keys-grafana5': (a) => ok(a, [{ type: 'string', text: 'node' }]),
  'sj-tag-keys-grafana10': (a) => ok(a, [{ type: 'string', text: 'node' }]),
  'sj-tag-values': (a) => ok(a, [{ text: 'apex_archive', value: 'apex_archive' }]),
  'simpod-metrics-code': (a) => ok(a, NAMES.map((n) => ({ label: n, value: n, payloads: [FORMAT_PAYLOAD] }))),
  'simpod-metrics-builder': (a) =>
    ok(a, [{ label: 'apex_archive::apex_temperature', value: 'apex_archive::apex_temperature', payloads: [FORMAT_PAYLOAD] }]),
  'simpod-metric-payload-options': (a) => ok(a, FORMAT_OPTIONS),
  'simpod-variable-fields': (a) => ok(a, FIELDS.map((f) => ({ __text: f, __value: `apex_archive::${f}` }))),
  'simpod-variable-nodes-rangeraw': (a) => ok(a, [{ __text: 'apex_archive', __value: 'apex_archive' }]),
  'simpod-query-code': (a) =>
    ok(
      a,
      [frame('A', 'apex_temperature', 'celsius'), frame('B', 'apex_humidity', 'percent'), table('C', 'apex_pressure', 'pressurembar')],
      rangeOf('simpod-query-code'),
    ),
  'simpod-query-legacy-hidden': (a) =>
    ok(
      a,
      [frame('B', 'apex_radiometer', 'lengthmm'), frame('B', 'apex_windspeed', 'velocitykmh')],
      rangeOf('simpod-query-legacy-hidden'),
    ),
  'simpod-query-scenes': (a) => ok(a, [frame('A', 'apex_windspeed', 'velocitykmh')], rangeOf('simpod-query-scenes')),
  'simpod-query-annotation': (a) => ok(a, [frame('Anno', 'apex_temperature', 'celsius')], rangeOf('simpod-query-annotation')),
  'simpod-tag-keys-scenes': (a) => ok(a, [{ type: 'string', text: 'node' }]),
  'simpod-tag-values-scenes': (a) => ok(a, [{ text: 'apex_archive', value: 'apex_archive' }]),
};

test('every recorded request has an expectation, and every expectation a recording', () => {
  assert.deepEqual(fixtureNames(), Object.keys(expectations).sort());
});

for (const name of fixtureNames()) {
  const f = fixture(name);
  test(`${name}: ${f.plugin} on Grafana ${f.grafana}, ${f.method} ${f.path || '(base URL)'}`, async () => {
    const expect = expectations[name];
    assert.ok(expect, `no expectation for ${name}`);
    expect(await replay(running.url, f));
  });
}

test('every recorded request gets the same bytes from a bridge joined with msgpack as from one with JSON (numbers kept as text)', async () => {
  const client = new WampClient({ ...stack.serverConnection, serializer: 'msgpack', largeIntegers: 'number' });
  const upstream = new WampUpstream(client);
  await upstream.start();
  await client.start();
  const viaMsgpack = await startBridge(upstream);
  try {
    await until('the msgpack bridge to list the weather fields', () => viaMsgpack.bridge.service.catalog.names().length === 5);
    let queries = 0;
    for (const name of fixtureNames()) {
      const f = fixture(name);
      const [a, b] = [await replay(running.url, f), await replay(viaMsgpack.url, f)];
      assert.equal(b.status, a.status, name);
      assert.equal(b.text, a.text, name);
      if (f.path.endsWith('/query') && a.text.length > 1000) queries++;
    }
    assert.ok(queries >= 5, `${queries} queries with data compared`);
  } finally {
    await viaMsgpack.close();
    await upstream.close();
  }
});
