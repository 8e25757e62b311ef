// The shared store: MariaDB or MySQL (mysql2), the way the original scanner
// and reader shared their index. Several readers may use it while one
// scanner writes. Reads go through prepared statements (the binary
// protocol carries doubles exactly; the text protocol may round them).
// A server that goes away makes calls fail with IndexUnavailableError; the
// pool opens new connections once it is back.
import mysql from 'mysql2/promise';
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { decodeEntries, encodeEntries, encodeIssues, encodeState, sqlDateTime } from './codec.js';
import type { GroupEntry, GroupRecord } from './file-groups.js';
import { catalogGroupFromRow, fileFromRow, groupRecordFromRow, seriesFromRow, slices, type FileRow, type GroupRow, type SeriesRow } from './rows.js';
import { COMPAT_FEEDS_COLUMNS, COMPAT_TABLES_MYSQL, META_TABLE, MIGRATIONS, SCHEMA_VERSION, compatLayoutMessage } from './schema.js';
import {
  IndexConflictError,
  IndexSchemaError,
  IndexUnavailableError,
  type CatalogFile,
  type CatalogGroup,
  type FileStatus,
  type FileUpdate,
  type IndexStore,
  type SeriesInfo,
  type StoredFile,
  type StoredSeries,
  type SummaryChunk,
  type SummaryDelta,
} from './store.js';
import { addToChunk, levelIndex, levelWidth, mergeChunks, MERGED_FROM_LEVEL } from './summaries.js';

export interface MysqlStoreOptions {
  host: string;
  port?: number;
  user: string;
  password?: string;
  database: string;
  /** Connections kept open at most (default 4). */
  connections?: number;
  /** ms to wait for a connection to be made (default 5000). */
  connectTimeout?: number;
}

/** Error codes that mean the server is away (not that the statement was wrong). */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_NORMAL_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
]);

interface MysqlError {
  code?: string;
  fatal?: boolean;
  message?: string;
}

export function isConnectionError(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as MysqlError;
  if (e.fatal === true) return true;
  if (e.code !== undefined && CONNECTION_CODES.has(e.code)) return true;
  // "Can't add new command when connection is in closed state" and the like.
  return typeof e.message === 'string' && /connection is in closed state|Pool is closed|connect ETIMEDOUT/i.test(e.message);
}

/** Rows a statement sends at most per INSERT (bounded again by bytes). */
const BATCH_ROWS = 500;
const BATCH_BYTES = 4 << 20;
/** Longest text the original's varchar(255) columns take. */
const COMPAT_MAX = 255;

type Value = string | number | boolean | null | Uint8Array;

export class MysqlStore implements IndexStore {
  readonly kind = 'mysql' as const;
  readonly where: string;
  private pool: Pool | undefined;

  constructor(private readonly options: MysqlStoreOptions) {
    this.where = `mysql://${options.user}@${options.host}${options.port ? `:${options.port}` : ''}/${options.database}`;
  }

  private get p(): Pool {
    if (!this.pool) throw new IndexUnavailableError('the index is not open');
    return this.pool;
  }

