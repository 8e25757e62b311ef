// Indexing one file: decide what a change to it means (new, grown,
// rewritten, unchanged), read only what is new, and turn it into one
// update of the index: the file's state, its field groups with the frames
// holding them, its summary buckets and its rows in the original's tables.
//
// A grown file is read from where the last scan stopped (the end of its last
// complete frame), after checking that its last complete frame is still the
// same bytes; anything else (shrunk, rewritten, compressed) is indexed again
// from the start and replaces what was stored, in the same transaction, so a
// file is never counted twice.
import { randomUUID } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { compressionOf, frameBlocks, G3FrameFile, HkSchemaError, scanG3File, type BlockLayout, type FileScan, type ScanIssue } from '../g3/index.js';
import type { FieldType } from '../protocol/types.js';
import { BlockReader } from './block-values.js';
import { FileGroupBuilder, type DamagePolicy, type GroupRecord } from './file-groups.js';
import type { CompatFeeds, FileStatus, FileUpdate, IndexStore, SeriesInfo, StoredFile, StoredSeries, SummaryChunk, SummaryDelta, TailFrame } from './store.js';
import {
  accumulate,
  bucketRuns,
  chunkOf,
  coarsen,
  decodeChunk,
  encodeChunk,
  LEVEL_WIDTHS,
  MERGED_FROM_LEVEL,
  mergeBuckets,
  minLevelFor,
  type Bucket,
  type BucketMap,
  type SummaryKind,
} from './summaries.js';

/** What a scan of a file found, besides the update itself. */
export interface IndexOutcome {
  /** new: first scan; grown: read from where the last one stopped; rewritten: indexed again from the start. */
  mode: 'new' | 'grown' | 'rewritten';
  update: FileUpdate;
  /** Bytes read. */
  bytes: number;
  frames: number;
  /** Why the file was indexed again from the start. */
  reason?: string;
}

export class AbortedError extends Error {
  override name = 'AbortedError';
}

/** The wire type of a field from the vector class of its first block. */
export function fieldTypeOf(cls: string | undefined): FieldType {
  if (cls === 'G3VectorString') return 'string';
  if (cls === 'G3VectorBool') return 'bool';
  return 'number';
}

function summaryKindOf(type: FieldType): SummaryKind {
  return type === 'string' ? 'string' : 'number';
}

interface SeriesAccumulator {
  type: FieldType;
  rate: number | undefined;
  /** Buckets of the finest level. */
  fine: BucketMap;
}

/** The original scanner's rows of one file: providers from status frames, field spans from data. */
class CompatCollector {
  private readonly feeds = new Map<number, { description: string; fields: Map<string, { start: number; end: number }> }>();

  provider(provId: number, description: string): void {
    const f = this.feeds.get(provId);
    if (!f) this.feeds.set(provId, { description, fields: new Map() });
    else f.description = description;
  }

  block(provId: number, prefix: string, fields: readonly string[], first: number, last: number): void {
    let f = this.feeds.get(provId);
    if (!f) this.feeds.set(provId, (f = { description: prefix, fields: new Map() }));
    for (const name of fields) {
      const span = f.fields.get(name);
      if (!span) f.fields.set(name, { start: first, end: last });
      else {
        if (first < span.start) span.start = first;
        if (last > span.end) span.end = last;
      }
    }
  }

  rows(): CompatFeeds['feeds'] {
    return [...this.feeds].map(([provId, f]) => ({ provId, description: f.description, fields: [...f.fields].map(([field, s]) => ({ field, ...s })) }));
  }
}

export interface FileIndexerOptions {
  /** The data directory (absolute); file names are relative to it. */
  root: string;
  store: IndexStore;
  policy?: DamagePolicy;
}

export interface IndexRequest {
  name: string;
  size: number;
  mtimeMs: number;
  stored: StoredFile | undefined;
  signal?: AbortSignal;
  /** Called as bytes are read (for progress). */
  onBytes?: (bytes: number) => void;
}

function sameIssue(a: ScanIssue, b: ScanIssue): boolean {
  return a.kind === b.kind && a.offset === b.offset && a.message === b.message;
}

export class FileIndexer {
  private readonly root: string;
  private readonly store: IndexStore;
  private readonly policy: DamagePolicy;
  /** Series already in the index (they are never removed): asked for only once. */
  private readonly series = new Map<string, StoredSeries>();

  constructor(opts: FileIndexerOptions) {
    this.root = opts.root;
    this.store = opts.store;
    this.policy = opts.policy ?? 'skip';
  }

  pathOf(name: string): string {
    return join(this.root, ...name.split('/'));
  }

  /** The original tables' key of a file: its folder (absolute) and base name. */
  compatKey(name: string): { path: string; filename: string } {
    const path = this.pathOf(name);
    return { path: dirname(path), filename: basename(path) };
  }

