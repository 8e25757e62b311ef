// `sisock router`: runs the WAMP router with the sisock default
// configuration (or a configuration file), until SIGINT/SIGTERM or the death
// of the `sisock up` that started it, then says GOODBYE to every client and
// exits.
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createLogger } from '../../log/logger.js';
import { ConfigError, Router, loadCrossbarConfig, loadRouterConfigFile } from '../../router/index.js';
import type { RouterConfig, TlsConfig } from '../../router/config.js';
import { formatHelp, parseCommandLine, UsageError, type OptionSpecs } from '../options.js';
import { DEFAULT_REALM, PUBLIC_DEFAULT_SECRETS, defaultRouterConfig, secretProblems } from '../router-defaults.js';
import { untilStopped } from '../signals.js';

export const DEFAULT_TLS_KEY = '.sisock/tls/server_key.pem';
export const DEFAULT_TLS_CERT = '.sisock/tls/server_cert.pem';

export const routerOptions = {
  routerConfig: { flag: 'router-config', type: 'string', env: 'SISOCK_ROUTER_CONFIG', key: 'router.config', description: 'router configuration file in our own format (docs/router.md); replaces the sisock defaults' },
  crossbarConfig: { flag: 'crossbar-config', type: 'string', env: 'SISOCK_CROSSBAR_CONFIG', key: 'router.crossbar_config', description: "a crossbar .crossbar/config.json (or its directory) to run instead of the sisock defaults" },
  host: { flag: 'host', type: 'string', env: 'SISOCK_ROUTER_HOST', key: 'router.host', default: '127.0.0.1', description: 'address the listeners bind to' },
  tlsPort: { flag: 'tls-port', type: 'number', env: 'CROSSBAR_TLS_PORT', key: 'router.tls_port', default: 8080, description: 'port of the secure WebSocket (wss, WAMP-CRA), path /ws; 0 picks a free port' },
  ocsPort: { flag: 'ocs-port', type: 'number', env: 'CROSSBAR_OCS_PORT', key: 'router.ocs_port', default: 8001, description: 'port of the open WebSocket (ws, anonymous and WAMP-CRA), path /ws; 0 picks a free port' },
  noTls: { flag: 'no-tls', type: 'boolean', env: 'SISOCK_NO_TLS', key: 'router.no_tls', default: false, description: 'run without the secure listener' },
  tlsKey: { flag: 'tls-key', type: 'string', env: 'SISOCK_TLS_KEY', key: 'router.tls_key', description: `PEM private key of the secure listener (default ${DEFAULT_TLS_KEY} when it exists)` },
  tlsCert: { flag: 'tls-cert', type: 'string', env: 'SISOCK_TLS_CERT', key: 'router.tls_cert', description: `PEM certificate of the secure listener (default ${DEFAULT_TLS_CERT} when it exists)` },
  tlsCa: { flag: 'tls-ca', type: 'string', env: 'SISOCK_TLS_CA', key: 'router.tls_ca', description: 'PEM CA certificates: when given, clients of the secure listener must present a certificate issued by one of them' },
  realm: { flag: 'realm', type: 'string', env: 'SISOCK_REALM', key: 'router.realm', default: DEFAULT_REALM, description: 'name of the realm' },
  serverSecret: { flag: 'server-secret', type: 'string', env: 'WAMP_SECRET', key: 'router.server_secret', default: PUBLIC_DEFAULT_SECRETS.server!, description: "WAMP-CRA secret of user 'server' (data nodes); prefer the variable to the flag" },
  consumerSecret: { flag: 'consumer-secret', type: 'string', env: 'SISOCK_CONSUMER_SECRET', key: 'router.consumer_secret', default: PUBLIC_DEFAULT_SECRETS.simonsobs!, description: "WAMP-CRA secret of user 'simonsobs' (the HTTP bridge)" },
  hubSecret: { flag: 'hub-secret', type: 'string', env: 'SISOCK_HUB_SECRET', key: 'router.hub_secret', default: PUBLIC_DEFAULT_SECRETS.hub!, description: "WAMP-CRA secret of user 'hub', the only one that may serve the hub's procedures" },
  maxMessageSize: { flag: 'max-message-size', type: 'number', env: 'SISOCK_MAX_MESSAGE_SIZE', key: 'router.max_message_size', default: 64 * 1024 * 1024, description: 'largest WAMP message accepted, bytes' },
} satisfies OptionSpecs;

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the TLS ${what} ${path}: ${(err as Error).message}`);
  }
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(routerOptions, argv);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`sisock router: ${err.message}`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    console.log(formatHelp('sisock router [options]', routerOptions));
    return 0;
  }
  const o = parsed.options;
  const log = createLogger('router');

  // what was set explicitly (flag, variable or settings file) overrides a loaded configuration
  const explicit = parseCommandLine(withoutDefaults(routerOptions), argv).options;
  let config: RouterConfig;
  try {
    let tls: TlsConfig | undefined;
    const keyPath = o.tlsKey ?? (existsSync(DEFAULT_TLS_KEY) ? DEFAULT_TLS_KEY : undefined);
    const certPath = o.tlsCert ?? (existsSync(DEFAULT_TLS_CERT) ? DEFAULT_TLS_CERT : undefined);
    if (!o.noTls && keyPath !== undefined && certPath !== undefined) {
      tls = { key: readPem(keyPath, 'key'), cert: readPem(certPath, 'certificate'), ...(o.tlsCa ? { ca: readPem(o.tlsCa, 'CA') } : {}) };
    } else if (!o.noTls && (o.tlsKey !== undefined || o.tlsCert !== undefined)) {
      throw new UsageError('the secure listener needs both --tls-key and --tls-cert');
    }
    if (o.routerConfig !== undefined || o.crossbarConfig !== undefined) {
      if (o.routerConfig !== undefined && o.crossbarConfig !== undefined) throw new UsageError('give --router-config or --crossbar-config, not both');
      const loaded = o.routerConfig !== undefined ? loadRouterConfigFile(o.routerConfig) : loadCrossbarConfig(o.crossbarConfig!);
      for (const w of loaded.warnings) log.warn({ config: o.routerConfig ?? o.crossbarConfig }, w);
      config = loaded.config;
      applyOverrides(config, {
        ...(explicit.host !== undefined ? { host: explicit.host } : {}),
        ...(explicit.tlsPort !== undefined ? { tlsPort: explicit.tlsPort } : {}),
        ...(explicit.ocsPort !== undefined ? { ocsPort: explicit.ocsPort } : {}),
        ...(explicit.tlsKey !== undefined && tls ? { tls } : {}),
      });
      if (o.noTls) config.listeners = config.listeners.filter((l) => l.tls === undefined);
    } else {
      if (!o.noTls && tls === undefined) {
        log.warn({ key: DEFAULT_TLS_KEY, cert: DEFAULT_TLS_CERT }, 'no TLS key and certificate: the secure listener is off (run `sisock tls init` to make them)');
        console.error(`sisock router: no TLS key/certificate at ${DEFAULT_TLS_KEY}, ${DEFAULT_TLS_CERT}: secure listener off (\`sisock tls init\` makes them)`);
      }
      config = defaultRouterConfig({
        host: o.host,
        tlsPort: o.tlsPort,
        ocsPort: o.ocsPort,
        realm: o.realm,
        ...(tls ? { tls } : {}),
        serverSecret: o.serverSecret,
        consumerSecret: o.consumerSecret,
        hubSecret: o.hubSecret,
      });
    }
    if (explicit.maxMessageSize !== undefined || config.limits?.maxMessageSize === undefined) {
      config.limits = { ...config.limits, maxMessageSize: o.maxMessageSize };
    }
    const problems = secretProblems(config);
    if (problems.length > 0) {
      throw new UsageError(
        `refusing to listen beyond loopback with public or empty secrets:\n  ${problems.join('\n  ')}\n` +
          'set WAMP_SECRET, SISOCK_CONSUMER_SECRET and SISOCK_HUB_SECRET (or the secrets of your config) to secrets of your own, or listen on 127.0.0.1',
      );
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      console.error(`sisock router: ${err.message}`);
      return 2;
    }
    throw err;
  }

  const router = new Router(config, { logger: log });
  // from now on SIGINT/SIGTERM, or the death of the `sisock up` that started us, stop the router gracefully
  const stopped = untilStopped(new EventEmitter());
  let addresses;
  try {
    addresses = await router.start();
  } catch (err) {
    console.error(`sisock router: cannot listen: ${(err as Error).message}`);
    await router.close();
    return 1;
  }

  // only now say where it listens: whoever reads that may stop it at once
  for (const a of addresses) {
    for (const url of a.urls) console.log(`sisock router: ${a.name} listening on ${url}`);
    for (const url of a.httpUrls) console.log(`sisock router: ${a.name} HTTP bridge at ${url}`);
  }
  await stopped;
  log.info('stopping');
  await router.close();
  return 0;
}

/** The same options without defaults: what parses to a value was set explicitly. */
function withoutDefaults<S extends OptionSpecs>(specs: S): S {
  return Object.fromEntries(Object.entries(specs).map(([k, v]) => [k, { ...v, default: undefined }])) as unknown as S;
}

/** Flags and variables over a loaded configuration: host for every listener, ports for the first TLS and first plain listener. */
function applyOverrides(config: RouterConfig, o: { host?: string; tlsPort?: number; ocsPort?: number; tls?: TlsConfig }): void {
  if (o.host !== undefined) for (const l of config.listeners) l.host = o.host;
  const secure = config.listeners.find((l) => l.tls !== undefined);
  const open = config.listeners.find((l) => l.tls === undefined);
  if (secure && o.tlsPort !== undefined) secure.port = o.tlsPort;
  if (secure && o.tls !== undefined) secure.tls = o.tls;
  if (open && o.ocsPort !== undefined) open.port = o.ocsPort;
}
