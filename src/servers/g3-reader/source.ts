// The g3_reader data node: the housekeeping .g3 archive, through the index
// the g3 scanner keeps. Field lists come from the index alone. Data follow
// so3g's HKArchive (full field names, co-sampled fields grouped into
// timelines group0, group1, ... each listing its fields); a request whose
// min_stride or MAX_POINTS allows it is answered from the summaries without
// opening a .g3 file, and anything finer reads only the frames overlapping
// the range, by their recorded offsets, through a bounded cache.
// While someone listens (the data node server), the index is watched so that
// fields of newly indexed providers are announced as they appear.
import { join } from 'node:path';
import type { DataNodeSource, DataRequest, FieldSamples, FieldsRequest, TimelineSamples } from '../../datanode/source.js';
import { TooMuchDataError } from '../../datanode/errors.js';
import { FieldsChangedSignal } from '../../datanode/fields-signal.js';
import { HKArchive, type Column, type TimelineGroup } from '../../g3/index.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import type { FieldInfo, FieldsReply, TimelineInfo } from '../../protocol/types.js';
import { IndexCatalog } from '../../index/catalog.js';
import { FrameCache } from '../../index/frame-cache.js';
import { IndexUnavailableError, type IndexStore } from '../../index/store.js';
import { bucketPoints, chooseLevel, mergeToWidth, pointBudget, summaryBuckets, targetWidth, POINTS_PER_BUCKET } from '../../index/summary-query.js';
import { LEVEL_WIDTHS } from '../../index/summaries.js';

export interface G3ReaderOptions {
  store: IndexStore;
  /** Where the .g3 files are (default: the data directory the scanner recorded in the index). */
  dataDir?: string;
  name?: string;
  description?: string;
  /** Bytes of frames cached (default 256 MB). */
  cacheBytes?: number;
  /** ms between checks for index changes (default 1000). */
  refreshInterval?: number;
  /** Raw values one request may read (fields x samples) before it must ask with min_stride (default 20 M). */
  maxRawValues?: number;
  logger?: Logger;
}

/** How a request was answered (for logs and tests). */
export interface AnswerRoute {
  /** Timelines from summaries, and the levels used. */
  summaries: { field: string; level: number; width: number }[];
  /** Fields read from frames. */
  raw: string[];
}

function toSamples(c: Column): FieldSamples {
  switch (c.dtype) {
    case 'float64':
      return c.values;
    case 'int64':
      return c.values instanceof Float64Array ? c.values : Float64Array.from(c.values, (x) => Number(x));
    case 'bool':
      return Array.from(c.values, (x) => x !== 0);
    case 'str':
      return c.values;
  }
}

/** Sorts a timeline by time (stable) when overlapping files left it out of order. */
function ascending(t: Float64Array, fields: Map<string, FieldSamples>): { t: Float64Array; fields: Map<string, FieldSamples> } {
  let sorted = true;
  for (let i = 1; i < t.length && sorted; i++) if (t[i]! < t[i - 1]!) sorted = false;
  if (sorted) return { t, fields };
  const order = Array.from(t.keys()).sort((a, b) => t[a]! - t[b]! || a - b);
  const pick = <T>(col: ArrayLike<T>): T[] => order.map((i) => col[i]!);
  const out = new Map<string, FieldSamples>();
  for (const [k, col] of fields) out.set(k, col instanceof Float64Array ? Float64Array.from(pick(col)) : (pick(col as ArrayLike<number | string | boolean | null>) as FieldSamples));
  return { t: Float64Array.from(pick(t)), fields: out };
}

export class G3ReaderSource implements DataNodeSource {
  readonly name: string;
  readonly description: string;
  readonly catalog: IndexCatalog;
  private readonly store: IndexStore;
  private readonly log: Logger;
  private readonly maxRawValues: number;
  private cache: FrameCache | undefined;
  private dataDir: string | undefined;
  private readonly fieldsChanged = new FieldsChangedSignal();
  /** the field names last seen in the catalog, to notice new ones */
  private knownFields = new Set<string>();
  /** the catalog generation knownFields was taken from */
  private knownGeneration = -1;
  private watchTimer: NodeJS.Timeout | null = null;
  /** The route of the last get_data (tests and logs look at it). */
  lastRoute: AnswerRoute = { summaries: [], raw: [] };

  constructor(private readonly opts: G3ReaderOptions) {
    this.store = opts.store;
    this.name = opts.name ?? 'g3_reader';
    this.description = opts.description ?? 'Housekeeping data from the .g3 archive.';
    this.log = opts.logger ?? silentLogger;
    this.maxRawValues = opts.maxRawValues ?? 20e6;
    this.catalog = new IndexCatalog(opts.store, { refreshInterval: opts.refreshInterval ?? 1000 });
  }

