// The data-feed buffer on local disk, so a restarted node serves the last
// BUFFER_TIME seconds again instead of starting empty.
//
// One file per node: a sequence of frames (4-byte big-endian length, then a
// msgpack record `{f, tl, k, t, v}`: field, timeline, kind, times, values).
// Every stored batch is appended (flushed every `flushInterval` seconds);
// when the file has grown to twice what the buffer needs, or past the size
// cap, it is rewritten from the buffer (compaction: expired samples go, and
// if the buffer itself exceeds the cap the oldest samples are left out).
// A torn last frame (crash mid-write) is detected and ignored on restore.
import { mkdir, open, readFile, rename, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Packr } from 'msgpackr';
import type { ColumnKind, ColumnValue } from '../../datanode/ring-buffer.js';
import { lowerBound } from '../../datanode/range.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import type { FeedStore, FieldMeta } from './feed-store.js';

export interface SpoolOptions {
  path: string;
  /** the file never grows (much) beyond this */
  maxBytes: number;
  /** seconds between appends to the file (samples of the last interval are lost in a crash) */
  flushInterval?: number;
  logger?: Logger;
}

interface SpoolRecord {
  f: string;
  tl: string;
  k: ColumnKind;
  t: Float64Array;
  v: Float64Array | (string | null)[] | (boolean | null)[];
}

export interface RestoreReport {
  records: number;
  samples: number;
  /** records that could not be used (bad shape, kind clash) */
  skipped: number;
  /** bytes at the end that were not a whole frame */
  tornBytes: number;
}

const packr = new Packr({ moreTypes: true });
const KINDS = new Set<ColumnKind>(['number', 'string', 'bool']);
/** below this the file is not compacted for growth alone */
const MIN_COMPACT_BYTES = 1 << 20;

export class FeedSpool {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private fh: FileHandle | null = null;
  private fileBytes = 0;
  private baseBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  /** every file operation runs on this chain, one after another */
  private chain: Promise<void> = Promise.resolve();
  private readonly logger: Logger;
  private store: FeedStore | null = null;

