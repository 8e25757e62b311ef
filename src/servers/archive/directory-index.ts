// The names of the files in one archive directory, kept current without
// reading the directory on every request: filled by one scan at start,
// updated by fs.watch (inotify on Linux) as files appear, grow, are renamed
// or go away, and checked by a periodic rescan that catches whatever the
// watcher missed (network filesystems, overflowed event queues, a directory
// that did not exist yet).
import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../log/logger.js';

export interface IndexEntry<K> {
  name: string;
  path: string;
  /** what the name says about the file (field, time range, day, ...) */
  key: K;
  size: number;
  mtimeMs: number;
}

export type IndexChange = 'added' | 'removed' | 'modified';

export interface DirectoryIndexOptions<K> {
  dir: string;
  /** what a file name means, or null for files that are not part of the archive */
  parseName: (name: string) => K | null;
  /** seconds between full rescans (0: never) */
  rescanInterval: number;
  logger: Logger;
  /** told of every change after it is applied */
  onChange?: (entry: IndexEntry<K>, change: IndexChange) => void;
}

export class DirectoryIndex<K> {
  private readonly files = new Map<string, IndexEntry<K>>();
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly pending = new Set<string>();
  private flushing: Promise<void> | null = null;
  private missingLogged = false;
  private closed = false;
  /** bumped on every change, so users can rebuild derived lookups lazily */
  version = 0;

  constructor(private readonly options: DirectoryIndexOptions<K>) {}

  get dir(): string {
    return this.options.dir;
  }

  get size(): number {
    return this.files.size;
  }

  entries(): IterableIterator<IndexEntry<K>> {
    return this.files.values();
  }

  get(name: string): IndexEntry<K> | undefined {
    return this.files.get(name);
  }

  /** first scan, then watching and periodic rescans */
  async start(): Promise<void> {
    await this.rescan();
    const every = this.options.rescanInterval;
    if (every > 0) {
      this.timer = setInterval(() => {
        this.rescan().catch((err: unknown) => this.options.logger.error({ err, dir: this.dir }, 'rescan failed'));
      }, every * 1000);
      this.timer.unref();
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.watcher?.close();
    this.watcher = null;
  }

  /** reads the whole directory and reconciles the index with it */
  async rescan(): Promise<void> {
    if (this.closed) return;
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if (!this.missingLogged) {
        this.options.logger.warn({ dir: this.dir, err: (err as Error).message }, 'archive directory not readable; serving nothing from it until it is');
        this.missingLogged = true;
      }
      for (const name of [...this.files.keys()]) this.remove(name);
      this.watcher?.close();
      this.watcher = null;
      return;
    }
    if (this.missingLogged) {
      this.options.logger.info({ dir: this.dir }, 'archive directory readable again');
      this.missingLogged = false;
    }
    this.ensureWatcher();
    const present = new Set<string>();
    const relevant = names.filter((n) => this.options.parseName(n) !== null);
    // stat in bounded batches: thousands of files must not flood the thread pool
    for (let i = 0; i < relevant.length; i += 64) {
      await Promise.all(relevant.slice(i, i + 64).map((n) => this.check(n)));
    }
    for (const n of relevant) present.add(n);
    for (const name of [...this.files.keys()]) if (!present.has(name)) this.remove(name);
  }

  private ensureWatcher(): void {
    if (this.watcher || this.closed) return;
    try {
      this.watcher = watch(this.dir, { persistent: false }, (_event, filename) => {
        if (filename == null) {
          // the platform did not say which file: look at all of them
          void this.rescan();
          return;
        }
        this.pending.add(filename.toString());
        this.flushSoon();
      });
      this.watcher.on('error', (err) => {
        this.options.logger.warn({ dir: this.dir, err: err.message }, 'watching the archive directory failed; relying on rescans');
        this.watcher?.close();
        this.watcher = null;
      });
    } catch (err) {
      this.options.logger.warn({ dir: this.dir, err: (err as Error).message }, 'cannot watch the archive directory; relying on rescans');
    }
  }

  private flushSoon(): void {
    if (this.flushing) return;
    this.flushing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(async () => {
        while (this.pending.size > 0) {
          const batch = [...this.pending];
          this.pending.clear();
          await Promise.all(batch.map((n) => this.check(n)));
        }
      })
      .catch((err: unknown) => this.options.logger.error({ err }, 'applying directory events failed'))
      .finally(() => {
        this.flushing = null;
      });
  }

  /** brings one name up to date with the file system */
  private async check(name: string): Promise<void> {
    if (this.closed) return;
    const key = this.options.parseName(name);
    if (key === null) return;
    const path = join(this.dir, name);
    let st;
    try {
      st = await stat(path);
    } catch {
      this.remove(name);
      return;
    }
    if (!st.isFile()) {
      this.remove(name);
      return;
    }
    const old = this.files.get(name);
    if (old && old.size === st.size && old.mtimeMs === st.mtimeMs) return;
    const entry: IndexEntry<K> = { name, path, key, size: st.size, mtimeMs: st.mtimeMs };
    this.files.set(name, entry);
    this.version++;
    this.options.onChange?.(entry, old ? 'modified' : 'added');
  }

  private remove(name: string): void {
    const old = this.files.get(name);
    if (!old) return;
    this.files.delete(name);
    this.version++;
    this.options.onChange?.(old, 'removed');
  }
}
