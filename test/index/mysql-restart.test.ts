// The index database killed (kill -9) in the middle of a first scan, between
// two files and again while a file's transaction is in flight, and started
// again on the same data and port: the scanner waits and goes on, readers
// get a clear error meanwhile and answer again after, and the index ends up
// exactly as one uninterrupted scan makes it (no file skipped, none counted
// twice). A private server, so the machine's shared one is never touched.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { generateArchive, type ArchiveSpec } from '../../src/g3/index.js';
import { MysqlStore } from '../../src/index/mysql-store.js';
import { IndexScanner, type PassStats } from '../../src/index/scanner.js';
import { IndexUnavailableError, type FileUpdate, type StoredFile } from '../../src/index/store.js';
import { G3ReaderSource } from '../../src/servers/g3-reader/source.js';
import { bruteForceSummaries, comparable, indexedGroupsAsTruth, libraryArchive, referenceCopy, sqliteFactory, storedBuckets } from './helpers.js';
import { startPrivateMariadb, type PrivateMariadb } from './private-mariadb.js';

const SPEC: ArchiveSpec = {
  start: 1710000000.5,
  duration: 4 * 3600,
  fileSeconds: 400,
  seed: 3,
  providers: [
    { address: 'observatory.a.feeds.a', frameLength: 30, blocks: [{ name: 'a', rate: 5, jitter: 0.001, fields: [{ name: 'x', kind: 'float' }, { name: 'n', kind: 'int', range: [0, 9] }] }] },
    { address: 'observatory.b.feeds.b', frameLength: 120, blocks: [{ name: 'b', rate: 1, jitter: 0.001, fields: [{ name: 'y', kind: 'float' }] }] },
  ],
};

let db: PrivateMariadb;
let archive: { dir: string; cleanup: () => Promise<void> };
let files: string[];

before(async () => {
  db = await startPrivateMariadb();
  archive = await referenceCopy([]);
  files = (await generateArchive(archive.dir, SPEC)).files.map((f) => f.name);
});

after(async () => {
  await db?.cleanup();
  await archive?.cleanup();
});

/** A store whose server gets killed right after a chosen commit has been sent. */
class KillingStore extends MysqlStore {
  commits = 0;
  killAt = -1;
  onKill: (() => void) | undefined;

  override async commitFile(u: FileUpdate): Promise<StoredFile> {
    const pending = super.commitFile(u);
    if (++this.commits === this.killAt) setImmediate(() => this.onKill?.());
    return pending;
  }
}

test('the database restarted twice mid-scan: the scan goes on and the index equals an uninterrupted one', async () => {
  const options = { host: '127.0.0.1', port: db.port, user: 'root', database: 'sisock_restart', connectTimeout: 1000 };
  const store = new KillingStore(options);
  await store.open();
  const reader = new G3ReaderSource({ store: new MysqlStore(options), refreshInterval: 0 });
  const scanner = new IndexScanner({ root: archive.dir, store, interval: 0, watch: false, backoff: { initialDelay: 50, maxDelay: 400, factor: 2, jitter: 0.2 } });
  let outages = 0;
  scanner.on('unavailable', () => outages++);
  let readerError: unknown;
  try {
    await reader.start();
    let restarting: Promise<void> | undefined;
    const killAndRestart = (): void => {
      restarting = (async () => {
        await db.kill9();
        // While it is away, a reader says so instead of hanging or answering wrong.
        readerError = await reader.getFields({ start: 1, end: 4e9 }).then(
          () => reader.getData({ fields: ['observatory.a.feeds.a.x'], start: 0, end: 4e9, minStride: null, maxPoints: null }),
        ).then(() => undefined, (err: unknown) => err);
        await new Promise((r) => setTimeout(r, 300));
        await db.start();
      })();
    };
    // First kill: between two files. Second: with a file's transaction in flight.
    let indexed = 0;
    scanner.on('file', () => {
      if (++indexed === 5) killAndRestart();
    });
    store.killAt = 20;
    store.onKill = () => void restarting?.then(killAndRestart, killAndRestart);
    const done = once(scanner, 'pass');
    scanner.start();
    const [stats] = (await done) as [PassStats];
    await restarting;
    assert.ok(outages >= 2, `the scanner saw the database go away (${outages} times)`);
    assert.ok(readerError instanceof IndexUnavailableError, `a reader gets a clear error meanwhile: ${String(readerError)}`);
    assert.equal(stats.new, files.length, 'each file indexed once');

    const indexedFiles = await store.files();
    assert.deepEqual(indexedFiles.map((f) => f.name).sort(), [...files].sort(), 'every file indexed');
    assert.ok(indexedFiles.every((f) => f.status === 'ok'));

    // The same as a scan that was never interrupted.
    const clean = await sqliteFactory();
    const reference = await clean.make();
    await new IndexScanner({ root: archive.dir, store: reference, interval: 0, watch: false }).pass();
    assert.deepStrictEqual(await indexedGroupsAsTruth(store), await indexedGroupsAsTruth(reference));
    await reference.close();
    await clean.cleanup();
    const brute = await bruteForceSummaries(await libraryArchive(archive.dir, files));
    for (const s of await store.series()) {
      for (let level = s.minLevel; level < 5; level++) {
        const want = [...brute.get(s.name)![level]!.values()].sort((a, b) => a.n - b.n);
        assert.deepStrictEqual(
          (await storedBuckets(store, s.id, level)).map((b) => comparable(b, false)),
          want.map((b) => comparable(b, false)),
          `${s.name} level ${level}: no samples lost or counted twice`,
        );
      }
    }
    // And readers answer again.
    const tls = await reader.getData({ fields: ['observatory.a.feeds.a.x'], start: 0, end: 4e9, minStride: 60, maxPoints: null });
    assert.ok(tls.length > 0 && tls[0]!.t.length > 0);
  } finally {
    await scanner.stop();
    await reader.close();
    await store.close();
  }
});
