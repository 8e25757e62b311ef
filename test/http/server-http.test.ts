// The bridge as an HTTP server: base path and slash tolerance, CORS, auth
// (never 401), compression, body handling, health, Prometheus metrics and
// the monitor's files; one real router, hub and weather node for them all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, startBridge } from './helpers/bridge.js';
import { ApexArchiveSource } from '../../src/servers/weather/source.js';
import type { Upstream } from '../../src/http/upstream.js';
import { startStack, until, type Stack } from './helpers/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack([await ApexArchiveSource.load()]);
});
after(async () => {
  await stack.close();
});

/** The shared upstream; each bridge waits until it lists the weather fields. */
function upstream(): Upstream {
  return stack.upstream;
}

async function ready(b: { bridge: { service: { catalog: { names(): readonly string[] } } } }): Promise<void> {
  await until('the weather fields', () => b.bridge.service.catalog.names().length === 5);
}

const JSON_TYPE = 'application/json; charset=utf-8';
const QUERY = {
  range: { from: '2017-07-14T00:00:00.000Z', to: '2017-07-14T03:00:00.000Z' },
  targets: [{ target: 'apex_archive::apex_temperature', refId: 'A' }],
};

test('a base path is served with and without trailing slash, repeated slashes collapse, other paths get JSON 404', async () => {
  const b = await startBridge(upstream(), { basePath: 'grafana/json/' });
  try {
    await ready(b);
    assert.match(b.url, /\/grafana\/json$/);
    for (const path of ['', '/', '//']) {
      const r = await request(b.url + path);
      assert.equal(r.status, 200, `GET base${path}`);
      assert.equal((r.json as { status: string }).status, 'ok');
    }
    const q = await request(`${b.url}//query/`, { body: QUERY });
    assert.equal(q.status, 200);
    assert.equal((q.json as { refId: string }[])[0]?.refId, 'A');
    const s = await request(`${b.url}/search/`, { body: { target: 'hum' } });
    assert.deepEqual(s.json, ['apex_archive::apex_humidity']);
    const outside = await request(b.url.replace('/grafana/json', '') + '/query', { body: QUERY });
    assert.equal(outside.status, 404);
    assert.equal(outside.headers.get('content-type'), JSON_TYPE);
    assert.deepEqual(outside.json, {
      message: 'no such endpoint: POST /query',
      error: 'Not Found',
      statusCode: 404,
      code: 'not_found',
    });
  } finally {
    await b.close();
  }
});

