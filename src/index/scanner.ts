// The g3 scanner: keeps the index in step with the data directory. It walks
// the directory every `interval` seconds and, between walks, picks up new
// and growing files from file-system events (the walk is the safety net for
// missed events). Each changed file is indexed on its own and committed in
// its own transaction, so stopping loses at most the file in hand and a
// restart goes on where it was.
//
// When the index database goes away the scanner waits for it (with backoff),
// then asks it what it holds before going on: a commit cut off by the lost
// connection is recognised by its token, so nothing is skipped or counted
// twice.
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { WriteStream } from 'node:tty';
import { backoffDelay, type BackoffOptions } from '../client/backoff.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { AbortedError, FileIndexer, type IndexOutcome } from './file-indexer.js';
import type { DamagePolicy } from './file-groups.js';
import { ProgressBar } from './progress.js';
import { IndexConflictError, IndexUnavailableError, type FileUpdate, type IndexStore, type StoredFile } from './store.js';

/** Names the scanner indexes: .g3 files, plain or compressed. */
export function isG3Name(name: string): boolean {
  return /\.g3(\.gz|\.bz2)?$/.test(name);
}

export interface FoundFile {
  name: string;
  size: number;
  mtimeMs: number;
}

/** Every .g3 file under `root` (hidden names skipped), by name relative to it with '/' separators. */
export async function walkDataDirectory(root: string): Promise<Map<string, FoundFile>> {
  const out = new Map<string, FoundFile>();
  const visit = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (dir === root) throw err;
      return; // a folder that vanished or cannot be read: the rest goes on
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) await visit(path);
      else if ((e.isFile() || e.isSymbolicLink()) && isG3Name(e.name)) {
        try {
          const st = await stat(path);
          if (!st.isFile()) continue;
          const name = relative(root, path).split(sep).join('/');
          out.set(name, { name, size: st.size, mtimeMs: st.mtimeMs });
        } catch {
          // gone between listing and stat
        }
      }
    }
  };
  await visit(root);
  return out;
}

export interface PassStats {
  /** Files indexed, by how. */
  new: number;
  grown: number;
  rewritten: number;
  unreadable: number;
  removed: number;
  unchanged: number;
  /** Files with damage or still being written, after the pass. */
  truncated: number;
  corrupt: number;
  bytes: number;
  seconds: number;
}

export interface IndexScannerOptions {
  /** The data directory (absolute). */
  root: string;
  store: IndexStore;
  /** Seconds between walks of the directory; 0: no periodic walks. */
  interval: number;
  /** Pick up changes between walks from file-system events (default true). */
  watch?: boolean;
  policy?: DamagePolicy;
  logger?: Logger;
  /** A terminal to draw a progress bar on, for passes with much to read. */
  progress?: WriteStream | null;
  /** ms to wait for file-system events to settle (default 300). */
  settle?: number;
  backoff?: BackoffOptions;
}

/** Passes at least this large draw a progress bar. */
const PROGRESS_MIN_FILES = 50;
const PROGRESS_MIN_BYTES = 100e6;

const STORE_BACKOFF: BackoffOptions = { initialDelay: 250, maxDelay: 10_000, factor: 2, jitter: 0.3 };

/**
 * Events: `pass` (PassStats) after each walk; `file` (IndexOutcome, the
 * stored file) after each commit; `removed` (name); `unavailable` (error)
 * when the index database is lost, `available` when it is back.
 */
export class IndexScanner extends EventEmitter {
  private readonly indexer: FileIndexer;
  private readonly store: IndexStore;
  private readonly log: Logger;
  private readonly opts: IndexScannerOptions;
  /** What the index holds, as last read or written. */
  private known = new Map<string, StoredFile>();
  private readonly aborter = new AbortController();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  /** File-system events came in recently; wait for them to settle. */
  private settling = false;
  private passDue = true;
  private readonly paths = new Set<string>();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private storeDown = false;
  private rootRecorded = false;

