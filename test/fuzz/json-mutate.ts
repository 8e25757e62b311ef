// Structure-aware mutation of JSON documents (HTTP bodies, OCS feed
// messages): pick one node of the tree and replace it with a value of
// another type, an absurd value from the domain, a huge string or list, a
// nesting thousands deep; delete it, repeat it, or add a key beside it.
// Text too deep for JSON.stringify is spliced in by marker, so documents of
// any depth can be written.
import type { Rng } from './random.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Values of the domain (times, names, formats) the mutator also tries, beside type confusion. */
export interface Domain {
  strings: readonly string[];
  numbers: readonly number[];
}

const DEEP = '\u0001DEEP:';

/** A JSON text of `levels` nested lists or objects. */
export function deepText(levels: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? '['.repeat(levels) + ']'.repeat(levels) : '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
}

/** JSON text of a document holding deep-nesting markers. */
export function toJsonText(doc: unknown): string {
  let text = JSON.stringify(doc) ?? 'null';
  if (!text.includes('\\u0001DEEP:')) return text;
  // a marker repeated thousands of times: expand the first ones up to about 8 MB, the rest become null
  let budget = 8e6;
  text = text.replace(/"\\u0001DEEP:(\d+):(array|object)"/g, (_m, n: string, kind: 'array' | 'object') => {
    const levels = Number(n);
    budget -= levels * 6;
    return budget > 0 ? deepText(levels, kind) : 'null';
  });
  return text;
}

const GENERIC_STRINGS = ['', ' ', '\u0000', '\ud800', '🙂', 'null', 'true', '[]', '{}', '%s%n', '../../etc/passwd', '<script>', 'NaN', '-Infinity', '1e309', '0x1A', '١٢٣'];
const GENERIC_NUMBERS = [0, -0, -1, 1, 0.5, -1e-300, 1e-300, 2 ** 31, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21, 1e308, -1e308, 5e-324];

/** A JSON value of a random kind. */
export function weirdJson(rng: Rng, domain: Domain, budget = 6): unknown {
  switch (rng.int(0, 12)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick(GENERIC_NUMBERS);
    case 3:
    case 4:
      return domain.numbers.length > 0 ? rng.pick(domain.numbers) : rng.pick(GENERIC_NUMBERS);
    case 5:
      return rng.pick(GENERIC_STRINGS);
    case 6:
    case 7:
      return domain.strings.length > 0 ? rng.pick(domain.strings) : rng.pick(GENERIC_STRINGS);
    case 8:
      return budget <= 1 ? [] : Array.from({ length: rng.int(0, 4) }, () => weirdJson(rng, domain, budget - 2));
    case 9: {
      if (budget <= 1) return {};
      const o: Record<string, unknown> = {};
      for (let i = 0; i < rng.int(0, 4); i++) o[rng.pick(['a', '', '__proto__', 'constructor', 'from', 'to', 'target', 'payload', 'format'])] = weirdJson(rng, domain, budget - 2);
      return o;
    }
    case 10:
      return 'x'.repeat(rng.size(200_000));
    default:
      return `${DEEP}${rng.pick([50, 1000, 10_000, 100_000])}:${rng.chance(0.5) ? 'array' : 'object'}`;
  }
}

interface Slot {
  parent: Json[] | Record<string, Json> | null;
  key: string | number;
}

/** Every node of the tree (bounded), as its parent and key; the root has no parent. */
function slots(doc: Json, limit = 5000): Slot[] {
  const out: Slot[] = [{ parent: null, key: 0 }];
  const stack: Json[] = [doc];
  while (stack.length > 0 && out.length < limit) {
    const v = stack.pop()!;
    if (Array.isArray(v)) {
      v.forEach((c, i) => {
        out.push({ parent: v, key: i });
        stack.push(c);
      });
    } else if (v !== null && typeof v === 'object') {
      for (const [k, c] of Object.entries(v)) {
        out.push({ parent: v, key: k });
        stack.push(c);
      }
    }
  }
  return out;
}

/** One to `rounds` structural mutations of a copy of `doc`. */
export function mutateJson(rng: Rng, doc: unknown, domain: Domain, rounds = 3): { doc: unknown; note: string } {
  let root = JSON.parse(JSON.stringify(doc ?? null)) as Json;
  const notes: string[] = [];
  for (let r = rng.int(1, rounds + 1); r > 0; r--) {
    const before = JSON.stringify(root);
    // a fresh copy each round: a repeat makes many references to one node, and a later
    // round that grows that node would grow every copy at once (sizes multiply)
    root = JSON.parse(before) as Json;
    const all = slots(root);
    const s = rng.pick(all);
    const get = (): Json => (s.parent === null ? root : (s.parent as Record<string, Json>)[s.key as string]!);
    const set = (v: unknown): void => {
      if (s.parent === null) root = v as Json;
      else (s.parent as Record<string, Json>)[s.key as string] = v as Json;
    };
    const where = s.parent === null ? 'the whole document' : `key ${JSON.stringify(s.key)}`;
    switch (rng.weighted([
      [10, 'replace'],
      [3, 'delete'],
      [2, 'repeat'],
      [2, 'add'],
      [1, 'wrap'],
    ] as const)) {
      case 'replace':
        set(weirdJson(rng, domain));
        notes.push(`${where} replaced`);
        break;
      case 'delete':
        if (s.parent === null) set(null);
        else if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
        else delete s.parent[s.key as string];
        notes.push(`${where} deleted`);
        break;
      case 'repeat': {
        const v = get();
        // at most about 8 MB of text
        const itemBytes = (JSON.stringify(Array.isArray(v) ? v[0] : v) ?? 'null').length + 1;
        const n = Math.min(rng.size(20_000), Math.ceil(8e6 / itemBytes));
        if (Array.isArray(v) && v.length > 0) {
          const item = v[0]!;
          for (let i = 0; i < n; i++) v.push(item);
          notes.push(`${where}: first item repeated ${n} times`);
        } else {
          set(Array.from({ length: n }, () => v));
          notes.push(`${where} made a list of ${n} copies`);
        }
        break;
      }
      case 'add': {
        const v = get();
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
          const key = rng.pick(['extra', '', '__proto__', 'from', 'to', 'targets', 'target', 'payload', 'format', 'range', 'fields']);
          v[key] = weirdJson(rng, domain) as Json;
          notes.push(`${where}: key ${key} added`);
        } else {
          set({ value: v, extra: weirdJson(rng, domain) });
          notes.push(`${where} wrapped in an object`);
        }
        break;
      }
      case 'wrap':
        set([get()]);
        notes.push(`${where} wrapped in a list`);
        break;
    }
    // repeats of repeats grow without bound: a round that makes the document over about 8 MB is undone
    let size: number;
    try {
      size = JSON.stringify(root).length;
    } catch {
      size = Infinity;
    }
    if (size > 8e6) {
      root = JSON.parse(before) as Json;
      notes.push('(undone: too big)');
    }
  }
  return { doc: root, note: notes.join(', ') };
}
