// The sisock default router configuration: realm test_realm, the roles of
// the original deployment made safe by default, and the CRA users. This is
// the one place where sisock's knowledge of roles and URIs meets the router
// (the router itself knows nothing of sisock).
import type { ListenerConfig, Permission, RealmConfig, RoleConfig, RouterConfig, TlsConfig, WampCraUser } from '../router/config.js';
import { HUB, URI_PREFIX } from '../protocol/uris.js';

/**
 * Default secrets that anyone can read: the original's (sisock/base.py and
 * the Grafana bridge) and the one of our hub user, published here. Fine on
 * loopback, refused elsewhere.
 */
export const PUBLIC_DEFAULT_SECRETS: Readonly<Record<string, string>> = {
  server: 'Q5#x4%HCmgTsS!Pj',
  simonsobs: 'yW4V2T^bPD&rGFwy',
  hub: 'sisock-hub-public-default',
};

/** The CRA user (and role) of the hub: the only one that may serve the hub's procedures. */
export const HUB_USER = 'hub';

export const DEFAULT_REALM = 'test_realm';

export interface DefaultRouterSettings {
  host: string;
  /** secure WebSocket port (WAMP-CRA); ignored without tls */
  tlsPort: number;
  /** open WebSocket port (anonymous, restricted; WAMP-CRA too) */
  ocsPort: number;
  realm: string;
  tls?: TlsConfig;
  /** secret of CRA user "server" (role server: hub and data nodes) */
  serverSecret: string;
  /** secret of CRA user "simonsobs" (role consumer: the HTTP bridge) */
  consumerSecret: string;
  /** secret of CRA user "hub" (role hub); default the public one (loopback only) */
  hubSecret?: string;
}

function perm(uri: string, match: Permission['match'], allow: Permission['allow'], discloseCaller = false): Permission {
  return { uri, match, allow, disclose: { caller: discloseCaller, publisher: false } };
}

const ALL = { call: true, register: true, publish: true, subscribe: true };
const NOTHING = {};

/** The hub's procedures and topics: served and published by role hub only. */
const HUB_PROCEDURES = [HUB.add, HUB.subtract, HUB.getDataNode, HUB.status];
const HUB_TOPICS = [HUB.added, HUB.subtracted, HUB.ready];
/** Meta procedures that act on other sessions: no default role gets them. */
const SESSION_KILLERS = ['wamp.session.kill', 'wamp.session.kill_by_authid', 'wamp.session.kill_by_authrole'];

/**
 * Roles of the default realm. An exact entry beats a pattern (the most
 * specific permission decides), which is how the hub's URIs are carved out
 * of the sisock prefix.
 * - server: data nodes (CRA user "server"): everything under
 *   org.simonsobservatory. and observatory., but the hub's procedures and
 *   topics only as a client (call add/subtract, hear the hub's events); the
 *   meta API read-only. Callers disclosed, so the hub learns the real
 *   session of a node that adds itself.
 * - hub: the hub (CRA user "hub"): registers the hub's procedures and
 *   publishes its events; calls the nodes (liveness probe); reads the meta
 *   API (session leave events, sessions, registrations).
 * - consumer: the HTTP bridge (CRA user "simonsobs"): call and subscribe
 *   under org.simonsobservatory.consumer. only.
 * - iocs_agent / iocs_controller: OCS agents and clients under observatory.
 * - anonymous: whoever connects to the open port without credentials: OCS
 *   traffic under observatory. (agents register and publish there), and
 *   read-only sisock access: calling the consumer procedures and hearing the
 *   hub's events. It can register, publish or call nothing else, and in
 *   particular no org.simonsobservatory.* procedure.
 */