  constructor(opts: IndexScannerOptions) {
    super();
    this.opts = opts;
    this.store = opts.store;
    this.log = opts.logger ?? silentLogger;
    this.indexer = new FileIndexer({ root: opts.root, store: opts.store, policy: opts.policy ?? 'skip' });
  }

  /** Starts walking and watching; resolves at once (see `pass` events). */
  start(): void {
    if (this.loop) return;
    if (this.opts.watch ?? true) this.startWatching();
    this.loop = this.run();
  }

  /** Stops; the file being indexed is abandoned (nothing of it is committed). */
  async stop(): Promise<void> {
    this.aborter.abort();
    this.watcher?.close();
    clearTimeout(this.timer);
    clearTimeout(this.settleTimer);
    this.wake?.();
    await this.loop;
  }

  private get stopped(): boolean {
    return this.aborter.signal.aborted;
  }

  private startWatching(): void {
    try {
      this.watcher = watch(this.opts.root, { recursive: true }, (_event, filename) => {
        if (!filename) {
          this.schedulePass();
          return;
        }
        const name = String(filename).split(sep).join('/');
        if (!isG3Name(name) || name.split('/').some((p) => p.startsWith('.'))) return;
        this.paths.add(name);
        this.settling = true;
        clearTimeout(this.settleTimer);
        this.settleTimer = setTimeout(() => {
          this.settling = false;
          this.wake?.();
        }, this.opts.settle ?? 300);
      });
      this.watcher.on('error', (err) => {
        this.log.warn({ err: err.message }, 'file-system events failed; relying on periodic walks');
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cannot watch the data directory; relying on periodic walks');
    }
  }

  private schedulePass(): void {
    this.passDue = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.passDue) {
        this.passDue = false;
        try {
          const stats = await this.pass();
          if (stats) this.emit('pass', stats);
        } catch (err) {
          if (this.stopped) break;
          this.log.error({ err: (err as Error).message }, 'scan pass failed');
        }
        if (this.opts.interval > 0 && !this.stopped) {
          clearTimeout(this.timer);
          this.timer = setTimeout(() => this.schedulePass(), this.opts.interval * 1000);
        }
        continue;
      }
      if (this.paths.size > 0 && !this.settling) {
        const names = [...this.paths].sort();
        this.paths.clear();
        try {
          await this.check(names);
        } catch (err) {
          if (this.stopped) break;
          this.log.error({ err: (err as Error).message }, 'indexing changed files failed');
        }
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /** Waits until the index answers again (with backoff), then reloads what it holds. */
  private async waitForStore(err: unknown): Promise<void> {
    if (!this.storeDown) {
      this.storeDown = true;
      this.log.warn({ err: (err as Error).message, index: this.store.where }, 'index database unavailable; waiting for it');
      this.emit('unavailable', err);
    }
    for (let attempt = 0; !this.stopped; attempt++) {
      await this.sleep(backoffDelay(attempt, this.opts.backoff ?? STORE_BACKOFF));
      if (this.stopped) return;
      try {
        await this.store.generation();
        this.known = new Map((await this.store.files()).map((f) => [f.name, f]));
        this.storeDown = false;
        this.log.info({ index: this.store.where }, 'index database back; going on');
        this.emit('available');
        return;
      } catch (e) {
        if (!(e instanceof IndexUnavailableError)) throw e;
      }
    }
  }

  /** Waits `ms`, or less if the scanner is stopped meanwhile. */
  private sleep(ms: number): Promise<void> {
    const signal = this.aborter.signal;
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Runs `fn` until the index answers (waiting while it is away). */
  private async retrying<T>(fn: () => Promise<T>): Promise<T | undefined> {
    while (!this.stopped) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof IndexUnavailableError)) throw err;
        await this.waitForStore(err);
      }
    }
    return undefined;
  }

