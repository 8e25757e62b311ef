// The HTTP fuzzer: a real sisock system (`sisock router` in its own
// process, the hub, the example weather node and a node with string, bool
// and NaN fields, the HTTP bridge joined as the consumer user) and requests
// made from the bridge's real traffic (the recorded Grafana requests of
// test/fixtures/grafana and the REST API's requests), spoiled: bodies
// mutated field by field (wrong types, absurd ranges and intervals, regular
// expressions that backtrack, thousands of targets, nesting 100,000 deep),
// bodies cut or byte-flipped, bodies over the size limit, query strings and
// paths mangled, other methods, odd content types; a few requests are raw
// bytes on a socket (bad request lines, huge headers, broken chunking).
// The router's own HTTP caller (`/call`, crossbar's) gets the same.
//
// The oracle: no answer is a 5xx (bad input is the client's fault), every
// 4xx carries a JSON body with a message, every 2xx JSON body parses, no
// request hangs; afterwards the bridge is healthy, answers a reference
// query exactly as before, and neither the bridge nor the router logged an
// internal error.
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { WampClient, type ClientOptions } from '../../src/client/client.js';
import { DataNodeServer } from '../../src/datanode/server.js';
import { Hub } from '../../src/hub/hub.js';
import { createBridge, type Bridge } from '../../src/http/server.js';
import { WampUpstream } from '../../src/http/wamp-upstream.js';
import { ApexArchiveSource } from '../../src/servers/weather/source.js';
import { spawnRouter, type RouterProcess } from '../helpers/router.js';
import { mixedSource } from '../http/helpers/sources.js';
import { mutateBytes } from './bytes.js';
import { errorLines } from './error-lines.js';
import { describe } from './describe.js';
import { mutateJson, toJsonText, type Domain } from './json-mutate.js';
import { Rng } from './random.js';

export interface HttpFuzzOptions {
  seed: number;
  /** stop after this many requests */
  requests?: number;
  /** or after this many ms */
  durationMs?: number;
  concurrency?: number;
  /** ms any one request may take before it counts as hung */
  timeoutMs?: number;
  progress?: (line: string) => void;
  maxFailures?: number;
  /** only these request indexes (replay) */
  only?: number[];
}

export interface HttpFailure {
  index: number;
  request: string;
  why: string;
}

export interface HttpFuzzReport {
  seed: number;
  requests: number;
  durationMs: number;
  /** answers by target and status ("bridge 400", "router 200", "raw closed", ...) */
  statuses: Record<string, number>;
  /** requests by seed endpoint */
  endpoints: Record<string, number>;
  failures: HttpFailure[];
  slowest: { index: number; ms: number; request: string }[];
  /** requests sent again after a network error on a reused connection */
  retried: number;
  healthAfter: number;
  referenceSame: boolean;
  bridgeErrors: string[];
  routerErrors: string[];
  routerExit: number | null | 'running';
  routerRssMb: { start: number; end: number };
}

/** One request to make (or raw bytes to write). */
interface FuzzRequest {
  target: 'bridge' | 'router';
  method: string;
  /** path and query, as written on the request line */
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** raw bytes instead of an HTTP request made by the client */
  raw?: Buffer;
  /** the body is over the target's limit: the server may answer 413 and hang up while it is sent */
  oversize?: boolean;
  note: string;
  endpoint: string;
}

interface Seed {
  target: 'bridge' | 'router';
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
}

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/grafana/', import.meta.url));
const BODY_LIMIT = 1024 * 1024;
const ROUTER_BODY_LIMIT = 256 * 1024;

const DATE = '2017-07-20T00:00:00.000Z';
const DOMAIN: Domain = {
  strings: [
    DATE, '2017-07-21T00:00:00Z', 'now', 'now-6h', 'now-1000000y', 'now+5d', 'now-', 'now-1e400h', '9999-12-31T23:59:59Z', '0000-01-01', '-271821-04-20', '2017-13-45T99:99:99Z', 'yesterday',
    '1500000000', '-1e308', '1e308', '0', '-0', '1s', '0s', '-5m', '10y', '1e400ms', 'abc', 'table', 'frame', 'timeseries', 'csv', 'json', 'xml',
    'apex_archive::apex_temperature', 'apex_archive::apex_humidity', 'fridge::state', 'fridge::ok', 'fridge::temp', 'apex_archive::', '::', ':::', 'nope::x', 'apex_archive',
    'apex_archive::(a+)+$', 'apex_archive::(.*a){20}', '(a|a)*b', '.*', '[', '\\', '(?<=a)b', 'a{1000000}', 'apex_archive::apex_(temperature|humidity)',
    'fields(apex_archive)', 'fields($node, [)', 'nodes(', 'nodes(.*)', 'fields(fridge, s)', 'x'.repeat(10_000),
  ],
  numbers: [0, -1, 1, 60, 1e-9, 1e12, 1e15, 1e20, -1e20, 1500000000, 1500000000000, 2 ** 53, 1e308, -1e308, 0.5],
};

