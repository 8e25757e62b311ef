// The index schema, versioned. Version n of the schema is what migrations
// 1..n create; a store records the version it reached in g3_meta and applies
// the missing migrations at open, under a lock, so several processes
// starting at once upgrade it once. The original scanner's tables are
// created exactly as it created them, only when absent (an existing
// original index is adopted as it is).

export const SCHEMA_VERSION = 1;

export type Dialect = 'sqlite' | 'mysql';

/** Made before anything else: it records the schema version. */
export const META_TABLE: Record<Dialect, string> = {
  mysql: 'CREATE TABLE IF NOT EXISTS g3_meta (name VARCHAR(64) NOT NULL PRIMARY KEY, value TEXT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
  sqlite: 'CREATE TABLE IF NOT EXISTS g3_meta (name TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL)',
};

/** The original scanner's tables, as its init_tables made them (MySQL). */
export const COMPAT_TABLES_MYSQL: Record<string, string[]> = {
  feeds: [
    'CREATE TABLE feeds (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, filename varchar(255), path varchar(255), prov_id INT, description varchar(255), scanned BOOL NOT NULL DEFAULT 0)',
    'CREATE UNIQUE INDEX feed_index ON feeds (`filename`, `prov_id`)',
  ],
  fields: [
    'CREATE TABLE fields (feed_id INT NOT NULL, field varchar(255), start DATETIME(6), end DATETIME(6))',
    'CREATE UNIQUE INDEX index_field ON fields (`feed_id`, `field`)',
  ],
  description: ['CREATE TABLE description (description varchar(255) NOT NULL PRIMARY KEY)'],
};

/** The same tables in SQLite's types. */
export const COMPAT_TABLES_SQLITE: Record<string, string[]> = {
  feeds: [
    'CREATE TABLE feeds (id INTEGER PRIMARY KEY AUTOINCREMENT, filename TEXT, path TEXT, prov_id INTEGER, description TEXT, scanned INTEGER NOT NULL DEFAULT 0)',
    'CREATE UNIQUE INDEX feed_index ON feeds (filename, prov_id)',
  ],
  fields: [
    'CREATE TABLE fields (feed_id INTEGER NOT NULL, field TEXT, start TEXT, `end` TEXT)',
    'CREATE UNIQUE INDEX index_field ON fields (feed_id, field)',
  ],
  description: ['CREATE TABLE description (description TEXT NOT NULL PRIMARY KEY)'],
};

// Names compare byte for byte in MySQL (its default collations ignore case).
const BIN = 'CHARACTER SET utf8mb4 COLLATE utf8mb4_bin';
const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4';

/** Migration n (1-based) takes the schema from version n-1 to n. */
export const MIGRATIONS: Record<Dialect, string[][]> = {
  mysql: [
    [
      `CREATE TABLE IF NOT EXISTS g3_generation (id INT NOT NULL PRIMARY KEY, generation BIGINT NOT NULL) ${TABLE}`,
      'INSERT IGNORE INTO g3_generation (id, generation) VALUES (1, 0)',
      `CREATE TABLE IF NOT EXISTS g3_files (
        id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        name VARCHAR(700) ${BIN} NOT NULL,
        size BIGINT NOT NULL, mtime_ms DOUBLE NOT NULL, status VARCHAR(16) NOT NULL,
        end_offset BIGINT NOT NULL, next_frame INT NOT NULL,
        tail_offset BIGINT NULL, tail_length BIGINT NULL, tail_crc BIGINT NULL,
        issues MEDIUMTEXT NULL, error TEXT NULL, state MEDIUMTEXT NULL,
        version INT NOT NULL, generation BIGINT NOT NULL, token VARCHAR(40) NOT NULL,
        UNIQUE KEY g3_files_name (name)) ${TABLE}`,
      `CREATE TABLE IF NOT EXISTS g3_groups (
        id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        file_id INT NOT NULL, n INT NOT NULL, seq INT NOT NULL,
        prefix VARCHAR(700) ${BIN} NOT NULL, fields MEDIUMTEXT NOT NULL, classes MEDIUMTEXT NOT NULL,
        start DOUBLE NOT NULL, \`end\` DOUBLE NOT NULL, closed BOOL NOT NULL, entries MEDIUMBLOB NOT NULL,
        UNIQUE KEY g3_groups_file (file_id, n)) ${TABLE}`,
      `CREATE TABLE IF NOT EXISTS g3_series (
        id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        name VARCHAR(700) ${BIN} NOT NULL, type VARCHAR(8) NOT NULL, min_level INT NOT NULL,
        UNIQUE KEY g3_series_name (name)) ${TABLE}`,
      `CREATE TABLE IF NOT EXISTS g3_summaries (
        series_id INT NOT NULL, level INT NOT NULL, chunk INT NOT NULL, file_id INT NOT NULL, data MEDIUMBLOB NOT NULL,
        PRIMARY KEY (series_id, level, chunk, file_id), KEY g3_summaries_file (file_id)) ${TABLE}`,
    ],
  ],
  sqlite: [
    [
      'CREATE TABLE IF NOT EXISTS g3_generation (id INTEGER PRIMARY KEY, generation INTEGER NOT NULL)',
      'INSERT OR IGNORE INTO g3_generation (id, generation) VALUES (1, 0)',
      `CREATE TABLE IF NOT EXISTS g3_files (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL, mtime_ms REAL NOT NULL, status TEXT NOT NULL,
        end_offset INTEGER NOT NULL, next_frame INTEGER NOT NULL,
        tail_offset INTEGER, tail_length INTEGER, tail_crc INTEGER,
        issues TEXT, error TEXT, state TEXT,
        version INTEGER NOT NULL, generation INTEGER NOT NULL, token TEXT NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS g3_groups (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        file_id INTEGER NOT NULL, n INTEGER NOT NULL, seq INTEGER NOT NULL,
        prefix TEXT NOT NULL, fields TEXT NOT NULL, classes TEXT NOT NULL,
        start REAL NOT NULL, \`end\` REAL NOT NULL, closed INTEGER NOT NULL, entries BLOB NOT NULL,
        UNIQUE (file_id, n))`,
      `CREATE TABLE IF NOT EXISTS g3_series (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE, type TEXT NOT NULL, min_level INTEGER NOT NULL)`,
      // A rowid table: its rows hold chunks of several kB in their pages
      // (a WITHOUT ROWID table would spill them to overflow pages).
      `CREATE TABLE IF NOT EXISTS g3_summaries (
        series_id INTEGER NOT NULL, level INTEGER NOT NULL, chunk INTEGER NOT NULL, file_id INTEGER NOT NULL, data BLOB NOT NULL,
        UNIQUE (series_id, level, chunk, file_id))`,
      'CREATE INDEX IF NOT EXISTS g3_summaries_file ON g3_summaries (file_id)',
    ],
  ],
};

/** The columns the original `feeds` table must have for us to write it. */
export const COMPAT_FEEDS_COLUMNS = ['id', 'filename', 'path', 'prov_id', 'description', 'scanned'];

export function compatLayoutMessage(missing: string[]): string {
  return (
    `the existing 'feeds' table lacks column(s) ${missing.join(', ')}: it has a layout other than the original scanner's first one ` +
    "(perhaps its later 'file_info' layout); index into a fresh database instead"
  );
}
