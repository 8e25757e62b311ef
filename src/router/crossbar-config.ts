// Reads the subset of Crossbar.io's `.crossbar/config.json` (version 2) that
// SO deployments used, so an existing site's configuration starts this
// router: router workers' realms, roles and permissions, and their
// WebSocket and web transports (TLS files, auth, WebSocket options, the HTTP
// caller and publisher services). Everything else is ignored with a
// warning; what cannot be honoured safely (dynamic authorizers and
// authenticators) is refused with a clear message.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { convertStarredUri, isMatchPolicy, type MatchPolicy } from '../wamp/uri.js';
import { SERIALIZERS, subprotocolsFor } from '../wamp/serializers.js';
import { describeValue } from '../wamp/validation.js';
import type {
  ListenerConfig,
  PathService,
  Permission,
  RealmConfig,
  RoleConfig,
  RouterConfig,
  TicketPrincipal,
  TlsConfig,
  TransportAuth,
  WampCraUser,
  WebSocketOptions,
  WebSocketService,
} from './config.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadedConfig {
  config: RouterConfig;
  /** things ignored or adapted, one sentence each, never containing a secret */
  warnings: string[];
}

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Typed access to untrusted JSON with messages that say where a value is wrong; shared with config-file.ts. */
export class Reader {
  readonly warnings: string[] = [];
  constructor(
    readonly baseDir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  warn(text: string): void {
    this.warnings.push(text);
  }

  /** Warns about keys of `obj` not in `known`. */
  known(obj: Json, where: string, known: readonly string[]): void {
    for (const k of Object.keys(obj)) if (!known.includes(k)) this.warn(`${where}: '${k}' is not supported and is ignored`);
  }

  obj(v: unknown, where: string): Json {
    if (!isObj(v)) throw new ConfigError(`${where} must be an object`);
    return v;
  }

  str(v: unknown, where: string): string {
    if (typeof v !== 'string') throw new ConfigError(`${where} must be a string`);
    return v;
  }

  num(v: unknown, where: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`${where} must be a number`);
    return v;
  }

  list(v: unknown, where: string): unknown[] {
    if (!Array.isArray(v)) throw new ConfigError(`${where} must be a list`);
    return v;
  }

  /** "${NAME}" (whole value) is replaced by the environment variable NAME, as crossbar does for tickets. */
  secret(v: unknown, where: string): string {
    const s = this.str(v, where);
    const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(s);
    if (m === null) return s;
    const value = this.env[m[1]!];
    if (value === undefined) throw new ConfigError(`${where} refers to environment variable ${m[1]}, which is not set`);
    return value;
  }

  /** PEM text of a file named relative to the config's directory. */
  pem(v: unknown, where: string): string {
    const path = this.str(v, where);
    const full = isAbsolute(path) ? path : resolve(this.baseDir, path);
    try {
      return readFileSync(full, 'utf8');
    } catch (err) {
      throw new ConfigError(`${where}: cannot read ${full}: ${(err as Error).message}`);
    }
  }
}

/** Reads a crossbar config.json (or the `.crossbar` directory holding it). */
export function loadCrossbarConfig(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let file = path;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') {
      file = resolve(path, 'config.json');
      try {
        text = readFileSync(file, 'utf8');
      } catch (err2) {
        throw new ConfigError(`cannot read ${file}: ${(err2 as Error).message}`);
      }
    } else {
      throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseCrossbarConfig(json, dirname(resolve(file)), env);
}

/** Turns a parsed crossbar config into a router configuration; relative paths are against `baseDir`. */
export function parseCrossbarConfig(json: unknown, baseDir: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const r = new Reader(baseDir, env);
  const top = r.obj(json, 'config');
  r.known(top, 'config', ['version', 'controller', 'workers', '$schema']);
  if (top.version !== undefined && top.version !== 2) r.warn(`config: version ${describeValue(top.version)} is not 2; reading it as version 2`);
  const realms: RealmConfig[] = [];
  const listeners: ListenerConfig[] = [];
  for (const [i, w] of r.list(top.workers ?? [], 'workers').entries()) {
    const worker = r.obj(w, `workers[${i}]`);
    const where = `workers[${i}] (${describeValue(worker.type)})`;
    if (worker.type !== 'router') {
      r.warn(`${where}: only router workers run here; this worker is ignored`);
      continue;
    }
    r.known(worker, where, ['type', 'id', 'options', 'realms', 'transports', 'components', 'connections', 'manhole']);
    if (Array.isArray(worker.components) && worker.components.length > 0) r.warn(`${where}: components (Python classes) are ignored`);
    for (const [j, realm] of r.list(worker.realms ?? [], `${where}.realms`).entries()) realms.push(readRealm(r, realm, `${where}.realms[${j}]`));
    for (const [j, t] of r.list(worker.transports ?? [], `${where}.transports`).entries()) {
      const l = readTransport(r, t, `${where}.transports[${j}]`);
      if (l) listeners.push(l);
    }
  }
  if (realms.length === 0) throw new ConfigError('the config defines no realm in a router worker');
  if (listeners.length === 0) throw new ConfigError('the config defines no usable transport in a router worker');
  return { config: { realms, listeners }, warnings: r.warnings };
}

