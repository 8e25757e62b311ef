// `sisock scan` and `sisock node g3-reader` as an operator runs them, with
// the original's variables (DATA_DIRECTORY, SCAN_INTERVAL, SQL_HOST,
// SQL_USER, SQL_PASSWD, SQL_DB): the scanner keeps a MariaDB index up to
// date, the reader serves it through the router, a file written later is
// served, both stop cleanly; and the one-walk form with its exit codes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WampClient } from '../../../src/client/client.js';
import { SqliteStore } from '../../../src/index/sqlite-store.js';
import { ARCHIVE, mysqlFactory, REFERENCE, referenceCopy, type StoreFactory } from '../../index/helpers.js';
import { spawnSisock, waitFor, type SisockProcess } from '../../helpers/sisock.js';
import { consumer, getData, getFields, startRouter, TEST_TLS, type RouterUnderTest } from '../../helpers/datanode.js';

const bin = fileURLToPath(new URL('../../../../bin/sisock.js', import.meta.url));

let router: RouterUnderTest;
let archive: { dir: string; cleanup: () => Promise<void> };
let maria: StoreFactory;
let scan: SisockProcess;
let node: SisockProcess;
let c: WampClient;

before(async () => {
  router = await startRouter();
  archive = await referenceCopy(['16499/1649997600.g3', '16500/1650001219.g3']);
  maria = await mysqlFactory();
  await (await maria.make()).close();
  const database = maria.name();
  const sql = { SQL_HOST: '127.0.0.1', SQL_USER: 'root', SQL_PASSWD: '', SQL_DB: database };
  scan = await spawnSisock(['scan'], { env: { ...sql, DATA_DIRECTORY: archive.dir, SCAN_INTERVAL: '3600' }, readyPattern: /indexing .* into mysql:/, timeout: 20_000 });
  await waitFor('the first walk', () => /2 files, 2 new/.test(scan.stdout()), 20_000);
  node = await spawnSisock(['node', 'g3-reader', '--refresh', '0.2'], {
    env: { ...sql, SISOCK_URL: router.tlsUrl, SISOCK_CA: TEST_TLS.caFile, WAMP_SECRET: router.secrets.server, SISOCK_REALM: router.realm },
    readyPattern: /serving data node 'g3_reader'/,
    timeout: 20_000,
  });
  c = await consumer(router);
});

after(async () => {
  await c?.close();
  await node?.stop();
  await scan?.stop();
  await router?.close();
  await maria?.cleanup();
  await archive?.cleanup();
});

test('the scanner and the reader from the command line: served through the router, a file written later too, and a clean stop', async () => {
  const [fields] = await getFields(c, 'g3_reader', 1, 0);
  assert.ok('observatory.bluefors.feeds.bluefors.pressure_ch1' in fields);
  const weather = 'observatory.apex-weather.feeds.weather.humidity';
  assert.ok(!(weather in fields));
  await mkdir(join(archive.dir, '16500'), { recursive: true });
  await copyFile(join(REFERENCE, '16500/1650004896.g3'), join(archive.dir, '16500/1650004896.g3'));
  await waitFor('the new file is served', async () => (await getData(c, 'g3_reader', [weather], 1, 0)).data[weather]!.length > 0, 15_000);
  assert.equal(await scan.stop(), 0);
  assert.equal(await node.stop(), 0);
  assert.ok(scan.logs().some((l) => l.msg === 'scan pass done' && l.new === 2), 'a summary line in the logs');
});

test('sisock scan --once: one walk into a SQLite index, a summary line, and exit codes for bad settings', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sisock-scan-once-'));
  const ref = await referenceCopy();
  try {
    const index = join(dir, 'index.sqlite');
    const run = (args: string[]) => spawnSync(process.execPath, [bin, 'scan', ...args], { encoding: 'utf8', env: { ...process.env, LOGLEVEL: 'warn', SQL_HOST: '' } });
    const ok = run(['--once', '--data-dir', ref.dir, '--index-file', index]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /7 files, 7 new, 0 grown, 0 rewritten, 0 removed, 1 still being written, 1 with damaged frames/);
    const again = run(['--once', '--data-dir', ref.dir, '--index-file', index]);
    assert.match(again.stdout, /0 new/);
    const store = new SqliteStore({ path: index });
    await store.open();
    assert.equal((await store.files()).length, ARCHIVE.files.length);
    await store.close();
    assert.equal(run(['--once', '--data-dir', ref.dir, '--damage', 'maybe']).status, 2);
    assert.equal(run(['--once', '--data-dir', join(dir, 'nowhere'), '--index-file', index]).status, 1);
    const refused = run(['--once', '--data-dir', ref.dir, '--index', 'mysql']);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /SQL_HOST/);
  } finally {
    await ref.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
});