  /** One walk: every new, changed and vanished file. Undefined when stopped. */
  async pass(): Promise<PassStats | undefined> {
    const started = Date.now();
    const found = await walkDataDirectory(this.opts.root);
    const files = await this.retrying(() => this.store.files());
    if (!files) return undefined;
    if (!this.rootRecorded) {
      // Readers find the files where the scanner found them, unless told otherwise.
      await this.retrying(() => this.store.setMeta('data_directory', this.opts.root));
      this.rootRecorded = true;
    }
    this.known = new Map(files.map((f) => [f.name, f]));
    const stats: PassStats = { new: 0, grown: 0, rewritten: 0, unreadable: 0, removed: 0, unchanged: 0, truncated: 0, corrupt: 0, bytes: 0, seconds: 0 };
    // An empty directory where files were is more likely an unmounted disk than a deleted archive.
    if (found.size === 0 && this.known.size > 0) {
      this.log.warn({ root: this.opts.root, indexed: this.known.size }, 'the data directory holds no .g3 file any more; keeping the index as it is');
    } else {
      for (const name of [...this.known.keys()]) {
        if (!found.has(name) && !this.stopped) {
          await this.remove(name);
          stats.removed++;
        }
      }
    }
    const work = [...found.values()].filter((f) => this.needsWork(f)).sort((a, b) => (a.name < b.name ? -1 : 1));
    stats.unchanged = found.size - work.length;
    const total = { files: work.length, bytes: work.reduce((s, f) => s + this.bytesToRead(f), 0) };
    const out = this.opts.progress;
    const bar = out && (total.files >= PROGRESS_MIN_FILES || total.bytes >= PROGRESS_MIN_BYTES) ? new ProgressBar(out, total) : undefined;
    try {
      for (const f of work) {
        if (this.stopped) return undefined;
        const outcome = await this.indexFile(f, bar);
        if (outcome) {
          stats[outcome.update.file.status === 'unreadable' ? 'unreadable' : outcome.mode]++;
          stats.bytes += outcome.bytes;
        }
        bar?.file();
      }
    } finally {
      bar?.end();
    }
    for (const f of this.known.values()) {
      if (f.status === 'truncated') stats.truncated++;
      else if (f.status === 'corrupt') stats.corrupt++;
    }
    stats.seconds = (Date.now() - started) / 1000;
    const changed = stats.new + stats.grown + stats.rewritten + stats.removed + stats.unreadable;
    const line = { ...stats, files: found.size, mbPerSecond: stats.seconds > 0 ? Number((stats.bytes / 1e6 / stats.seconds).toFixed(1)) : 0 };
    if (changed > 0) this.log.info(line, 'scan pass done');
    else this.log.debug(line, 'scan pass done: nothing changed');
    return stats;
  }

  /** Indexes the named files if they changed (file-system events). */
  private async check(names: string[]): Promise<void> {
    for (const name of names) {
      if (this.stopped) return;
      let st;
      try {
        st = await stat(join(this.opts.root, ...name.split('/')));
      } catch {
        if (this.known.has(name)) await this.remove(name);
        continue;
      }
      if (!st.isFile()) continue;
      const f: FoundFile = { name, size: st.size, mtimeMs: st.mtimeMs };
      if (this.needsWork(f)) await this.indexFile(f, undefined);
    }
  }

  private needsWork(f: FoundFile): boolean {
    const s = this.known.get(f.name);
    return !s || s.size !== f.size || s.mtimeMs !== f.mtimeMs || s.status === 'unreadable';
  }

  private bytesToRead(f: FoundFile): number {
    const s = this.known.get(f.name);
    return s && s.status !== 'unreadable' && f.size >= s.endOffset ? f.size - s.endOffset : f.size;
  }

  private async remove(name: string): Promise<void> {
    const s = this.known.get(name);
    if (!s) return;
    const done = await this.retrying(async () => {
      await this.store.removeFile(s.id, this.indexer.compatKey(name));
      return true;
    });
    if (done) {
      this.known.delete(name);
      this.log.info({ file: name }, 'file left the data directory; dropped from the index');
      this.emit('removed', name);
    }
  }

