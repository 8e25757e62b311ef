// End to end, without a browser: the README's run command, `sisock up`
// (router with TLS, hub, weather node, HTTP bridge; free ports instead of
// the defaults so tests can run side by side), then Grafana's calls as
// SimpleJson makes them: the health check, /search, /query; the weather
// data must come back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apexDatapoints, request } from './helpers/bridge.js';
import { fixture } from './helpers/fixtures.js';
import { until } from './helpers/stack.js';

const BIN = fileURLToPath(new URL('../../../bin/sisock.js', import.meta.url));

test('sisock up serves the weather data to Grafana through the HTTP bridge', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-up-'));
  const up = spawn(process.execPath, [BIN, 'up', '--tls-port', '0', '--ocs-port', '0', '--state-dir', join(dir, 'state')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    // PORT 0: the bridge takes any free port and says which
    env: { ...process.env, PORT: '0', LOGLEVEL: 'warn' },
  });
  let out = '';
  up.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  up.stderr.setEncoding('utf8').on('data', () => undefined);
  const exited = new Promise<number | null>((resolve) => up.once('exit', (code) => resolve(code)));
  try {
    await until('sisock up to start everything', () => /everything is up/.test(out) || up.exitCode !== null, 60_000);
    const m = /sisock http: serving .* on (http:\/\/127\.0\.0\.1:\d+)\/ \(router (wss?):/.exec(out);
    assert.ok(m, `the bridge says where it listens:\n${out}`);
    assert.equal(m[2], 'wss', 'the bridge joins the secure listener, trusting the CA up made');
    const base = m[1] as string;

    await until('the bridge to be healthy', async () => (await request(`${base}/`).catch(() => ({ status: 0 }))).status === 200, 30_000);
    // sisock up runs other nodes too (sensors, the simulated feeds): look at the weather node's fields
    const weather = (names: unknown): string[] => (names as string[]).filter((n) => n.startsWith('apex_archive::'));
    await until('the weather fields', async () => weather((await request(`${base}/search`, { body: { target: '' } })).json).length === 5, 30_000);
    const search = await request(`${base}/search`, { body: fixture('sj-search-open').body });
    assert.deepEqual(weather(search.json), [
      'apex_archive::apex_humidity',
      'apex_archive::apex_pressure',
      'apex_archive::apex_radiometer',
      'apex_archive::apex_temperature',
      'apex_archive::apex_windspeed',
    ]);
    const body = fixture('sj-query-grafana5').body as { range: { from: string; to: string } };
    const q = await request(`${base}/query`, { body });
    assert.equal(q.status, 200, q.text);
    const series = q.json as { target: string; refId: string; datapoints: [number, number][] }[];
    assert.deepEqual(
      series.map((s) => [s.target, s.refId]),
      [
        ['apex_archive::apex_temperature', 'A'],
        ['apex_archive::apex_humidity', 'B'],
      ],
    );
    // 16 days of hourly data at a 20 min stride: every sample comes back
    const expected = apexDatapoints('apex_temperature', Date.parse(body.range.from), Date.parse(body.range.to));
    assert.deepEqual(series[0]?.datapoints, expected);
  } finally {
    up.kill('SIGINT');
    const code = await exited;
    rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, out);
  }
});
