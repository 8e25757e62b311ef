// Every recorded Grafana request (test/fixtures/grafana), sent as its plugin
// sends it, with every field of the answer checked against the example
// weather data read straight from its files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FORMAT_OPTIONS, FORMAT_PAYLOAD } from '../../src/http/plugins/grafana-json.js';
import { fixture, fixtureNames } from './helpers/fixtures.js';
import { apexDatapoints, apexHeader, replay, startBridge, withoutRepeats, type Answer, type RunningBridge } from './helpers/bridge.js';
import { LocalUpstream } from './helpers/local-upstream.js';
import { apexSource } from './helpers/sources.js';

const NAMES = [
  'apex_archive::apex_humidity',
  'apex_archive::apex_pressure',
  'apex_archive::apex_radiometer',
  'apex_archive::apex_temperature',
  'apex_archive::apex_windspeed',
];
const FIELDS = NAMES.map((n) => n.split('::')[1] as string);
const JSON_TYPE = 'application/json; charset=utf-8';

let running: RunningBridge;
before(async () => {
  running = await startBridge(new LocalUpstream([apexSource()]));
});
after(async () => {
  await running.close();
});

function rangeOf(name: string): [number, number] {
  const body = fixture(name).body as { range: { from: string; to: string } };
  return [Date.parse(body.range.from), Date.parse(body.range.to)];
}

function series(name: string, refId: string, field: string, unit: string): unknown {
  const [from, to] = rangeOf(name);
  const datapoints = apexDatapoints(field, from, to);
  assert.ok(datapoints.length > 0, `the fixture ${name} must cover data of ${field}`);
  return { target: `apex_archive::${field}`, refId, datapoints, unit };
}

const ok = (a: Answer, expected: unknown): void => {
  assert.equal(a.status, 200, a.text);
  assert.equal(a.headers.get('content-type'), JSON_TYPE);
  assert.deepEqual(withoutRepeats(a.json), expected);
};

const expectations: Record<string, (a: Answer) => void> = {
  'sj-health': (a) => ok(a, { status: 'ok', message: 'sisock HTTP bridge is working', nodes: 1, fields: 5 }),
  'simpod-health': (a) => ok(a, { status: 'ok', message: 'sisock HTTP bridge is working', nodes: 1, fields: 5 }),
  'sj-search-open': (a) => ok(a, NAMES),
  'sj-search-typed': (a) => ok(a, ['apex_archive::apex_temperature']),
  'sj-search-variable-multi': (a) => ok(a, ['apex_archive::apex_humidity', 'apex_archive::apex_temperature']),
  'sj-search-variable-nodes': (a) => ok(a, ['apex_archive']),
  'sj-search-variable-fields': (a) => ok(a, FIELDS.map((f) => ({ text: f, value: `apex_archive::${f}` }))),
  'sj-query-grafana5': (a) =>
    ok(a, [
      series('sj-query-grafana5', 'A', 'apex_temperature', 'celsius'),
      series('sj-query-grafana5', 'B', 'apex_humidity', 'percent'),
    ]),
  'sj-query-grafana10': (a) => {
    const [from, to] = rangeOf('sj-query-grafana10');
    ok(a, [
      series('sj-query-grafana10', 'A', 'apex_windspeed', 'velocitykmh'),
      {
        target: 'apex_archive::apex\\.does\\.not\\.exist',
        refId: 'B',
        datapoints: [],
        meta: { notices: [{ severity: 'warning', text: "data node 'apex_archive' has no field 'apex.does.not.exist'" }] },
      },
      {
        type: 'table',
        refId: 'C',
        columns: [
          { text: 'Time', type: 'time' },
          { text: 'Field', type: 'string' },
          { text: 'Value', type: 'number', unit: 'pressurembar' },
        ],
        rows: apexDatapoints('apex_pressure', from, to).map(([v, t]) => [t, 'apex_archive::apex_pressure', v]),
      },
    ]);
  },
  'sj-query-multivalue': (a) =>
    ok(a, [
      series('sj-query-multivalue', 'A', 'apex_pressure', 'pressurembar'),
      series('sj-query-multivalue', 'A', 'apex_temperature', 'celsius'),
    ]),
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
  'simpod-query-code': (a) => {
    const [from, to] = rangeOf('simpod-query-code');
    const humidity = apexDatapoints('apex_humidity', from, to);
    ok(a, [
      series('simpod-query-code', 'A', 'apex_temperature', 'celsius'),
      {
        name: 'apex_archive::apex_humidity',
        refId: 'B',
        fields: [
          { name: 'Time', type: 'time', values: humidity.map(([, t]) => t) },
          {
            name: 'apex_archive::apex_humidity',
            type: 'number',
            values: humidity.map(([v]) => v),
            config: {
              displayNameFromDS: 'apex_archive::apex_humidity',
              unit: 'percent',
              description: apexHeader('apex_humidity').description,
            },
          },
        ],
      },
      {
        type: 'table',
        refId: 'C',
        columns: [
          { text: 'Time', type: 'time' },
          { text: 'Field', type: 'string' },
          { text: 'Value', type: 'number', unit: 'pressurembar' },
        ],
        rows: apexDatapoints('apex_pressure', from, to).map(([v, t]) => [t, 'apex_archive::apex_pressure', v]),
      },
    ]);
  },
  'simpod-query-legacy-hidden': (a) =>
    ok(a, [
      series('simpod-query-legacy-hidden', 'B', 'apex_radiometer', 'lengthmm'),
      series('simpod-query-legacy-hidden', 'B', 'apex_windspeed', 'velocitykmh'),
    ]),
  'simpod-query-scenes': (a) => ok(a, [series('simpod-query-scenes', 'A', 'apex_windspeed', 'velocitykmh')]),
  'simpod-query-annotation': (a) => ok(a, [series('simpod-query-annotation', 'Anno', 'apex_temperature', 'celsius')]),
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
