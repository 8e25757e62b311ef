// Shared by the index tests: a copy of the reference archive to work on,
// databases of their own (SQLite files, MariaDB databases with unique
// names), the index read back in the truth's shape, and brute-force
// summaries over raw samples.
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { HKArchiveScanner, type Column, type HKArchive } from '../../src/g3/index.js';
import type { DamagePolicy } from '../../src/index/file-groups.js';
import { MysqlStore, type MysqlStoreOptions } from '../../src/index/mysql-store.js';
import { SqliteStore } from '../../src/index/sqlite-store.js';
import type { IndexStore } from '../../src/index/store.js';
import { bucketOf, decodeChunk, LEVEL_WIDTHS, mergeBuckets, type Bucket } from '../../src/index/summaries.js';
import { REFERENCE, truth } from '../g3/fixtures.js';

export { REFERENCE, truth };

export const ARCHIVE = truth<{ files: string[]; field_groups: unknown[]; get_fields: unknown; get_data: unknown; queries: unknown[] }>('archive_all.json');

/** A fresh folder with a copy of the reference archive (without the truth). */
export async function referenceCopy(files: readonly string[] = ARCHIVE.files): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sisock-g3index-'));
  for (const f of files) await cp(join(REFERENCE, f), join(dir, f), { recursive: true });
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };

export interface StoreFactory {
  kind: 'sqlite' | 'mysql';
  /** A new, empty index. */
  make(): Promise<IndexStore>;
  /** Another connection to the last index made (a second process would open it so). */
  again(): IndexStore;
  /** The last index made: its file (SQLite) or database name (MariaDB). */
  name(): string;
  /** Runs SQL on the last index made (to look at the original scanner's tables). */
  sql(query: string): Promise<Record<string, unknown>[]>;
  cleanup(): Promise<void>;
}

