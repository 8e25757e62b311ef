// The name lists behind /search (SimpleJson), /metrics and /variable
// (simpod). A plain text filters every `node::field` name (regex, or
// substring when not a valid regex; grafana-json-protocol 4.2). Two small
// functions serve dashboard variables:
//   nodes()  or  nodes(<regex>)                 data node names
//   fields(<node>)  or  fields(<node>, <regex>)  the fields of a node (or of
//                                                several: `fields((a|b))`)
// `<node>` is matched whole, as Grafana's regex-formatted variables expect.
import { compilePattern, filterNames, splitName, unescapeRegex } from '../names.js';

export interface NameOption {
  text: string;
  value: string;
}

/** What the name lists need from the field list (the Catalog has it). */
export interface NameSource {
  names(): readonly string[];
  nodes(): { name: string; online: boolean }[];
}

const CALL = /^\s*(nodes|fields)\s*\(\s*(.*?)\s*\)\s*$/is;

function nodeMatcher(arg: string): (name: string) => boolean {
  const unescaped = unescapeRegex(arg);
  const re = compilePattern(arg, true);
  return (name) => name === arg || name === unescaped || (re !== null && re.test(name));
}

/** Splits `a, b` at the last top-level comma (patterns may contain commas inside braces). */
function splitArgs(args: string): [string, string | undefined] {
  let depth = 0;
  for (let i = args.length - 1; i >= 0; i--) {
    const c = args[i];
    if (c === ')' || c === ']' || c === '}') depth++;
    else if (c === '(' || c === '[' || c === '{') depth--;
    else if (c === ',' && depth === 0) return [args.slice(0, i).trim(), args.slice(i + 1).trim()];
  }
  return [args.trim(), undefined];
}

export function listNames(query: string, source: NameSource): NameOption[] {
  const call = CALL.exec(query);
  if (!call) {
    return filterNames(source.names(), query).map((n) => ({ text: n, value: n }));
  }
  const fn = (call[1] as string).toLowerCase();
  const args = call[2] as string;
  if (fn === 'nodes') {
    const online = source
      .nodes()
      .filter((n) => n.online)
      .map((n) => n.name)
      .sort();
    return filterNames(online, args).map((n) => ({ text: n, value: n }));
  }
  const [nodeArg, fieldArg] = splitArgs(args);
  const isNode = nodeArg === '' ? () => true : nodeMatcher(nodeArg);
  const fieldFilter = fieldArg === undefined || fieldArg === '' ? null : fieldArg;
  const re = fieldFilter === null ? null : compilePattern(fieldFilter, false);
  const matched: { node: string; field: string; name: string }[] = [];
  for (const name of source.names()) {
    const ref = splitName(name);
    if (!ref || !isNode(ref.node)) continue;
    if (fieldFilter !== null && !(re ? re.test(ref.field) : ref.field.includes(fieldFilter))) continue;
    matched.push({ ...ref, name });
  }
  // one node: the field alone reads best; several: the full name keeps texts distinct
  const single = new Set(matched.map((m) => m.node)).size <= 1;
  return matched.map((m) => ({ text: single ? m.field : m.name, value: m.name }));
}