export function defaultRoles(): RoleConfig[] {
  const consumerPrefix = `${URI_PREFIX}.consumer.`;
  const metaRead = [perm('wamp.', 'prefix', { call: true, subscribe: true }), ...SESSION_KILLERS.map((uri) => perm(uri, 'exact', NOTHING))];
  return [
    {
      name: 'server',
      permissions: [
        perm(`${URI_PREFIX}.`, 'prefix', ALL, true),
        ...HUB_PROCEDURES.map((uri) => perm(uri, 'exact', { call: true }, true)),
        ...HUB_TOPICS.map((uri) => perm(uri, 'exact', { subscribe: true })),
        perm('observatory.', 'prefix', ALL),
        ...metaRead,
      ],
    },
    {
      name: HUB_USER,
      permissions: [
        ...HUB_PROCEDURES.map((uri) => perm(uri, 'exact', { register: true })),
        ...HUB_TOPICS.map((uri) => perm(uri, 'exact', { publish: true })),
        perm(consumerPrefix, 'prefix', { call: true }),
        ...metaRead,
      ],
    },
    { name: 'consumer', permissions: [perm(consumerPrefix, 'prefix', { call: true, subscribe: true })] },
    { name: 'iocs_agent', permissions: [perm('observatory.', 'prefix', ALL)] },
    { name: 'iocs_controller', permissions: [perm('observatory.', 'prefix', { call: true, publish: true, subscribe: true })] },
    {
      name: 'anonymous',
      permissions: [
        perm('observatory.', 'prefix', ALL),
        perm(consumerPrefix, 'prefix', { call: true, subscribe: true }),
      ],
    },
  ];
}

export function defaultUsers(s: Pick<DefaultRouterSettings, 'serverSecret' | 'consumerSecret' | 'hubSecret'>): Record<string, WampCraUser> {
  return {
    server: { secret: s.serverSecret, role: 'server' },
    simonsobs: { secret: s.consumerSecret, role: 'consumer' },
    [HUB_USER]: { secret: s.hubSecret ?? PUBLIC_DEFAULT_SECRETS.hub!, role: HUB_USER },
  };
}

export function defaultRealm(name: string = DEFAULT_REALM): RealmConfig {
  return { name, roles: defaultRoles() };
}

export function defaultRouterConfig(s: DefaultRouterSettings): RouterConfig {
  const users = defaultUsers(s);
  const listeners: ListenerConfig[] = [];
  if (s.tls) {
    listeners.push({
      name: 'tls',
      host: s.host,
      port: s.tlsPort,
      tls: s.tls,
      paths: { ws: { type: 'websocket', auth: { wampcra: { users } } } },
    });
  }
  listeners.push({
    name: 'open',
    host: s.host,
    port: s.ocsPort,
    paths: {
      ws: { type: 'websocket', auth: { anonymous: { role: 'anonymous' }, wampcra: { users } } },
      // crossbar's HTTP caller as OCS's client_http uses it (http://HOST:8001/call), as an OCS client
      call: { type: 'caller', realm: s.realm, role: 'iocs_controller' },
    },
  });
  return { realms: [defaultRealm(s.realm)], listeners };
}

/** Whether a listen address reaches only this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * Refuses a configuration that listens beyond loopback while a CRA user has
 * an empty secret or one of the original's public default secrets.
 * Returns the problems found (empty: fine). Never includes a secret.
 */
export function secretProblems(config: RouterConfig): string[] {
  const publicSecrets = new Set(Object.values(PUBLIC_DEFAULT_SECRETS));
  const problems: string[] = [];
  for (const l of config.listeners) {
    if (isLoopback(l.host)) continue;
    for (const service of Object.values(l.paths)) {
      if (service.type !== 'websocket') continue;
      for (const [authid, user] of Object.entries(service.auth?.wampcra?.users ?? {})) {
        if (user.secret === '') problems.push(`listener ${l.name ?? l.port} on ${l.host}: CRA user '${authid}' has an empty secret`);
        else if (publicSecrets.has(user.secret)) problems.push(`listener ${l.name ?? l.port} on ${l.host}: CRA user '${authid}' has the public default secret`);
      }
      for (const [authid, p] of Object.entries(service.auth?.ticket?.principals ?? {})) {
        if (p.ticket === '') problems.push(`listener ${l.name ?? l.port} on ${l.host}: ticket principal '${authid}' has an empty ticket`);
      }
    }
  }
  return problems;
}
