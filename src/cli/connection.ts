// Settings of a component's connection to the router, shared by the commands
// that join it as a client (hub, data nodes, status). The original's
// variables keep their meaning: CROSSBAR_HOST and CROSSBAR_TLS_PORT make the
// default wss:// URL, WAMP_USER / WAMP_SECRET the WAMP-CRA credentials.
import { existsSync, readFileSync } from 'node:fs';
import { DEFAULT_MAX_MESSAGE_SIZE, type Auth, type ClientOptions, type SerializerName } from '../client/client.js';
import type { Logger } from '../log/logger.js';
import { UsageError, type OptionSpecs, type Resolved } from './options.js';

/** Where `sisock tls init` puts the CA that clients trust. */
export const DEFAULT_CA_FILE = '.sisock/tls/ca_cert.pem';

export const connectionOptions = {
  url: { flag: 'url', type: 'string', env: 'SISOCK_URL', key: 'client.url', description: 'router WebSocket URL (default wss://<router-host>:<router-port>/ws)' },
  routerHost: { flag: 'router-host', type: 'string', env: 'CROSSBAR_HOST', key: 'client.host', default: '127.0.0.1', description: 'router host, when no --url' },
  routerPort: { flag: 'router-port', type: 'number', env: 'CROSSBAR_TLS_PORT', key: 'client.port', default: 8080, description: 'router secure port, when no --url' },
  realm: { flag: 'realm', type: 'string', env: 'SISOCK_REALM', key: 'client.realm', default: 'test_realm', description: 'WAMP realm' },
  user: { flag: 'user', type: 'string', env: 'WAMP_USER', key: 'client.user', default: 'server', description: 'authid for WAMP-CRA or ticket' },
  secret: { flag: 'secret', type: 'string', env: 'WAMP_SECRET', key: 'client.secret', description: 'WAMP-CRA secret (prefer the variable or --secret-file to the flag); none and no ticket: anonymous' },
  secretFile: { flag: 'secret-file', type: 'string', env: 'WAMP_SECRET_FILE', key: 'client.secret_file', description: 'file holding the WAMP-CRA secret' },
  ticket: { flag: 'ticket', type: 'string', env: 'WAMP_TICKET', key: 'client.ticket', description: 'ticket for ticket authentication' },
  ca: { flag: 'ca', type: 'string', env: 'SISOCK_CA', key: 'client.ca', description: `PEM file of the CA to trust for wss:// (default ${DEFAULT_CA_FILE} when it exists, else the system's)` },
  serializer: { flag: 'serializer', type: 'string', env: 'SISOCK_SERIALIZER', key: 'client.serializer', default: 'json', description: 'json, msgpack or cbor' },
  maxMessageSize: { flag: 'max-message-size', type: 'number', env: 'SISOCK_MAX_MESSAGE_SIZE', key: 'client.max_message_size', default: DEFAULT_MAX_MESSAGE_SIZE, description: "largest WAMP message sent or taken, bytes: the router's limit (an answer over it is an error for its caller alone)" },
} satisfies OptionSpecs;

export type ConnectionSettings = Resolved<typeof connectionOptions>;

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

/** Client options from resolved settings; throws UsageError on unreadable files or bad values. */
export function clientOptionsFrom(s: ConnectionSettings, logger?: Logger): ClientOptions {
  const url = s.url ?? `wss://${s.routerHost.includes(':') ? `[${s.routerHost}]` : s.routerHost}:${s.routerPort}/ws`;
  if (!/^wss?:\/\//.test(url)) throw new UsageError(`--url must start with ws:// or wss://, got '${url}'`);
  if (!['json', 'msgpack', 'cbor'].includes(s.serializer)) throw new UsageError(`--serializer must be json, msgpack or cbor, got '${s.serializer}'`);
  if (!Number.isInteger(s.maxMessageSize) || s.maxMessageSize < 1024) throw new UsageError(`--max-message-size must be a whole number of bytes, at least 1024, got ${s.maxMessageSize}`);
  const secret = s.secret ?? (s.secretFile !== undefined ? readText(s.secretFile, 'the secret file').trim() : undefined);
  let auth: Auth = { method: 'anonymous' };
  if (secret !== undefined && secret !== '') auth = { method: 'wampcra', authid: s.user, secret };
  else if (s.ticket !== undefined && s.ticket !== '') auth = { method: 'ticket', authid: s.user, ticket: s.ticket };
  const caFile = s.ca ?? (url.startsWith('wss:') && existsSync(DEFAULT_CA_FILE) ? DEFAULT_CA_FILE : undefined);
  return {
    url,
    realm: s.realm,
    auth,
    serializer: s.serializer as SerializerName,
    maxMessageSize: s.maxMessageSize,
    maxPayload: s.maxMessageSize,
    ...(caFile !== undefined ? { ca: readText(caFile, 'the CA file') } : {}),
    ...(logger ? { logger } : {}),
  };
}

/**
 * Options of a short-lived consumer command (status, query). Without a URL
 * nor credentials it reads as an anonymous consumer on the open port (the
 * secure port wants WAMP-CRA); it gives up instead of reconnecting.
 */
export function consumerClientOptions(s: ConnectionSettings, timeoutSeconds: number): ClientOptions {
  const anonymous = s.url === undefined && s.secret === undefined && s.secretFile === undefined && s.ticket === undefined;
  const url = anonymous ? `ws://${s.routerHost}:${process.env.CROSSBAR_OCS_PORT || 8001}/ws` : s.url;
  return { ...clientOptionsFrom({ ...s, url }), reconnect: false, connectTimeout: timeoutSeconds * 1000 };
}

/** The environment a consumer command resolves its settings from: beside `sisock up`, its settings file says where the router is. */
export function consumerEnv(argv: string[], upConfigFile: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (env.SISOCK_CONFIG === undefined && !argv.includes('--config') && existsSync(upConfigFile)) env.SISOCK_CONFIG = upConfigFile;
  return env;
}