  /**
   * Why a stored file cannot simply be resumed, or undefined when it can:
   * its last complete frame must still be there, byte for byte.
   */
  private async rewriteReason(r: IndexRequest, stored: StoredFile): Promise<string | undefined> {
    if (compressionOf(r.name) !== 'none') return 'compressed files are read again from the start when they change';
    if (r.size < stored.size) return `the file shrank from ${stored.size} to ${r.size} bytes`;
    if (r.size < stored.endOffset) return 'the file is shorter than what was indexed';
    const tail = stored.tail;
    if (!tail) return undefined;
    let file: G3FrameFile | undefined;
    try {
      file = await G3FrameFile.open(this.pathOf(r.name));
      const frame = await file.frameAt(tail.offset, tail.length, false);
      if (frame.origin!.crcStored !== tail.crc) return `the frame at offset ${tail.offset} changed`;
      return undefined;
    } catch (err) {
      return `the frame at offset ${tail.offset} is no longer there (${(err as Error).message})`;
    } finally {
      await file?.close();
    }
  }

  /** Indexes the file (or what is new in it). Throws for I/O errors and AbortedError. */
  async index(r: IndexRequest): Promise<IndexOutcome> {
    const stored = r.stored;
    let reason: string | undefined;
    if (stored && stored.status !== 'unreadable') reason = await this.rewriteReason(r, stored);
    const resume = stored !== undefined && stored.status !== 'unreadable' && reason === undefined;
    const mode: IndexOutcome['mode'] = !stored ? 'new' : resume ? 'grown' : 'rewritten';
    const startOffset = resume ? stored!.endOffset : 0;
    const open = new Map<number, GroupRecord>();
    if (resume) for (const g of await this.store.openGroups(stored!.id)) open.set(g.n, g);
    const builder = new FileGroupBuilder(r.name, this.policy, resume ? { state: stored!.state, open, startOffset } : undefined);
    const compat = new CompatCollector();
    const series = new Map<string, SeriesAccumulator>();
    let read = startOffset;
    const reader = new BlockReader();
    let lastCrc: { offset: number; length: number; crc: number } | undefined;

    const scan: FileScan = await scanG3File(this.pathOf(r.name), {
      name: r.name,
      startOffset,
      firstFrameIndex: resume ? stored!.nextFrame : 0,
      // Nothing of a frame is kept past onFrame, so buffers can be reused.
      reuseBuffers: true,
      onFrame: (frame, rec) => {
        if (r.signal?.aborted) throw new AbortedError(`indexing ${r.name} was stopped`);
        const end = rec.offset + rec.length;
        r.onBytes?.(end - read);
        read = end;
        lastCrc = { offset: rec.offset, length: rec.length, crc: frame.origin!.crcStored };
        const hk = rec.crcOk ? rec.hk : undefined;
        if (hk?.kind === 'status') for (const p of hk.providers) compat.provider(p.provId, p.description);
        const accepted = builder.frame(rec);
        if (accepted.length === 0 || hk?.kind !== 'data') return;
        let blocks: BlockLayout[];
        try {
          blocks = frameBlocks(frame);
        } catch (err) {
          if (err instanceof HkSchemaError) return; // the archive query will report it
          throw err;
        }
        for (const a of accepted) {
          const b = blocks[a.blockIndex];
          if (!b || b.count === 0) continue;
          const g = a.group;
          const t = reader.times(b);
          compat.block(hk.provId, g.prefix, g.fields, t[0]!, t[t.length - 1]!);
          this.addSamples(series, g, b, t, a.rate, reader);
        }
      },
    });
    r.onBytes?.(Math.max(0, scan.endOffset - read));

    // Issues: what was known before (a resumed file) and what this scan met.
    const issues: ScanIssue[] = resume ? [...stored!.issues] : [];
    const fresh: ScanIssue[] = scan.problems.map((p) => ({ file: r.name, kind: p.kind, offset: p.offset, frameIndex: p.frameIndex, message: p.message }));
    fresh.push(...builder.issues);
    for (const i of fresh) if (!issues.some((x) => sameIssue(x, i))) issues.push(i);
    const truncated = scan.tail !== undefined;
    const damaged = issues.some((i) => i.kind === 'crc' || i.kind === 'corrupt');
    const status: FileStatus = damaged ? 'corrupt' : truncated ? 'truncated' : 'ok';
    const tail: TailFrame | null = lastCrc ?? (resume ? stored!.tail : null);
    const { state, open: stillOpen } = builder.finish();
    const groups = [...builder.touched.values()];
    for (const g of stillOpen) if (!builder.touched.has(g.n)) groups.push(g);

    const { chunks: summaries, merged } = await this.summaryChunks(series, resume ? stored!.id : undefined);
    const tailIssue = scan.tail ? [{ file: r.name, kind: 'truncated' as const, offset: scan.tail.offset, frameIndex: undefined, message: `file ends inside a frame (still being written?): ${scan.tail.reason}` }] : [];
    const update: FileUpdate = {
      name: r.name,
      basedOn: stored ? { id: stored.id, version: stored.version } : null,
      replace: stored !== undefined && !resume,
      token: randomUUID(),
      file: {
        size: r.size,
        mtimeMs: r.mtimeMs,
        status,
        endOffset: scan.endOffset,
        nextFrame: (resume ? stored!.nextFrame : 0) + scan.frames.length,
        tail,
        // The truncation is a state, not a lasting issue: kept only while it lasts.
        issues: [...issues.filter((i) => i.kind !== 'truncated'), ...tailIssue],
        error: null,
        state,
      },
      groups,
      summaries,
      merged,
      compat: { ...this.compatKey(r.name), scanned: status === 'ok', feeds: compat.rows() },
    };
    return { mode, update, bytes: Math.max(0, scan.endOffset - startOffset), frames: scan.frames.length, ...(reason ? { reason } : {}) };
  }