function loadFixtureSeeds(): Seed[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const r = JSON.parse(readFileSync(FIXTURES + f, 'utf8')) as { method: string; path: string; body?: unknown };
      return { target: 'bridge' as const, method: r.method, path: r.path, ...(r.body !== undefined ? { body: r.body } : {}) };
    });
}

const RANGE = { from: DATE, to: '2017-07-21T00:00:00.000Z' };
const REST_SEEDS: Seed[] = [
  { target: 'bridge', method: 'GET', path: '/' },
  { target: 'bridge', method: 'HEAD', path: '/' },
  { target: 'bridge', method: 'POST', path: '/', body: {} },
  { target: 'bridge', method: 'GET', path: '/metrics' },
  { target: 'bridge', method: 'GET', path: '/api/v1/status' },
  { target: 'bridge', method: 'GET', path: '/api/v1/nodes' },
  { target: 'bridge', method: 'GET', path: '/api/v1/nodes/apex_archive' },
  { target: 'bridge', method: 'GET', path: '/api/v1/nodes/fridge' },
  { target: 'bridge', method: 'GET', path: '/api/v1/fields', query: { match: 'temp' } },
  { target: 'bridge', method: 'GET', path: '/api/v1/data', query: { fields: 'apex_archive::apex_temperature,fridge::state', ...RANGE, points: '500' } },
  { target: 'bridge', method: 'GET', path: '/api/v1/data', query: { fields: 'apex_archive::apex_humidity', ...RANGE, stride: '60', format: 'csv' } },
  { target: 'bridge', method: 'POST', path: '/api/v1/data', body: { fields: ['apex_archive::apex_temperature', 'fridge::temp'], ...RANGE, points: 300 } },
  { target: 'bridge', method: 'POST', path: '/api/v1/refresh', query: { node: 'apex_archive' } },
  { target: 'bridge', method: 'GET', path: '/api/v1/events', query: { fields: 'apex_archive::apex_temperature', since: 'now-1h', interval: '1' } },
  { target: 'router', method: 'POST', path: '/call', body: { procedure: 'observatory.fuzz.echo', args: [1, 'x'], kwargs: { a: 1 } } },
  { target: 'router', method: 'POST', path: '/call', body: { procedure: 'observatory.fuzz.nothing', args: [] } },
  { target: 'router', method: 'POST', path: '/call', body: { procedure: 'org.simonsobservatory.consumer.get_data_node' } },
];

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'PROPFIND', 'FOO'];
const CONTENT_TYPES = ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/octet-stream', '', 'application/json, text/plain', '*/*'];
const PATHS = ['/query', '/search', '/annotations', '/variable', '/metrics', '/tag-keys', '/tag-values', '/metric-payload-options', '/api/v1/data', '/api/v1/nodes/', '/api/v1/nodes/%00', '/api/v1/nodes/..%2f..%2fetc%2fpasswd', '/api/v1/nodes/' + 'n'.repeat(5000), '/api/v2/data', '/monitor/', '/%ff', '/;', '/query/extra', '/QUERY', '//query', '/query//', '/api/v1/events', '/call', '/ws'];
const QUERY_JUNK = ['%zz', '%00', '%ff%fe', '&&&', '=', '==', 'fields[]=a', 'fields[0]=a', 'from=1&from=2', 'a=' + 'b'.repeat(20_000), '%E2%82', '+', '#frag'];

function buildUrl(path: string, query: Record<string, string> | undefined, extra: string[]): string {
  const parts = query ? Object.entries(query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`) : [];
  parts.push(...extra);
  return parts.length > 0 ? `${path}?${parts.join('&')}` : path;
}

/** Raw requests written on a socket: what no HTTP client would send. */
function rawRequest(rng: Rng, path: string): { bytes: Buffer; note: string } {
  const variants: [string, () => Buffer][] = [
    ['random bytes', () => rng.bytes(rng.size(4096))],
    ['a bad request line', () => Buffer.from(`${rng.pick(['G\x7fT', 'GET', 'POST'])} ${rng.pick([path, '/\x00', '*', 'http://x/', ''])} ${rng.pick(['HTTP/1.1', 'HTTP/9.9', 'HTTP/1', 'FTP/1.0'])}\r\nHost: x\r\n\r\n`, 'latin1')],
    ['a 64 kB header', () => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(65_536)}\r\n\r\n`)],
    ['broken chunking', () => Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`)],
    ['Content-Length and Transfer-Encoding together', () => Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`)],
    ['a negative Content-Length', () => Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}`)],
    ['a body shorter than its Content-Length', () => Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"range":`)],
    ['header folding and NUL', () => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\nX-\x00: d\r\n\r\n`, 'latin1')],
    ['a mutated valid request', () => mutateBytes(rng, Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`)).data],
  ];
  const [note, make] = rng.pick(variants);
  return { bytes: make(), note };
}

/** A request from a seed, spoiled (or, now and then, left as it is). */
export function makeRequest(rng: Rng, seeds: readonly Seed[]): FuzzRequest {
  const seed = rng.pick(seeds);
  const endpoint = `${seed.target} ${seed.method} ${seed.path}`;
  let method = seed.method;
  let path = seed.path;
  let query = seed.query ? { ...seed.query } : undefined;
  const extra: string[] = [];
  const headers: Record<string, string> = {};
  let bodyDoc: unknown = seed.body;
  let body: string | Buffer | undefined;
  let oversize = false;
  const notes: string[] = [];
  if (rng.chance(0.04)) {
    const raw = rawRequest(rng, path);
    return { target: seed.target, method: 'RAW', url: path, headers, raw: raw.bytes, note: raw.note, endpoint: `${seed.target} raw` };
  }
  const rounds = rng.chance(0.08) ? 0 : rng.int(1, 4);
  for (let i = 0; i < rounds; i++) {
    const op = rng.weighted([
      [bodyDoc !== undefined ? 12 : 1, 'body'],
      [3, 'bytes'],
      [query ? 6 : 2, 'query'],
      [2, 'path'],
      [1, 'method'],
      [2, 'headers'],
      [0.3, 'huge'],
    ] as const);
    switch (op) {
      case 'body': {
        const m = mutateJson(rng, bodyDoc ?? {}, DOMAIN);
        bodyDoc = m.doc;
        notes.push(`body: ${m.note}`);
        break;
      }
      case 'bytes':
        body = mutateBytes(rng, Buffer.from(toJsonText(bodyDoc ?? {}))).data;
        notes.push('body bytes mutated');
        break;
      case 'query': {
        query ??= {};
        const keys = Object.keys(query);
        if (keys.length > 0 && rng.chance(0.6)) {
          const k = rng.pick(keys);
          query[k] = rng.chance(0.7) ? rng.pick(DOMAIN.strings) : String(rng.pick(DOMAIN.numbers));
          notes.push(`query ${k} changed`);
        } else {
          extra.push(rng.pick(QUERY_JUNK));
          notes.push('query junk added');
        }
        break;
      }
      case 'path':
        path = rng.chance(0.5) ? rng.pick(PATHS) : path.replace(/\//g, () => rng.pick(['/', '//', '/./', '/%2f']));
        notes.push('path changed');
        break;
      case 'method':
        method = rng.pick(METHODS);
        notes.push(`method ${method}`);
        break;
      case 'headers':
        headers['content-type'] = rng.pick(CONTENT_TYPES);
        if (rng.chance(0.3)) headers['content-encoding'] = rng.pick(['gzip', 'br', 'identity', 'x']);
        if (rng.chance(0.3)) headers.authorization = rng.pick(['Bearer', 'Bearer x', 'Basic !!!', 'Basic ' + Buffer.from('a:b').toString('base64'), 'Digest x']);
        if (rng.chance(0.2)) headers.accept = rng.pick(['text/html', 'application/xml', '*/*;q=x', '']);
        notes.push('headers changed');
        break;
      case 'huge': {
        const limit = seed.target === 'bridge' ? BODY_LIMIT : ROUTER_BODY_LIMIT;
        body = `{"x":"${'h'.repeat(limit + rng.int(1, 100_000))}"}`;
        oversize = true;
        method = 'POST';
        notes.push('body over the limit');
        break;
      }
    }
  }
  if (body === undefined && bodyDoc !== undefined && method !== 'GET' && method !== 'HEAD') body = toJsonText(bodyDoc);
  if (body !== undefined && (method === 'GET' || method === 'HEAD')) method = 'POST';
  if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  return {
    target: seed.target,
    method,
    url: buildUrl(path, query, extra),
    headers,
    ...(body !== undefined ? { body } : {}),
    ...(oversize || (body !== undefined && body.length > (seed.target === 'bridge' ? BODY_LIMIT : ROUTER_BODY_LIMIT)) ? { oversize: true } : {}),
    note: notes.join('; ') || 'as recorded',
    endpoint,
  };
}

function summarizeRequest(r: FuzzRequest): string {
  const text = (b: string | Buffer): string => (typeof b === 'string' ? b : b.toString('latin1')).slice(0, 200);
  const body = r.raw ? ` raw ${describe(text(r.raw), 220)}` : r.body === undefined ? '' : ` body ${describe(text(r.body), 220)}`;
  return `${r.target} ${r.method} ${describe(r.url, 200)}${body} (${r.note})`;
}

function memoryLogger(into: string[]): pino.Logger {
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      into.push(...errorLines(chunk.toString()));
      cb();
    },
  });
  return pino({ level: 'warn' }, stream);
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

interface System {
  router: RouterProcess;
  bridge: Bridge;
  bridgeUrl: string;
  callUrl: string;
  close(): Promise<void>;
}

/** The real system: router process, hub, two data nodes, an echo for /call, the bridge. */
async function startSystem(bridgeErrors: string[]): Promise<System> {
  const router = await spawnRouter({ noTls: true, args: ['--max-message-size', String(ROUTER_BODY_LIMIT)], env: { LOGLEVEL: 'warn' } });
  // what is started so far, closed in reverse order (also when the setup fails, so nothing is left running)
  const started: { close(): Promise<unknown> }[] = [];
  const closeAll = async (): Promise<void> => {
    for (const part of started.reverse()) await part.close().catch(() => undefined);
  };
  try {
    const server: ClientOptions = { url: router.openUrl, realm: 'test_realm', auth: { method: 'wampcra', authid: 'server', secret: router.secrets.server }, reconnect: { initialDelay: 50, maxDelay: 300 } };
    // sisock's router lets only its `hub` user serve the hub's procedures
    const hub = new Hub({ connection: { ...server, auth: { method: 'wampcra', authid: 'hub', secret: router.secrets.hub } }, probe: { interval: 0 } });
    started.push(hub);
    await hub.start();
    for (const source of [await ApexArchiveSource.load(), mixedSource('fridge')]) {
      const node = new DataNodeServer({ source, connection: server });
      started.push(node);
      await node.start();
    }
    const echo = new WampClient(server);
    started.push(echo);
    await echo.register('observatory.fuzz.echo', (inv) => ({ args: inv.args, kwargs: inv.kwargs }));
    await echo.start();
    const client = new WampClient({ url: router.openUrl, realm: 'test_realm', auth: { method: 'wampcra', authid: 'simonsobs', secret: router.secrets.simonsobs }, reconnect: { initialDelay: 50, maxDelay: 300 } });
    const upstream = new WampUpstream(client);
    started.push(upstream);
    await upstream.start();
    await client.start();
    const bridge = await createBridge({ upstream, logger: memoryLogger(bridgeErrors), processMetrics: false, bodyLimit: BODY_LIMIT, nodeTimeoutMs: 10_000 });
    started.push(bridge);
    await bridge.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = bridge.app.server.address() as AddressInfo;
    // the bridge knows both nodes before fuzzing starts
    for (let i = 0; i < 200 && bridge.service.catalog.names().length < 8; i++) await new Promise((r) => setTimeout(r, 25));
    return {
      router,
      bridge,
      bridgeUrl: `http://127.0.0.1:${port}`,
      callUrl: `http://127.0.0.1:${router.openPort}`,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    await router.stop();
    throw err;
  }
}

