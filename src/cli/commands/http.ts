// `sisock http`: the HTTP bridge (Grafana data source, REST API, health,
// Prometheus metrics, the web monitor's files) until SIGINT/SIGTERM.
// It listens at once and answers 503 until it has a router session, so a
// load balancer or Grafana sees why. Exit codes: 0 stopped, 1 failed,
// 2 usage.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WampClient } from '../../client/client.js';
import { describeError } from '../../client/errors.js';
import { createBridge } from '../../http/server.js';
import { WampUpstream } from '../../http/wamp-upstream.js';
import { createLogger } from '../../log/logger.js';
import { clientOptionsFrom, connectionOptions } from '../connection.js';
import { formatHelp, parseCommandLine, UsageError, type OptionSpecs } from '../options.js';
import { isLoopback } from '../router-defaults.js';
import { untilStopped } from '../signals.js';

/** The web monitor's build output, served when present. */
const DEFAULT_MONITOR_DIR = fileURLToPath(new URL('../../../monitor', import.meta.url));

export const httpOptions = {
  ...connectionOptions,
  // the original bridge joined with its own authid
  user: { ...connectionOptions.user, default: 'simonsobs' },
  port: { flag: 'port', short: 'p', type: 'number', env: 'PORT', key: 'http.port', default: 5000, description: 'HTTP port (0: any free port)' },
  host: { flag: 'host', type: 'string', env: 'SISOCK_HTTP_HOST', key: 'http.host', default: '127.0.0.1', description: 'address to listen on (0.0.0.0 for every interface)' },
  basePath: { flag: 'base-path', type: 'string', env: 'SISOCK_HTTP_BASE_PATH', key: 'http.base_path', description: 'serve everything under this path, e.g. /grafana (default: the root)' },
  nodeTimeout: { flag: 'node-timeout', type: 'number', env: 'SISOCK_HTTP_NODE_TIMEOUT', key: 'http.node_timeout', default: 10, description: 'seconds a data node has to answer before its targets get an error (the others are still answered)' },
  maxSamples: { flag: 'max-samples', type: 'number', env: 'SISOCK_HTTP_MAX_SAMPLES', key: 'http.max_samples', default: 10_000_000, description: 'samples of one data node for one request at most, when its answer is too large for one WAMP message and is fetched in parts' },
  fieldsRefresh: { flag: 'fields-refresh', type: 'number', env: 'SISOCK_HTTP_FIELDS_REFRESH', key: 'http.fields_refresh', default: 300, description: 'seconds between reloads of every node\'s field list beside the hub\'s events; 0: never' },
  token: { flag: 'token', type: 'string', env: 'SISOCK_HTTP_TOKEN', key: 'http.token', description: 'require `Authorization: Bearer <token>` (wrong or none: 403)' },
  authUser: { flag: 'auth-user', type: 'string', env: 'SISOCK_HTTP_USER', key: 'http.user', description: 'require HTTP basic auth with this user (and --auth-password)' },
  authPassword: { flag: 'auth-password', type: 'string', env: 'SISOCK_HTTP_PASSWORD', key: 'http.password', description: 'password for --auth-user' },
  corsOrigin: { flag: 'cors-origin', type: 'string', env: 'SISOCK_HTTP_CORS_ORIGIN', key: 'http.cors_origin', default: '*', description: "allowed browser origins: '*', 'reflect' (echo the origin, allow credentials) or a comma-separated list" },
  monitorDir: { flag: 'monitor-dir', type: 'string', env: 'SISOCK_MONITOR_DIR', key: 'http.monitor_dir', description: 'folder of the web monitor to serve under /monitor/ (default: the built one, when present)' },
  liveInterval: { flag: 'live-interval', type: 'number', env: 'SISOCK_HTTP_LIVE_INTERVAL', key: 'http.live_interval', default: 2, description: 'default seconds between live sample updates on /api/v1/events' },
  bodyLimit: { flag: 'body-limit', type: 'number', env: 'SISOCK_HTTP_BODY_LIMIT', key: 'http.body_limit', default: 4 * 1024 * 1024, description: 'largest request body, bytes' },
  logLevel: { flag: 'log-level', type: 'string', env: 'LOGLEVEL', key: 'http.log_level', default: 'info', description: 'fatal, error, warn, info, debug, trace or silent (Python names accepted)' },
} satisfies OptionSpecs;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(httpOptions, argv);
    if (parsed.help) {
      console.log(formatHelp('sisock http [options]', httpOptions));
      return 0;
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`sisock http: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const o = parsed.options;
  const log = createLogger('http', o.logLevel);
  let client: WampClient;
  try {
    if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new UsageError(`--port must be 0 to 65535, got ${o.port}`);
    if (o.nodeTimeout <= 0) throw new UsageError('--node-timeout must be > 0');
    if (!Number.isInteger(o.maxSamples) || o.maxSamples < 1) throw new UsageError(`--max-samples must be a positive whole number, got ${o.maxSamples}`);
    if (o.fieldsRefresh < 0) throw new UsageError('--fields-refresh must be >= 0');
    if (o.liveInterval < 0.2) throw new UsageError('--live-interval must be at least 0.2');
    if ((o.authUser === undefined) !== (o.authPassword === undefined)) {
      throw new UsageError('--auth-user and --auth-password go together');
    }
    // an empty credential would lock everyone out, or look like protection that is not there
    if (o.token === '') throw new UsageError('--token is empty: give a token of your own, or no --token');
    if (o.authUser === '' || o.authPassword === '') throw new UsageError('--auth-user and --auth-password must not be empty');
    if (!isLoopback(o.host) && o.token === undefined && o.authUser === undefined) {
      log.warn({ host: o.host }, 'serving without credentials beyond loopback: whoever reaches this address may read every data node (--token or --auth-user protect it)');
    }
    // the bridge answers in JSON: integers beyond 2^53 from a binary serializer as numbers, as JSON would give them
    client = new WampClient({ ...clientOptionsFrom(o, log.child({ part: 'wamp' })), largeIntegers: 'number' });
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`sisock http: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const upstream = new WampUpstream(client, { logger: log.child({ part: 'upstream' }) });
  const monitorDir = o.monitorDir ?? (existsSync(DEFAULT_MONITOR_DIR) ? DEFAULT_MONITOR_DIR : null);
  let bridge;
  try {
    await upstream.start();
    bridge = await createBridge({
      upstream,
      logger: log,
      basePath: o.basePath,
      nodeTimeoutMs: o.nodeTimeout * 1000,
      maxSplitSamples: o.maxSamples,
      fieldsRefreshMs: o.fieldsRefresh * 1000,
      bodyLimit: o.bodyLimit,
      corsOrigin: o.corsOrigin,
      monitorDir,
      liveIntervalMs: o.liveInterval * 1000,
      auth: {
        ...(o.token !== undefined ? { token: o.token } : {}),
        ...(o.authUser !== undefined && o.authPassword !== undefined ? { user: o.authUser, password: o.authPassword } : {}),
      },
    });
    await bridge.app.listen({ port: o.port, host: o.host });
  } catch (err) {
    console.error(`sisock http: ${describeError(err)}`);
    await bridge?.close();
    await upstream.close();
    return 1;
  }
  // handlers first: whoever reads the ready line may stop it at once
  const stopped = untilStopped(client);
  const address = bridge.app.server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  const root = `http://${host}:${port}${bridge.basePath}/`;
  console.log(
    `sisock http: serving Grafana (SimpleJson and JSON) and the REST API on ${root}` +
      ` (router ${client.url}, realm ${client.realm})${monitorDir ? `; web monitor at ${root}monitor/` : ''}`,
  );
  const how = await stopped;
  await bridge.close();
  await upstream.close();
  return how === 'fatal' ? 1 : 0;
}
