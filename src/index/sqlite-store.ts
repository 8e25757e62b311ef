// The embedded store: SQLite in one file (better-sqlite3), in WAL mode so
// that readers in other processes read while the scanner writes. Calls are
// synchronous underneath; each file's update is one IMMEDIATE transaction.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { decodeEntries, encodeEntries, encodeIssues, encodeState, sqlDateTime } from './codec.js';
import type { GroupEntry, GroupRecord } from './file-groups.js';
import { COMPAT_FEEDS_COLUMNS, COMPAT_TABLES_SQLITE, META_TABLE, MIGRATIONS, SCHEMA_VERSION, compatLayoutMessage } from './schema.js';
import {
  IndexConflictError,
  IndexSchemaError,
  type CatalogFile,
  type CatalogGroup,
  type FileStatus,
  type FileUpdate,
  type IndexStore,
  type SeriesInfo,
  type StoredFile,
  type StoredSeries,
  type SummaryChunk,
} from './store.js';
import { catalogGroupFromRow, fileFromRow, groupRecordFromRow, seriesFromRow, slices, type FileRow, type GroupRow, type SeriesRow } from './rows.js';
import { addToChunk, levelIndex, levelWidth, mergeChunks, MERGED_FROM_LEVEL } from './summaries.js';

export interface SqliteStoreOptions {
  /** Path of the database file (created, with its folder, when absent). */
  path: string;
  /** Open without writing (readers): no schema creation, fails on a missing file. */
  readonly?: boolean;
}

export class SqliteStore implements IndexStore {
  readonly kind = 'sqlite' as const;
  readonly where: string;
  private db: Database.Database | undefined;

  constructor(private readonly options: SqliteStoreOptions) {
    this.where = options.path;
  }

  private get d(): Database.Database {
    if (!this.db) throw new Error('the index is not open');
    return this.db;
  }

  async open(): Promise<void> {
    if (this.db) return;
    mkdirSync(dirname(this.options.path), { recursive: true });
    const db = new Database(this.options.path);
    try {
      db.pragma('busy_timeout = 10000');
      db.pragma('journal_mode = WAL');
      // WAL with NORMAL sync never corrupts; a power cut may drop the last
      // commits, which the scanner then simply does again.
      db.pragma('synchronous = NORMAL');
      // Reads through the OS page cache without a system call per page.
      db.pragma('mmap_size = 268435456');
      db.pragma('cache_size = -32768');
      this.migrate(db);
    } catch (err) {
      db.close();
      throw err;
    }
    this.db = db;
  }

  private migrate(db: Database.Database): void {
    db.exec(META_TABLE.sqlite);
    const run = db.transaction(() => {
      const row = db.prepare("SELECT value FROM g3_meta WHERE name = 'schema_version'").get() as { value: string } | undefined;
      const version = row ? Number(row.value) : 0;
      if (version > SCHEMA_VERSION) {
        throw new IndexSchemaError(`${this.where}: the index has schema version ${version}, newer than this sisock's ${SCHEMA_VERSION}; upgrade sisock`);
      }
      const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
      for (const [table, ddl] of Object.entries(COMPAT_TABLES_SQLITE)) {
        if (!tables.has(table)) for (const s of ddl) db.exec(s);
      }
      const cols = new Set((db.prepare('PRAGMA table_info(feeds)').all() as { name: string }[]).map((r) => r.name));
      const missing = COMPAT_FEEDS_COLUMNS.filter((c) => !cols.has(c));
      if (missing.length > 0) throw new IndexSchemaError(`${this.where}: ${compatLayoutMessage(missing)}`);
      for (let v = version; v < SCHEMA_VERSION; v++) for (const s of MIGRATIONS.sqlite[v]!) db.exec(s);
      if (version < SCHEMA_VERSION) {
        db.prepare("INSERT INTO g3_meta (name, value) VALUES ('schema_version', ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value").run(String(SCHEMA_VERSION));
      }
    });
    run.immediate();
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
  }

