// Crossbar-style static authorization: each role has permissions on URIs
// (exact, prefix or wildcard). For a URI the most specific permission
// decides: an exact entry for that URI, else a matching wildcard entry,
// else the longest matching prefix entry; with none, everything is denied.
import { UriIndex } from './uri-index.js';
import type { Action, Permission, RoleConfig } from './config.js';

export interface Decision {
  allow: boolean;
  /** for call: disclose the caller to the callee; for publish: the publisher to subscribers */
  disclose: boolean;
}

const DENY: Decision = Object.freeze({ allow: false, disclose: false });
/** Decisions cached per role and action; bounded so URIs chosen by clients cannot grow it without end. */
const CACHE_LIMIT = 10_000;
/** Longer URIs are decided afresh each time: caching them would let a client pin CACHE_LIMIT times their length. */
const MAX_CACHED_URI = 512;

export class RoleAuthorizer {
  private readonly index = new UriIndex<Permission>();
  private readonly cache: Record<Action, Map<string, Decision>> = {
    call: new Map(),
    register: new Map(),
    publish: new Map(),
    subscribe: new Map(),
  };

  constructor(readonly role: RoleConfig) {
    // a later entry for the same URI and policy replaces an earlier one, as in crossbar
    for (const p of role.permissions) this.index.set(p.uri, p.match, p);
  }

  authorize(uri: string, action: Action): Decision {
    const cache = this.cache[action];
    let d = cache.get(uri);
    if (d === undefined) {
      d = this.decide(uri, action);
      if (uri.length <= MAX_CACHED_URI) {
        if (cache.size >= CACHE_LIMIT) cache.clear();
        cache.set(uri, d);
      }
    }
    return d;
  }

  private decide(uri: string, action: Action): Decision {
    const p = this.index.getExact(uri) ?? this.bestPattern(uri);
    if (p === undefined || p.allow[action] !== true) return DENY;
    const disclose = action === 'call' ? p.disclose?.caller === true : action === 'publish' ? p.disclose?.publisher === true : false;
    return { allow: true, disclose };
  }

  private bestPattern(uri: string): Permission | undefined {
    let wild: Permission | undefined;
    let wildFixed = -1;
    for (const p of this.index.entries('wildcard')) {
      const parts = p.uri.split('.');
      const uparts = uri.split('.');
      if (parts.length !== uparts.length) continue;
      let ok = true;
      let fixed = 0;
      for (let i = 0; i < parts.length && ok; i++) {
        if (parts[i] === '') continue;
        fixed++;
        ok = parts[i] === uparts[i];
      }
      if (ok && fixed > wildFixed) {
        wild = p;
        wildFixed = fixed;
      }
    }
    if (wild !== undefined) return wild;
    let best: Permission | undefined;
    for (const p of this.index.entries('prefix')) {
      if (uri.startsWith(p.uri) && (best === undefined || p.uri.length > best.uri.length)) best = p;
    }
    return best;
  }
}

/** The roles of one realm, by name. */
export class Authorizer {
  private readonly roles = new Map<string, RoleAuthorizer>();

  constructor(roles: readonly RoleConfig[]) {
    for (const r of roles) this.roles.set(r.name, new RoleAuthorizer(r));
  }

  hasRole(name: string): boolean {
    return this.roles.has(name);
  }

  authorize(role: string, uri: string, action: Action): Decision {
    return this.roles.get(role)?.authorize(uri, action) ?? DENY;
  }
}