  /** Opens the index and reads its catalog. */
  async start(): Promise<void> {
    await this.store.open();
    this.dataDir = this.opts.dataDir ?? (await this.store.getMeta('data_directory')) ?? undefined;
    if (this.dataDir === undefined) this.log.warn('the index names no data directory yet (no scanner ran); give one to read frames');
    this.cache = new FrameCache({ maxBytes: this.opts.cacheBytes ?? 256 << 20, resolve: (name) => join(this.dataDir ?? '.', ...name.split('/')) });
    await this.catalog.refresh(true);
    this.noticeFieldChanges();
    this.log.info({ index: this.store.where, files: this.catalog.fileCount(), dataDir: this.dataDir }, 'g3 index opened');
  }

  async close(): Promise<void> {
    this.stopWatching();
    await this.store.close();
    this.cache?.clear();
  }

  get cacheStats(): FrameCache['stats'] | undefined {
    return this.cache?.stats;
  }

  /** Watches the index (every refresh interval, at least 1 s) while someone listens. */
  onFieldsChanged(listener: () => void): () => void {
    const stop = this.fieldsChanged.listen(listener);
    if (!this.watchTimer) {
      this.watchTimer = setInterval(() => void this.watch(), Math.max(1000, this.opts.refreshInterval ?? 1000));
      this.watchTimer.unref();
    }
    return () => {
      stop();
      if (!this.fieldsChanged.listened) this.stopWatching();
    };
  }

  private stopWatching(): void {
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.watchTimer = null;
  }

  private async watch(): Promise<void> {
    try {
      await this.catalog.refresh();
      this.noticeFieldChanges();
    } catch (err) {
      // the next request or tick tries again; requests report the problem themselves
      this.log.debug({ err: (err as Error).message }, 'cannot check the index for new fields');
    }
  }

  /** Tells listeners when the catalog's field names differ from those seen last. */
  private noticeFieldChanges(): void {
    const catalog = this.catalog;
    if (catalog.generation === this.knownGeneration) return;
    this.knownGeneration = catalog.generation;
    let same = catalog.fieldCount === this.knownFields.size;
    if (same) {
      for (const name of catalog.fieldNames()) {
        if (!this.knownFields.has(name)) {
          same = false;
          break;
        }
      }
    }
    if (same) return;
    this.knownFields = new Set(catalog.fieldNames());
    this.fieldsChanged.notify();
  }

  async getFields({ start, end }: FieldsRequest): Promise<FieldsReply> {
    try {
      await this.catalog.refresh();
      this.noticeFieldChanges();
    } catch (err) {
      // The field list is in memory: while the index is away it stays as last read.
      if (!(err instanceof IndexUnavailableError) || this.catalog.generation < 0) throw err;
      this.log.warn({ err: err.message }, 'index unavailable; field list as last read');
    }
    const { fields, timelines } = this.catalog.archive.getFields(start, end);
    const f: Record<string, FieldInfo> = {};
    const t: Record<string, TimelineInfo> = {};
    for (const [name, info] of fields) f[name] = { description: null, timeline: info.timeline, type: this.catalog.typeOf(name), units: null };
    for (const [name, info] of timelines) t[name] = { interval: null, field: info.field };
    return [f, t];
  }

  async getData(req: DataRequest): Promise<TimelineSamples[]> {
    await this.catalog.refresh();
    this.noticeFieldChanges();
    const { start, end, minStride, maxPoints } = req;
    const groups = this.catalog.archive.groups(req.fields, start, end);
    const route: AnswerRoute = { summaries: [], raw: [] };
    const rawGroups: TimelineGroup[] = [];
    const reduced: TimelineSamples[] = [];
    for (const g of groups) {
      const answered = minStride !== null || maxPoints !== null ? await this.fromSummaries(g, start, end, minStride, maxPoints, route) : undefined;
      if (answered) reduced.push(...answered);
      else rawGroups.push(g);
    }
    const raw = rawGroups.length > 0 ? await this.fromFrames(rawGroups, start, end, route) : [];
    // Names: the raw timelines as so3g numbers them, then one per summarised field.
    let next = raw.length;
    for (const tl of reduced) tl.name = `group${next++}`;
    this.lastRoute = route;
    return [...raw, ...reduced];
  }