test('GET, HEAD and POST / all answer the health check', async () => {
  const b = await startBridge(upstream());
  try {
    await ready(b);
    const head = await request(`${b.url}/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    const post = await request(`${b.url}/`, { body: {} });
    assert.equal(post.status, 200);
    assert.deepEqual(post.json, { status: 'ok', message: 'sisock HTTP bridge is working', nodes: 1, fields: 5 });
  } finally {
    await b.close();
  }
});

test('CORS: preflight on every path without credentials, requested headers echoed, origin on answers', async () => {
  const b = await startBridge(upstream(), { auth: { token: 's3cret' } });
  try {
    await ready(b);
    for (const path of ['/query', '/search', '/no/such/path', '/']) {
      const r = await request(b.url + path, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://grafana.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-grafana-device-id,x-dashboard-uid,authorization',
        },
      });
      assert.equal(r.status, 204, path);
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
      assert.equal(r.headers.get('access-control-allow-headers'), 'content-type,x-grafana-device-id,x-dashboard-uid,authorization');
      assert.match(r.headers.get('access-control-allow-methods') ?? '', /POST/);
      assert.match(r.headers.get('access-control-allow-methods') ?? '', /GET/);
      assert.equal(r.headers.get('access-control-max-age'), '600');
    }
    // even a preflight without Origin (a proxy, curl) gets 204 rather than an error
    assert.equal((await request(`${b.url}/query`, { method: 'OPTIONS' })).status, 204);
    const q = await request(`${b.url}/query`, {
      body: QUERY,
      headers: { origin: 'http://grafana.example', authorization: 'Bearer s3cret' },
    });
    assert.equal(q.status, 200);
    assert.equal(q.headers.get('access-control-allow-origin'), '*');
  } finally {
    await b.close();
  }
});

test('CORS with credentials: the origin is echoed with Allow-Credentials and Vary', async () => {
  const b = await startBridge(upstream(), { corsOrigin: 'reflect' });
  try {
    await ready(b);
    const r = await request(`${b.url}/query`, { body: QUERY, headers: { origin: 'http://grafana.example' } });
    assert.equal(r.headers.get('access-control-allow-origin'), 'http://grafana.example');
    assert.equal(r.headers.get('access-control-allow-credentials'), 'true');
    assert.match(r.headers.get('vary') ?? '', /Origin/);
  } finally {
    await b.close();
  }
});

test('auth: bearer token or basic credentials; anything else is 403 JSON, never 401', async () => {
  const b = await startBridge(upstream(), { auth: { token: 'tok', user: 'grafana', password: 'pw:with:colons' } });
  try {
    await ready(b);
    const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    const cases: [string | undefined, number][] = [
      [undefined, 403],
      ['Bearer tok', 200],
      ['bearer tok', 200],
      ['Bearer tok2', 403],
      [basic('grafana', 'pw:with:colons'), 200],
      [basic('grafana', 'pw'), 403],
      [basic('other', 'pw:with:colons'), 403],
      ['Basic !!!', 403],
      ['Digest x', 403],
    ];
    for (const [authorization, status] of cases) {
      const r = await request(`${b.url}/search`, { body: { target: '' }, headers: authorization ? { authorization } : {} });
      assert.equal(r.status, status, String(authorization));
      if (status === 403) {
        assert.equal(r.headers.get('content-type'), JSON_TYPE);
        assert.deepEqual(r.json, {
          message: 'missing or wrong credentials for the sisock HTTP bridge',
          error: 'Forbidden',
          statusCode: 403,
          code: 'forbidden',
        });
      }
    }
  } finally {
    await b.close();
  }
});

test('answers are compressed when the client accepts it, brotli first', async () => {
  const b = await startBridge(upstream());
  try {
    await ready(b);
    const body = { ...QUERY, range: { from: '2017-07-14T00:00:00Z', to: '2017-07-28T00:00:00Z' }, targets: [{ target: 'apex_archive::apex_windspeed', refId: 'A' }] };
    const gz = await fetch(`${b.url}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip' },
      body: JSON.stringify(body),
    });
    assert.equal(gz.headers.get('content-encoding'), 'gzip');
    const zipped = (await gz.json()) as { datapoints: unknown[] }[];
    const plain = await fetch(`${b.url}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'identity' },
      body: JSON.stringify(body),
    });
    assert.equal(plain.headers.get('content-encoding'), null);
    const unzipped = (await plain.json()) as { datapoints: unknown[] }[];
    assert.ok((zipped[0]?.datapoints.length ?? 0) > 10_000);
    assert.deepEqual(zipped, unzipped);
    // a browser over https accepts both: brotli, smaller and faster at the settings used
    const br = await fetch(`${b.url}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip, deflate, br' },
      body: JSON.stringify(body),
    });
    assert.equal(br.headers.get('content-encoding'), 'br');
    assert.deepEqual(await br.json(), unzipped);
  } finally {
    await b.close();
  }
});

test('bodies: no body or an empty one reads as {}, broken JSON and wrong types are 400 with a message, too big is 413', async () => {
  const b = await startBridge(upstream(), { bodyLimit: 1000 });
  try {
    await ready(b);
    const none = await request(`${b.url}/tag-keys`, { method: 'POST' });
    assert.equal(none.status, 200);
    const empty = await request(`${b.url}/search`, { raw: '', headers: { 'content-type': 'application/json' } });
    assert.equal(empty.status, 200);
    assert.equal((empty.json as string[]).length, 5);
    const textPlain = await request(`${b.url}/search`, { raw: '{"target":"temp"}', headers: { 'content-type': 'text/plain' } });
    assert.deepEqual(textPlain.json, ['apex_archive::apex_temperature']);
    const broken = await request(`${b.url}/query`, { raw: '{"range": ', headers: { 'content-type': 'application/json' } });
    assert.equal(broken.status, 400);
    assert.match((broken.json as { message: string }).message, /^the body is not valid JSON: /);
    const wrong = await request(`${b.url}/query`, { body: { range: QUERY.range, targets: 'apex' } });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.json, { message: 'body/targets must be array', error: 'Bad Request', statusCode: 400, code: 'bad_request' });
    const noRange = await request(`${b.url}/query`, { body: { targets: [] } });
    assert.equal(noRange.status, 400);
    assert.equal((noRange.json as { message: string }).message, "body must have required property 'range'");
    const inverted = await request(`${b.url}/query`, { body: { ...QUERY, range: { from: QUERY.range.to, to: QUERY.range.from } } });
    assert.equal(inverted.status, 400);
    assert.match((inverted.json as { message: string }).message, /^bad time range: from \(2017-07-14T03:00:00\.000Z\) is after to/);
    const big = await request(`${b.url}/search`, { body: { target: 'x'.repeat(2000) } });
    assert.equal(big.status, 413);
    assert.equal(big.headers.get('content-type'), JSON_TYPE);
    assert.match((big.json as { message: string }).message, /too large/i);
    // the bridge is still fine afterwards
    assert.equal((await request(`${b.url}/`)).status, 200);
  } finally {
    await b.close();
  }
});