type Answer = { status: number; contentType: string; body: string };
type Outcome = Answer | { status: 'closed' | 'network error'; detail: string };

async function send(req: FuzzRequest, base: string, timeoutMs: number): Promise<Outcome | 'timeout'> {
  if (req.raw) return sendRaw(req.raw, base, timeoutMs);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetch(base + req.url, {
      method: req.method,
      headers: req.headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      signal: controller.signal,
      redirect: 'manual',
    });
    let body = '';
    if (res.ok && (res.headers.get('content-type') ?? '').startsWith('text/event-stream') && req.method !== 'HEAD') {
      // an event stream never ends: read its first chunk, then hang up
      const reader = res.body!.getReader();
      const first = await reader.read();
      body = first.value ? Buffer.from(first.value).toString('utf8') : '';
      await reader.cancel();
    } else {
      body = await res.text();
    }
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', body };
  } catch (err) {
    if (controller.signal.aborted) return 'timeout';
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { status: 'network error', detail: `${(err as Error).message}${cause ? `: ${cause.code ?? cause.message}` : ''}` };
  } finally {
    clearTimeout(timer);
  }
}

/** Writes raw bytes, reads until the server answers or hangs up; half-closes when it waits for more. */
function sendRaw(bytes: Buffer, base: string, timeoutMs: number): Promise<Outcome | 'timeout'> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let data = '';
    let done = false;
    const finish = (o: Outcome | 'timeout'): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(halfClose);
      socket.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    // a request the server is still waiting on (a short body): stop sending after a while
    const halfClose = setTimeout(() => socket.end(), 1000);
    socket.on('error', (err) => finish({ status: 'network error', detail: err.message }));
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      if (m && data.includes('\r\n\r\n')) finish({ status: Number(m[1]), contentType: /content-type: ([^\r\n]*)/i.exec(data)?.[1] ?? '', body: data.split('\r\n\r\n').slice(1).join('\r\n\r\n') });
    });
    socket.on('close', () => finish({ status: 'closed', detail: data.slice(0, 100) }));
    socket.write(bytes);
  });
}

