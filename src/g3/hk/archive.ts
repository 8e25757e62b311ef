// so3g's HKArchive (FORMAT 9.3): the field list and data of an archive over
// a time range, computed from field groups exactly as the reference does
// (matching of names and short names, grouping of co-sampled fields into
// group0, group1, ..., ordering and cutting of samples). Data are read from
// the frames the field groups point at, by byte offset.
import { compressionOf } from '../source.js';
import { G3FrameFile, G3Reader } from '../reader.js';
import type { G3Frame } from '../frame.js';
import type { BlockLayout } from './blocks.js';
import { ColumnBuilder, fillTimes, type Column } from './columns.js';
import { frameBlocks, HkSchemaError } from './schema.js';
import type { FieldGroup, IndexEntry } from './scanner.js';

export type { Column } from './columns.js';

/** The ValueError so3g raises when a short name matches two fields. */
export class AmbiguousFieldError extends Error {
  override name = 'AmbiguousFieldError';
}

export interface FieldDescription {
  description: null;
  timeline: string;
  type: 'number';
  units: null;
}

export interface Timeline {
  /** Sample times, Unix seconds. */
  t: Float64Array;
  fields: string[];
  /** Time of the last sample; the query start (or 0) when there is none. */
  finalizedUntil: number;
}

export interface GetDataOptions {
  /** Full field names (or short names with `shortMatch`); all fields when absent. */
  fields?: readonly string[] | null;
  start?: number | null;
  end?: number | null;
  shortMatch?: boolean;
}

export interface DataResult {
  /** Field name (as requested) to values, in the order so3g fills them. */
  data: Map<string, Column>;
  timelines: Map<string, Timeline>;
  /** Frames that could not be read or blocks that did not match the scan (their samples are left out). */
  problems: string[];
}

/**
 * Reads frames of one file by byte offset, in the order asked. The frames
 * of one call need stay valid only until the second call after it (a source
 * may reuse its buffers; the archive reads one batch ahead). A query asks
 * for files in name order and, within a file, for increasing offsets.
 */
export interface FrameSource {
  frames(filename: string, refs: readonly { offset: number; length: number }[]): Promise<G3Frame[]>;
  /** Called when a query has what it needs: close whatever was kept open. */
  release?(): Promise<void>;
}

export interface HKArchiveOptions {
  /** Where to read frames (default: files opened by `resolve(filename)`, a new source per query). */
  frameSource?: FrameSource;
  /** Path of a file from the name its index entries carry (default: the name itself). */
  resolve?: (filename: string) => string;
  /** Bytes of frames fetched at a time (one batch is read while the previous one is decoded). */
  batchBytes?: number;
}

/** Fields that share a timeline over a query's span (so3g's `group0`, `group1`, ...). */
export interface TimelineGroup {
  name: string;
  /** Field names as requested (full names, or the short names that matched). */
  keys: string[];
  /** The field groups holding their data. */
  fieldGroups: FieldGroup[];
}

/** True if `sub` appears in `full` in order, gaps allowed (so3g is_sub_seq). */
function isSubSequence(full: string[], sub: string[]): boolean {
  let j = 0;
  for (let i = 0; i < full.length && j < sub.length; i++) if (full[i] === sub[j]) j++;
  return j === sub.length;
}

function compareRefs(a: IndexEntry, b: IndexEntry): number {
  return (
    a.timeRange[0] - b.timeRange[0] ||
    a.timeRange[1] - b.timeRange[1] ||
    a.count - b.count ||
    (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0) ||
    a.byteOffset - b.byteOffset ||
    a.blockIndex - b.blockIndex
  );
}

