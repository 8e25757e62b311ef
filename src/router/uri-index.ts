// An index from URIs to values under the three match policies. The broker
// keeps its subscriptions in one, the dealer its registrations, the
// authorizer its permissions.
import { type MatchPolicy, wildcardMatches } from '../wamp/uri.js';

interface WildcardEntry<T> {
  pattern: string;
  parts: string[];
  /** non-empty components: more is more specific */
  fixed: number;
  value: T;
}

export class UriIndex<T> {
  private readonly exact = new Map<string, T>();
  private readonly prefix = new Map<string, T>();
  private readonly wildcard = new Map<string, WildcardEntry<T>>();

  get size(): number {
    return this.exact.size + this.prefix.size + this.wildcard.size;
  }

  get(uri: string, match: MatchPolicy): T | undefined {
    switch (match) {
      case 'exact':
        return this.exact.get(uri);
      case 'prefix':
        return this.prefix.get(uri);
      case 'wildcard':
        return this.wildcard.get(uri)?.value;
    }
  }

  set(uri: string, match: MatchPolicy, value: T): void {
    switch (match) {
      case 'exact':
        this.exact.set(uri, value);
        break;
      case 'prefix':
        this.prefix.set(uri, value);
        break;
      case 'wildcard': {
        const parts = uri.split('.');
        this.wildcard.set(uri, { pattern: uri, parts, fixed: parts.filter((p) => p !== '').length, value });
        break;
      }
    }
  }

  delete(uri: string, match: MatchPolicy): void {
    if (match === 'exact') this.exact.delete(uri);
    else if (match === 'prefix') this.prefix.delete(uri);
    else this.wildcard.delete(uri);
  }

  /** Exact-match value for `uri` only (the fast path of the dealer). */
  getExact(uri: string): T | undefined {
    return this.exact.get(uri);
  }

  /** Every value whose pattern matches `uri` (the broker: each matching subscription gets the event). */
  matchAll(uri: string): T[] {
    const out: T[] = [];
    const e = this.exact.get(uri);
    if (e !== undefined) out.push(e);
    if (this.prefix.size > 0) for (const [p, v] of this.prefix) if (uri.startsWith(p)) out.push(v);
    if (this.wildcard.size > 0) for (const w of this.wildcard.values()) if (wildcardMatches(w.parts, uri)) out.push(w.value);
    return out;
  }

  /**
   * The single best match for `uri` (the dealer, per the spec): an exact
   * match, else the longest matching prefix, else the matching wildcard
   * with the most fixed components.
   */
  best(uri: string): T | undefined {
    const e = this.exact.get(uri);
    if (e !== undefined) return e;
    return this.bestPattern(uri)?.value;
  }

  /** Best non-exact match with the length of its pattern (the authorizer compares lengths). */
  bestPattern(uri: string): { value: T; match: MatchPolicy; length: number } | undefined {
    let best: { value: T; match: MatchPolicy; length: number } | undefined;
    for (const [p, v] of this.prefix) {
      if (uri.startsWith(p) && (best === undefined || p.length > best.length)) best = { value: v, match: 'prefix', length: p.length };
    }
    if (best !== undefined) return best;
    let bestWild: WildcardEntry<T> | undefined;
    for (const w of this.wildcard.values()) {
      if (wildcardMatches(w.parts, uri) && (bestWild === undefined || w.fixed > bestWild.fixed)) bestWild = w;
    }
    return bestWild && { value: bestWild.value, match: 'wildcard', length: bestWild.pattern.length };
  }

  entries(match: MatchPolicy): IterableIterator<T> {
    if (match === 'exact') return this.exact.values();
    if (match === 'prefix') return this.prefix.values();
    const it = this.wildcard.values();
    return (function* () {
      for (const w of it) yield w.value;
    })();
  }
}