/** What is wrong with an answer, or null. */
function judge(req: FuzzRequest, outcome: Outcome | 'timeout'): string | null {
  if (outcome === 'timeout') return 'no answer in time';
  if (outcome.status === 'closed') return null; // the server hung up on bytes it could not take: fine
  if (outcome.status === 'network error') return req.oversize || req.raw ? null : `network error: ${(outcome as { detail: string }).detail}`;
  const o = outcome as Answer;
  if (o.status >= 500) return `${o.status}: ${o.body.slice(0, 300)}`;
  // a raw request's answer may be Node's own 400 without a body
  if (req.raw) return null;
  // Node's HTTP parser refused the request line or headers before any handler saw it (unknown method, URI or headers too long)
  if (o.status >= 400 && o.contentType === '' && o.body === '') return null;
  // the router's listener answers paths other than its HTTP caller in plain text (404, and 426 on its WebSocket path)
  if (req.target === 'router' && !/^\/call(\?|$)/.test(req.url) && o.status < 500) return null;
  const isJson = o.contentType.includes('json');
  if (o.status >= 400 && req.method !== 'HEAD') {
    if (!isJson) return `${o.status} without a JSON body (${o.contentType}): ${o.body.slice(0, 200)}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(o.body);
    } catch {
      return `${o.status} with a body that is not JSON: ${o.body.slice(0, 200)}`;
    }
    const p = parsed as { message?: unknown; error?: unknown; args?: unknown[] };
    const message = req.target === 'router' ? p.args?.[0] : p.message;
    if (typeof message !== 'string' || message.length === 0) return `${o.status} without a message: ${o.body.slice(0, 200)}`;
    return null;
  }
  if (isJson && req.method !== 'HEAD' && o.status !== 204 && o.body.length > 0) {
    try {
      JSON.parse(o.body);
    } catch {
      return `${o.status} with a JSON content type but a body that does not parse: ${o.body.slice(0, 200)}`;
    }
  }
  return null;
}

async function reference(base: string): Promise<string> {
  const fixture = JSON.parse(readFileSync(`${FIXTURES}sj-query-grafana10.json`, 'utf8')) as { body: unknown };
  const res = await fetch(`${base}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fixture.body) });
  return `${res.status} ${await res.text()}`;
}

