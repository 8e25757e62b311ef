// Parsed archive files, kept in memory up to a byte budget (least recently
// used first out). A file that grew is not parsed again: only its appended
// tail is read. Freshness costs no system call for files that have been
// quiet for a while: the directory watcher tells the cache when they change
// (`invalidate`). Files written recently ("hot") are stat-ed on each use, so
// a reader sees appended rows at once even if an event is late.
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../../log/logger.js';
import { Columns } from './columns.js';
import { newReport, parseRows, type ParseReport, type RowFormat } from './text-rows.js';

export interface ParsedFile {
  path: string;
  /** rows in time order */
  columns: Columns;
  /** bytes of the file consumed by complete lines */
  completeBytes: number;
  /** complete lines consumed (for line numbers in logs) */
  completeLines: number;
  /** rows from an unterminated last line, replaced when the line completes */
  provisionalRows: number;
  /** size and mtime of the file when last read */
  size: number;
  mtimeMs: number;
  /** set by `invalidate`: check the file before the next use */
  stale: boolean;
  /** the file's first bytes and the bytes just before `completeBytes`: an
   * append leaves both alone, a rewrite almost surely changes one of them */
  head: Buffer;
  mark: Buffer;
}

const MARK_BYTES = 64;

export interface ParsedFileCacheOptions {
  /** budget for parsed rows, bytes (16 per row) */
  maxBytes: number;
  /** how each file's lines are read */
  formatOf: (path: string) => RowFormat;
  logger: Logger;
  /** files modified less than this many ms ago are stat-ed on every use */
  hotWindowMs?: number;
}

export interface CacheStats {
  hits: number;
  fullReads: number;
  tailReads: number;
  bytesRead: number;
  evictions: number;
}

export class ParsedFileCache {
  private readonly files = new Map<string, ParsedFile>();
  private readonly loading = new Map<string, Promise<ParsedFile | null>>();
  private bytes = 0;
  readonly stats: CacheStats = { hits: 0, fullReads: 0, tailReads: 0, bytesRead: 0, evictions: 0 };

  constructor(private readonly options: ParsedFileCacheOptions) {}

  /** bytes of parsed rows held */
  get heldBytes(): number {
    return this.bytes;
  }

  /** the file's rows, current with the file on disk; null if it cannot be read */
  get(path: string): Promise<ParsedFile | null> {
    const inflight = this.loading.get(path);
    if (inflight) return inflight;
    const cached = this.files.get(path);
    const hotWindow = this.options.hotWindowMs ?? 10 * 60_000;
    if (cached && !cached.stale && Date.now() - cached.mtimeMs > hotWindow) {
      this.stats.hits++;
      this.touch(path, cached);
      return Promise.resolve(cached);
    }
    const p = this.load(path, cached).finally(() => this.loading.delete(path));
    this.loading.set(path, p);
    return p;
  }

  /** the file changed (or may have): check it before its next use */
  invalidate(path: string): void {
    const f = this.files.get(path);
    if (f) f.stale = true;
  }

  /** the file is gone: drop it */
  forget(path: string): void {
    const f = this.files.get(path);
    if (!f) return;
    this.files.delete(path);
    this.bytes -= f.columns.bytes;
  }

  clear(): void {
    this.files.clear();
    this.bytes = 0;
  }

  private touch(path: string, f: ParsedFile): void {
    // Map keeps insertion order: re-inserting makes it the most recent.
    this.files.delete(path);
    this.files.set(path, f);
  }

  private async load(path: string, cached: ParsedFile | undefined): Promise<ParsedFile | null> {
    try {
      if (cached) {
        const st = await stat(path);
        if (st.size === cached.size && st.mtimeMs === cached.mtimeMs) {
          cached.stale = false;
          this.stats.hits++;
          this.touch(path, cached);
          return cached;
        }
        if (st.size > cached.size && (await this.readTail(cached, st.size, st.mtimeMs))) {
          return cached;
        }
      }
      return await this.readWhole(path);
    } catch (err) {
      this.forget(path);
      this.options.logger.warn({ path, err: (err as Error).message }, 'archive file not readable; skipped');
      return null;
    }
  }

