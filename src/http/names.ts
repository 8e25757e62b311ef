// Grafana names a field `<data node>::<field>` (sisock-protocol). This module
// splits and joins such names and matches them against what users type or
// what Grafana's template variables produce (regex-formatted values).
import { RE2JS } from 're2js';

export const SEPARATOR = '::';

export interface FieldRef {
  node: string;
  field: string;
}

export function fullName(node: string, field: string): string {
  return `${node}${SEPARATOR}${field}`;
}

/** Splits at the first `::` (field names may contain more); null without one. */
export function splitName(name: string): FieldRef | null {
  const i = name.indexOf(SEPARATOR);
  if (i <= 0) return null;
  return { node: name.slice(0, i), field: name.slice(i + SEPARATOR.length) };
}

/**
 * Undoes Grafana's regex escaping of a single variable value (`.` became
 * `\.`, likewise `\ ^ $ * + ? ( ) | [ ] { } /`). Other backslashes stay.
 */
export function unescapeRegex(text: string): string {
  return text.replace(/\\([\\^$*+?.()|[\]{}/-])/g, '$1');
}

/** Longest pattern the bridge compiles from a request. */
export const MAX_PATTERN_LENGTH = 2000;

/** A compiled user pattern. */
export interface Pattern {
  test(text: string): boolean;
}

/**
 * Compiles a user's pattern with RE2 semantics (linear-time matching, so no
 * pattern can stall the server, unlike a backtracking engine on `(a|aa)+$`),
 * or returns null when it is not a valid expression or is too long.
 */
export function compilePattern(pattern: string, anchored: boolean): Pattern | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return null;
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch {
    return null;
  }
  return anchored ? { test: (text) => re.matches(text) } : { test: (text) => re.test(text) };
}

/**
 * Filters `names` (kept in their order) by what a user typed: everything for
 * an empty filter, else an unanchored regular expression, falling back to a
 * substring test when the filter is not a usable expression.
 */
export function filterNames(names: readonly string[], filter: string | undefined | null): string[] {
  if (filter === undefined || filter === null || filter === '') return names.slice();
  const re = compilePattern(filter, false);
  if (re) return names.filter((n) => re.test(n));
  return names.filter((n) => n.includes(filter));
}