function readRealm(r: Reader, v: unknown, where: string): RealmConfig {
  const o = r.obj(v, where);
  r.known(o, where, ['name', 'roles', 'options', 'store']);
  const name = r.str(o.name, `${where}.name`);
  const roles: RoleConfig[] = [];
  for (const [i, rv] of r.list(o.roles ?? [], `${where}.roles`).entries()) {
    const ro = r.obj(rv, `${where}.roles[${i}]`);
    const rwhere = `${where}.roles[${i}]`;
    r.known(ro, rwhere, ['name', 'permissions', 'authorizer', 'disclose']);
    const rname = r.str(ro.name, `${rwhere}.name`);
    if (ro.authorizer !== undefined) {
      throw new ConfigError(`${rwhere} ('${rname}') uses a dynamic authorizer (${describeValue(ro.authorizer)}); this router supports static permissions only`);
    }
    const permissions: Permission[] = [];
    for (const [k, pv] of r.list(ro.permissions ?? [], `${rwhere}.permissions`).entries()) {
      permissions.push(readPermission(r, pv, `${rwhere}.permissions[${k}]`));
    }
    roles.push({ name: rname, permissions });
  }
  return { name, roles };
}

function readPermission(r: Reader, v: unknown, where: string): Permission {
  const o = r.obj(v, where);
  r.known(o, where, ['uri', 'match', 'allow', 'disclose', 'cache']);
  const rawUri = r.str(o.uri ?? '', `${where}.uri`);
  let uri: string;
  let match: MatchPolicy;
  if (o.match === undefined) {
    ({ uri, match } = convertStarredUri(rawUri));
  } else {
    if (!isMatchPolicy(o.match)) throw new ConfigError(`${where}.match must be exact, prefix or wildcard`);
    match = o.match;
    uri = rawUri;
  }
  const allow = isObj(o.allow) ? o.allow : {};
  const disclose = isObj(o.disclose) ? o.disclose : {};
  const flag = (x: unknown): boolean => x === true;
  return {
    uri,
    match,
    allow: { call: flag(allow.call), register: flag(allow.register), publish: flag(allow.publish), subscribe: flag(allow.subscribe) },
    disclose: { caller: flag(disclose.caller), publisher: flag(disclose.publisher) },
  };
}

