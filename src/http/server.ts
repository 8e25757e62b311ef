// The HTTP bridge as one fastify server: the shared behaviour (base path,
// `//` and trailing-slash tolerance, JSON bodies, CORS, compression, auth,
// JSON errors that never say 401, abort on disconnect, metrics, logs), and
// one plugin per endpoint family.
import { timingSafeEqual, createHash } from 'node:crypto';
import { constants as zlibConstants } from 'node:zlib';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyCompress from '@fastify/compress';
import fastifyCors from '@fastify/cors';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { Catalog } from './catalog.js';
import { DataService } from './data-service.js';
import { Fetcher } from './fetcher.js';
import { BridgeMetrics, instrumentUpstream } from './metrics.js';
import type { Upstream } from './upstream.js';
import { BadRequest } from './time.js';
import { healthPlugin, HealthCheck } from './plugins/health.js';
import { prometheusPlugin } from './plugins/prometheus.js';
import { grafanaQueryPlugin } from './plugins/grafana-query.js';
import { simpleJsonPlugin } from './plugins/grafana-simplejson.js';
import { grafanaJsonPlugin } from './plugins/grafana-json.js';
import { restPlugin } from './plugins/rest.js';
import { monitorPlugin } from './plugins/monitor.js';

export interface BridgeAuth {
  /** accept `Authorization: Bearer <token>` */
  token?: string;
  /** accept `Authorization: Basic` with this user and password */
  user?: string;
  password?: string;
}

export interface BridgeOptions {
  upstream: Upstream;
  logger?: Logger;
  /** serve everything under this path, e.g. `/grafana` (default: the root) */
  basePath?: string;
  /** a data node slower than this is cut off; its targets get an error, the others are answered */
  nodeTimeoutMs?: number;
  /** samples of one data node for one request at most when its answer, too large for one message, is fetched in parts */
  maxSplitSamples?: number;
  /** reload every node's field list this often (0: only on events and on demand) */
  fieldsRefreshMs?: number;
  /** least time between two reloads of a node's fields (or of the node list) asked for by unknown names */
  reloadGapMs?: number;
  /** largest request body in bytes */
  bodyLimit?: number;
  /** credentials the bridge requires; none by default */
  auth?: BridgeAuth;
  /** `*` (default), `reflect` (echo the Origin, allow credentials), or a comma-separated list of origins */
  corsOrigin?: string;
  /** folder with the web monitor's built files, served under /monitor/ */
  monitorDir?: string | null;
  /** interval of the live sample stream (SSE) in ms */
  liveIntervalMs?: number;
  /** also export Node process metrics (memory, event loop) */
  processMetrics?: boolean;
}

export interface Bridge {
  app: FastifyInstance;
  service: DataService;
  metrics: BridgeMetrics;
  /** the base path, normalised ('' for the root) */
  basePath: string;
  /** stops the server and the field-list follower (not the upstream) */
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** aborted when the client goes away before the answer is sent */
    clientSignal: AbortSignal;
  }
}

/** `grafana/` -> `/grafana`; `/` and `` -> ``. */
export function normaliseBasePath(p: string | undefined): string {
  if (!p) return '';
  const parts = p.split('/').filter((s) => s.length > 0);
  return parts.length === 0 ? '' : `/${parts.join('/')}`;
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Checks an Authorization header against the configured credentials. */
export function authorized(header: string | undefined, auth: BridgeAuth): boolean {
  if (!header) return false;
  const m = /^(\w+)\s+(.+)$/.exec(header.trim());
  if (!m) return false;
  const scheme = (m[1] as string).toLowerCase();
  const value = m[2] as string;
  if (scheme === 'bearer' && auth.token !== undefined) return sameSecret(value, auth.token);
  if (scheme === 'basic' && auth.user !== undefined && auth.password !== undefined) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) return false;
    // evaluate both comparisons so timing does not tell which part was wrong
    const userOk = sameSecret(decoded.slice(0, i), auth.user);
    const passOk = sameSecret(decoded.slice(i + 1), auth.password);
    return userOk && passOk;
  }
  return false;
}