  private async readWhole(path: string): Promise<ParsedFile> {
    // open + fstat + read + close: no separate stat, no second fstat (readFile does one)
    const fh = await open(path, 'r');
    let buf: Buffer;
    let mtimeMs: number;
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new Error('not a regular file');
      mtimeMs = st.mtimeMs;
      buf = await readAt(fh, 0, st.size);
      // the file may have grown since fstat: take the rest too
      for (;;) {
        const more = await readAt(fh, buf.length, 1 << 16);
        if (more.length === 0) break;
        buf = Buffer.concat([buf, more]);
      }
    } finally {
      await fh.close();
    }
    this.stats.fullReads++;
    this.stats.bytesRead += buf.length;
    // ~20 bytes per row in these archives: start near the right capacity
    const columns = new Columns(Math.ceil(buf.length / 20) + 16);
    const report = newReport();
    const r = parseRows(buf, columns, this.options.formatOf(path), 1, report);
    const f: ParsedFile = {
      path,
      columns,
      completeBytes: r.completeBytes,
      completeLines: r.completeLines,
      provisionalRows: r.provisionalRows,
      size: buf.length,
      mtimeMs,
      stale: false,
      head: Buffer.from(buf.subarray(0, MARK_BYTES)),
      mark: Buffer.from(buf.subarray(Math.max(0, r.completeBytes - MARK_BYTES), r.completeBytes)),
    };
    sortRows(f, 0);
    columns.shrinkToFit();
    this.logReport(path, report);
    this.store(path, f);
    return f;
  }

  /** reads only what was appended; false when the file was rewritten instead */
  private async readTail(f: ParsedFile, size: number, mtimeMs: number): Promise<boolean> {
    const from = f.completeBytes;
    const fh = await open(f.path, 'r');
    let buf: Buffer;
    try {
      const head = await readAt(fh, 0, f.head.length);
      if (!head.equals(f.head)) return false;
      // read the marked bytes again with the tail: they must be unchanged
      const start = from - f.mark.length;
      const got = await readAt(fh, start, size - start);
      if (!got.subarray(0, f.mark.length).equals(f.mark)) return false;
      buf = got.subarray(f.mark.length);
    } finally {
      await fh.close();
    }
    this.stats.tailReads++;
    this.stats.bytesRead += buf.length;
    const before = f.columns.bytes;
    const columns = f.columns;
    columns.truncate(columns.length - f.provisionalRows);
    const sortedUpTo = columns.length;
    const report = newReport();
    const r = parseRows(buf, columns, this.options.formatOf(f.path), f.completeLines + 1, report);
    f.completeBytes = from + r.completeBytes;
    f.completeLines += r.completeLines;
    f.provisionalRows = r.provisionalRows;
    f.size = from + buf.length;
    f.mtimeMs = mtimeMs;
    f.stale = false;
    const marked = Buffer.concat([f.mark, buf.subarray(0, r.completeBytes)]);
    f.mark = Buffer.from(marked.subarray(Math.max(0, marked.length - MARK_BYTES)));
    sortRows(f, sortedUpTo);
    this.logReport(f.path, report);
    this.bytes += columns.bytes - before;
    this.touch(f.path, f);
    this.evict(f.path);
    return true;
  }

  private store(path: string, f: ParsedFile): void {
    this.forget(path);
    this.files.set(path, f);
    this.bytes += f.columns.bytes;
    this.evict(path);
  }

  private evict(keep: string): void {
    for (const [path, f] of this.files) {
      if (this.bytes <= this.options.maxBytes) break;
      if (path === keep) continue;
      this.files.delete(path);
      this.bytes -= f.columns.bytes;
      this.stats.evictions++;
    }
  }

  private logReport(path: string, report: ParseReport): void {
    if (report.malformed > 0) {
      this.options.logger.warn(
        { path, malformed: report.malformed, examples: report.examples },
        'malformed lines in archive file skipped',
      );
    }
  }
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(Math.max(0, length));
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

/** keeps rows in time order; a provisional last row out of order is left for the next read */
function sortRows(f: ParsedFile, sortedUpTo: number): void {
  const columns = f.columns;
  if (columns.isSorted(sortedUpTo)) return;
  if (f.provisionalRows > 0) {
    columns.truncate(columns.length - f.provisionalRows);
    f.provisionalRows = 0;
  }
  columns.sortByTime();
}
