// The example weather node `apex_archive`: the original sisock's bundled APEX
// weather files (July 2017), loaded once and answered from memory. Fields on
// one timeline (the file's second header line) share one time axis: the
// union of their files' times, with NaN (null on the wire) where a file has
// no sample.
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FieldInfo, FieldsReply, TimelineInfo } from '../../protocol/types.js';
import { indexRange } from '../../datanode/range.js';
import type { DataNodeSource, DataRequest, FieldSamples, FieldsRequest, TimelineSamples } from '../../datanode/source.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import { parseDatFile, type DatFile } from './dat-file.js';

/** The example files shipped with the package. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../../../data/apex-example', import.meta.url));

export interface ApexArchiveOptions {
  /** folder of `<field>.dat` files */
  dataDir?: string;
  name?: string;
  description?: string;
  logger?: Logger;
}

interface Timeline {
  name: string;
  t: Float64Array;
  interval: number | null;
  /** field -> values aligned with t */
  values: Map<string, Float64Array>;
}

interface Field {
  info: FieldInfo;
  /** the field's own sample times, to tell whether it has data in a range */
  ownTimes: Float64Array;
}

function medianStep(t: Float64Array): number | null {
  if (t.length < 2) return null;
  const steps = new Float64Array(t.length - 1);
  for (let i = 1; i < t.length; i++) steps[i - 1] = t[i]! - t[i - 1]!;
  steps.sort();
  return steps[steps.length >> 1]!;
}

/** Aligns the files of one timeline on the union of their times. */
function mergeTimeline(name: string, files: [string, DatFile][]): Timeline {
  const all = new Float64Array(files.reduce((n, [, f]) => n + f.t.length, 0));
  let k = 0;
  for (const [, f] of files) {
    all.set(f.t, k);
    k += f.t.length;
  }
  all.sort();
  let u = 0;
  for (let i = 0; i < all.length; i++) if (u === 0 || all[i] !== all[u - 1]) all[u++] = all[i]!;
  const t = all.slice(0, u);
  const values = new Map<string, Float64Array>();
  for (const [field, f] of files) {
    const v = new Float64Array(u).fill(NaN);
    let j = 0;
    for (let i = 0; i < f.t.length; i++) {
      while (t[j]! < f.t[i]!) j++;
      v[j] = f.v[i]!;
    }
    values.set(field, v);
  }
  return { name, t, interval: medianStep(t), values };
}

export class ApexArchiveSource implements DataNodeSource {
  readonly name: string;
  readonly description: string;
  private readonly fields = new Map<string, Field>();
  private readonly timelines = new Map<string, Timeline>();

  private constructor(name: string, description: string) {
    this.name = name;
    this.description = description;
  }

  /** Reads every `*.dat` file of the folder once. Unreadable files and lines are logged and skipped. */
  static async load(options: ApexArchiveOptions = {}): Promise<ApexArchiveSource> {
    const dir = options.dataDir ?? DEFAULT_DATA_DIR;
    const log = options.logger ?? silentLogger;
    const source = new ApexArchiveSource(options.name ?? 'apex_archive', options.description ?? 'Archived APEX weather.');
    const names = (await readdir(dir)).filter((f) => f.endsWith('.dat')).sort();
    const byTimeline = new Map<string, [string, DatFile][]>();
    for (const file of names) {
      const field = basename(file, '.dat');
      let parsed: DatFile;
      try {
        parsed = parseDatFile(await readFile(join(dir, file), 'utf8'), file);
      } catch (err) {
        log.error({ file, err: (err as Error).message }, 'cannot read weather file; its field is left out');
        continue;
      }
      if (parsed.skipped.length > 0) {
        log.warn({ file, count: parsed.skipped.length, first: parsed.skipped.slice(0, 3) }, 'skipped unreadable lines');
      }
      source.fields.set(field, {
        info: { description: parsed.description, timeline: parsed.timeline, type: 'number', units: parsed.units },
        ownTimes: parsed.t,
      });
      const group = byTimeline.get(parsed.timeline) ?? [];
      group.push([field, parsed]);
      byTimeline.set(parsed.timeline, group);
    }
    for (const [name, files] of byTimeline) source.timelines.set(name, mergeTimeline(name, files));
    log.info({ dir, fields: source.fields.size, timelines: source.timelines.size }, 'weather archive loaded');
    return source;
  }

  getFields({ start, end }: FieldsRequest): FieldsReply {
    const fields: Record<string, FieldInfo> = {};
    const timelines: Record<string, TimelineInfo> = {};
    for (const [name, field] of this.fields) {
      const [from, to] = indexRange(field.ownTimes, start, end);
      if (from === to) continue;
      fields[name] = { ...field.info };
      const tl = field.info.timeline;
      timelines[tl] ??= { interval: this.timelines.get(tl)?.interval ?? null, field: [] };
      timelines[tl].field.push(name);
    }
    return [fields, timelines];
  }

  getData({ fields, start, end }: DataRequest): TimelineSamples[] {
    const out: TimelineSamples[] = [];
    for (const tl of this.timelines.values()) {
      const wanted = fields.filter((f) => tl.values.has(f));
      if (wanted.length === 0) continue;
      const [from, to] = indexRange(tl.t, start, end);
      // The archive never changes after loading, so views are safe to hand out.
      const selected = new Map<string, FieldSamples>(wanted.map((f) => [f, tl.values.get(f)!.subarray(from, to)]));
      out.push({ name: tl.name, t: tl.t.subarray(from, to), fields: selected, finalizedUntil: null });
    }
    return out;
  }
}