export async function fuzzHttp(o: HttpFuzzOptions): Promise<HttpFuzzReport> {
  const concurrency = o.concurrency ?? 16;
  const timeoutMs = o.timeoutMs ?? 20_000;
  const maxFailures = o.maxFailures ?? 20;
  const progress = o.progress ?? (() => undefined);
  const bridgeErrors: string[] = [];
  const sys = await startSystem(bridgeErrors);
  const seeds = [...loadFixtureSeeds(), ...REST_SEEDS];
  const report: HttpFuzzReport = {
    seed: o.seed,
    requests: 0,
    durationMs: 0,
    statuses: {},
    endpoints: {},
    failures: [],
    slowest: [],
    retried: 0,
    healthAfter: 0,
    referenceSame: false,
    bridgeErrors,
    routerErrors: [],
    routerExit: 'running',
    routerRssMb: { start: rssMb(sys.router.pid), end: 0 },
  };
  try {
    const before = await reference(sys.bridgeUrl);
    const started = Date.now();
    const stopAt = o.durationMs !== undefined ? started + o.durationMs : Infinity;
    const target = o.only ? Infinity : (o.requests ?? (o.durationMs === undefined ? 2000 : Infinity));
    const only = o.only ? [...o.only] : undefined;
    let next = 0;
    let lastProgress = started;
    const worker = async (): Promise<void> => {
      while (report.requests < target && Date.now() < stopAt && report.failures.length < maxFailures) {
        if (only && only.length === 0) break;
        const index = only ? only.shift()! : next++;
        const req = makeRequest(Rng.derive(o.seed, index), seeds);
        const t0 = Date.now();
        const base = req.target === 'bridge' ? sys.bridgeUrl : sys.callUrl;
        let outcome = await send(req, base, timeoutMs);
        // a kept-alive connection the server closed just as the client reused it (the
        // keep-alive race every HTTP client knows): again, up to twice, on another one
        for (let again = 0; again < 2 && outcome !== 'timeout' && outcome.status === 'network error' && !req.raw && !req.oversize; again++) {
          report.retried++;
          outcome = await send(req, base, timeoutMs);
        }
        const ms = Date.now() - t0;
        report.requests++;
        report.endpoints[req.endpoint] = (report.endpoints[req.endpoint] ?? 0) + 1;
        const key = `${req.target} ${outcome === 'timeout' ? 'timeout' : outcome.status}`;
        report.statuses[key] = (report.statuses[key] ?? 0) + 1;
        const why = judge(req, outcome);
        if (why !== null) report.failures.push({ index, request: summarizeRequest(req), why });
        report.slowest.push({ index, ms, request: summarizeRequest(req).slice(0, 160) });
        report.slowest.sort((a, b) => b.ms - a.ms);
        report.slowest.length = Math.min(report.slowest.length, 5);
        if (Date.now() - lastProgress > 5000) {
          lastProgress = Date.now();
          progress(`${report.requests} requests, ${report.failures.length} failing`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    report.durationMs = Date.now() - started;
    report.healthAfter = (await fetch(`${sys.bridgeUrl}/`)).status;
    report.referenceSame = (await reference(sys.bridgeUrl)) === before;
    report.routerRssMb.end = rssMb(sys.router.pid);
  } finally {
    await sys.close();
    report.routerExit = await sys.router.stop();
    report.routerErrors.push(...errorLines(sys.router.stderr()));
  }
  return report;
}

export function summarizeHttp(r: HttpFuzzReport): string {
  const lines = [
    `seed ${r.seed}: ${r.requests} requests in ${(r.durationMs / 1000).toFixed(1)} s`,
    `  answers: ${JSON.stringify(r.statuses)}; sent again after a network error: ${r.retried}`,
    `  endpoints: ${Object.keys(r.endpoints).length} seeds`,
    `  slowest: ${r.slowest.map((s) => `#${s.index} ${s.ms} ms`).join('; ')}`,
    `  after: health ${r.healthAfter}, reference query ${r.referenceSame ? 'unchanged' : 'CHANGED'}; router RSS ${r.routerRssMb.start} -> ${r.routerRssMb.end} MB, exit ${r.routerExit}`,
    `  error log lines: bridge ${r.bridgeErrors.length}, router ${r.routerErrors.length}`,
  ];
  for (const f of r.failures.slice(0, 10)) lines.push(`  FAILED request ${f.index}: ${f.why}`, `      > ${f.request}`);
  for (const e of [...r.bridgeErrors, ...r.routerErrors].slice(0, 5)) lines.push(`  ERROR LOG: ${e}`);
  return lines.join('\n');
}
