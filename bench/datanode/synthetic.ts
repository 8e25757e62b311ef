// A synthetic data node for benchmarks: `fields` numeric fields sampled at
// `rate` Hz for `seconds`, each on its own timeline (as live nodes name
// them), held in memory. Values: a slow sine, noise and rare spikes.
import { indexRange } from '../../src/datanode/range.js';
import type { DataNodeSource, DataRequest, FieldSamples, FieldsRequest, TimelineSamples } from '../../src/datanode/source.js';
import type { FieldInfo, FieldsReply, TimelineInfo } from '../../src/protocol/types.js';

export class SyntheticSource implements DataNodeSource {
  readonly name: string;
  readonly description = 'Synthetic benchmark data.';
  readonly t: Float64Array;
  private readonly values = new Map<string, Float64Array>();

  constructor(options: { name?: string; fields: number; rate: number; seconds: number; start?: number }) {
    this.name = options.name ?? 'synthetic';
    const n = Math.round(options.rate * options.seconds);
    const t0 = options.start ?? 1_600_000_000;
    this.t = new Float64Array(n);
    for (let i = 0; i < n; i++) this.t[i] = t0 + i / options.rate;
    let seed = 12345;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let f = 0; f < options.fields; f++) {
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) v[i] = Math.sin(i / 20_000 + f) + 0.1 * rand() + (rand() < 1e-5 ? 5 : 0);
      this.values.set(`field_${f}`, v);
    }
  }

  get samples(): number {
    return this.t.length * this.values.size;
  }

  getFields({ start, end }: FieldsRequest): FieldsReply {
    const [from, to] = indexRange(this.t, start, end);
    const fields: Record<string, FieldInfo> = {};
    const timelines: Record<string, TimelineInfo> = {};
    if (from === to) return [fields, timelines];
    for (const name of this.values.keys()) {
      fields[name] = { description: null, timeline: name, type: 'number', units: null };
      timelines[name] = { interval: this.t.length > 1 ? this.t[1]! - this.t[0]! : null, field: [name] };
    }
    return [fields, timelines];
  }

  getData({ fields, start, end }: DataRequest): TimelineSamples[] {
    const [from, to] = indexRange(this.t, start, end);
    const t = this.t.subarray(from, to);
    return fields
      .filter((f) => this.values.has(f))
      .map((f) => ({ name: f, t, fields: new Map<string, FieldSamples>([[f, this.values.get(f)!.subarray(from, to)]]), finalizedUntil: null }));
  }
}
