// Schema creation and upgrades: made on first open (once, when several
// processes open a new index together), an index of the original scanner
// adopted with its rows, and a clear refusal of an index this version
// cannot read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MysqlStore } from '../../src/index/mysql-store.js';
import { IndexScanner } from '../../src/index/scanner.js';
import { SCHEMA_VERSION } from '../../src/index/schema.js';
import { SqliteStore } from '../../src/index/sqlite-store.js';
import { IndexSchemaError } from '../../src/index/store.js';
import { MYSQL, mysqlFactory, referenceCopy, sqliteFactory } from './helpers.js';

test('SQLite: the schema is made on first open and left alone after; a newer one is refused', async () => {
  const f = await sqliteFactory();
  try {
    const s = await f.make();
    assert.equal(await s.getMeta('schema_version'), String(SCHEMA_VERSION));
    await s.close();
    const again = f.again();
    await again.open();
    await again.close();
    const db = new Database(f.name());
    db.prepare("UPDATE g3_meta SET value = '99' WHERE name = 'schema_version'").run();
    db.close();
    await assert.rejects(f.again().open(), (err: unknown) => err instanceof IndexSchemaError && /schema version 99, newer/.test((err as Error).message));
  } finally {
    await f.cleanup();
  }
});

test('MariaDB: processes opening a new index together make the schema once', async () => {
  const f = await mysqlFactory();
  try {
    await (await f.make()).close();
    await f.sql('DROP TABLE g3_meta, g3_generation, g3_files, g3_groups, g3_series, g3_summaries, feeds, fields, description');
    const stores = [f.again(), f.again(), f.again()];
    await Promise.all(stores.map((s) => s.open()));
    for (const s of stores) await s.close();
    assert.deepEqual(await f.sql("SELECT value FROM g3_meta WHERE name = 'schema_version'"), [{ value: String(SCHEMA_VERSION) }]);
    assert.deepEqual(await f.sql('SELECT generation FROM g3_generation'), [{ generation: 0 }]);
  } finally {
    await f.cleanup();
  }
});

test("MariaDB: an index of the original scanner is adopted with its rows; its later 'file_info' layout is refused clearly", async () => {
  const f = await mysqlFactory();
  const ref = await referenceCopy(['16499/1649997600.g3']);
  const c = await mysql.createConnection(MYSQL);
  try {
    await (await f.make()).close();
    const db = f.name();
    await c.query(`DROP DATABASE \`${db}\``);
    await c.query(`CREATE DATABASE \`${db}\` DEFAULT CHARACTER SET 'utf8'`);
    await c.query(`USE \`${db}\``);
    // What the original init_tables made, with a row of its own.
    await c.query('CREATE TABLE feeds (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, filename varchar(255), path varchar(255), prov_id INT, description varchar(255), scanned BOOL NOT NULL DEFAULT 0)');
    await c.query('CREATE UNIQUE INDEX feed_index ON feeds (`filename`, `prov_id`)');
    await c.query('CREATE TABLE fields (feed_id INT NOT NULL, field varchar(255), start DATETIME(6), end DATETIME(6))');
    await c.query('CREATE UNIQUE INDEX index_field ON fields (`feed_id`, `field`)');
    await c.query('CREATE TABLE description (description varchar(255) NOT NULL PRIMARY KEY)');
    await c.query("INSERT INTO feeds (filename, path, prov_id, description, scanned) VALUES ('old.g3', '/data/15529', 0, 'observatory.LSA22ZC', 1)");
    await c.query("INSERT INTO description VALUES ('observatory.LSA22ZC.channel_01_t')");
    const store = f.again();
    await store.open();
    await new IndexScanner({ root: ref.dir, store, interval: 0, watch: false }).pass();
    await store.close();
    const feeds = await f.sql('SELECT filename FROM feeds ORDER BY id');
    assert.equal(feeds[0]!.filename, 'old.g3', 'its rows are kept');
    assert.ok(feeds.some((r) => r.filename === '1649997600.g3'), 'ours are added beside');
    assert.equal((await f.sql("SELECT * FROM description WHERE description = 'observatory.LSA22ZC.channel_01_t'")).length, 1);

    // The original's later layout (filenames moved to file_info) cannot be written as the contract's tables.
    await c.query('DROP TABLE feeds, fields, description, g3_meta');
    await c.query('CREATE TABLE feeds (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, file_id INT, prov_id INT, description varchar(255))');
    await assert.rejects(f.again().open(), (err: unknown) => err instanceof IndexSchemaError && /lacks column\(s\) filename, path, scanned/.test((err as Error).message));
  } finally {
    await c.end();
    await ref.cleanup();
    await f.cleanup();
  }
});

test('a store that cannot be reached says so and where', async () => {
  const s = new MysqlStore({ host: '127.0.0.1', port: 1, user: 'root', database: 'nowhere', connectTimeout: 500 });
  await assert.rejects(s.open(), (err: unknown) => err instanceof Error && err.name === 'IndexUnavailableError' && /127\.0\.0\.1:1\/nowhere.*ECONNREFUSED/.test(err.message));
  const f = await sqliteFactory();
  try {
    await (await f.make()).close();
    // A path through a file: no folder can be made there.
    await assert.rejects(new SqliteStore({ path: join(f.name(), 'sub', 'index.sqlite') }).open(), /ENOTDIR|not a directory/);
  } finally {
    await f.cleanup();
  }
});