  /**
   * The group's fields from summaries, one timeline per field (each keeps
   * its own real sample times), or undefined when raw samples are better:
   * the stride is finer than the finest level kept, or the range holds no
   * more samples than the reply may carry anyway.
   */
  private async fromSummaries(
    g: TimelineGroup,
    start: number,
    end: number,
    minStride: number | null,
    maxPoints: number | null,
    route: AnswerRoute,
  ): Promise<TimelineSamples[] | undefined> {
    const series = g.keys.map((k) => this.catalog.series(k));
    if (series.some((s) => s === undefined)) return undefined;
    // The span the data can have: the range cut to the groups' covers.
    const lo = Math.max(start, Math.min(...g.fieldGroups.map((fg) => fg.start)));
    const hi = Math.min(end, Math.max(...g.fieldGroups.map((fg) => fg.end)));
    const span = Math.max(0, hi - lo);
    const budget = pointBudget(span, minStride, maxPoints);
    const plans = series.map((s) => {
      const kind = s!.type === 'string' ? ('string' as const) : ('number' as const);
      const width = targetWidth(span, minStride, maxPoints, kind === 'string' ? 2 : POINTS_PER_BUCKET);
      return { s: s!, kind, width, level: chooseLevel(width, s!.minLevel) };
    });
    if (plans.some((p) => p.level === undefined)) return undefined;
    const out: TimelineSamples[] = [];
    const used: AnswerRoute['summaries'] = [];
    for (let i = 0; i < g.keys.length; i++) {
      const { s, kind, width } = plans[i]!;
      const level = plans[i]!.level!;
      const parts = await summaryBuckets(this.store, s, level, lo, hi);
      let k = Math.max(1, Math.ceil(width / LEVEL_WIDTHS[level]!));
      let merged = mergeToWidth(parts, level, k);
      // Few samples: the raw ones are the better answer (and as cheap).
      if (merged.count <= budget) return undefined;
      let points = bucketPoints(merged.buckets, kind, start, end);
      for (let pass = 0; points.t.length > budget && pass < 30; pass++) {
        k = Math.max(k + 1, Math.ceil((k * points.t.length) / Math.max(1, budget - 2 * POINTS_PER_BUCKET)));
        merged = mergeToWidth(parts, level, k);
        points = bucketPoints(merged.buckets, kind, start, end);
      }
      if (points.t.length > budget) points = { t: points.t.subarray(0, budget), v: points.v instanceof Float64Array ? points.v.subarray(0, budget) : points.v.slice(0, budget) };
      const values: FieldSamples = s.type === 'bool' && points.v instanceof Float64Array ? Array.from(points.v, (x) => (x === x ? x !== 0 : null)) : points.v;
      const key = g.keys[i]!;
      out.push({
        name: key,
        t: points.t,
        fields: new Map([[key, values]]),
        finalizedUntil: points.t.length > 0 ? points.t[points.t.length - 1]! : start,
        downsampled: true,
        listFields: true,
      });
      used.push({ field: key, level, width: LEVEL_WIDTHS[level]! * k });
    }
    route.summaries.push(...used);
    return out;
  }

  /** The groups' samples read from the frames that hold them (so3g's get_data over an index). */
  private async fromFrames(groups: TimelineGroup[], start: number, end: number, route: AnswerRoute): Promise<TimelineSamples[]> {
    const keys = groups.flatMap((g) => g.keys);
    const fieldGroups = [...new Set(groups.flatMap((g) => g.fieldGroups))];
    // In archive order, as the catalog holds them.
    const order = new Map(this.catalog.archive.fieldGroups.map((fg, i) => [fg, i]));
    fieldGroups.sort((a, b) => order.get(a)! - order.get(b)!);
    const filled = await this.catalog.withEntries(fieldGroups, start, end);
    const copyOf = new Map(fieldGroups.map((fg, i) => [fg, filled[i]!]));
    let values = 0;
    for (const g of groups) {
      const samples = new Set<string>();
      let n = 0;
      for (const fg of g.fieldGroups) {
        const copy = copyOf.get(fg)!;
        for (const e of copy.indexInfo) {
          const id = `${e.filename}\0${e.byteOffset}\0${e.blockIndex}`;
          if (!samples.has(id)) {
            samples.add(id);
            n += e.count;
          }
        }
      }
      values += n * (g.keys.length + 1);
    }
    if (values > this.maxRawValues) {
      throw new TooMuchDataError(`the request would read ${values} raw values (more than ${this.maxRawValues}); ask with a min_stride, or for a shorter range or fewer fields`);
    }
    route.raw.push(...keys);
    const archive = new HKArchive(filled, { frameSource: this.cache!.view((name) => this.catalog.versionOf(name)) });
    const result = await archive.getData({ fields: keys, start, end });
    if (result.problems.length > 0) this.log.warn({ problems: result.problems.slice(0, 10), count: result.problems.length }, 'frames left out of a reply');
    const out: TimelineSamples[] = [];
    for (const [name, tl] of result.timelines) {
      const cols = new Map<string, FieldSamples>();
      for (const f of tl.fields) {
        const c = result.data.get(f);
        if (c) cols.set(f, toSamples(c));
      }
      const sorted = ascending(tl.t, cols);
      out.push({ name, t: sorted.t, fields: sorted.fields, finalizedUntil: tl.finalizedUntil, listFields: true });
    }
    return out;
  }
}
