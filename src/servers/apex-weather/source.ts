// The `apex_weather` data node: the APEX weather archive, one directory of
// `<prefix>_<field>_<start>_<end>.dat` files. A request finds its files from
// an index of their names (kept current by watching the directory), reads
// only those, and keeps parsed files in a bounded cache; a file that grows is
// extended by reading its new tail only.
import type { DataNodeSource, DataRequest, FieldsRequest, TimelineSamples } from '../../datanode/source.js';
import type { FieldInfo, FieldsReply, TimelineInfo } from '../../protocol/types.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import { lowerBound } from '../../datanode/range.js';
import type { IndexEntry } from '../archive/directory-index.js';
import { FileArchive } from '../archive/file-archive.js';
import type { CacheStats } from '../archive/parsed-file-cache.js';
import { apexFieldInfo } from './fields.js';
import { parseApexFileName, type ApexFileKey } from './file-names.js';

export interface ApexWeatherOptions {
  /** the directory holding the .dat files (`/data/targets` in the original) */
  dataDir: string;
  name?: string;
  description?: string;
  /** seconds between full rescans of the directory (default 60; 0: never) */
  rescanInterval?: number;
  /** budget of the parsed-file cache, bytes (default 256 MiB) */
  cacheBytes?: number;
  logger?: Logger;
}

type Entry = IndexEntry<ApexFileKey>;

/** One field's files, sorted by start, with a running maximum of their ends. */
interface FieldFiles {
  files: Entry[];
  /** the end of each file's span; the newest file's is open (it may still grow past its name) */
  ends: Float64Array;
  /** maxEnd[i] = max(ends[0..i]); non-decreasing, so binary-searchable */
  maxEnd: Float64Array;
}

export class ApexWeatherSource implements DataNodeSource {
  readonly name: string;
  readonly description: string;
  private readonly archive: FileArchive<ApexFileKey>;
  private table = new Map<string, FieldFiles>();
  private tableVersion = -1;

  constructor(options: ApexWeatherOptions) {
    this.name = options.name ?? 'apex_weather';
    this.description = options.description ?? 'Weather station information from APEX.';
    this.archive = new FileArchive<ApexFileKey>({
      dir: options.dataDir,
      parseName: parseApexFileName,
      formatOf: () => ({ header: false }),
      rescanInterval: options.rescanInterval ?? 60,
      cacheBytes: options.cacheBytes ?? 256 * 1024 * 1024,
      logger: options.logger ?? silentLogger,
    });
  }

  /** scans the directory once and starts watching it */
  start(): Promise<void> {
    return this.archive.start();
  }

  close(): void {
    this.archive.close();
  }

  /** cache counters, for benchmarks and logs */
  get cacheStats(): Readonly<CacheStats> {
    return this.archive.cacheStats;
  }

  /** forces a rescan now (the periodic one does the same) */
  rescan(): Promise<void> {
    return this.archive.rescan();
  }

  getFields(request: FieldsRequest): FieldsReply {
    const fields: Record<string, FieldInfo> = {};
    const timelines: Record<string, TimelineInfo> = {};
    for (const [field, ff] of this.fieldTable()) {
      if (overlapping(ff, request.start, request.end).length === 0) continue;
      fields[field] = apexFieldInfo(field);
      timelines[field] = { interval: null, field: [field] };
    }
    return [fields, timelines];
  }

  async getData(request: DataRequest): Promise<TimelineSamples[]> {
    const out: TimelineSamples[] = [];
    const table = this.fieldTable();
    for (const field of new Set(request.fields)) {
      const ff = table.get(field);
      if (!ff) continue;
      const { t, v } = await this.archive.read(overlapping(ff, request.start, request.end), request.start, request.end, request.signal);
      if (t.length === 0) continue;
      out.push({
        name: field,
        t,
        fields: new Map([[field, v]]),
        finalizedUntil: t[t.length - 1]!,
      });
    }
    return out;
  }

  /** per-field sorted file lists, rebuilt only after the directory changed */
  private fieldTable(): Map<string, FieldFiles> {
    if (this.tableVersion === this.archive.index.version) return this.table;
    const byField = new Map<string, Entry[]>();
    for (const e of this.archive.index.entries()) {
      let list = byField.get(e.key.field);
      if (!list) byField.set(e.key.field, (list = []));
      list.push(e);
    }
    const table = new Map<string, FieldFiles>();
    for (const [field, files] of byField) {
      files.sort((a, b) => a.key.start - b.key.start || a.key.end - b.key.end || (a.name < b.name ? -1 : 1));
      const ends = Float64Array.from(files, (f) => f.key.end);
      // The file being written may hold rows past the end its name gives.
      ends[ends.length - 1] = Infinity;
      const maxEnd = new Float64Array(files.length);
      let m = -Infinity;
      ends.forEach((e, i) => (maxEnd[i] = m = Math.max(m, e)));
      table.set(field, { files, ends, maxEnd });
    }
    this.table = table;
    this.tableVersion = this.archive.index.version;
    return table;
  }
}

/** files whose named span [start, end] meets the request [start, end) */
function overlapping(ff: FieldFiles, start: number, end: number): Entry[] {
  const files = ff.files;
  // files before `lo` all end before `start`
  const lo = lowerBound(ff.maxEnd, start);
  // files from `hi` on start at or after `end`, so hold nothing before it
  let a = lo;
  let b = files.length;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (files[mid]!.key.start < end) a = mid + 1;
    else b = mid;
  }
  const out: Entry[] = [];
  for (let i = lo; i < a; i++) if (ff.ends[i]! >= start) out.push(files[i]!);
  return out;
}
