// A directory of text files of one sample column each, as the archive nodes
// serve them (apex_weather, ucsc_radiometer): an index of the file names,
// kept current by watching the directory, and a bounded cache of parsed
// files that the index's changes keep true. A node says which files a
// request needs; the archive reads them, a few at a time, and returns the
// samples within the request's range as one time and one value column.
import type { Logger } from '../../log/logger.js';
import { lowerBound } from '../../datanode/range.js';
import { concatRanges, mapLimited } from './columns.js';
import { DirectoryIndex, type IndexEntry } from './directory-index.js';
import { ParsedFileCache, type CacheStats, type ParsedFileCacheOptions } from './parsed-file-cache.js';

export interface FileArchiveOptions<K> {
  dir: string;
  /** what a file name means, or null for files that are not part of the archive */
  parseName: (name: string) => K | null;
  /** how a file's rows read (header line, time conversion) */
  formatOf: ParsedFileCacheOptions['formatOf'];
  /** seconds between full rescans (0: never) */
  rescanInterval: number;
  /** budget of the parsed-file cache, bytes */
  cacheBytes: number;
  logger: Logger;
}

/** files a request must read; at most this many are read at once */
const READ_CONCURRENCY = 16;

export class FileArchive<K> {
  readonly index: DirectoryIndex<K>;
  private readonly cache: ParsedFileCache;

  constructor(options: FileArchiveOptions<K>) {
    this.cache = new ParsedFileCache({ maxBytes: options.cacheBytes, formatOf: options.formatOf, logger: options.logger });
    this.index = new DirectoryIndex<K>({
      dir: options.dir,
      parseName: options.parseName,
      rescanInterval: options.rescanInterval,
      logger: options.logger,
      onChange: (entry, change) => {
        if (change === 'removed') this.cache.forget(entry.path);
        else this.cache.invalidate(entry.path);
      },
    });
  }

  /** scans the directory once and starts watching it */
  start(): Promise<void> {
    return this.index.start();
  }

  close(): void {
    this.index.close();
    this.cache.clear();
  }

  /** cache counters, for benchmarks and logs */
  get cacheStats(): Readonly<CacheStats> {
    return this.cache.stats;
  }

  /** forces a rescan now (the periodic one does the same) */
  rescan(): Promise<void> {
    return this.index.rescan();
  }

  /**
   * The samples of `files` (in time order) within [start, end), as one time
   * and one value column; stops between files when `signal` aborts.
   */
  async read(files: readonly IndexEntry<K>[], start: number, end: number, signal?: AbortSignal): Promise<{ t: Float64Array; v: Float64Array }> {
    const parsed = await mapLimited(files, READ_CONCURRENCY, (f) => this.cache.get(f.path), signal);
    const pieces = parsed.flatMap((p) => {
      if (!p) return [];
      const t = p.columns.t;
      const a = lowerBound(t, start);
      const b = lowerBound(t, end, a);
      return [{ t: t.subarray(a, b), v: p.columns.v.subarray(a, b) }];
    });
    return concatRanges(pieces);
  }
}