function corsOrigin(setting: string | undefined): string | boolean | string[] {
  const s = (setting ?? '*').trim();
  if (s === '' || s === '*') return '*';
  if (s === 'reflect') return true;
  return s.split(',').map((x) => x.trim()).filter(Boolean);
}

/** The message for requests that need the router while there is no session. */
export function notConnected(where: string | undefined): string {
  return `the sisock HTTP bridge is not connected to the WAMP router${where ? ` at ${where}` : ''}`;
}

/** Sends the JSON error body every endpoint uses: Grafana shows `message`. */
export function sendError(reply: FastifyReply, status: number, message: string, code?: string): FastifyReply {
  // never 401: Grafana's proxy turns it into a login problem (grafana-json-protocol 2.3)
  const s = status === 401 ? 403 : status;
  const body: Record<string, unknown> = { message, error: statusText(s), statusCode: s };
  if (code) body.code = code;
  return reply.code(s).type('application/json; charset=utf-8').send(JSON.stringify(body));
}

function statusText(status: number): string {
  const texts: Record<number, string> = {
    400: 'Bad Request',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    413: 'Payload Too Large',
    415: 'Unsupported Media Type',
    499: 'Client Closed Request',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
  };
  return texts[status] ?? 'Error';
}

export async function createBridge(options: BridgeOptions): Promise<Bridge> {
  const log = options.logger ?? silentLogger;
  const basePath = normaliseBasePath(options.basePath);
  let service: DataService | null = null;
  const metrics = new BridgeMetrics(
    {
      connected: () => options.upstream.connected,
      nodes: () => service?.catalog.nodes().filter((n) => n.online).length ?? 0,
      fields: () => service?.catalog.names().length ?? 0,
      coalesced: () => service?.fetcher.coalesced ?? 0,
    },
    { processMetrics: options.processMetrics ?? true },
  );
  const upstream = instrumentUpstream(options.upstream, metrics);
  const catalog = new Catalog(upstream, {
    logger: log.child({ part: 'catalog' }),
    refreshIntervalMs: options.fieldsRefreshMs ?? 0,
    ...(options.reloadGapMs !== undefined ? { minReloadGapMs: options.reloadGapMs } : {}),
  });
  const fetcher = new Fetcher(upstream, { logger: log.child({ part: 'fetcher' }), nodeTimeoutMs: options.nodeTimeoutMs, maxSplitSamples: options.maxSplitSamples });
  service = new DataService(upstream, catalog, fetcher);
  const health = new HealthCheck(upstream, catalog);

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 4 * 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    // keep-alive connections must not hold the process open at close
    forceCloseConnections: true,
    return503OnClosing: true,
    // schemas say "string or number" for times, as Grafana and scripts send either
    // and no coercion: a string where an array belongs is an error, not a one-item array
    ajv: { customOptions: { allowUnionTypes: true, coerceTypes: false } },
  });

  // bodies: JSON whatever the content type says (or none), empty means {}
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(new BadRequest(`the body is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });

  // bodies come as plain JSON (no client compresses them): say so rather than read compressed bytes as JSON
  app.addHook('onRequest', (request, reply, done) => {
    const encoding = (request.headers['content-encoding'] ?? '').trim().toLowerCase();
    if (encoding === '' || encoding === 'identity') return done();
    sendError(reply, 415, `request bodies with Content-Encoding '${encoding.slice(0, 40)}' are not accepted: send plain JSON`, 'unsupported_encoding');
  });

  // no body at all (SimpleJson's /tag-keys on Grafana 7 and older) reads as {}
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.body === undefined && request.method === 'POST') request.body = {};
    done();
  });

  app.decorateRequest('clientSignal', {
    getter(this: FastifyRequest) {
      return (this as unknown as { _clientSignal: AbortSignal })._clientSignal;
    },
  });
  app.addHook('onRequest', (request, reply, done) => {
    const controller = new AbortController();
    (request as unknown as { _clientSignal: AbortSignal })._clientSignal = controller.signal;
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) controller.abort();
    });
    done();
  });

  await app.register(fastifyCors, {
    origin: corsOrigin(options.corsOrigin),
    credentials: corsOrigin(options.corsOrigin) !== '*',
    methods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
    maxAge: 600,
    strictPreflight: false,
    // allowedHeaders left unset: the plugin echoes Access-Control-Request-Headers
  });
  // answers only: no client sends compressed bodies, and decompressing them wedged the connection
  // after a body that was not what its Content-Encoding said (the next request on it never answered)
  await app.register(fastifyCompress, {
    global: true,
    globalDecompression: false,
    threshold: 1024,
    // Answers are mostly digits and compress ~3:1 at any setting; the fastest
    // ones cost a third of the default CPU for 5-10% more bytes, on links to
    // Grafana that are local. brotli 1 beats gzip 1 in both time and size:
    // first when the client accepts both (browsers over https).
    encodings: ['br', 'gzip', 'deflate'],
    zlibOptions: { level: zlibConstants.Z_BEST_SPEED },
    brotliOptions: { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 1, [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_TEXT } },
    // in one go up to 1 MiB (a few ms at these settings): the stream path costs 25% more
    // CPU and latency; bigger answers stream, so the event loop is never held long
    syncThreshold: 1024 * 1024,
  });

  const auth = options.auth;
  // The monitor's own files hold no data, and a browser must load the page
  // before the page can ask its user for credentials: they are public (by
  // the route they matched, so no path trick reaches anything else).
  const monitorRoutes = new Set(options.monitorDir ? [`${basePath}/monitor`, `${basePath}/monitor/*`] : []);
  if (auth && (auth.token !== undefined || (auth.user !== undefined && auth.password !== undefined))) {
    app.addHook('onRequest', (request, reply, done) => {
      // preflights never carry credentials (grafana-json-protocol 2.4)
      if (request.method === 'OPTIONS' || authorized(request.headers.authorization, auth)) return done();
      if ((request.method === 'GET' || request.method === 'HEAD') && monitorRoutes.has(request.routeOptions.url ?? '')) return done();
      log.warn({ url: request.url, ip: request.ip }, 'request without valid credentials');
      sendError(reply, 403, 'missing or wrong credentials for the sisock HTTP bridge', 'forbidden');
    });
  }

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, seconds);
    const line = { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (reply.statusCode >= 400) log.warn(line, 'request failed');
    else log.debug(line, 'request');
    done();
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof BadRequest) {
      log.warn({ url: request.url, err: err.message }, 'bad request');
      return sendError(reply, 400, err.message, 'bad_request');
    }
    if (err.validation) {
      log.warn({ url: request.url, err: err.message }, 'bad request');
      return sendError(reply, 400, err.message, 'bad_request');
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) log.error({ url: request.url, err }, 'request failed');
    else log.warn({ url: request.url, err: err.message }, 'request refused');
    return sendError(reply, status, status >= 500 ? `internal error: ${err.message}` : err.message);
  });
  app.setNotFoundHandler((request, reply) => {
    sendError(reply, 404, `no such endpoint: ${request.method} ${request.url.split('?')[0]}`, 'not_found');
  });

  const deps = { service, metrics, health, log, liveIntervalMs: options.liveIntervalMs ?? 2000 };
  const monitor = options.monitorDir ? `${basePath}/monitor/` : null;
  await app.register(
    async (scope) => {
      await scope.register(healthPlugin, { ...deps, monitorPath: monitor });
      await scope.register(prometheusPlugin, deps);
      await scope.register(grafanaQueryPlugin, deps);
      await scope.register(simpleJsonPlugin, deps);
      await scope.register(grafanaJsonPlugin, deps);
      await scope.register(restPlugin, { ...deps, prefix: '/api/v1' });
      if (options.monitorDir) await scope.register(monitorPlugin, { root: options.monitorDir });
    },
    { prefix: basePath },
  );

  await catalog.start();
  return {
    app,
    service,
    metrics,
    basePath,
    async close() {
      catalog.stop();
      await app.close();
    },
  };
}

export type PluginDeps = {
  service: DataService;
  metrics: BridgeMetrics;
  health: HealthCheck;
  log: Logger;
  liveIntervalMs: number;
};