test('GET /metrics is Prometheus text; POST /metrics stays the JSON plugin metric list', async () => {
  const b = await startBridge(upstream());
  try {
    await ready(b);
    await request(`${b.url}/query`, { body: QUERY });
    await request(`${b.url}/query`, { body: { targets: [] } });
    const r = await request(`${b.url}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(r.text, /^sisock_http_requests_total\{method="POST",route="\/query",status="200"\} 1$/m);
    assert.match(r.text, /^sisock_http_requests_total\{method="POST",route="\/query",status="400"\} 1$/m);
    assert.match(r.text, /^sisock_http_request_duration_seconds_count\{method="POST",route="\/query"\} 2$/m);
    assert.match(r.text, /^sisock_http_upstream_calls_total\{procedure="get_data",node="apex_archive",outcome="ok"\} 1$/m);
    assert.match(r.text, /^sisock_http_upstream_calls_total\{procedure="get_fields",node="apex_archive",outcome="ok"\} 1$/m);
    assert.match(r.text, /^sisock_http_upstream_connected 1$/m);
    assert.match(r.text, /^sisock_http_data_nodes 1$/m);
    assert.match(r.text, /^sisock_http_fields 5$/m);
    const list = await request(`${b.url}/metrics`, { body: {} });
    assert.equal(list.headers.get('content-type'), JSON_TYPE);
    assert.equal((list.json as unknown[]).length, 5);
  } finally {
    await b.close();
  }
});

test('with a monitor folder: a browser opening the base URL is sent to /monitor/, Grafana still gets health', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-monitor-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>sisock monitor</title>');
  const b = await startBridge(upstream(), { monitorDir: dir, basePath: '/s' });
  try {
    await ready(b);
    const browser = await fetch(`${b.url}/`, { headers: { accept: 'text/html,application/xhtml+xml' }, redirect: 'manual' });
    assert.equal(browser.status, 302);
    assert.equal(browser.headers.get('location'), '/s/monitor/');
    const grafana = await request(`${b.url}/`, { headers: { accept: 'application/json, text/plain, */*' } });
    assert.equal(grafana.status, 200);
    const page = await request(`${b.url}/monitor/`);
    assert.equal(page.status, 200);
    assert.match(page.text, /sisock monitor/);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  } finally {
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('garbage of every kind to every endpoint: a 4xx JSON message or a valid answer, never a 5xx, and the bridge goes on', async () => {
  const b = await startBridge(upstream());
  try {
    await ready(b);
    const paths = ['/', '/search', '/query', '/annotations', '/tag-keys', '/tag-values', '/metrics', '/metric-payload-options', '/variable', '/api/v1/data', '/api/v1/refresh'];
    const bodies = [
      'null',
      '[]',
      '"text"',
      '42',
      'true',
      '{"range": null}',
      '{"range": {"from": [], "to": {}}}',
      '{"range": {"from": "2017-07-14T00:00:00Z", "to": "2017-07-15T00:00:00Z"}, "targets": [null, 1, "x", {"target": {}}, {"target": "((("}, {"target": "\\u0000::\\ud800"}]}',
      '{"range": {"from": 1e308, "to": -1e308}, "targets": []}',
      '{"range": {"from": "2017-07-14T00:00:00Z", "to": "2017-07-15T00:00:00Z"}, "maxDataPoints": -5, "intervalMs": "abc", "targets": [{"target": ".*", "refId": 7}]}',
      '{"target": {"$ne": 1}, "metric": [1, 2], "payload": {"target": ["a"]}, "key": {}, "fields": {}, "points": "x"}',
      '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}',
      '{"fields": ["apex_archive::apex_humidity"], "from": "garbage", "to": null}',
      '{"annotation": {"query": "(a|aa)+$"}, "range": {"from": "2017-07-14T00:00:00Z", "to": "2017-07-15T00:00:00Z"}}',
      '{"deep": ' + '['.repeat(5000) + ']'.repeat(5000) + '}',
      '\u00ff\u00fe binary-ish',
    ];
    for (const path of paths) {
      for (const raw of bodies) {
        const r = await request(b.url + path, { raw, headers: { 'content-type': 'application/json' } });
        assert.ok(r.status < 500, `${path} ${raw.slice(0, 60)} -> ${r.status} ${r.text.slice(0, 200)}`);
        assert.notEqual(r.json, undefined, `${path} answers JSON`);
        if (r.status >= 400) assert.equal(typeof (r.json as { message: unknown }).message, 'string');
      }
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const health = await request(`${b.url}/`);
    assert.equal(health.status, 200);
  } finally {
    await b.close();
  }
});