  constructor(private readonly options: SpoolOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  /** Reads the spool into `store`, rewrites it compactly and starts appending. */
  async open(store: FeedStore): Promise<RestoreReport> {
    this.store = store;
    await mkdir(dirname(this.options.path), { recursive: true });
    const report = await this.restore(store);
    await this.compact();
    const every = (this.options.flushInterval ?? 1) * 1000;
    this.timer = setInterval(() => void this.flush(), every);
    this.timer.unref();
    return report;
  }

  /** Queues one stored batch for the file (wire this to FeedStore's onStored). */
  record(meta: FieldMeta, t: ArrayLike<number>, values: ArrayLike<ColumnValue>): void {
    const frame = encodeFrame(toRecord(meta, t, values));
    this.pending.push(frame);
    this.pendingBytes += frame.length;
    // a burst bigger than the cap is flushed at once rather than held in memory
    if (this.pendingBytes > this.options.maxBytes / 4) void this.flush();
  }

  /** Appends what is queued; compacts when the file has grown too much. */
  flush(): Promise<void> {
    return this.enqueue(async () => {
      if (this.pending.length === 0 || !this.fh) return;
      const data = Buffer.concat(this.pending);
      this.pending = [];
      this.pendingBytes = 0;
      await this.fh.write(data, 0, data.length, null);
      this.fileBytes += data.length;
      if (this.fileBytes > this.options.maxBytes || this.fileBytes > 2 * this.baseBytes + MIN_COMPACT_BYTES) {
        await this.compactNow();
      }
    });
  }

  /** Rewrites the file from the buffer (expired samples go, the cap is applied). */
  compact(): Promise<void> {
    return this.enqueue(() => this.compactNow());
  }

  /** Final flush; closes the file. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
    await this.enqueue(async () => {
      await this.fh?.close();
      this.fh = null;
    });
  }

  get sizeOnDisk(): number {
    return this.fileBytes;
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.chain.then(op);
    this.chain = run.catch((err: unknown) => {
      this.logger.error({ err, path: this.options.path }, 'spool write failed; the buffer in memory is unaffected');
    });
    return this.chain;
  }

  private async restore(store: FeedStore): Promise<RestoreReport> {
    const report: RestoreReport = { records: 0, samples: 0, skipped: 0, tornBytes: 0 };
    let bytes: Buffer;
    try {
      bytes = await readFile(this.options.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.logger.warn({ path: this.options.path, err: (err as Error).message }, 'spool not readable; starting empty');
      }
      return report;
    }
    let at = 0;
    while (at + 4 <= bytes.length) {
      const len = bytes.readUInt32BE(at);
      if (at + 4 + len > bytes.length) break;
      const body = bytes.subarray(at + 4, at + 4 + len);
      at += 4 + len;
      let rec: unknown;
      try {
        rec = packr.unpack(body);
      } catch {
        report.skipped++;
        continue;
      }
      const r = checkRecord(rec);
      if (typeof r === 'string') {
        report.skipped++;
        continue;
      }
      try {
        report.samples += store.restore({ field: r.f, timeline: r.tl, kind: r.k }, r.t, r.v);
        report.records++;
      } catch {
        report.skipped++;
      }
    }
    report.tornBytes = bytes.length - at;
    if (report.skipped > 0 || report.tornBytes > 0) {
      this.logger.warn({ path: this.options.path, ...report }, 'parts of the spool could not be read and were left out');
    }
    return report;
  }

  private async compactNow(): Promise<void> {
    const store = this.store;
    if (!store) return;
    const frames = snapshotFrames(store, this.options.maxBytes);
    // what was queued so far is in the snapshot; what comes later is appended after it
    this.pending = [];
    this.pendingBytes = 0;
    const data = Buffer.concat(frames);
    const tmp = `${this.options.path}.tmp`;
    const out = await open(tmp, 'w');
    try {
      await out.write(data, 0, data.length, 0);
      await out.sync();
    } finally {
      await out.close();
    }
    await this.fh?.close();
    this.fh = null;
    await rename(tmp, this.options.path);
    this.fh = await open(this.options.path, 'a');
    this.fileBytes = (await stat(this.options.path)).size;
    this.baseBytes = this.fileBytes;
  }
}

function toRecord(meta: FieldMeta, t: ArrayLike<number>, values: ArrayLike<ColumnValue>): SpoolRecord {
  const tt = t instanceof Float64Array ? t : Float64Array.from(t);
  let v: SpoolRecord['v'];
  if (meta.kind === 'number') v = values instanceof Float64Array ? values : Float64Array.from(values as ArrayLike<number | null>, (x) => (typeof x === 'number' ? x : NaN));
  else if (meta.kind === 'string') v = Array.from(values, (x) => (typeof x === 'string' ? x : null));
  else v = Array.from(values, (x) => (typeof x === 'boolean' ? x : null));
  return { f: meta.field, tl: meta.timeline, k: meta.kind, t: tt, v };
}

function encodeFrame(rec: SpoolRecord): Buffer {
  const body = packr.pack(rec);
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.set(body, 4);
  return frame;
}

function checkRecord(x: unknown): SpoolRecord | string {
  if (x === null || typeof x !== 'object') return 'not a record';
  const r = x as Partial<SpoolRecord>;
  if (typeof r.f !== 'string' || typeof r.tl !== 'string' || !KINDS.has(r.k as ColumnKind)) return 'bad header';
  if (!(r.t instanceof Float64Array)) return 'bad times';
  if (!(r.v instanceof Float64Array) && !Array.isArray(r.v)) return 'bad values';
  if (r.v.length !== r.t.length) return 'length mismatch';
  return r as SpoolRecord;
}

/**
 * One frame per field with the buffer's content; when that exceeds
 * `maxBytes`, only the samples after a common cutoff time chosen so it fits
 * (the newest data is what a restarted node needs most).
 */
function snapshotFrames(store: FeedStore, maxBytes: number): Buffer[] {
  const items: { meta: FieldMeta; t: Float64Array; v: ArrayLike<ColumnValue> }[] = [];
  for (const { meta, buffer } of store.entries()) {
    const r = buffer.range(-Infinity, Infinity);
    if (r.t.length > 0) items.push({ meta, t: r.t, v: r.fields.get(meta.field) as ArrayLike<ColumnValue> });
  }
  const encodeFrom = (cut: number): Buffer[] => {
    const frames: Buffer[] = [];
    for (const it of items) {
      const i = lowerBound(it.t, cut);
      if (i >= it.t.length) continue;
      const v = it.v instanceof Float64Array ? it.v.subarray(i) : Array.prototype.slice.call(it.v, i);
      frames.push(encodeFrame(toRecord(it.meta, it.t.subarray(i), v)));
    }
    return frames;
  };
  const sizeOf = (frames: Buffer[]) => frames.reduce((n, f) => n + f.length, 0);
  const all = encodeFrom(-Infinity);
  if (sizeOf(all) <= maxBytes) return all;
  // Bytes per sample of each field, then a binary search on time using
  // sample counts only; encode once more with the cutoff found.
  const perSample = items.map((it, k) => all[k]!.length / it.t.length);
  const estimate = (cut: number) => items.reduce((n, it, k) => n + (it.t.length - lowerBound(it.t, cut)) * perSample[k]!, 0);
  let lo = Math.min(...items.map((it) => it.t[0]!));
  let hi = Math.max(...items.map((it) => it.t[it.t.length - 1]!)) + 1;
  for (let i = 0; i < 60 && hi - lo > 1e-6; i++) {
    const mid = (lo + hi) / 2;
    if (estimate(mid) <= maxBytes * 0.95) hi = mid;
    else lo = mid;
  }
  let cut = hi;
  let frames = encodeFrom(cut);
  const newest = Math.max(...items.map((it) => it.t[it.t.length - 1]!));
  while (sizeOf(frames) > maxBytes && frames.length > 0) {
    cut += Math.max((newest - cut) * 0.1, 1e-3);
    frames = encodeFrom(cut);
  }
  return frames;
}
