// Data node sources for bridge tests, served by real DataNodeServers: nodes
// that answer slowly, fail, carry strings, bools and NaN on the g3 reader's
// group timelines, count the calls they get, or grow their field list.
import type { DataNodeSource, TimelineSamples } from '../../../src/datanode/source.js';
import { FieldsChangedSignal } from '../../../src/datanode/fields-signal.js';
import type { FieldInfo } from '../../../src/protocol/types.js';

/** A node whose get_data takes `delayMs` (honouring abort), with one field `v` = 1 at t = 1..10. */
export function slowSource(name: string, delayMs: number, seen?: { aborted: number }): DataNodeSource {
  return {
    name,
    description: 'answers slowly',
    getFields: () => [{ v: { description: 'slow', timeline: 't', type: 'number', units: null } }, { t: { interval: 1, field: ['v'] } }],
    getData: (req) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => resolve([{ name: 't', t: Float64Array.from([1, 2, 3]), fields: new Map([['v', [1, 1, 1]]]), finalizedUntil: null }]),
          delayMs,
        );
        req.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          if (seen) seen.aborted++;
          reject(new Error('aborted'));
        });
      }),
  };
}

/** A node whose get_data fails with `message`. */
export function failingSource(name: string, message: string): DataNodeSource {
  return {
    name,
    description: 'always fails',
    getFields: () => [{ v: { description: null, timeline: 't', type: 'number', units: null } }, { t: { interval: null, field: ['v'] } }],
    getData: () => {
      throw new Error(message);
    },
  };
}

/** A node with string and bool fields and NaN values, on the g3 reader's group timelines. */
export function mixedSource(name = 'mixed'): DataNodeSource {
  return {
    name,
    description: 'string, bool and NaN samples on group timelines',
    getFields: () => [
      {
        state: { description: 'fridge state', timeline: 'fridge', type: 'string', units: null },
        ok: { description: 'all good', timeline: 'fridge', type: 'bool', units: null },
        temp: { description: 'stage temperature', timeline: 'stage', type: 'number', units: 'K' },
      },
      { fridge: { interval: 10, field: ['state', 'ok'] }, stage: { interval: 1, field: ['temp'] } },
    ],
    getData: (req) => {
      const out: TimelineSamples[] = [];
      const f1 = new Map<string, string[] | boolean[]>();
      if (req.fields.includes('state')) f1.set('state', ['cold', 'cycling', 'cold']);
      if (req.fields.includes('ok')) f1.set('ok', [true, false, true]);
      if (f1.size > 0) out.push({ name: 'group0', t: Float64Array.from([100, 110, 120]), fields: f1, finalizedUntil: 120, listFields: true });
      if (req.fields.includes('temp')) {
        out.push({
          name: 'group1',
          t: Float64Array.from([100, 101, 102, 103]),
          fields: new Map([['temp', Float64Array.from([0.1, NaN, Infinity, 0.12])]]),
          finalizedUntil: 103,
          listFields: true,
        });
      }
      return out;
    },
  };
}

/** The same source, counting the calls it answers. */
export function counting(source: DataNodeSource): DataNodeSource & { calls: { getData: number; getFields: number } } {
  const calls = { getData: 0, getFields: 0 };
  return {
    name: source.name,
    description: source.description,
    calls,
    getFields: (req) => {
      calls.getFields++;
      return source.getFields(req);
    },
    getData: (req) => {
      calls.getData++;
      return source.getData(req);
    },
  };
}

/**
 * A node whose field list grows while it runs (as a feed node's does): `add`
 * puts a field in and, unless told not to, reports the change through
 * onFieldsChanged; `silent` makes a node without the hook (an original node).
 */
export interface GrowingSource extends DataNodeSource {
  add(field: string, report?: boolean): void;
}

export function growingSource(name: string, options: { silent?: boolean } = {}): GrowingSource {
  const fields: Record<string, FieldInfo> = {};
  const signal = new FieldsChangedSignal();
  const source: GrowingSource = {
    name,
    description: 'fields appear while it runs',
    getFields: () => [{ ...fields }, { t: { interval: null, field: Object.keys(fields) } }],
    getData: (req) => {
      const wanted = req.fields.filter((f) => Object.hasOwn(fields, f));
      if (wanted.length === 0) return [];
      return [{ name: 't', t: Float64Array.from([1, 2]), fields: new Map(wanted.map((f) => [f, [1, 2]])), finalizedUntil: null }];
    },
    add(field, report = true) {
      fields[field] = { description: `field ${field}`, timeline: 't', type: 'number', units: null };
      if (report) signal.notify();
    },
  };
  if (!options.silent) source.onFieldsChanged = (listener) => signal.listen(listener);
  return source;
}

/** A node with one field `x` of `points` samples at 1 Hz from t = 1e9 (long decimals), as many as a range holds, never downsampled. */
export function denseSource(name: string, points: number): DataNodeSource {
  const t = Float64Array.from({ length: points }, (_, i) => 1e9 + i);
  const x = Float64Array.from({ length: points }, (_, i) => Math.sin(i) * 1000);
  return {
    name,
    description: 'many samples',
    getFields: () => [{ x: { description: null, timeline: 't', type: 'number', units: null } }, { t: { interval: 1, field: ['x'] } }],
    getData: (req) => {
      const from = Math.max(0, Math.ceil(req.start - 1e9));
      const to = Math.min(points, Math.ceil(req.end - 1e9));
      return [{ name: 't', t: t.subarray(from, Math.max(from, to)), fields: new Map([['x', x.subarray(from, Math.max(from, to))]]), finalizedUntil: null }];
    },
  };
}

/**
 * A node with fields `a`, `b`, `c` sampled once a second at t = 1000 ..
 * 1000 + n - 1 (a = i, b = i / 8, c = -i), which answers for times
 * start <= t <= end: a window's end sample is also the next window's first.
 */
export function threeFieldSource(name: string, n: number): DataNodeSource {
  const value: Record<string, (i: number) => number> = { a: (i) => i, b: (i) => i / 8, c: (i) => (i === 0 ? 0 : -i) };
  return {
    name,
    description: 'a sample a second',
    getFields: () => [
      Object.fromEntries(Object.keys(value).map((f) => [f, { description: f, timeline: 't', type: 'number', units: null }])),
      { t: { interval: 1, field: Object.keys(value) } },
    ],
    getData: (req) => {
      const first = Math.max(0, Math.ceil(req.start - 1000));
      const last = Math.min(n - 1, Math.floor(req.end - 1000));
      const idx = Array.from({ length: Math.max(0, last - first + 1) }, (_, k) => first + k);
      const fields = new Map(req.fields.filter((f) => f in value).map((f) => [f, idx.map(value[f]!)]));
      return [{ name: 't', t: Float64Array.from(idx, (i) => 1000 + i), fields, finalizedUntil: null }];
    },
  };
}