  async getMeta(key: string): Promise<string | null> {
    const row = this.d.prepare('SELECT value FROM g3_meta WHERE name = ?').get(key) as { value: string } | undefined;
    return row ? row.value : null;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.d.prepare('INSERT INTO g3_meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value').run(key, value);
  }

  async files(): Promise<StoredFile[]> {
    return (this.d.prepare('SELECT * FROM g3_files').all() as FileRow[]).map(fileFromRow);
  }

  async openGroups(fileId: number): Promise<GroupRecord[]> {
    const rows = this.d.prepare('SELECT * FROM g3_groups WHERE file_id = ? AND closed = 0').all(fileId) as GroupRow[];
    return rows.map(groupRecordFromRow);
  }

  async fileChunks(fileId: number, fromChunk: (number | undefined)[]): Promise<SummaryChunk[]> {
    const out: SummaryChunk[] = [];
    const stmt = this.d.prepare('SELECT series_id, level, chunk, data FROM g3_summaries WHERE file_id = ? AND level = ? AND chunk >= ?');
    fromChunk.forEach((from, level) => {
      if (from === undefined) return;
      for (const r of stmt.all(fileId, levelWidth(level), from) as { series_id: number; level: number; chunk: number; data: Uint8Array }[]) {
        out.push({ seriesId: r.series_id, level: levelIndex(r.level), chunk: r.chunk, data: r.data });
      }
    });
    return out;
  }

  async ensureSeries(series: SeriesInfo[]): Promise<Map<string, StoredSeries>> {
    const d = this.d;
    const insert = d.prepare('INSERT OR IGNORE INTO g3_series (name, type, min_level) VALUES (?, ?, ?)');
    const select = d.prepare('SELECT id, name, type, min_level FROM g3_series WHERE name = ?');
    const out = new Map<string, StoredSeries>();
    d.transaction(() => {
      for (const s of series) {
        insert.run(s.name, s.type, levelWidth(s.minLevel));
        out.set(s.name, seriesFromRow(select.get(s.name) as SeriesRow));
      }
    })();
    return out;
  }