  /** Runs `fn`, turning a lost or refused connection into IndexUnavailableError. */
  private async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isConnectionError(err)) {
        throw new IndexUnavailableError(`${this.where}: ${what}: ${(err as Error).message || (err as MysqlError).code}`, { cause: err });
      }
      throw err;
    }
  }

  async open(): Promise<void> {
    if (this.pool) return;
    const o = this.options;
    const base = { host: o.host, port: o.port ?? 3306, user: o.user, password: o.password ?? '', connectTimeout: o.connectTimeout ?? 5000, supportBigNumbers: true, timezone: 'Z' as const };
    await this.guard('connecting', async () => {
      // The database is made when absent, as the original scanner did.
      const c = await mysql.createConnection(base);
      try {
        await c.query(`CREATE DATABASE IF NOT EXISTS \`${o.database.replace(/`/g, '``')}\` DEFAULT CHARACTER SET utf8mb4`);
      } finally {
        await c.end().catch(() => undefined);
      }
    });
    const pool = mysql.createPool({ ...base, database: o.database, connectionLimit: o.connections ?? 4, waitForConnections: true, queueLimit: 0, enableKeepAlive: true, maxIdle: 2, idleTimeout: 60_000 });
    // Connections the server drops report here; the pool replaces them.
    pool.on('connection', (c) => c.on('error', () => undefined));
    try {
      await this.guard('creating the schema', () => this.migrate(pool));
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    this.pool = pool;
  }

  private async migrate(pool: Pool): Promise<void> {
    const c = await pool.getConnection();
    try {
      const [lock] = await c.query<RowDataPacket[]>("SELECT GET_LOCK('sisock_g3_index_schema', 60) AS got");
      if (Number(lock[0]!.got) !== 1) throw new IndexSchemaError(`${this.where}: another process holds the schema lock`);
      try {
        await c.query(META_TABLE.mysql);
        const [rows] = await c.query<RowDataPacket[]>("SELECT value FROM g3_meta WHERE name = 'schema_version'");
        const version = rows.length > 0 ? Number(rows[0]!.value) : 0;
        if (version > SCHEMA_VERSION) {
          throw new IndexSchemaError(`${this.where}: the index has schema version ${version}, newer than this sisock's ${SCHEMA_VERSION}; upgrade sisock`);
        }
        const [tableRows] = await c.query<RowDataPacket[]>('SHOW TABLES');
        const tables = new Set(tableRows.map((r) => String(Object.values(r)[0])));
        for (const [table, ddl] of Object.entries(COMPAT_TABLES_MYSQL)) {
          if (!tables.has(table)) for (const s of ddl) await c.query(s);
        }
        const [cols] = await c.query<RowDataPacket[]>('SHOW COLUMNS FROM feeds');
        const have = new Set(cols.map((r) => String(r.Field)));
        const missing = COMPAT_FEEDS_COLUMNS.filter((x) => !have.has(x));
        if (missing.length > 0) throw new IndexSchemaError(`${this.where}: ${compatLayoutMessage(missing)}`);
        for (let v = version; v < SCHEMA_VERSION; v++) for (const s of MIGRATIONS.mysql[v]!) await c.query(s);
        if (version < SCHEMA_VERSION) {
          await c.query("INSERT INTO g3_meta (name, value) VALUES ('schema_version', ?) ON DUPLICATE KEY UPDATE value = VALUES(value)", [String(SCHEMA_VERSION)]);
        }
      } finally {
        await c.query("SELECT RELEASE_LOCK('sisock_g3_index_schema')").catch(() => undefined);
      }
    } finally {
      c.release();
    }
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end().catch(() => undefined);
  }

  private async rows<T>(sql: string, params: Value[] = []): Promise<T[]> {
    const [rows] = await this.p.execute<RowDataPacket[]>(sql, params);
    return rows as unknown as T[];
  }

  async getMeta(key: string): Promise<string | null> {
    return this.guard('reading settings', async () => {
      const rows = await this.rows<{ value: string }>('SELECT value FROM g3_meta WHERE name = ?', [key]);
      return rows.length > 0 ? rows[0]!.value : null;
    });
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.guard('writing settings', () => this.p.execute('INSERT INTO g3_meta (name, value) VALUES (?, ?) ON DUPLICATE KEY UPDATE value = VALUES(value)', [key, value]));
  }

  async files(): Promise<StoredFile[]> {
    return this.guard('listing files', async () => (await this.rows<FileRow>('SELECT * FROM g3_files')).map(fileFromRow));
  }

  async openGroups(fileId: number): Promise<GroupRecord[]> {
    return this.guard('reading groups', async () => (await this.rows<GroupRow>('SELECT * FROM g3_groups WHERE file_id = ? AND closed = 0', [fileId])).map(groupRecordFromRow));
  }

  async fileChunks(fileId: number, fromChunk: (number | undefined)[]): Promise<SummaryChunk[]> {
    return this.guard('reading summaries', async () => {
      const out: SummaryChunk[] = [];
      for (let level = 0; level < fromChunk.length; level++) {
        const from = fromChunk[level];
        if (from === undefined) continue;
        const rows = await this.rows<{ series_id: number; level: number; chunk: number; data: Uint8Array }>(
          'SELECT series_id, level, chunk, data FROM g3_summaries WHERE file_id = ? AND level = ? AND chunk >= ?',
          [fileId, levelWidth(level), from],
        );
        for (const r of rows) out.push({ seriesId: Number(r.series_id), level: levelIndex(Number(r.level)), chunk: Number(r.chunk), data: r.data });
      }
      return out;
    });
  }

  async ensureSeries(series: SeriesInfo[]): Promise<Map<string, StoredSeries>> {
    return this.guard('writing series', async () => {
      const out = new Map<string, StoredSeries>();
      for (const part of slices(series)) {
        await this.p.query(`INSERT IGNORE INTO g3_series (name, type, min_level) VALUES ${part.map(() => '(?, ?, ?)').join(',')}`, part.flatMap((s) => [s.name, s.type, levelWidth(s.minLevel)]));
        const rows = await this.rows<SeriesRow>(`SELECT id, name, type, min_level FROM g3_series WHERE name IN (${part.map(() => '?').join(',')})`, part.map((s) => s.name));
        for (const r of rows) out.set(r.name, seriesFromRow(r));
      }
      return out;
    });
  }

  /** Runs `fn` in a transaction on one connection; a connection that failed is dropped, not reused. */
  private async transaction<T>(fn: (c: PoolConnection) => Promise<T>): Promise<T> {
    const c = await this.p.getConnection();
    let broken = false;
    try {
      await c.beginTransaction();
      const out = await fn(c);
      await c.commit();
      return out;
    } catch (err) {
      broken = isConnectionError(err);
      if (!broken) await c.rollback().catch(() => undefined);
      throw err;
    } finally {
      if (broken) c.destroy();
      else c.release();
    }
  }

  /** INSERTs rows in batches bounded in rows and bytes. */
  private async insertRows(c: PoolConnection, head: string, tail: string, rows: Value[][]): Promise<void> {
    let i = 0;
    while (i < rows.length) {
      let bytes = 0;
      let j = i;
      while (j < rows.length && j - i < BATCH_ROWS && (j === i || bytes < BATCH_BYTES)) {
        for (const v of rows[j]!) bytes += v instanceof Uint8Array ? v.length : typeof v === 'string' ? v.length * 3 : 8;
        j++;
      }
      const part = rows.slice(i, j);
      const one = `(${part[0]!.map(() => '?').join(', ')})`;
      await c.query(`${head} VALUES ${part.map(() => one).join(', ')} ${tail}`, part.flat());
      i = j;
    }
  }

  async commitFile(u: FileUpdate): Promise<StoredFile> {
    return this.guard(`writing ${u.name}`, () =>
      this.transaction(async (c) => {
        const [found] = await c.execute<RowDataPacket[]>('SELECT id, version FROM g3_files WHERE name = ? FOR UPDATE', [u.name]);
        const row = found[0] as { id: number; version: number } | undefined;
        const fresh = u.basedOn === null;
        if (fresh ? row !== undefined : !row || Number(row.id) !== u.basedOn!.id || Number(row.version) !== u.basedOn!.version) {
          throw new IndexConflictError(`${u.name}: changed in the index since it was read`);
        }
        await c.query('UPDATE g3_generation SET generation = generation + 1 WHERE id = 1');
        const [gen] = await c.query<RowDataPacket[]>('SELECT generation FROM g3_generation WHERE id = 1');
        const generation = Number(gen[0]!.generation);
        const f = u.file;
        const values: Value[] = [
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
          id = Number(row.id);
          await c.execute(
            `UPDATE g3_files SET size = ?, mtime_ms = ?, status = ?, end_offset = ?, next_frame = ?, tail_offset = ?, tail_length = ?, tail_crc = ?,
               issues = ?, error = ?, state = ?, generation = ?, token = ?, version = version + 1 WHERE id = ?`,
            [...values, id],
          );
        } else {
          const [res] = await c.execute<mysql.ResultSetHeader>(
            `INSERT INTO g3_files (name, size, mtime_ms, status, end_offset, next_frame, tail_offset, tail_length, tail_crc, issues, error, state, generation, token, version)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
            [u.name, ...values],
          );
          id = res.insertId;
        }
        const before = u.replace && row ? await this.mergedKeysOf(c, id) : [];
        if (u.replace && row) await this.dropContent(c, id, u.compat.path, u.compat.filename);
        await this.insertRows(
          c,
          'INSERT INTO g3_groups (file_id, n, seq, prefix, fields, classes, start, `end`, closed, entries)',
          'ON DUPLICATE KEY UPDATE seq = VALUES(seq), start = VALUES(start), `end` = VALUES(`end`), closed = VALUES(closed), entries = VALUES(entries)',
          u.groups.map((g) => [id, g.n, g.seq, g.prefix, JSON.stringify(g.fields), JSON.stringify(g.classes), g.start, g.end, g.closed ? 1 : 0, encodeEntries(g.entries)]),
        );
        await this.insertRows(
          c,
          'INSERT INTO g3_summaries (series_id, level, chunk, file_id, data)',
          'ON DUPLICATE KEY UPDATE data = VALUES(data)',
          u.summaries.map((s) => [s.seriesId, levelWidth(s.level), s.chunk, id, s.data]),
        );
        if (u.replace && row) {
          const keys = new Map(before.map((k) => [`${k.seriesId}/${k.level}/${k.chunk}`, k]));
          for (const s of u.summaries) if (s.level >= MERGED_FROM_LEVEL) keys.set(`${s.seriesId}/${s.level}/${s.chunk}`, s);
          await this.recomputeMerged(c, [...keys.values()]);
        } else await this.addToMerged(c, u.merged);
        await this.writeCompat(c, u);
        const [stored] = await c.execute<RowDataPacket[]>('SELECT * FROM g3_files WHERE id = ?', [id]);
        return fileFromRow(stored[0] as FileRow);
      }),
    );
  }

  /** Series, level and chunk of a file's chunks that are also kept merged. */
  private async mergedKeysOf(c: PoolConnection, fileId: number): Promise<{ seriesId: number; level: number; chunk: number }[]> {
    const [rows] = await c.execute<RowDataPacket[]>('SELECT series_id, level, chunk FROM g3_summaries WHERE file_id = ? AND level >= ?', [fileId, levelWidth(MERGED_FROM_LEVEL)]);
    return rows.map((r) => ({ seriesId: Number(r.series_id), level: levelIndex(Number(r.level)), chunk: Number(r.chunk) }));
  }

  /** Adds new buckets to the merged chunks (read, merged and written back under the transaction's locks). */
  private async addToMerged(c: PoolConnection, deltas: SummaryDelta[]): Promise<void> {
    for (const part of slices(deltas, 200)) {
      const [rows] = await c.query<RowDataPacket[]>(
        `SELECT series_id, level, chunk, data FROM g3_summaries WHERE file_id = 0 AND (series_id, level, chunk) IN (${part.map(() => '(?, ?, ?)').join(', ')}) FOR UPDATE`,
        part.flatMap((d) => [d.seriesId, levelWidth(d.level), d.chunk]),
      );
      const old = new Map(rows.map((r) => [`${Number(r.series_id)}/${Number(r.level)}/${Number(r.chunk)}`, r.data as Uint8Array]));
      await this.insertRows(
        c,
        'INSERT INTO g3_summaries (series_id, level, chunk, file_id, data)',
        'ON DUPLICATE KEY UPDATE data = VALUES(data)',
        part.map((d) => [d.seriesId, levelWidth(d.level), d.chunk, 0, addToChunk(old.get(`${d.seriesId}/${levelWidth(d.level)}/${d.chunk}`), d.kind, d.buckets)]),
      );
    }
  }

  /** Makes merged chunks again from every file's (after a file was replaced or removed). */
  private async recomputeMerged(c: PoolConnection, keys: { seriesId: number; level: number; chunk: number }[]): Promise<void> {
    for (const k of keys) {
      const w = levelWidth(k.level);
      const [rows] = await c.execute<RowDataPacket[]>('SELECT data FROM g3_summaries WHERE series_id = ? AND level = ? AND chunk = ? AND file_id <> 0', [k.seriesId, w, k.chunk]);
      const merged = mergeChunks(rows.map((r) => r.data as Uint8Array));
      if (merged) await c.query('INSERT INTO g3_summaries (series_id, level, chunk, file_id, data) VALUES (?, ?, ?, 0, ?) ON DUPLICATE KEY UPDATE data = VALUES(data)', [k.seriesId, w, k.chunk, merged]);
      else await c.execute('DELETE FROM g3_summaries WHERE series_id = ? AND level = ? AND chunk = ? AND file_id = 0', [k.seriesId, w, k.chunk]);
    }
  }

  private async dropContent(c: PoolConnection, id: number, path: string, filename: string): Promise<void> {
    await c.execute('DELETE FROM g3_groups WHERE file_id = ?', [id]);
    await c.execute('DELETE FROM g3_summaries WHERE file_id = ?', [id]);
    await c.execute('DELETE F FROM fields F JOIN feeds E ON F.feed_id = E.id WHERE E.filename = ? AND E.path = ?', [filename, path]);
    await c.execute('DELETE FROM feeds WHERE filename = ? AND path = ?', [filename, path]);
  }

  private async writeCompat(c: PoolConnection, u: FileUpdate): Promise<void> {
    const x = u.compat;
    if (x.filename.length > COMPAT_MAX || x.path.length > COMPAT_MAX) return;
    const feeds = x.feeds.filter((f) => f.description.length <= COMPAT_MAX);
    const scanned = x.scanned ? 1 : 0;
    if (feeds.length > 0) {
      await this.insertRows(
        c,
        'INSERT INTO feeds (filename, path, prov_id, description, scanned)',
        // A row of another file with the same base name (another folder) is left alone.
        'ON DUPLICATE KEY UPDATE description = IF(path = VALUES(path), VALUES(description), description), scanned = IF(path = VALUES(path), VALUES(scanned), scanned)',
        feeds.map((f) => [x.filename, x.path, f.provId, f.description, scanned]),
      );
    }
    await c.execute('UPDATE feeds SET scanned = ? WHERE filename = ? AND path = ?', [scanned, x.filename, x.path]);
    const [idRows] = await c.execute<RowDataPacket[]>('SELECT id, prov_id FROM feeds WHERE filename = ? AND path = ?', [x.filename, x.path]);
    const ids = new Map(idRows.map((r) => [Number(r.prov_id), Number(r.id)]));
    const fieldRows: Value[][] = [];
    const names: Value[][] = [];
    for (const f of feeds) {
      const feedId = ids.get(f.provId);
      if (feedId === undefined) continue;
      for (const fd of f.fields) {
        if (fd.field.length > COMPAT_MAX) continue;
        fieldRows.push([feedId, fd.field, sqlDateTime(fd.start), sqlDateTime(fd.end)]);
        const full = `${f.description}.${fd.field}`;
        if (full.length <= COMPAT_MAX) names.push([full]);
      }
    }
    await this.insertRows(c, 'INSERT INTO fields (feed_id, field, start, `end`)', 'ON DUPLICATE KEY UPDATE start = LEAST(start, VALUES(start)), `end` = GREATEST(`end`, VALUES(`end`))', fieldRows);
    await this.insertRows(c, 'INSERT IGNORE INTO description (description)', '', names);
  }

  async removeFile(id: number, compat: { path: string; filename: string }): Promise<void> {
    await this.guard('removing a file', () =>
      this.transaction(async (c) => {
        await c.query('UPDATE g3_generation SET generation = generation + 1 WHERE id = 1');
        const keys = await this.mergedKeysOf(c, id);
        await this.dropContent(c, id, compat.path, compat.filename);
        await c.execute('DELETE FROM g3_files WHERE id = ?', [id]);
        await this.recomputeMerged(c, keys);
      }),
    );
  }

  async generation(): Promise<number> {
    return this.guard('reading the generation', async () => Number((await this.rows<{ generation: number }>('SELECT generation FROM g3_generation WHERE id = 1'))[0]!.generation));
  }

  async catalogFiles(): Promise<CatalogFile[]> {
    return this.guard('listing files', async () => {
      const rows = await this.rows<{ id: number; name: string; version: number; generation: number; status: string }>('SELECT id, name, version, generation, status FROM g3_files');
      return rows.map((r) => ({ id: Number(r.id), name: r.name, version: Number(r.version), generation: Number(r.generation), status: r.status as FileStatus }));
    });
  }

  async catalogGroups(fileIds: readonly number[]): Promise<CatalogGroup[]> {
    return this.guard('reading groups', async () => {
      const out: CatalogGroup[] = [];
      for (const part of slices(fileIds)) {
        const rows = await this.rows<GroupRow>(`SELECT id, file_id, n, seq, prefix, fields, classes, start, \`end\` FROM g3_groups WHERE file_id IN (${part.map(() => '?').join(',')})`, part);
        for (const r of rows) out.push(catalogGroupFromRow(r));
      }
      return out;
    });
  }

  async series(): Promise<StoredSeries[]> {
    return this.guard('reading series', async () => (await this.rows<SeriesRow>('SELECT id, name, type, min_level FROM g3_series')).map(seriesFromRow));
  }

  async groupEntries(groupIds: readonly number[]): Promise<Map<number, GroupEntry[]>> {
    return this.guard('reading frame offsets', async () => {
      const out = new Map<number, GroupEntry[]>();
      for (const part of slices(groupIds)) {
        const rows = await this.rows<{ id: number; entries: Uint8Array }>(`SELECT id, entries FROM g3_groups WHERE id IN (${part.map(() => '?').join(',')})`, part);
        for (const r of rows) out.set(Number(r.id), decodeEntries(r.entries));
      }
      return out;
    });
  }

  async summaryChunks(seriesId: number, level: number, from: number, to: number): Promise<Uint8Array[]> {
    return this.guard('reading summaries', async () => {
      const rows = await this.rows<{ data: Uint8Array }>(
        `SELECT data FROM g3_summaries WHERE series_id = ? AND level = ? AND chunk BETWEEN ? AND ? AND file_id ${level >= MERGED_FROM_LEVEL ? '= 0' : '<> 0'}`,
        [seriesId, levelWidth(level), from, to],
      );
      return rows.map((r) => r.data);
    });
  }
}
