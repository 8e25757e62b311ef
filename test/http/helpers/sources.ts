// Data node sources for bridge tests: the bundled APEX weather example (as
// the weather node serves it), and nodes built to fail in chosen ways.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DataNodeSource, TimelineSamples } from '../../../src/datanode/source.js';
import type { FieldInfo, FieldsReply, TimelineInfo } from '../../../src/protocol/types.js';

const APEX = fileURLToPath(new URL('../../../../data/apex-example/', import.meta.url));

interface ApexField {
  info: FieldInfo;
  t: Float64Array;
  v: Float64Array;
}

function loadApex(): Map<string, ApexField> {
  const out = new Map<string, ApexField>();
  for (const file of readdirSync(APEX).filter((f) => f.endsWith('.dat'))) {
    const lines = readFileSync(APEX + file, 'utf8').split('\n');
    const header = lines.filter((l) => l.startsWith('#')).map((l) => l.slice(1).trim());
    const rows = lines.filter((l) => l.trim() !== '' && !l.startsWith('#')).map((l) => l.trim().split(/\s+/).map(Number));
    const name = file.slice(0, -4);
    // the hourly files share their times; the minutely ones do not (one has an extra sample)
    const timeline = header[1] === 'hourly' ? 'hourly' : name;
    out.set(name, {
      info: { description: header[0] ?? null, timeline, type: 'number', units: header[2] ?? null },
      t: Float64Array.from(rows.map((r) => r[0] as number)),
      v: Float64Array.from(rows.map((r) => r[1] as number)),
    });
  }
  return out;
}

let apexCache: Map<string, ApexField> | null = null;

/** Bucket-first downsampling, enough to see that min_stride arrives. */
function stride(t: Float64Array, v: Float64Array, minStride: number | null): [Float64Array, Float64Array] {
  if (!minStride || t.length === 0) return [t, v];
  const ti: number[] = [];
  const vi: number[] = [];
  let next = -Infinity;
  for (let i = 0; i < t.length; i++) {
    if ((t[i] as number) >= next) {
      ti.push(t[i] as number);
      vi.push(v[i] as number);
      next = (t[i] as number) + minStride;
    }
  }
  return [Float64Array.from(ti), Float64Array.from(vi)];
}

export function apexSource(name = 'apex_archive'): DataNodeSource {
  apexCache ??= loadApex();
  const fields = apexCache;
  return {
    name,
    description: 'APEX weather example data, July 2017',
    getFields(): FieldsReply {
      const f: Record<string, FieldInfo> = {};
      const tl: Record<string, TimelineInfo> = {};
      for (const [n, x] of fields) {
        f[n] = x.info;
        const timeline = (tl[x.info.timeline] ??= { interval: x.info.timeline === 'hourly' ? 3600 : 60, field: [] });
        timeline.field.push(n);
      }
      return [f, tl];
    },
    getData(req): TimelineSamples[] {
      const out: TimelineSamples[] = [];
      for (const name of req.fields) {
        const x = fields.get(name);
        if (!x) continue;
        let lo = 0;
        while (lo < x.t.length && (x.t[lo] as number) < req.start) lo++;
        let hi = lo;
        while (hi < x.t.length && (x.t[hi] as number) < req.end) hi++;
        const [t, v] = stride(x.t.subarray(lo, hi), x.v.subarray(lo, hi), req.minStride);
        const existing = out.find((o) => o.name === x.info.timeline);
        if (existing) existing.fields.set(name, v);
        else out.push({ name: x.info.timeline, t, fields: new Map([[name, v]]), finalizedUntil: null });
      }
      return out;
    },
  };
}

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
