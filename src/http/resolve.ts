// Turns a Grafana target into the fields it names (grafana-json-protocol 9.3):
// `node::field` exactly; then the same with Grafana's regex escapes undone
// (a single-value variable in regex format); then as a regular expression
// over every known name (a multi-value variable becomes `(a|b)`).
import type { FieldInfo } from '../protocol/types.js';
import { compilePattern, splitName, unescapeRegex } from './names.js';

/** What resolution needs to know about the field list (the Catalog has it). */
export interface NameIndex {
  names(): readonly string[];
  node(name: string): { online: boolean; fields: Record<string, FieldInfo> } | undefined;
}

export interface ResolvedField {
  node: string;
  field: string;
  /** `node::field` */
  name: string;
  info: FieldInfo;
}

export type UnresolvedReason = 'unknown-node' | 'offline-node' | 'unknown-field' | 'no-match';

export type Resolution =
  | { ok: true; fields: ResolvedField[] }
  | { ok: false; reason: UnresolvedReason; message: string; node?: string };

function lookup(index: NameIndex, name: string): ResolvedField | null {
  const ref = splitName(name);
  if (!ref) return null;
  const n = index.node(ref.node);
  if (!n || !n.online || !Object.prototype.hasOwnProperty.call(n.fields, ref.field)) return null;
  return { node: ref.node, field: ref.field, name, info: n.fields[ref.field] as FieldInfo };
}

export function resolveTarget(target: string, index: NameIndex): Resolution {
  const exact = lookup(index, target);
  if (exact) return { ok: true, fields: [exact] };
  const unescaped = unescapeRegex(target);
  if (unescaped !== target) {
    const u = lookup(index, unescaped);
    if (u) return { ok: true, fields: [u] };
  }
  const re = compilePattern(target, true);
  if (re) {
    const matched: ResolvedField[] = [];
    for (const name of index.names()) {
      if (!re.test(name)) continue;
      const r = lookup(index, name);
      if (r) matched.push(r);
    }
    if (matched.length > 0) return { ok: true, fields: matched };
  }
  return explain(target, unescaped, index);
}

/** Why nothing matched, in words Grafana can show on the panel. */
function explain(target: string, unescaped: string, index: NameIndex): Resolution {
  const ref = splitName(unescaped) ?? splitName(target);
  if (!ref) {
    return {
      ok: false,
      reason: 'no-match',
      message: `no field matches '${target}' (names are <data node>::<field>)`,
    };
  }
  const n = index.node(ref.node);
  if (!n) {
    // the node part may itself be a pattern ("(a|b)::x"): say so only if it is a plain name
    if (/^[\w.-]+$/.test(ref.node)) {
      return { ok: false, reason: 'unknown-node', node: ref.node, message: `unknown data node '${ref.node}'` };
    }
    return { ok: false, reason: 'no-match', message: `no field matches '${target}'` };
  }
  if (!n.online) {
    return {
      ok: false,
      reason: 'offline-node',
      node: ref.node,
      message: `data node '${ref.node}' is not connected`,
    };
  }
  return {
    ok: false,
    reason: 'unknown-field',
    node: ref.node,
    message: `data node '${ref.node}' has no field '${ref.field}'`,
  };
}

