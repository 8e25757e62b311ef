// Grafana names a field `<data node>::<field>` (sisock-protocol). This module
// splits and joins such names and matches them against what users type or
// what Grafana's template variables produce (regex-formatted values).

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

// A quantified group that itself contains a quantifier, e.g. `(a+)+`: the
// shape of catastrophic backtracking. Such patterns are matched as plain text.
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d)/;

/**
 * Compiles a user's pattern, or returns null when it is not a valid regular
 * expression or looks dangerous to run (too long, nested quantifiers).
 */
export function compilePattern(pattern: string, anchored: boolean): RegExp | null {
  if (pattern.length > MAX_PATTERN_LENGTH || NESTED_QUANTIFIER.test(pattern)) return null;
  try {
    return new RegExp(anchored ? `^(?:${pattern})$` : pattern);
  } catch {
    return null;
  }
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