export async function sqliteFactory(): Promise<StoreFactory> {
  const dir = await mkdtemp(join(tmpdir(), 'sisock-g3index-db-'));
  let n = 0;
  let last = '';
  return {
    kind: 'sqlite',
    async make() {
      last = join(dir, `index-${n++}.sqlite`);
      const s = new SqliteStore({ path: last });
      await s.open();
      return s;
    },
    again: () => new SqliteStore({ path: last }),
    name: () => last,
    async sql(query) {
      const db = new Database(last, { readonly: true });
      try {
        return db.prepare(query).all() as Record<string, unknown>[];
      } finally {
        db.close();
      }
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** MariaDB databases named uniquely for this test file, dropped at the end. */
export async function mysqlFactory(options: Partial<MysqlStoreOptions> = {}): Promise<StoreFactory> {
  const tag = randomBytes(4).toString('hex');
  const made: string[] = [];
  const base = { ...MYSQL, ...options };
  let last: MysqlStoreOptions | undefined;
  return {
    kind: 'mysql',
    async make() {
      const database = `sisock_test_${tag}_${made.length}`;
      made.push(database);
      last = { ...base, database };
      const s = new MysqlStore(last);
      await s.open();
      return s;
    },
    again: () => new MysqlStore(last!),
    name: () => last!.database,
    async sql(query) {
      const c = await mysql.createConnection({ ...base, database: last!.database, dateStrings: true });
      try {
        const [rows] = await c.query(query);
        return rows as Record<string, unknown>[];
      } finally {
        await c.end();
      }
    },
    async cleanup() {
      const c = await mysql.createConnection({ host: base.host, port: base.port, user: base.user, password: base.password });
      try {
        for (const d of made) await c.query(`DROP DATABASE IF EXISTS \`${d}\``);
      } finally {
        await c.end();
      }
    },
  };
}

/** The field groups of an index, in archive order, as archive_all.json writes them. */
export async function indexedGroupsAsTruth(store: IndexStore): Promise<unknown[]> {
  const files = (await store.catalogFiles()).sort((a, b) => (a.name < b.name ? -1 : 1));
  const groups = await store.catalogGroups(files.map((f) => f.id));
  const entries = await store.groupEntries(groups.map((g) => g.id));
  const out: unknown[] = [];
  for (const f of files) {
    for (const g of groups.filter((x) => x.fileId === f.id).sort((a, b) => a.seq - b.seq)) {
      out.push({
        prefix: g.prefix,
        fields: g.fields,
        cover: [[g.start, g.end]],
        index_info: entries.get(g.id)!.map((e) => ({ filename: f.name, byte_offset: e.offset, block_index: e.blockIndex, count: e.count, time_range: [e.first, e.last], counter: -1 })),
      });
    }
  }
  return out;
}

/** The g3 library's archive over the same files (the reference for data and summaries). */
export async function libraryArchive(dir: string, files: readonly string[], policy: DamagePolicy = 'skip'): Promise<HKArchive> {
  const scanner = new HKArchiveScanner({ onError: policy });
  for (const f of files) await scanner.processFile(join(dir, f), { name: f });
  return scanner.finalize({ resolve: (n) => join(dir, n) });
}

function valuesOf(c: Column): (number | string)[] {
  switch (c.dtype) {
    case 'float64':
      return Array.from(c.values);
    case 'int64':
      return Array.from(c.values as ArrayLike<number | bigint>, (x) => Number(x));
    case 'bool':
      return Array.from(c.values);
    case 'str':
      return c.values;
  }
}

/** Summaries by brute force: every raw sample of every field, bucketed at every level. */
export async function bruteForceSummaries(archive: HKArchive): Promise<Map<string, Map<number, Bucket>[]>> {
  const { data, timelines } = await archive.getData();
  const out = new Map<string, Map<number, Bucket>[]>();
  for (const tl of timelines.values()) {
    for (const f of tl.fields) {
      const v = valuesOf(data.get(f)!);
      const levels = LEVEL_WIDTHS.map(() => new Map<number, Bucket>());
      const isString = data.get(f)!.dtype === 'str';
      for (let i = 0; i < tl.t.length; i++) {
        const t = tl.t[i]!;
        const x = v[i]!;
        levels.forEach((m, level) => {
          const n = bucketOf(t, level);
          let b = m.get(n);
          if (!b) m.set(n, (b = { n, count: 0, tFirst: Infinity, vFirst: NaN, tLast: -Infinity, vLast: NaN, tMin: NaN, vMin: NaN, tMax: NaN, vMax: NaN }));
          b.count++;
          if (t < b.tFirst) [b.tFirst, b.vFirst] = [t, x];
          if (t > b.tLast) [b.tLast, b.vLast] = [t, x];
          if (!isString && typeof x === 'number' && x === x) {
            if (!(b.vMin === b.vMin) || x < b.vMin || (x === b.vMin && t < b.tMin)) [b.vMin, b.tMin] = [x, t];
            if (!(b.vMax === b.vMax) || x > b.vMax || (x === b.vMax && t < b.tMax)) [b.vMax, b.tMax] = [x, t];
          }
        });
      }
      out.set(f, levels);
    }
  }
  return out;
}

/** Every stored bucket of a series at a level, merged across files. */
export async function storedBuckets(store: IndexStore, seriesId: number, level: number): Promise<Bucket[]> {
  const chunks = await store.summaryChunks(seriesId, level, -(2 ** 31), 2 ** 31);
  return mergeBuckets(chunks.map((c) => decodeChunk(c).buckets));
}

/** Buckets comparable with deepEqual (strings as stored, NaN kept as NaN). */
export function comparable(b: Bucket, isString: boolean): unknown {
  return isString
    ? { n: b.n, count: b.count, tFirst: b.tFirst, vFirst: String(b.vFirst), tLast: b.tLast, vLast: String(b.vLast) }
    : { n: b.n, count: b.count, tFirst: b.tFirst, vFirst: b.vFirst, tLast: b.tLast, vLast: b.vLast, tMin: b.tMin, vMin: b.vMin, tMax: b.tMax, vMax: b.vMax };
}
