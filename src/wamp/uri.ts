// URI rules. WAMP's "loose" rules: components separated by dots, no
// whitespace and no '#' in a component. Loose rather than strict because
// real deployments use upper case and '-' in topics (OCS feeds do).

/** How a registration, subscription or permission matches URIs. */
export type MatchPolicy = 'exact' | 'prefix' | 'wildcard';

const LOOSE = /^([^\s.#]+\.)*([^\s.#]+)$/;
/** A prefix may end with a dot or be empty (then it matches everything). */
const LOOSE_PREFIX = /^[^\s#]*$/;
/** Wildcard patterns may have empty components, which match any one component. */
const LOOSE_WILDCARD = /^(([^\s.#]+\.)|\.)*([^\s.#]+)?$/;

export function isValidUri(uri: string, match: MatchPolicy = 'exact'): boolean {
  switch (match) {
    case 'exact':
      return LOOSE.test(uri);
    case 'prefix':
      return LOOSE_PREFIX.test(uri);
    case 'wildcard':
      return uri.length > 0 && LOOSE_WILDCARD.test(uri);
  }
}

export function isMatchPolicy(v: unknown): v is MatchPolicy {
  return v === 'exact' || v === 'prefix' || v === 'wildcard';
}

/**
 * Whether `uri` matches the wildcard `pattern` (empty components of the
 * pattern match any one component; the component counts must agree).
 */
export function wildcardMatches(pattern: readonly string[], uri: string): boolean {
  const parts = uri.split('.');
  if (parts.length !== pattern.length) return false;
  for (let i = 0; i < parts.length; i++) {
    const p = pattern[i]!;
    if (p !== '' && p !== parts[i]) return false;
  }
  return true;
}

/**
 * Autobahn's `convert_starred_uri`: a permission URI with stars becomes a
 * (uri, match) pair. No star: exact. One star at the end: prefix without it.
 * Otherwise: wildcard with the stars removed.
 */
export function convertStarredUri(uri: string): { uri: string; match: MatchPolicy } {
  const stars = uri.split('*').length - 1;
  if (stars === 0) return { uri, match: 'exact' };
  if (stars === 1 && uri.endsWith('*')) return { uri: uri.slice(0, -1), match: 'prefix' };
  return { uri: uri.replaceAll('*', ''), match: 'wildcard' };
}
