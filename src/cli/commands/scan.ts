// `sisock scan`: the g3 scanner. Keeps the index of the .g3 archive under
// DATA_DIRECTORY up to date: a walk every SCAN_INTERVAL seconds, file-system
// events in between, each file committed on its own (stop it any time; it
// goes on where it was). The index is SQLite in a file by default, or
// MariaDB/MySQL with the original's variables (SQL_HOST, SQL_USER,
// SQL_PASSWD, SQL_DB). Exit codes: 0 stopped (or --once done), 1 failed,
// 2 bad usage.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { WriteStream } from 'node:tty';
import { IndexScanner, type PassStats } from '../../index/scanner.js';
import { MysqlStore } from '../../index/mysql-store.js';
import { SqliteStore } from '../../index/sqlite-store.js';
import type { IndexStore } from '../../index/store.js';
import { createLogger } from '../../log/logger.js';
import { formatHelp, parseCommandLine, UsageError, type OptionSpecs, type Resolved } from '../options.js';
import { untilStopped } from '../signals.js';

/** Where the index is (shared with `sisock node g3-reader`). */
export const indexOptions = {
  index: { flag: 'index', type: 'string', env: 'SISOCK_G3_INDEX', key: 'g3.index', description: "index store: 'sqlite' or 'mysql' (default: mysql when SQL_HOST is set, else sqlite)" },
  indexFile: { flag: 'index-file', type: 'string', env: 'SISOCK_G3_INDEX_FILE', key: 'g3.index_file', default: 'g3-index.sqlite', description: 'SQLite index file' },
  sqlHost: { flag: 'sql-host', type: 'string', env: 'SQL_HOST', key: 'g3.sql_host', description: 'MariaDB/MySQL host, or host:port' },
  sqlPort: { flag: 'sql-port', type: 'number', env: 'SQL_PORT', key: 'g3.sql_port', default: 3306, description: 'MariaDB/MySQL port' },
  sqlUser: { flag: 'sql-user', type: 'string', env: 'SQL_USER', key: 'g3.sql_user', default: 'root', description: 'MariaDB/MySQL user' },
  sqlPasswd: { flag: 'sql-passwd', type: 'string', env: 'SQL_PASSWD', key: 'g3.sql_passwd', default: '', description: 'MariaDB/MySQL password' },
  sqlDb: { flag: 'sql-db', type: 'string', env: 'SQL_DB', key: 'g3.sql_db', default: 'files', description: 'MariaDB/MySQL database (created when absent)' },
} satisfies OptionSpecs;

export type IndexSettings = Resolved<typeof indexOptions>;

/** The store the settings name (not opened yet). Throws UsageError for bad settings. */
export function indexStoreFrom(s: IndexSettings): IndexStore {
  const kind = s.index ?? (s.sqlHost ? 'mysql' : 'sqlite');
  if (kind === 'sqlite') {
    if (!s.indexFile) throw new UsageError('--index-file must name a file');
    return new SqliteStore({ path: resolve(s.indexFile) });
  }
  if (kind !== 'mysql') throw new UsageError(`--index must be sqlite or mysql, got '${kind}'`);
  if (!s.sqlHost) throw new UsageError('the mysql index needs --sql-host (SQL_HOST)');
  let host = s.sqlHost;
  let port = s.sqlPort;
  const m = /^([^:[\]]+):(\d+)$/.exec(host);
  if (m) {
    host = m[1]!;
    port = Number(m[2]);
  }
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new UsageError(`--sql-port must be 1 to 65535, got ${port}`);
  return new MysqlStore({ host, port, user: s.sqlUser, password: s.sqlPasswd, database: s.sqlDb });
}