function readTransport(r: Reader, v: unknown, where: string): ListenerConfig | undefined {
  const o = r.obj(v, where);
  const type = o.type;
  if (type !== 'websocket' && type !== 'web' && type !== 'universal') {
    r.warn(`${where}: transport type ${describeValue(type)} is not supported; ignored`);
    return undefined;
  }
  const endpoint = r.obj(o.endpoint, `${where}.endpoint`);
  r.known(endpoint, `${where}.endpoint`, ['type', 'port', 'interface', 'version', 'backlog', 'shared', 'tls']);
  if (endpoint.type !== 'tcp') {
    r.warn(`${where}: endpoint type ${describeValue(endpoint.type)} is not supported (tcp only); transport ignored`);
    return undefined;
  }
  const port = r.num(endpoint.port, `${where}.endpoint.port`);
  const host = endpoint.interface !== undefined ? r.str(endpoint.interface, `${where}.endpoint.interface`) : endpoint.version === 6 ? '::' : '0.0.0.0';
  let tls: TlsConfig | undefined;
  if (endpoint.tls !== undefined) {
    const t = r.obj(endpoint.tls, `${where}.endpoint.tls`);
    r.known(t, `${where}.endpoint.tls`, ['key', 'certificate', 'ca_certificates', 'dhparam', 'ciphers', 'chain_certificates']);
    tls = { key: r.pem(t.key, `${where}.endpoint.tls.key`), cert: r.pem(t.certificate, `${where}.endpoint.tls.certificate`) };
    if (t.chain_certificates !== undefined) {
      tls.cert += r.list(t.chain_certificates, `${where}.endpoint.tls.chain_certificates`).map((c, i) => r.pem(c, `${where}.endpoint.tls.chain_certificates[${i}]`)).join('');
    }
    if (t.ca_certificates !== undefined) {
      tls.ca = r.list(t.ca_certificates, `${where}.endpoint.tls.ca_certificates`).map((c, i) => r.pem(c, `${where}.endpoint.tls.ca_certificates[${i}]`)).join('');
    }
    if (t.dhparam !== undefined || t.ciphers !== undefined) r.warn(`${where}.endpoint.tls: dhparam and ciphers are left to Node's defaults`);
  }
  const paths: Record<string, PathService> = {};
  if (type === 'websocket') {
    r.known(o, where, ['type', 'id', 'endpoint', 'url', 'serializers', 'options', 'auth', 'cookie', 'debug']);
    paths['*'] = readWebSocket(r, o, where);
  } else {
    r.known(o, where, ['type', 'id', 'endpoint', 'paths', 'options', 'websocket', 'rawsocket']);
    const p = type === 'universal' ? r.obj(o.web ?? {}, `${where}.web`).paths ?? {} : o.paths;
    if (type === 'universal' && isObj(o.websocket)) {
      for (const [k, ws] of Object.entries(o.websocket)) paths[k.replace(/^\//, '')] = readWebSocket(r, r.obj(ws, `${where}.websocket.${k}`), `${where}.websocket.${k}`);
    }
    for (const [key, sv] of Object.entries(r.obj(p, `${where}.paths`))) {
      const swhere = `${where}.paths["${key}"]`;
      const so = r.obj(sv, swhere);
      const path = key === '/' ? '' : key.replace(/^\//, '');
      switch (so.type) {
        case 'websocket':
          paths[path] = readWebSocket(r, so, swhere);
          break;
        case 'caller':
        case 'publisher': {
          r.known(so, swhere, ['type', 'realm', 'role', 'options']);
          const opts = isObj(so.options) ? so.options : {};
          r.known(opts, `${swhere}.options`, ['post_body_limit', 'timestamp_delta_limit', 'require_ip', 'require_tls', 'debug', 'key', 'secret']);
          if (opts.key !== undefined || opts.secret !== undefined || opts.require_ip !== undefined || opts.require_tls !== undefined) {
            r.warn(`${swhere}: request signing (key/secret), require_ip and require_tls are not supported; bind the listener to a trusted interface`);
          }
          const postBodyLimit = typeof opts.post_body_limit === 'number' ? { postBodyLimit: opts.post_body_limit } : {};
          paths[path] = {
            type: so.type,
            realm: r.str(so.realm, `${swhere}.realm`),
            role: r.str(so.role, `${swhere}.role`),
            options: postBodyLimit,
          };
          break;
        }
        default:
          r.warn(`${swhere}: web service type ${describeValue(so.type)} is not supported; ignored`);
      }
    }
  }
  return { name: `${tls ? 'wss' : 'ws'}:${port}`, host, port, ...(tls ? { tls } : {}), paths };
}

function readWebSocket(r: Reader, o: Json, where: string): WebSocketService {
  const service: WebSocketService = { type: 'websocket' };
  if (o.serializers !== undefined) {
    const names = r.list(o.serializers, `${where}.serializers`).map((s, i) => r.str(s, `${where}.serializers[${i}]`));
    const unknown = names.filter((n) => !SERIALIZERS.has(`wamp.2.${n}`));
    if (unknown.length > 0) r.warn(`${where}.serializers: ${unknown.join(', ')} not available; offering the others`);
    service.subprotocols = subprotocolsFor(names);
    if (service.subprotocols.length === 0) throw new ConfigError(`${where}.serializers: none of ${names.join(', ')} is available`);
  }
  if (o.options !== undefined) service.options = readWebSocketOptions(r, r.obj(o.options, `${where}.options`), `${where}.options`);
  if (o.auth !== undefined) service.auth = readAuth(r, r.obj(o.auth, `${where}.auth`), `${where}.auth`);
  return service;
}

function readWebSocketOptions(r: Reader, o: Json, where: string): WebSocketOptions {
  const out: WebSocketOptions = {};
  const n = (k: string): number | undefined => (o[k] === undefined ? undefined : r.num(o[k], `${where}.${k}`));
  const maxMessage = n('max_message_size');
  const maxFrame = n('max_frame_size');
  // we cap whole messages; a frame limit below the message limit caps messages too
  const limits = [maxMessage, maxFrame].filter((x): x is number => x !== undefined && x > 0);
  if (limits.length > 0) out.maxMessageSize = Math.min(...limits);
  const set = <K extends keyof WebSocketOptions>(key: K, value: WebSocketOptions[K] | undefined): void => {
    if (value !== undefined) out[key] = value;
  };
  set('autoPingInterval', n('auto_ping_interval'));
  set('autoPingTimeout', n('auto_ping_timeout'));
  set('autoPingSize', n('auto_ping_size'));
  set('openHandshakeTimeout', n('open_handshake_timeout'));
  set('closeHandshakeTimeout', n('close_handshake_timeout'));
  if (o.require_websocket_subprotocol !== undefined) out.requireSubprotocol = o.require_websocket_subprotocol !== false;
  const handled = [
    'max_message_size', 'max_frame_size', 'auto_ping_interval', 'auto_ping_timeout', 'auto_ping_size',
    'open_handshake_timeout', 'close_handshake_timeout', 'require_websocket_subprotocol',
  ];
  // accepted without effect: these have no bearing on correctness here
  const harmless = ['allowed_origins', 'compression', 'enable_webstatus', 'fail_by_drop', 'auto_fragment_size', 'tcp_nodelay', 'echo_close_codereason', 'utf8validate', 'mask_server_frames', 'external_port', 'apply_mask', 'validate_utf8', 'enable_webstatus', 'show_server_version'];
  for (const k of Object.keys(o)) {
    if (handled.includes(k)) continue;
    if (harmless.includes(k)) continue;
    r.warn(`${where}: '${k}' is not supported and is ignored`);
  }
  return out;
}

function readAuth(r: Reader, o: Json, where: string): TransportAuth {
  const auth: TransportAuth = {};
  for (const [method, cv] of Object.entries(o)) {
    const mwhere = `${where}.${method}`;
    const c = r.obj(cv, mwhere);
    if (c.type !== 'static') {
      throw new ConfigError(`${mwhere}: authentication type ${describeValue(c.type)} is not supported (static only)`);
    }
    switch (method) {
      case 'anonymous':
        r.known(c, mwhere, ['type', 'role']);
        auth.anonymous = { role: r.str(c.role ?? 'anonymous', `${mwhere}.role`) };
        break;
      case 'wampcra': {
        r.known(c, mwhere, ['type', 'users']);
        const users: Record<string, WampCraUser> = {};
        for (const [authid, uv] of Object.entries(r.obj(c.users ?? {}, `${mwhere}.users`))) {
          const uwhere = `${mwhere}.users["${authid}"]`;
          const u = r.obj(uv, uwhere);
          r.known(u, uwhere, ['secret', 'role', 'authid', 'salt', 'iterations', 'keylen']);
          const user: WampCraUser = { secret: r.secret(u.secret, `${uwhere}.secret`), role: r.str(u.role, `${uwhere}.role`) };
          if (u.salt !== undefined) {
            user.salt = r.str(u.salt, `${uwhere}.salt`);
            if (u.iterations !== undefined) user.iterations = r.num(u.iterations, `${uwhere}.iterations`);
            if (u.keylen !== undefined) user.keylen = r.num(u.keylen, `${uwhere}.keylen`);
          }
          users[typeof u.authid === 'string' ? u.authid : authid] = user;
        }
        auth.wampcra = { users };
        break;
      }
      case 'ticket': {
        r.known(c, mwhere, ['type', 'principals']);
        const principals: Record<string, TicketPrincipal> = {};
        for (const [authid, pv] of Object.entries(r.obj(c.principals ?? {}, `${mwhere}.principals`))) {
          const pwhere = `${mwhere}.principals["${authid}"]`;
          const p = r.obj(pv, pwhere);
          r.known(p, pwhere, ['ticket', 'role']);
          principals[authid] = { ticket: r.secret(p.ticket, `${pwhere}.ticket`), role: r.str(p.role, `${pwhere}.role`) };
        }
        auth.ticket = { principals };
        break;
      }
      default:
        r.warn(`${mwhere}: authentication method '${method}' is not supported; ignored`);
    }
  }
  return auth;
}
