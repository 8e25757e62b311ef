// `sisock up` as a user runs it: one command in an empty directory brings up
// the router, the hub and the weather node, says where they listen, lets
// `sisock status` find them, restarts a crashed part, and stops everything
// on SIGINT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, SISOCK_BIN, spawnSisock, waitFor } from '../helpers/sisock.js';

/** pid and command line of each child of `pid` */
function children(pid: number): { pid: number; args: string }[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const m = /^\s*(\d+)\s+(.*)$/.exec(l)!;
        return { pid: Number(m[1]), args: m[2]! };
      });
  } catch {
    return [];
  }
}

async function status(cwd: string): Promise<{ name: string; fields: number | null }[]> {
  const s = await spawnSisock(['status', '--json', '--timeout', '2'], { cwd, untilExit: true, env: { WAMP_SECRET: '', SISOCK_URL: '', SISOCK_CA: '' } });
  if ((await s.exited) !== 0) throw new Error(s.stderr());
  return JSON.parse(s.stdout()) as { name: string; fields: number | null }[];
}

test('sisock up starts everything, sisock status finds it, a crashed part restarts, SIGINT stops all', async (t) => {
  const cwd = await mkdtemp(join(tmpdir(), 'sisock-up-'));
  const up = await spawnSisock(['up', '--tls-port', '0', '--ocs-port', '0'], {
    cwd,
    timeout: 40_000,
    readyPattern: /everything is up[\s\S]*Ctrl-C stops everything\n/,
    // PORT 0: the HTTP bridge takes any free port (5000 may be in use)
    env: { WAMP_SECRET: '', SISOCK_CONSUMER_SECRET: '', SISOCK_URL: '', SISOCK_CA: '', PORT: '0' },
  });
  try {
    const out = up.stdout();
    t.diagnostic(out.split('\n').filter((l) => l.startsWith('sisock up:')).join('\n'));
    assert.match(out, /sisock up: made a CA and a server certificate/);
    assert.match(out, /sisock up: +router +wss:\/\/127\.0\.0\.1:\d+\/ws \(secure, WAMP-CRA\) +ws:\/\/127\.0\.0\.1:\d+\/ws \(open/);
    assert.match(out, /sisock up: +hub +serving the data node list on wss:\/\//, 'components join the secure listener, trusting the generated CA');
    assert.match(out, /sisock up: +weather +serving data node 'apex_archive'/);
    assert.match(out, /sisock up: +http +serving Grafana .* on http:\/\/127\.0\.0\.1:\d+\//);
    assert.match(out, /sisock up: open the web monitor: http:\/\/127\.0\.0\.1:\d+\/monitor\/\?plot=/);
    assert.match(out, /^router +\| sisock router: .* listening on/m, 'child output is prefixed with its name');
    assert.ok(existsSync(join(cwd, '.sisock', 'up.json')));
    assert.ok(existsSync(join(cwd, '.sisock', 'tls', 'ca_cert.pem')));
    assert.equal(statSync(join(cwd, '.sisock', 'secrets', 'server')).mode & 0o777, 0o600, 'generated secrets are private');

    const rows = await waitFor('status to list the weather node', async () => {
      const r = await status(cwd);
      return r.some((n) => n.name === 'apex_archive') ? r : undefined;
    });
    assert.equal(rows.find((r) => r.name === 'apex_archive')?.fields, 5);

    // router, hub, weather, sensors, the simulated OCS agent and its data-feed node, http
    const parts = children(up.pid);
    assert.equal(parts.length, 7, parts.map((p) => p.args).join(' / '));
    const weather = parts.find((p) => p.args.includes('node weather'))!;
    process.kill(weather.pid, 'SIGKILL');
    await waitFor('up to restart the weather node', () => children(up.pid).some((p) => p.args.includes('node weather') && p.pid !== weather.pid), 20_000);
    await waitFor('the restarted node listed again', async () => (await status(cwd)).some((n) => n.name === 'apex_archive'), 20_000);
    assert.match(up.stderr(), /weather +\| exited \(SIGKILL\); restarting in/);

    const pids = children(up.pid).map((p) => p.pid);
    up.kill('SIGINT');
    assert.equal(await up.exited, 0);
    await waitFor('every part gone', () => pids.every((p) => !alive(p)), 10_000);
    assert.ok(!existsSync(join(cwd, '.sisock', 'up.json')), 'up.json removed on stop');
  } finally {
    await up.stop();
    await rm(cwd, { recursive: true, force: true });
  }
});

test('a part whose supervisor dies without cleaning up stops by itself, even while it waits for the router', async () => {
  // A stand-in supervisor: starts `sisock node weather` against a router that is not there, prints its pid.
  const script = `
    const { spawn } = require('node:child_process');
    const c = spawn(process.execPath, [${JSON.stringify(SISOCK_BIN)}, 'node', 'weather', '--url', 'ws://127.0.0.1:9/ws'],
      { stdio: 'ignore', env: { ...process.env, SISOCK_SUPERVISOR_PID: String(process.pid) } });
    console.log(c.pid);
    setInterval(() => {}, 1000);`;
  const supervisor = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = await new Promise<number>((resolve) => supervisor.stdout!.setEncoding('utf8').once('data', (d: string) => resolve(Number(d.trim()))));
  try {
    await waitFor('the node to be running', () => alive(pid));
    supervisor.kill('SIGKILL');
    await waitFor('the orphaned node to stop', () => !alive(pid), 10_000);
  } finally {
    supervisor.kill('SIGKILL');
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
});
