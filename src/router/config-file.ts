// Our own router configuration file: JSON with the shape of RouterConfig
// (see docs/router.md), TLS material named by file paths (relative to the
// file), and "${NAME}" in secrets and tickets replaced by environment
// variables so secrets stay out of the file.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMatchPolicy } from '../wamp/uri.js';
import { SERIALIZERS } from '../wamp/serializers.js';
import type { ListenerConfig, PathService, Permission, RealmConfig, RouterConfig, TransportAuth, WebSocketOptions } from './config.js';
import { ConfigError, Reader, type LoadedConfig } from './crossbar-config.js';

export function loadRouterConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read router config ${path}: ${(err as Error).message}`);
  }
  return parseRouterConfig(json, dirname(resolve(path)), env);
}

export function parseRouterConfig(json: unknown, baseDir: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const r = new Reader(baseDir, env);
  const top = r.obj(json, 'config');
  r.known(top, 'config', ['realms', 'listeners', 'limits', '$comment']);
  const realms: RealmConfig[] = r.list(top.realms, 'realms').map((rv, i) => {
    const where = `realms[${i}]`;
    const o = r.obj(rv, where);
    r.known(o, where, ['name', 'roles']);
    return {
      name: r.str(o.name, `${where}.name`),
      roles: r.list(o.roles ?? [], `${where}.roles`).map((ro, j) => {
        const rw = `${where}.roles[${j}]`;
        const role = r.obj(ro, rw);
        r.known(role, rw, ['name', 'permissions']);
        return {
          name: r.str(role.name, `${rw}.name`),
          permissions: r.list(role.permissions ?? [], `${rw}.permissions`).map((pv, k): Permission => {
            const pw = `${rw}.permissions[${k}]`;
            const p = r.obj(pv, pw);
            r.known(p, pw, ['uri', 'match', 'allow', 'disclose']);
            const match = p.match ?? 'exact';
            if (!isMatchPolicy(match)) throw new ConfigError(`${pw}.match must be exact, prefix or wildcard`);
            const allow = p.allow === undefined ? {} : r.obj(p.allow, `${pw}.allow`);
            const disclose = p.disclose === undefined ? {} : r.obj(p.disclose, `${pw}.disclose`);
            return {
              uri: r.str(p.uri, `${pw}.uri`),
              match,
              allow: { call: allow.call === true, register: allow.register === true, publish: allow.publish === true, subscribe: allow.subscribe === true },
              disclose: { caller: disclose.caller === true, publisher: disclose.publisher === true },
            };
          }),
        };
      }),
    };
  });
  const listeners: ListenerConfig[] = r.list(top.listeners, 'listeners').map((lv, i) => {
    const where = `listeners[${i}]`;
    const o = r.obj(lv, where);
    r.known(o, where, ['name', 'host', 'port', 'tls', 'paths']);
    const l: ListenerConfig = {
      host: o.host === undefined ? '127.0.0.1' : r.str(o.host, `${where}.host`),
      port: r.num(o.port, `${where}.port`),
      paths: {},
    };
    if (o.name !== undefined) l.name = r.str(o.name, `${where}.name`);
    if (o.tls !== undefined) {
      const t = r.obj(o.tls, `${where}.tls`);
      r.known(t, `${where}.tls`, ['key', 'cert', 'ca']);
      l.tls = { key: r.pem(t.key, `${where}.tls.key`), cert: r.pem(t.cert, `${where}.tls.cert`) };
      if (t.ca !== undefined) l.tls.ca = r.pem(t.ca, `${where}.tls.ca`);
    }
    for (const [path, sv] of Object.entries(r.obj(o.paths, `${where}.paths`))) {
      l.paths[path.replace(/^\//, '')] = readService(r, sv, `${where}.paths["${path}"]`);
    }
    return l;
  });
  const config: RouterConfig = { realms, listeners };
  if (top.limits !== undefined) {
    const lim = r.obj(top.limits, 'limits');
    r.known(lim, 'limits', ['maxMessageSize', 'maxQueuedBytes', 'goodbyeTimeout']);
    config.limits = {};
    if (lim.maxMessageSize !== undefined) config.limits.maxMessageSize = r.num(lim.maxMessageSize, 'limits.maxMessageSize');
    if (lim.maxQueuedBytes !== undefined) config.limits.maxQueuedBytes = r.num(lim.maxQueuedBytes, 'limits.maxQueuedBytes');
    if (lim.goodbyeTimeout !== undefined) config.limits.goodbyeTimeout = r.num(lim.goodbyeTimeout, 'limits.goodbyeTimeout');
  }
  return { config, warnings: r.warnings };
}

function readService(r: Reader, v: unknown, where: string): PathService {
  const o = r.obj(v, where);
  switch (o.type) {
    case 'websocket': {
      r.known(o, where, ['type', 'subprotocols', 'auth', 'options']);
      const s: PathService = { type: 'websocket' };
      if (o.subprotocols !== undefined) {
        s.subprotocols = r.list(o.subprotocols, `${where}.subprotocols`).map((p, i) => r.str(p, `${where}.subprotocols[${i}]`));
        for (const p of s.subprotocols) if (!SERIALIZERS.has(p)) throw new ConfigError(`${where}.subprotocols: unknown '${p}'`);
      }
      if (o.auth !== undefined) s.auth = readAuth(r, r.obj(o.auth, `${where}.auth`), `${where}.auth`);
      if (o.options !== undefined) {
        const opts = r.obj(o.options, `${where}.options`);
        const keys: Array<keyof WebSocketOptions> = ['maxMessageSize', 'autoPingInterval', 'autoPingTimeout', 'autoPingSize', 'openHandshakeTimeout', 'closeHandshakeTimeout'];
        r.known(opts, `${where}.options`, [...keys, 'requireSubprotocol']);
        const out: WebSocketOptions = {};
        for (const k of keys) if (opts[k] !== undefined) (out as Record<string, number>)[k] = r.num(opts[k], `${where}.options.${k}`);
        if (opts.requireSubprotocol !== undefined) out.requireSubprotocol = opts.requireSubprotocol !== false;
        s.options = out;
      }
      return s;
    }
    case 'caller':
    case 'publisher': {
      r.known(o, where, ['type', 'realm', 'role', 'options']);
      const opts = o.options === undefined ? {} : r.obj(o.options, `${where}.options`);
      r.known(opts, `${where}.options`, ['postBodyLimit', 'callTimeout']);
      const options: { postBodyLimit?: number; callTimeout?: number } = {};
      if (opts.postBodyLimit !== undefined) options.postBodyLimit = r.num(opts.postBodyLimit, `${where}.options.postBodyLimit`);
      if (opts.callTimeout !== undefined) options.callTimeout = r.num(opts.callTimeout, `${where}.options.callTimeout`);
      return { type: o.type, realm: r.str(o.realm, `${where}.realm`), role: r.str(o.role, `${where}.role`), options };
    }
    default:
      throw new ConfigError(`${where}.type must be websocket, caller or publisher`);
  }
}

function readAuth(r: Reader, o: Record<string, unknown>, where: string): TransportAuth {
  r.known(o, where, ['anonymous', 'ticket', 'wampcra']);
  const auth: TransportAuth = {};
  if (o.anonymous !== undefined) auth.anonymous = { role: r.str(r.obj(o.anonymous, `${where}.anonymous`).role, `${where}.anonymous.role`) };
  if (o.ticket !== undefined) {
    const principals = r.obj(r.obj(o.ticket, `${where}.ticket`).principals, `${where}.ticket.principals`);
    auth.ticket = { principals: {} };
    for (const [authid, pv] of Object.entries(principals)) {
      const p = r.obj(pv, `${where}.ticket.principals["${authid}"]`);
      auth.ticket.principals[authid] = { ticket: r.secret(p.ticket, `${where}.ticket.principals["${authid}"].ticket`), role: r.str(p.role, `${where}.ticket.principals["${authid}"].role`) };
    }
  }
  if (o.wampcra !== undefined) {
    const users = r.obj(r.obj(o.wampcra, `${where}.wampcra`).users, `${where}.wampcra.users`);
    auth.wampcra = { users: {} };
    for (const [authid, uv] of Object.entries(users)) {
      const uw = `${where}.wampcra.users["${authid}"]`;
      const u = r.obj(uv, uw);
      r.known(u, uw, ['secret', 'role', 'salt', 'iterations', 'keylen']);
      auth.wampcra.users[authid] = {
        secret: r.secret(u.secret, `${uw}.secret`),
        role: r.str(u.role, `${uw}.role`),
        ...(u.salt !== undefined ? { salt: r.str(u.salt, `${uw}.salt`) } : {}),
        ...(u.iterations !== undefined ? { iterations: r.num(u.iterations, `${uw}.iterations`) } : {}),
        ...(u.keylen !== undefined ? { keylen: r.num(u.keylen, `${uw}.keylen`) } : {}),
      };
    }
  }
  return auth;
}