export const scanOptions = {
  dataDir: { flag: 'data-dir', type: 'string', env: 'DATA_DIRECTORY', key: 'g3.data_directory', default: '/data', description: 'root of the .g3 archive' },
  interval: { flag: 'scan-interval', type: 'number', env: 'SCAN_INTERVAL', key: 'g3.scan_interval', default: 60, description: 'seconds between walks of the archive (changes are also watched)' },
  once: { flag: 'once', type: 'boolean', default: false, description: 'one walk, then exit' },
  noWatch: { flag: 'no-watch', type: 'boolean', env: 'SISOCK_G3_NO_WATCH', key: 'g3.no_watch', default: false, description: 'walks only: do not pick up changes from file-system events between them' },
  damage: { flag: 'damage', type: 'string', env: 'SISOCK_G3_DAMAGE', key: 'g3.damage', default: 'skip', description: "after a damaged frame: 'skip' it and index the rest of the file, or 'stop' indexing the file there (as so3g)" },
  progress: { flag: 'progress', type: 'string', env: 'SISOCK_G3_PROGRESS', key: 'g3.progress', default: 'auto', description: "progress bar for long walks: 'auto' (on a terminal), 'always' or 'never'" },
  logLevel: { flag: 'log-level', type: 'string', env: 'LOGLEVEL', key: 'g3.log_level', default: 'info', description: 'fatal, error, warn, info, debug, trace or silent' },
  ...indexOptions,
} satisfies OptionSpecs;

function passLine(s: PassStats, files: number): string {
  const parts = [`${files} files`, `${s.new} new`, `${s.grown} grown`, `${s.rewritten} rewritten`, `${s.removed} removed`];
  if (s.unreadable) parts.push(`${s.unreadable} unreadable`);
  if (s.truncated) parts.push(`${s.truncated} still being written`);
  if (s.corrupt) parts.push(`${s.corrupt} with damaged frames`);
  const mb = s.bytes / 1e6;
  return `${parts.join(', ')}; ${mb.toFixed(1)} MB read in ${s.seconds.toFixed(1)} s${s.seconds > 0 ? ` (${(mb / s.seconds).toFixed(0)} MB/s)` : ''}`;
}

export async function run(argv: string[]): Promise<number> {
  let o: Resolved<typeof scanOptions>;
  let store: IndexStore;
  try {
    const parsed = parseCommandLine(scanOptions, argv);
    if (parsed.help) {
      console.log(formatHelp('sisock scan [options]', scanOptions));
      return 0;
    }
    o = parsed.options;
    if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`);
    if (!(o.interval > 0)) throw new UsageError('--scan-interval must be > 0 (use --once for a single walk)');
    if (o.damage !== 'skip' && o.damage !== 'stop') throw new UsageError(`--damage must be skip or stop, got '${o.damage}'`);
    if (!['auto', 'always', 'never'].includes(o.progress)) throw new UsageError(`--progress must be auto, always or never, got '${o.progress}'`);
    store = indexStoreFrom(o);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`sisock scan: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const log = createLogger('scan', o.logLevel);
  const root = resolve(o.dataDir);
  try {
    if (!(await stat(root)).isDirectory()) throw new Error(`${root} is not a folder`);
  } catch (err) {
    console.error(`sisock scan: data directory ${root}: ${(err as Error).message}`);
    return 1;
  }
  try {
    await store.open();
  } catch (err) {
    console.error(`sisock scan: cannot open the index ${store.where}: ${(err as Error).message}`);
    return 1;
  }
  const tty = process.stderr.isTTY ? (process.stderr as WriteStream) : null;
  const progress = o.progress === 'never' ? null : o.progress === 'always' ? (tty ?? (process.stderr as unknown as WriteStream)) : tty;
  const scanner = new IndexScanner({ root, store, interval: o.once ? 0 : o.interval, watch: !o.once && !o.noWatch, policy: o.damage as 'skip' | 'stop', logger: log, progress });
  let files = 0;
  scanner.on('file', () => files++);
  try {
    if (o.once) {
      const stats = await scanner.pass();
      if (stats) console.log(`sisock scan: ${passLine(stats, stats.unchanged + files)}`);
      return 0;
    }
    console.log(`sisock scan: indexing ${root} into ${store.where} (a walk every ${o.interval} s${o.noWatch ? '' : ', watching for changes'})`);
    scanner.on('pass', (s: PassStats) => {
      if (s.new + s.grown + s.rewritten + s.removed > 0) console.log(`sisock scan: ${passLine(s, s.unchanged + s.new + s.grown + s.rewritten + s.unreadable)}`);
    });
    const stopped = untilStopped(scanner);
    scanner.start();
    await stopped;
    return 0;
  } catch (err) {
    console.error(`sisock scan: ${(err as Error).message}`);
    return 1;
  } finally {
    await scanner.stop();
    await store.close();
  }
}