  /** What the index holds for one file now (after a conflict or a lost connection). */
  private async reload(name: string): Promise<StoredFile | undefined> {
    const files = await this.store.files();
    this.known = new Map(files.map((f) => [f.name, f]));
    return this.known.get(name);
  }

  /** Indexes one file and commits it; resolves to what was done (undefined: nothing, or stopped). */
  private async indexFile(f: FoundFile, bar: ProgressBar | undefined): Promise<IndexOutcome | undefined> {
    for (let attempt = 0; attempt < 5 && !this.stopped; attempt++) {
      const stored = this.known.get(f.name);
      if (attempt > 0 && !this.needsWork(f)) return undefined;
      let outcome: IndexOutcome;
      try {
        outcome = await this.indexer.index({ name: f.name, size: f.size, mtimeMs: f.mtimeMs, stored, signal: this.aborter.signal, onBytes: (n) => bar?.bytes(n) });
      } catch (err) {
        if (err instanceof AbortedError || this.stopped) return undefined;
        if (err instanceof IndexUnavailableError) {
          await this.waitForStore(err);
          continue;
        }
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return undefined; // gone since the walk; the next one drops it
        // Not readable at all (permissions, a folder named .g3, ...): recorded, tried again on every walk.
        if (stored && stored.status !== 'unreadable') {
          this.log.warn({ file: f.name, err: (err as Error).message }, 'cannot read file; keeping what the index has');
          return undefined;
        }
        const update = this.indexer.unreadable({ name: f.name, size: f.size, mtimeMs: f.mtimeMs, stored }, (err as Error).message);
        if (!stored) this.log.warn({ file: f.name, err: (err as Error).message }, 'cannot read file');
        const saved = await this.commit(update);
        if (saved === 'retry') continue;
        return saved ? { mode: stored ? 'rewritten' : 'new', update, bytes: 0, frames: 0 } : undefined;
      }
      const saved = await this.commit(outcome.update);
      if (saved === 'retry') continue;
      if (!saved) return undefined;
      this.report(outcome, saved);
      return outcome;
    }
    return undefined;
  }

  /** Commits an update; 'retry' when it must be computed again from what the index now holds. */
  private async commit(update: FileUpdate): Promise<StoredFile | 'retry' | undefined> {
    while (!this.stopped) {
      try {
        const saved = await this.store.commitFile(update);
        this.known.set(saved.name, saved);
        return saved;
      } catch (err) {
        if (err instanceof IndexConflictError) {
          const now = await this.retrying(() => this.reload(update.name));
          return now?.token === update.token ? now : 'retry';
        }
        if (!(err instanceof IndexUnavailableError)) {
          this.log.error({ file: update.name, err: (err as Error).message }, 'cannot write the file to the index; skipping it this pass');
          return undefined;
        }
        await this.waitForStore(err);
        // Did the commit go through before the connection was lost?
        const now = this.known.get(update.name);
        if (now?.token === update.token) return now;
        const base = update.basedOn;
        const unchanged = base === null ? now === undefined : now !== undefined && now.id === base.id && now.version === base.version;
        if (!unchanged) return 'retry';
      }
    }
    return undefined;
  }

  private report(o: IndexOutcome, saved: StoredFile): void {
    const u = o.update;
    const fields = { file: u.name, mode: o.mode, frames: o.frames, bytes: o.bytes, status: saved.status, ...(o.reason ? { reason: o.reason } : {}) };
    if (o.mode === 'rewritten') this.log.info(fields, 'file changed other than by growing; indexed again');
    else this.log.debug(fields, 'file indexed');
    const fresh = u.file.issues.filter((i) => i.kind === 'crc' || i.kind === 'corrupt');
    if (fresh.length > 0 && o.mode !== 'grown') this.log.warn({ file: u.name, issues: fresh.map((i) => `${i.message} at offset ${i.offset}`) }, 'damaged frames left out');
    this.emit('file', o, saved);
  }
}