/** First index with t[i] >= x (numpy searchsorted, side 'left'). */
function searchSorted(t: Float64Array, x: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Reads frames from files on disk: plain files by offset (the file stays
 * open between batches, so the next read starts at once), compressed ones as
 * a stream read forward across batches.
 */
export class FileFrameSource implements FrameSource {
  // Two buffers in turn: one being decoded, one being read.
  private readonly scratch: { bytes?: Uint8Array }[] = [{}, {}];
  private turn = 0;
  private current:
    | { filename: string; file: G3FrameFile }
    | { filename: string; reader: G3Reader; frames: AsyncIterator<G3Frame>; last: G3Frame | undefined }
    | undefined;

  constructor(
    private readonly resolve: (filename: string) => string = (f) => f,
    private readonly maxRead = 1 << 26,
  ) {}

  async frames(filename: string, refs: readonly { offset: number; length: number }[]): Promise<G3Frame[]> {
    const path = this.resolve(filename);
    if (this.current?.filename !== filename) {
      await this.release();
      if (compressionOf(path) === 'none') this.current = { filename, file: await G3FrameFile.open(path) };
      else {
        const reader = await G3Reader.open(path, { resync: false });
        this.current = { filename, reader, frames: reader[Symbol.asyncIterator](), last: undefined };
      }
    }
    const cur = this.current!;
    if ('file' in cur) {
      this.turn ^= 1;
      return cur.file.framesAt(refs, { maxRead: this.maxRead, scratch: this.scratch[this.turn] });
    }
    // A compressed stream: read forward to each offset (asked in increasing order).
    const out: G3Frame[] = [];
    for (const r of refs) {
      while (!cur.last || cur.last.origin!.offset < r.offset) {
        const next = await cur.frames.next();
        if (next.done) throw new Error(`${path}: no frame at offset ${r.offset}`);
        cur.last = next.value;
      }
      if (cur.last.origin!.offset !== r.offset) throw new Error(`${path}: no frame at offset ${r.offset}`);
      out.push(cur.last);
    }
    return out;
  }

  async release(): Promise<void> {
    const cur = this.current;
    this.current = undefined;
    if (!cur) return;
    if ('file' in cur) await cur.file.close();
    else await cur.reader.close();
  }
}

export class HKArchive {
  readonly fieldGroups: readonly FieldGroup[];
  /** A fresh source per query, so concurrent queries do not share buffers. */
  private readonly source: () => FrameSource;
  private readonly batchBytes: number;

  constructor(fieldGroups: readonly FieldGroup[], opts: HKArchiveOptions = {}) {
    this.fieldGroups = fieldGroups;
    this.batchBytes = opts.batchBytes ?? 1 << 23;
    const given = opts.frameSource;
    this.source = given ? () => given : () => new FileFrameSource(opts.resolve);
  }

  /** so3g `_get_groups`: the requested fields present in [start, end), grouped by shared timeline. */
  groups(fields?: readonly string[] | null, start?: number | null, end?: number | null, shortMatch = false): TimelineGroup[] {
    const s = start ?? -Infinity;
    const e = end ?? Infinity;
    const wanted = fields ? new Set(fields) : undefined;
    const seqs = fields && shortMatch ? fields.map((f) => f.split('.')) : undefined;
    const shortMatches = new Map<string, string>();
    const fieldMap = new Map<string, FieldGroup[]>();
    for (const fg of this.fieldGroups) {
      if (!(Math.max(s, fg.start) < Math.min(e, fg.end))) continue;
      for (const f of fg.fields) {
        const full = `${fg.prefix}.${f}`;
        let key = full;
        if (seqs) {
          const parts = full.split('.');
          const seq = seqs.find((q) => isSubSequence(parts, q));
          if (!seq) continue;
          key = seq.join('.');
          const prev = shortMatches.get(key);
          if (prev !== undefined && prev !== full) throw new AmbiguousFieldError(`Multiple matches for soft key: ${key} [${prev}, ${full}].`);
          shortMatches.set(key, full);
        } else if (wanted && !wanted.has(full)) continue;
        const list = fieldMap.get(key);
        if (list) list.push(fg);
        else fieldMap.set(key, [fg]);
      }
    }
    const keys = [...fieldMap.keys()];
    const same = (a: FieldGroup[], b: FieldGroup[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
    const out: TimelineGroup[] = [];
    let i = 0;
    while (i < keys.length) {
      const fgs = fieldMap.get(keys[i]!)!;
      let j = i + 1;
      while (j < keys.length && same(fieldMap.get(keys[j]!)!, fgs)) j++;
      out.push({ name: `group${out.length}`, keys: keys.slice(i, j), fieldGroups: fgs });
      i = j;
    }
    return out;
  }

  /** so3g `get_fields`: every field with data in [start, end), and the timelines grouping them. */
  getFields(start?: number | null, end?: number | null): { fields: Map<string, FieldDescription>; timelines: Map<string, { interval: null; field: string[] }> } {
    const fields = new Map<string, FieldDescription>();
    const timelines = new Map<string, { interval: null; field: string[] }>();
    for (const g of this.groups(null, start, end)) {
      timelines.set(g.name, { interval: null, field: g.keys });
      for (const k of g.keys) fields.set(k, { description: null, timeline: g.name, type: 'number', units: null });
    }
    return { fields, timelines };
  }

  /** so3g `get_data`: values and timelines of the requested fields over [start, end). */
  async getData(opts: GetDataOptions = {}): Promise<DataResult> {
    const { start = null, end = null } = opts;
    const groups = this.groups(opts.fields, start, end, opts.shortMatch ?? false);
    const overlaps = (r: IndexEntry): boolean => (start === null || start <= r.timeRange[1]) && (end === null || end > r.timeRange[0]);

    // Which blocks of which frames fill which rows of which group.
    interface Task {
      blockIndex: number;
      group: GroupState;
      row: number;
      count: number;
    }
    interface GroupState {
      g: TimelineGroup;
      count: number;
      shortNames: string[];
      t?: Float64Array;
      columns?: ColumnBuilder[];
      failed: [number, number][];
    }
    const files = new Map<string, Map<number, { length: number; tasks: Task[] }>>();
    const states: GroupState[] = [];
    for (const g of groups) {
      const refs = g.fieldGroups.flatMap((fg) => fg.indexInfo).sort(compareRefs);
      const state: GroupState = { g, count: 0, shortNames: g.keys.map((k) => k.slice(k.lastIndexOf('.') + 1)), failed: [] };
      for (const r of refs) {
        if (!overlaps(r)) continue;
        let frames = files.get(r.filename);
        if (!frames) files.set(r.filename, (frames = new Map()));
        let frame = frames.get(r.byteOffset);
        if (!frame) frames.set(r.byteOffset, (frame = { length: r.frameLength, tasks: [] }));
        frame.tasks.push({ blockIndex: r.blockIndex, group: state, row: state.count, count: r.count });
        state.count += r.count;
      }
      states.push(state);
    }

    // Groups in the order their first block is read: the order of so3g's result dicts.
    const filled: GroupState[] = [];
    const problems: string[] = [];
    // Batches of frames in file-name then offset order (bounded in bytes), each
    // fetched while the one before is decoded.
    const batches: { filename: string; offsets: number[] }[] = [];
    for (const filename of [...files.keys()].sort()) {
      const frames = files.get(filename)!;
      const offsets = [...frames.keys()].sort((a, b) => a - b);
      for (let i = 0; i < offsets.length; ) {
        let bytes = 0;
        let j = i;
        while (j < offsets.length && (j === i || bytes + frames.get(offsets[j]!)!.length <= this.batchBytes)) bytes += frames.get(offsets[j++]!)!.length;
        batches.push({ filename, offsets: offsets.slice(i, j) });
        i = j;
      }
    }
    const source = this.source();
    const fetch = (b: { filename: string; offsets: number[] }): Promise<(G3Frame | undefined)[]> => {
      const frames = files.get(b.filename)!;
      return source.frames(b.filename, b.offsets.map((o) => ({ offset: o, length: frames.get(o)!.length }))).catch((err: unknown) => {
        problems.push(`${b.filename}: ${(err as Error).message}`);
        return b.offsets.map(() => undefined);
      });
    };
    let next = batches.length > 0 ? fetch(batches[0]!) : undefined;
    try {
    for (let bi = 0; bi < batches.length; bi++) {
      const { filename, offsets: batch } = batches[bi]!;
      const frames = files.get(filename)!;
      const got = await next!;
      next = bi + 1 < batches.length ? fetch(batches[bi + 1]!) : undefined;
      for (let k = 0; k < batch.length; k++) {
        const offset = batch[k]!;
        const { tasks } = frames.get(offset)!;
        const frame = got[k];
        let blocks: BlockLayout[] | undefined;
        if (frame && !frame.crcOk) problems.push(`${filename}: frame at offset ${offset} fails its CRC; its samples are left out`);
        else if (frame) {
          try {
            blocks = frameBlocks(frame);
          } catch (err) {
            if (!(err instanceof HkSchemaError)) throw err;
            problems.push(`${filename}: frame at offset ${offset}: ${err.message}`);
          }
        }
        for (const task of tasks) {
          const st = task.group;
          const block = blocks?.[task.blockIndex];
          if (!block || block.count !== task.count) {
            if (blocks && !block) problems.push(`${filename}: frame at offset ${offset} has no block ${task.blockIndex}`);
            else if (block) problems.push(`${filename}: block ${task.blockIndex} of the frame at offset ${offset} has ${block.count} samples, the scan said ${task.count} (file changed?)`);
            st.failed.push([task.row, task.row + task.count]);
            continue;
          }
          if (!st.t) {
            // The first block read sets each field's type.
            st.t = new Float64Array(st.count);
            st.columns = st.shortNames.map((f) => new ColumnBuilder(block.fields.get(f)?.class ?? 'missing', st.count));
            filled.push(st);
          }
          fillTimes(block, st.t, task.row, task.count);
          for (let m = 0; m < st.shortNames.length; m++) {
            const problem = st.columns![m]!.fill(block.fields.get(st.shortNames[m]!), task.row, task.count);
            if (problem) problems.push(`${filename}: frame at offset ${offset}, block ${task.blockIndex}, field '${st.shortNames[m]}': ${problem}`);
          }
        }
      }
    }
    } finally {
      await next?.catch(() => undefined);
      await source.release?.();
    }

    const data = new Map<string, Column>();
    const timelines = new Map<string, Timeline>();
    for (const st of filled) {
      const keep = st.failed.length > 0 ? complement(st.failed, st.count) : undefined;
      let t = st.t!;
      const cols = st.columns!.map((c) => c.finish(keep));
      if (keep) t = pickRows(t, keep);
      let i0 = 0;
      let i1 = t.length;
      if (start !== null) i0 = searchSorted(t, start);
      if (end !== null) i1 = searchSorted(t, end);
      if (start !== null || end !== null) t = t.subarray(i0, i1);
      st.g.keys.forEach((k, m) => data.set(k, cutColumn(cols[m]!, i0, i1, start !== null || end !== null)));
      timelines.set(st.g.name, { t, fields: st.g.keys, finalizedUntil: t.length > 0 ? t[t.length - 1]! : (start ?? 0) });
    }
    return { data, timelines, problems };
  }
}

function complement(failed: [number, number][], n: number): [number, number][] {
  const sorted = [...failed].sort((a, b) => a[0] - b[0]);
  const keep: [number, number][] = [];
  let at = 0;
  for (const [x, y] of sorted) {
    if (x > at) keep.push([at, x]);
    at = Math.max(at, y);
  }
  if (at < n) keep.push([at, n]);
  return keep;
}

function pickRows(t: Float64Array, keep: [number, number][]): Float64Array {
  const out = new Float64Array(keep.reduce((s, [x, y]) => s + y - x, 0));
  let at = 0;
  for (const [x, y] of keep) {
    out.set(t.subarray(x, y), at);
    at += y - x;
  }
  return out;
}

function cutColumn(c: Column, i0: number, i1: number, cut: boolean): Column {
  if (!cut) return c;
  switch (c.dtype) {
    case 'float64':
      return { dtype: 'float64', values: c.values.subarray(i0, i1) };
    case 'int64':
      return { dtype: 'int64', values: c.values.subarray(i0, i1) };
    case 'bool':
      return { dtype: 'bool', values: c.values.subarray(i0, i1) };
    case 'str':
      return { dtype: 'str', values: c.values.slice(i0, i1) };
  }
}