  /** The record for a file that could not be read at all (retried on every pass). */
  unreadable(r: IndexRequest, error: string): FileUpdate {
    const stored = r.stored;
    return {
      name: r.name,
      basedOn: stored ? { id: stored.id, version: stored.version } : null,
      replace: stored !== undefined,
      token: randomUUID(),
      file: { size: r.size, mtimeMs: r.mtimeMs, status: 'unreadable', endOffset: 0, nextFrame: 0, tail: null, issues: [], error, state: { sessionId: null, providers: [], nextGroup: 0, closed: 0, stopped: false } },
      groups: [],
      summaries: [],
      merged: [],
      compat: { ...this.compatKey(r.name), scanned: false, feeds: [] },
    };
  }

  private addSamples(series: Map<string, SeriesAccumulator>, g: GroupRecord, b: BlockLayout, t: Float64Array, rate: number | undefined, reader: BlockReader): void {
    const runs = bucketRuns(t);
    for (let i = 0; i < g.fields.length; i++) {
      const field = g.fields[i]!;
      const name = `${g.prefix}.${field}`;
      let acc = series.get(name);
      if (!acc) series.set(name, (acc = { type: fieldTypeOf(g.classes[i]), rate, fine: new Map() }));
      if (acc.rate === undefined) acc.rate = rate;
      accumulate(acc.fine, t, reader.values(b.fields.get(field), summaryKindOf(acc.type), t.length), runs);
    }
  }

  /**
   * The summary chunks this scan changes: every level a series keeps, from
   * the new buckets, merged with what the file already had in those chunks.
   */
  private async summaryChunks(series: Map<string, SeriesAccumulator>, fileId: number | undefined): Promise<{ chunks: SummaryChunk[]; merged: SummaryDelta[] }> {
    if (series.size === 0) return { chunks: [], merged: [] };
    const wanted: SeriesInfo[] = [...series].filter(([name]) => !this.series.has(name)).map(([name, s]) => ({ name, type: s.type, minLevel: minLevelFor(s.rate) }));
    if (wanted.length > 0) for (const [name, s] of await this.store.ensureSeries(wanted)) this.series.set(name, s);
    const known = this.series;
    // New buckets per level and chunk.
    const fresh = new Map<number, { seriesId: number; level: number; chunk: number; kind: SummaryKind; buckets: Bucket[]; merge: boolean }>();
    const keyOf = (seriesId: number, level: number, chunk: number): number => (seriesId * LEVEL_WIDTHS.length + level) * 2 ** 24 + (chunk & 0xffffff);
    const fromChunk: (number | undefined)[] = LEVEL_WIDTHS.map(() => undefined);
    for (const [name, acc] of series) {
      const s = known.get(name);
      if (!s) continue;
      const kind = summaryKindOf(s.type);
      for (let level = s.minLevel; level < LEVEL_WIDTHS.length; level++) {
        const buckets = level === 0 ? acc.fine : coarsen(acc.fine.values(), 0, level);
        let last: { chunk: number; buckets: Bucket[] } | undefined;
        for (const b of buckets.values()) {
          const chunk = chunkOf(b.n);
          if (last?.chunk !== chunk) {
            const key = keyOf(s.id, level, chunk);
            let c = fresh.get(key);
            if (!c) fresh.set(key, (c = { seriesId: s.id, level, chunk, kind, buckets: [], merge: false }));
            last = c;
            if (fromChunk[level] === undefined || chunk < fromChunk[level]!) fromChunk[level] = chunk;
          }
          last.buckets.push(b);
        }
      }
    }
    // What is new goes to the chunks merged across files as it is.
    const merged: SummaryDelta[] = [];
    for (const c of fresh.values()) if (c.level >= MERGED_FROM_LEVEL) merged.push({ seriesId: c.seriesId, level: c.level, chunk: c.chunk, kind: c.kind, buckets: [...c.buckets] });
    // A grown file: merge with the chunks it had.
    if (fileId !== undefined) {
      for (const old of await this.store.fileChunks(fileId, fromChunk)) {
        const c = fresh.get(keyOf(old.seriesId, old.level, old.chunk));
        if (c) {
          c.buckets.push(...decodeChunk(old.data).buckets);
          c.merge = true;
        }
      }
    }
    // Buckets of one scan are distinct; only chunks with stored buckets need merging.
    const chunks = [...fresh.values()].map((c) => ({
      seriesId: c.seriesId,
      level: c.level,
      chunk: c.chunk,
      data: encodeChunk(c.kind, c.merge ? mergeBuckets([c.buckets]) : c.buckets.sort((a, b) => a.n - b.n)),
    }));
    return { chunks, merged };
  }
}
