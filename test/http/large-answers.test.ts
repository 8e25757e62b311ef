// Answers too large for one WAMP message: the data node (its client keeps
// answers within the router's limit) says so for that call alone, and the
// bridge asks again in parts (fields, then windows) and serves the whole,
// up to its bound on samples per request; beyond it, a clear 422.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WampError } from '../../src/client/errors.js';
import type { DataNodeSource } from '../../src/datanode/source.js';
import { ERRORS } from '../../src/protocol/uris.js';
import { request, startBridge, type RunningBridge } from './helpers/bridge.js';
import { counting, threeFieldSource } from './helpers/sources.js';
import { startStack, until, type Stack } from './helpers/stack.js';

/** samples per field: at 16 KiB a message, one field's answer takes several */
const N = 3000;
const LIMIT = 16 * 1024;

let stack: Stack;
let wide: ReturnType<typeof counting>;
let b: RunningBridge;
let bounded: RunningBridge;

before(async () => {
  stack = await startStack();
  wide = counting(threeFieldSource('wide', N));
  await stack.addNode(wide, { maxMessageSize: LIMIT });
  await stack.addNode(refusing('picky', 500));
  await stack.addNode(refusing('stubborn', 0));
  b = await startBridge(stack.upstream);
  bounded = await startBridge(stack.upstream, { maxSplitSamples: 2000 });
  for (const x of [b, bounded]) await until('the fields', () => x.bridge.service.catalog.names().length === 9);
});

after(async () => {
  await bounded.close();
  await b.close();
  await stack.close();
});

/** A node as some are written: it refuses (too_much_data) any window longer than `span` seconds; 0: every one. */
function refusing(name: string, span: number): DataNodeSource & { calls: { getData: number } } {
  const inner = counting(threeFieldSource(name, N));
  return {
    ...inner,
    getData: (req) => {
      if (span === 0 || req.end - req.start > span) throw new WampError(ERRORS.tooMuchData, `at most ${span} s at once`);
      return inner.getData(req);
    },
  };
}

const times = Array.from({ length: N }, (_, i) => (1000 + i) * 1000);
const expected: Record<string, number[]> = {
  a: Array.from({ length: N }, (_, i) => i),
  b: Array.from({ length: N }, (_, i) => i / 8),
  c: Array.from({ length: N }, (_, i) => (i === 0 ? 0 : -i)),
};

test('REST JSON: every sample of every field, fetched in parts, none twice', async () => {
  const calls = wide.calls.getData;
  const r = await request(`${b.url}/api/v1/data?fields=wide::a,wide::b,wide::c&from=1000&to=${1000 + N - 1}`);
  assert.equal(r.status, 200, r.text);
  const { series } = r.json as { series: { field: string; t: number[]; v: number[]; finalizedUntil: unknown; error?: string }[] };
  assert.deepEqual(series.map((s) => s.field), ['a', 'b', 'c']);
  for (const s of series) {
    assert.equal(s.error, undefined);
    assert.deepEqual(s.t, times, `times of ${s.field}`);
    assert.deepEqual(s.v, expected[s.field], `values of ${s.field}`);
    assert.equal(s.finalizedUntil, null);
  }
  // the whole at once, then per field, then each field in windows
  assert.ok(wide.calls.getData - calls > 3 + 3, `the node was asked in parts (${wide.calls.getData - calls} calls)`);
});

test('REST CSV: the same samples, one row each, streamed', async () => {
  const r = await request(`${b.url}/api/v1/data?fields=wide::c,wide::a&from=1000&to=${1000 + N - 1}&format=csv`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8');
  const rows = r.text.trimEnd().split('\n');
  assert.equal(rows[0], 'time,unix_time,field,value');
  assert.equal(rows.length, 1 + 2 * N);
  assert.equal(rows[1], '1970-01-01T00:16:40.000Z,1000,wide::c,0');
  assert.equal(rows[N], `${new Date((1000 + N - 1) * 1000).toISOString()},${1000 + N - 1},wide::c,${-(N - 1)}`);
  assert.equal(rows[N + 1], '1970-01-01T00:16:40.000Z,1000,wide::a,0');
  assert.equal(rows[2 * N], `${new Date((1000 + N - 1) * 1000).toISOString()},${1000 + N - 1},wide::a,${N - 1}`);
});

test('Grafana /query for every sample: the whole series, in order', async () => {
  const r = await request(`${b.url}/query`, {
    body: {
      range: { from: new Date(1000 * 1000).toISOString(), to: new Date((1000 + N - 1) * 1000).toISOString() },
      maxDataPoints: 100_000,
      intervalMs: 1,
      targets: [{ target: 'wide::b', refId: 'A' }],
    },
  });
  assert.equal(r.status, 200, r.text);
  const [series] = r.json as { target: string; datapoints: [number, number][] }[];
  assert.equal(series!.target, 'wide::b');
  assert.deepEqual(series!.datapoints, times.map((t, i) => [expected.b![i], t]));
});

test('beyond the bridge bound on samples: 422 with what to ask for instead; the node stays on', async () => {
  const r = await request(`${bounded.url}/api/v1/data?fields=wide::a,wide::b&from=1000&to=${1000 + N - 1}`);
  assert.equal(r.status, 422, r.text);
  const body = r.json as { message: string; code: string };
  assert.match(body.message, /data node 'wide' has more than 2,000 samples for this request: ask for fewer fields, a shorter range or fewer points/);
  const q = await request(`${bounded.url}/query`, {
    body: { range: { from: new Date(1000 * 1000).toISOString(), to: new Date((1000 + N - 1) * 1000).toISOString() }, maxDataPoints: 100_000, intervalMs: 1, targets: [{ target: 'wide::a', refId: 'A' }] },
  });
  assert.equal(q.status, 422, q.text);
  assert.match((q.json as { message: string }).message, /more than 2,000 samples/);
  // a smaller request that fits one message is served as usual
  const small = await request(`${bounded.url}/api/v1/data?fields=wide::a&from=1000&to=1099`);
  assert.equal(small.status, 200, small.text);
  assert.deepEqual((small.json as { series: { v: number[] }[] }).series[0]!.v, expected.a!.slice(0, 100));
});

test('a node that refuses too much data (too_much_data) is asked in shorter windows; one that refuses everything gets a 422 soon', async () => {
  const r = await request(`${b.url}/api/v1/data?fields=picky::a,picky::c&from=1000&to=${1000 + N - 1}`);
  assert.equal(r.status, 200, r.text);
  const { series } = r.json as { series: { field: string; t: number[]; v: number[] }[] };
  for (const s of series) {
    assert.deepEqual(s.t, times);
    assert.deepEqual(s.v, expected[s.field]);
  }
  const no = await request(`${b.url}/api/v1/data?fields=stubborn::a,stubborn::b&from=1000&to=${1000 + N - 1}`);
  assert.equal(no.status, 422, no.text);
  assert.match((no.json as { message: string }).message, /^data node 'stubborn' refused: at most 0 s at once/);
});

test('several exports at once: two are fetched in parts at a time, the others wait their turn, all are whole', async () => {
  const answers = await Promise.all(
    ['a', 'b', 'c', 'a'].map((f, k) => request(`${b.url}/api/v1/data?fields=wide::${f}&from=${1000 + k}&to=${1000 + N - 1}`)),
  );
  answers.forEach((r, k) => {
    assert.equal(r.status, 200, r.text);
    const [s] = (r.json as { series: { field: string; t: number[]; v: number[] }[] }).series;
    assert.deepEqual(s!.t, times.slice(k));
    assert.deepEqual(s!.v, expected[s!.field]!.slice(k));
  });
});