  async commitFile(u: FileUpdate): Promise<StoredFile> {
    const d = this.d;
    const txn = d.transaction((): StoredFile => {
      const row = d.prepare('SELECT id, version FROM g3_files WHERE name = ?').get(u.name) as { id: number; version: number } | undefined;
      const fresh = u.basedOn === null;
      if (fresh ? row !== undefined : !row || row.id !== u.basedOn!.id || row.version !== u.basedOn!.version) {
        throw new IndexConflictError(`${u.name}: changed in the index since it was read`);
      }
      d.prepare('UPDATE g3_generation SET generation = generation + 1 WHERE id = 1').run();
      const generation = (d.prepare('SELECT generation FROM g3_generation WHERE id = 1').get() as { generation: number }).generation;
      const f = u.file;
      const values = [
        f.size,
        f.mtimeMs,
        f.status,
        f.endOffset,
        f.nextFrame,
        f.tail?.offset ?? null,
        f.tail?.length ?? null,
        f.tail?.crc ?? null,
        encodeIssues(f.issues),
        f.error,
        encodeState(f.state),
        generation,
        u.token,
      ];
      let id: number;
      if (row) {
        id = row.id;
        d.prepare(
          `UPDATE g3_files SET size = ?, mtime_ms = ?, status = ?, end_offset = ?, next_frame = ?, tail_offset = ?, tail_length = ?, tail_crc = ?,
             issues = ?, error = ?, state = ?, generation = ?, token = ?, version = version + 1 WHERE id = ?`,
        ).run(...values, id);
      } else {
        id = Number(
          d.prepare(
            `INSERT INTO g3_files (name, size, mtime_ms, status, end_offset, next_frame, tail_offset, tail_length, tail_crc, issues, error, state, generation, token, version)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
          ).run(u.name, ...values).lastInsertRowid,
        );
      }
      const before = u.replace && row ? this.mergedKeysOf(id) : [];
      if (u.replace && row) this.dropContent(id, u.compat.path, u.compat.filename);
      const upsertGroup = d.prepare(
        `INSERT INTO g3_groups (file_id, n, seq, prefix, fields, classes, start, \`end\`, closed, entries) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(file_id, n) DO UPDATE SET seq = excluded.seq, start = excluded.start, \`end\` = excluded.\`end\`, closed = excluded.closed, entries = excluded.entries`,
      );
      for (const g of u.groups) {
        upsertGroup.run(id, g.n, g.seq, g.prefix, JSON.stringify(g.fields), JSON.stringify(g.classes), g.start, g.end, g.closed ? 1 : 0, encodeEntries(g.entries));
      }
      const putChunk = d.prepare('INSERT OR REPLACE INTO g3_summaries (series_id, level, chunk, file_id, data) VALUES (?, ?, ?, ?, ?)');
      for (const c of u.summaries) putChunk.run(c.seriesId, levelWidth(c.level), c.chunk, id, c.data);
      if (u.replace && row) {
        const keys = new Map(before.map((k) => [`${k.seriesId}/${k.level}/${k.chunk}`, k]));
        for (const c of u.summaries) if (c.level >= MERGED_FROM_LEVEL) keys.set(`${c.seriesId}/${c.level}/${c.chunk}`, c);
        for (const k of keys.values()) this.recomputeMerged(k.seriesId, k.level, k.chunk);
      } else {
        const get = d.prepare('SELECT data FROM g3_summaries WHERE series_id = ? AND level = ? AND chunk = ? AND file_id = 0');
        for (const m of u.merged) {
          const old = get.get(m.seriesId, levelWidth(m.level), m.chunk) as { data: Uint8Array } | undefined;
          putChunk.run(m.seriesId, levelWidth(m.level), m.chunk, 0, addToChunk(old?.data, m.kind, m.buckets));
        }
      }
      this.writeCompat(u);
      const stored = d.prepare('SELECT * FROM g3_files WHERE id = ?').get(id) as FileRow;
      return fileFromRow(stored);
    });
    return txn.immediate();
  }

  /** Series, level and chunk of a file's chunks that are also kept merged. */
  private mergedKeysOf(fileId: number): { seriesId: number; level: number; chunk: number }[] {
    const rows = this.d.prepare('SELECT series_id, level, chunk FROM g3_summaries WHERE file_id = ? AND level >= ?').all(fileId, levelWidth(MERGED_FROM_LEVEL)) as { series_id: number; level: number; chunk: number }[];
    return rows.map((r) => ({ seriesId: r.series_id, level: levelIndex(r.level), chunk: r.chunk }));
  }

  /** Makes a merged chunk again from every file's (after a file was replaced or removed). */
  private recomputeMerged(seriesId: number, level: number, chunk: number): void {
    const d = this.d;
    const w = levelWidth(level);
    const parts = d.prepare('SELECT data FROM g3_summaries WHERE series_id = ? AND level = ? AND chunk = ? AND file_id <> 0').all(seriesId, w, chunk) as { data: Uint8Array }[];
    const merged = mergeChunks(parts.map((p) => p.data));
    if (merged) d.prepare('INSERT OR REPLACE INTO g3_summaries (series_id, level, chunk, file_id, data) VALUES (?, ?, ?, 0, ?)').run(seriesId, w, chunk, merged);
    else d.prepare('DELETE FROM g3_summaries WHERE series_id = ? AND level = ? AND chunk = ? AND file_id = 0').run(seriesId, w, chunk);
  }

  /** Everything stored for a file's content (not its row). */
  private dropContent(id: number, path: string, filename: string): void {
    const d = this.d;
    d.prepare('DELETE FROM g3_groups WHERE file_id = ?').run(id);
    d.prepare('DELETE FROM g3_summaries WHERE file_id = ?').run(id);
    d.prepare('DELETE FROM fields WHERE feed_id IN (SELECT id FROM feeds WHERE filename = ? AND path = ?)').run(filename, path);
    d.prepare('DELETE FROM feeds WHERE filename = ? AND path = ?').run(filename, path);
  }

  private writeCompat(u: FileUpdate): void {
    const d = this.d;
    const c = u.compat;
    const feed = d.prepare(
      `INSERT INTO feeds (filename, path, prov_id, description, scanned) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(filename, prov_id) DO UPDATE SET description = excluded.description, scanned = excluded.scanned WHERE feeds.path = excluded.path`,
    );
    const feedId = d.prepare('SELECT id FROM feeds WHERE filename = ? AND prov_id = ? AND path = ?');
    const field = d.prepare(
      `INSERT INTO fields (feed_id, field, start, \`end\`) VALUES (?, ?, ?, ?)
       ON CONFLICT(feed_id, field) DO UPDATE SET start = min(start, excluded.start), \`end\` = max(\`end\`, excluded.\`end\`)`,
    );
    const description = d.prepare('INSERT OR IGNORE INTO description (description) VALUES (?)');
    for (const f of c.feeds) {
      feed.run(c.filename, c.path, f.provId, f.description, c.scanned ? 1 : 0);
      const row = feedId.get(c.filename, f.provId, c.path) as { id: number } | undefined;
      if (!row) continue; // another file of the same base name holds it
      for (const x of f.fields) {
        field.run(row.id, x.field, sqlDateTime(x.start), sqlDateTime(x.end));
        description.run(`${f.description}.${x.field}`);
      }
    }
    d.prepare('UPDATE feeds SET scanned = ? WHERE filename = ? AND path = ?').run(c.scanned ? 1 : 0, c.filename, c.path);
  }

  async removeFile(id: number, compat: { path: string; filename: string }): Promise<void> {
    const d = this.d;
    d.transaction(() => {
      d.prepare('UPDATE g3_generation SET generation = generation + 1 WHERE id = 1').run();
      const keys = this.mergedKeysOf(id);
      this.dropContent(id, compat.path, compat.filename);
      d.prepare('DELETE FROM g3_files WHERE id = ?').run(id);
      for (const k of keys) this.recomputeMerged(k.seriesId, k.level, k.chunk);
    }).immediate();
  }

  async generation(): Promise<number> {
    return (this.d.prepare('SELECT generation FROM g3_generation WHERE id = 1').get() as { generation: number }).generation;
  }

  async catalogFiles(): Promise<CatalogFile[]> {
    const rows = this.d.prepare('SELECT id, name, version, generation, status FROM g3_files').all() as { id: number; name: string; version: number; generation: number; status: string }[];
    return rows.map((r) => ({ id: r.id, name: r.name, version: r.version, generation: r.generation, status: r.status as FileStatus }));
  }

  async catalogGroups(fileIds: readonly number[]): Promise<CatalogGroup[]> {
    const out: CatalogGroup[] = [];
    for (const part of slices(fileIds)) {
      const rows = this.d
        .prepare(`SELECT id, file_id, n, seq, prefix, fields, classes, start, \`end\` FROM g3_groups WHERE file_id IN (${part.map(() => '?').join(',')})`)
        .all(...part) as GroupRow[];
      for (const r of rows) out.push(catalogGroupFromRow(r));
    }
    return out;
  }

  async series(): Promise<StoredSeries[]> {
    return (this.d.prepare('SELECT id, name, type, min_level FROM g3_series').all() as SeriesRow[]).map(seriesFromRow);
  }

  async groupEntries(groupIds: readonly number[]): Promise<Map<number, GroupEntry[]>> {
    const out = new Map<number, GroupEntry[]>();
    for (const part of slices(groupIds)) {
      const rows = this.d.prepare(`SELECT id, entries FROM g3_groups WHERE id IN (${part.map(() => '?').join(',')})`).all(...part) as { id: number; entries: Uint8Array }[];
      for (const r of rows) out.set(r.id, decodeEntries(r.entries));
    }
    return out;
  }

  async summaryChunks(seriesId: number, level: number, from: number, to: number): Promise<Uint8Array[]> {
    const rows = this.d
      .prepare(`SELECT data FROM g3_summaries WHERE series_id = ? AND level = ? AND chunk BETWEEN ? AND ? AND file_id ${level >= MERGED_FROM_LEVEL ? '= 0' : '<> 0'}`)
      .all(seriesId, levelWidth(level), from, to) as { data: Uint8Array }[];
    return rows.map((r) => r.data);
  }
}
