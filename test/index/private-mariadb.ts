// A MariaDB server of a test's own (temporary data folder, ephemeral port),
// to kill and restart without touching the machine's shared server.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';

const MARIADBD = '/usr/sbin/mariadbd';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface PrivateMariadb {
  port: number;
  /** SIGKILL, and wait for the process to be gone. */
  kill9(): Promise<void>;
  /** Starts it again on the same data folder and port; resolves once it answers. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  cleanup(): Promise<void>;
}

export async function startPrivateMariadb(): Promise<PrivateMariadb> {
  const dir = await mkdtemp(join(tmpdir(), 'sisock-mariadb-'));
  const data = join(dir, 'data');
  const user = userInfo().username;
  const install = spawnSync('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, `--user=${user}`, '--auth-root-authentication-method=normal', '--skip-test-db'], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr}`);
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const start = async (): Promise<void> => {
    child = spawn(
      MARIADBD,
      [
        '--no-defaults',
        `--datadir=${data}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(dir, 'sock')}`,
        `--pid-file=${join(dir, 'pid')}`,
        // Its own temporary folder: never touch the shared server's temporary tables.
        `--tmpdir=${dir}`,
        `--user=${user}`,
        '--skip-grant-tables',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=32M',
      ],
      { stdio: 'ignore' },
    );
    const c = child;
    exited = new Promise((resolve) => c.once('exit', () => resolve()));
    const until = Date.now() + 20_000;
    for (;;) {
      try {
        const conn = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 1000 });
        await conn.end();
        return;
      } catch (err) {
        if (Date.now() > until || c.exitCode !== null) throw new Error(`private mariadbd did not start: ${(err as Error).message}`, { cause: err });
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  await start();
  return {
    port,
    async kill9() {
      child?.kill('SIGKILL');
      await exited;
    },
    start,
    async cleanup() {
      child?.kill('SIGKILL');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
