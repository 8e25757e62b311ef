// Ad-hoc filters (grafana-json-protocol 4.5): the bridge offers one key,
// `node`, so a dashboard can narrow regex targets to some data nodes.
// Filters arrive as `adhocFilters` (SimpleJson, simpod up to 0.6.3) and/or
// `filters` (Grafana 10+); filters on other keys are ignored.
import { compilePattern } from '../names.js';

export interface AdhocFilter {
  key: string;
  operator: string;
  value?: string;
  values?: string[];
}

export const FILTER_KEYS = [{ type: 'string', text: 'node' }] as const;

function isFilter(x: unknown): x is AdhocFilter {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as AdhocFilter).key === 'string' &&
    typeof (x as AdhocFilter).operator === 'string'
  );
}

/** The node filters of a /query body, duplicates (the same filter in both lists) removed. */
export function nodeFilters(body: Record<string, unknown>): AdhocFilter[] {
  const all = [
    ...(Array.isArray(body.adhocFilters) ? body.adhocFilters : []),
    ...(Array.isArray(body.filters) ? body.filters : []),
  ].filter(isFilter);
  const seen = new Set<string>();
  const out: AdhocFilter[] = [];
  for (const f of all) {
    if (f.key !== 'node') continue;
    // only strings mean anything here; anything else a client sent (a list nested 100,000 deep) is left out
    const value = typeof f.value === 'string' ? f.value : undefined;
    const values = Array.isArray(f.values) ? f.values.filter((v): v is string => typeof v === 'string') : undefined;
    const k = JSON.stringify([f.operator, value, values]);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ key: f.key, operator: f.operator, ...(value !== undefined ? { value } : {}), ...(values !== undefined ? { values } : {}) });
  }
  return out;
}

function one(f: AdhocFilter, node: string): boolean {
  const value = typeof f.value === 'string' ? f.value : '';
  const values = Array.isArray(f.values) ? f.values.filter((v) => typeof v === 'string') : [value];
  switch (f.operator) {
    case '=':
      return node === value;
    case '!=':
      return node !== value;
    case '=|':
      return values.includes(node);
    case '!=|':
      return !values.includes(node);
    case '=~': {
      const re = compilePattern(value, true);
      return re ? re.test(node) : node === value;
    }
    case '!~': {
      const re = compilePattern(value, true);
      return re ? !re.test(node) : node !== value;
    }
    default:
      // `<` and `>` mean nothing for names; an unknown operator does not filter
      return true;
  }
}

/** True when the data node passes every filter. */
export function nodeAllowed(node: string, filters: readonly AdhocFilter[]): boolean {
  return filters.every((f) => one(f, node));
}
