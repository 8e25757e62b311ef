// Secrets: no component listens beyond loopback with a public default or an
// empty secret (it refuses, with a message that names the user and not the
// secret); the HTTP bridge binds to loopback unless told otherwise and can
// require a bearer token or basic auth; and no secret ever appears in any
// component's output, at the most verbose log level, through good and bad
// logins alike.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WampClient } from '../../src/client/client.js';
import { PUBLIC_DEFAULT_SECRETS } from '../../src/cli/router-defaults.js';
import { spawnRouter, TEST_TLS, type RouterProcess } from '../helpers/router.js';
import { spawnSisock, waitFor, type SisockProcess } from '../helpers/sisock.js';

const CROSSBAR_FIXTURE = fileURLToPath(new URL('../../../test/fixtures/crossbar/config.json', import.meta.url));
/** No secret of the caller's environment may leak into these runs. */
const CLEAN = { WAMP_SECRET: '', SISOCK_CONSUMER_SECRET: '', SISOCK_HUB_SECRET: '', WAMP_USER: '', SISOCK_URL: '', SISOCK_CA: '', SISOCK_HTTP_TOKEN: '', SISOCK_HTTP_USER: '', SISOCK_HTTP_PASSWORD: '' };

const started: SisockProcess[] = [];
const routers: RouterProcess[] = [];
after(async () => {
  for (const p of started.reverse()) await p.stop();
  for (const r of routers) await r.stop();
});

async function refused(args: string[], env: NodeJS.ProcessEnv = {}): Promise<SisockProcess> {
  const p = await spawnSisock(args, { env: { ...CLEAN, ...env }, untilExit: true, timeout: 30_000 });
  return p;
}

describe('no listener beyond loopback with a public or empty secret', () => {
  test('sisock router refuses each public default secret by user name, without printing it', async () => {
    const p = await refused(['router', '--host', '0.0.0.0', '--no-tls', '--ocs-port', '0']);
    assert.equal(await p.exited, 2);
    for (const user of ['server', 'simonsobs', 'hub']) assert.match(p.stderr(), new RegExp(`CRA user '${user}' has the public default secret`));
    assert.match(p.stderr(), /refusing to listen beyond loopback/);
    for (const secret of Object.values(PUBLIC_DEFAULT_SECRETS)) assert.ok(!p.stderr().includes(secret) && !p.stdout().includes(secret), 'the secret is not printed');
  });

  test('sisock router names the one user still on a default, and refuses an empty secret', async () => {
    const own = { WAMP_SECRET: 'own-server-secret', SISOCK_CONSUMER_SECRET: 'own-consumer-secret' };
    const p = await refused(['router', '--host', '0.0.0.0', '--no-tls', '--ocs-port', '0'], own);
    assert.equal(await p.exited, 2);
    assert.match(p.stderr(), /CRA user 'hub' has the public default secret/);
    assert.doesNotMatch(p.stderr(), /'server'|'simonsobs'/);
    const empty = await refused(['router', '--host', '0.0.0.0', '--no-tls', '--ocs-port', '0', '--hub-secret', ''], own);
    assert.equal(await empty.exited, 2);
    assert.match(empty.stderr(), /CRA user 'hub' has an empty secret/);
  });

  test('sisock router with secrets of its own listens beyond loopback', async () => {
    const own = { WAMP_SECRET: 'own-server-secret', SISOCK_CONSUMER_SECRET: 'own-consumer-secret', SISOCK_HUB_SECRET: 'own-hub-secret' };
    const p = await spawnSisock(['router', '--host', '0.0.0.0', '--no-tls', '--ocs-port', '0'], { env: { ...CLEAN, ...own }, readyPattern: /listening on ws:\/\/0\.0\.0\.0:\d+/ });
    started.push(p);
    assert.equal(p.child.exitCode, null);
    assert.equal(await p.stop(), 0);
  });

  test('a crossbar config whose secrets come from unset variables is refused beyond loopback', async () => {
    // (refused before listening: the config's fixed third port is never bound)
    const p = await refused(['router', '--crossbar-config', CROSSBAR_FIXTURE, '--host', '0.0.0.0', '--tls-port', '0', '--ocs-port', '0'], { SISOCK_TEST_SERVER_SECRET: '', SISOCK_TEST_CONSUMER_SECRET: '' });
    assert.equal(await p.exited, 2);
    assert.match(p.stderr(), /CRA user 'server' has an empty secret/);
  });

  test('sisock up beyond loopback with a public secret stops with the router\'s reason', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'sisock-secrets-up-'));
    try {
      const up = await spawnSisock(['up', '--host', '0.0.0.0', '--no-tls', '--ocs-port', '0'], { cwd, env: { ...CLEAN, WAMP_SECRET: PUBLIC_DEFAULT_SECRETS.server!, PORT: '0' }, untilExit: true, timeout: 40_000 });
      assert.equal(await up.exited, 1);
      assert.match(up.stderr(), /CRA user 'server' has the public default secret/);
      assert.match(up.stderr(), /router exited .* before it was ready/);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  test('sisock http refuses an empty token or password', async () => {
    const token = await refused(['http', '--port', '0', '--host', '0.0.0.0', '--token', '']);
    assert.equal(await token.exited, 2);
    assert.match(token.stderr(), /--token is empty/);
    const password = await refused(['http', '--port', '0', '--auth-user', 'grafana', '--auth-password', '']);
    assert.equal(await password.exited, 2);
    assert.match(password.stderr(), /must not be empty/);
  });
});

/** A non-loopback IPv4 address of this machine, if it has one. */
function externalAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && !a.internal && a.family === 'IPv4')?.address;
}

function refusesConnection(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('the HTTP bridge', () => {
  let router: RouterProcess;

  async function bridge(args: string[]): Promise<{ p: SisockProcess; url: string; port: number }> {
    router ??= await spawnRouter({ noTls: true }).then((r) => (routers.push(r), r));
    const p = await spawnSisock(['http', '--port', '0', '--url', router.openUrl, ...args], {
      env: { ...CLEAN, WAMP_USER: 'simonsobs', WAMP_SECRET: router.secrets.simonsobs },
      readyPattern: /on http:\/\/\S+:\d+\//,
    });
    started.push(p);
    const m = /on http:\/\/(\S+):(\d+)\//.exec(p.stdout())!;
    return { p, url: `http://127.0.0.1:${m[2]}`, port: Number(m[2]) };
  }

  test('binds to loopback unless told otherwise', async () => {
    const { p, port } = await bridge([]);
    assert.match(p.stdout(), /on http:\/\/127\.0\.0\.1:\d+\//);
    const outside = externalAddress();
    if (outside !== undefined) assert.ok(await refusesConnection(outside, port), `not reachable on ${outside}`);
    assert.equal(await refusesConnection('127.0.0.1', port), false);
    await p.stop();
  });

  test('beyond loopback without credentials it serves, and says so in its log', async () => {
    const { p } = await bridge(['--host', '0.0.0.0']);
    await waitFor('the warning', () => p.logs().some((l) => /without credentials beyond loopback/.test(String(l.msg))));
    await p.stop();
  });

  test('can require a bearer token', async () => {
    const { p, url } = await bridge(['--token', 'the-right-token']);
    const status = async (headers: Record<string, string>): Promise<number> => (await fetch(`${url}/api/v1/status`, { headers })).status;
    assert.equal(await status({}), 403);
    assert.equal(await status({ authorization: 'Bearer the-wrong-token' }), 403);
    assert.equal(await status({ authorization: `Basic ${Buffer.from('x:the-right-token').toString('base64')}` }), 403);
    assert.equal(await status({ authorization: 'Bearer the-right-token' }), 200);
    await p.stop();
  });

  test('can require basic auth', async () => {
    const { p, url } = await bridge(['--auth-user', 'grafana', '--auth-password', 'the-right-password']);
    const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const status = async (headers: Record<string, string>): Promise<number> => (await fetch(`${url}/api/v1/status`, { headers })).status;
    assert.equal(await status({}), 403);
    assert.equal(await status({ authorization: basic('grafana', 'wrong') }), 403);
    assert.equal(await status({ authorization: basic('someone', 'the-right-password') }), 403);
    assert.equal(await status({ authorization: 'Bearer the-right-password' }), 403);
    assert.equal(await status({ authorization: basic('grafana', 'the-right-password') }), 200);
    await p.stop();
  });
});

describe('no secret in any log', () => {
  test('router, hub, node, bridge, status and up at trace level, through good and bad logins', async () => {
    const secrets = {
      WAMP_SECRET: 'server-Secret-7Hq2',
      SISOCK_CONSUMER_SECRET: 'consumer-Secret-9Kx4',
      SISOCK_HUB_SECRET: 'hub-Secret-3Mz8',
    };
    const httpToken = 'bridge-Token-5Rw1';
    const httpPassword = 'bridge-Password-2Vn6';
    const trace = { LOGLEVEL: 'trace' };
    const router = await spawnRouter({ env: { ...secrets, ...trace } });
    routers.push(router);
    const base = { ...CLEAN, ...trace, SISOCK_URL: router.tlsUrl, SISOCK_CA: TEST_TLS.caFile };
    const procs: SisockProcess[] = [];
    const run = async (args: string[], env: NodeJS.ProcessEnv, readyPattern?: RegExp): Promise<SisockProcess> => {
      const p = await spawnSisock(args, { env: { ...base, ...env }, ...(readyPattern ? { readyPattern } : {}) });
      procs.push(p);
      started.push(p);
      return p;
    };
    await run(['hub', '--probe-interval', '0.5'], { WAMP_USER: 'hub', WAMP_SECRET: secrets.SISOCK_HUB_SECRET });
    await run(['node', 'weather'], { WAMP_USER: 'server', WAMP_SECRET: secrets.WAMP_SECRET });
    const bridge = await run(['http', '--port', '0', '--token', httpToken, '--auth-user', 'grafana', '--auth-password', httpPassword], { WAMP_USER: 'simonsobs', WAMP_SECRET: secrets.SISOCK_CONSUMER_SECRET }, /on http:\/\/127\.0\.0\.1:\d+\//);
    const url = `http://127.0.0.1:${/127\.0\.0\.1:(\d+)\//.exec(bridge.stdout())![1]}`;
    // a node with a wrong secret keeps knocking (and logging why)
    const wrong = await spawnSisock(['node', 'weather', '--name', 'wrong'], { env: { ...base, WAMP_USER: 'server', WAMP_SECRET: secrets.SISOCK_HUB_SECRET }, timeout: 3000 }).then(
      () => 'ready',
      (err: Error) => err.message, // its stderr so far
    );
    assert.match(wrong, /cannot join the router; retrying/, 'a node with the wrong secret does not get in, and says why');
    // a client that offers the right secret of another user
    const impostor = new WampClient({ url: router.tlsUrl, realm: 'test_realm', ca: router.ca, auth: { method: 'wampcra', authid: 'server', secret: secrets.SISOCK_CONSUMER_SECRET }, reconnect: false });
    await assert.rejects(impostor.start());
    // HTTP requests with good and bad credentials
    for (const authorization of [`Bearer ${httpToken}`, 'Bearer nope', `Basic ${Buffer.from(`grafana:${httpPassword}`).toString('base64')}`, `Basic ${Buffer.from(`grafana:${httpToken}`).toString('base64')}`]) {
      await fetch(`${url}/api/v1/nodes`, { headers: { authorization } });
      await fetch(`${url}/query`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: '{"targets":[]}' });
    }
    await waitFor('the bridge to list the node', async () => ((await (await fetch(`${url}/api/v1/nodes`, { headers: { authorization: `Bearer ${httpToken}` } })).json()) as { nodes: unknown[] }).nodes.length === 1);
    const status = await spawnSisock(['status'], { env: { ...base, WAMP_USER: 'simonsobs', WAMP_SECRET: secrets.SISOCK_CONSUMER_SECRET }, untilExit: true });
    assert.match(status.stdout(), /apex_archive/);
    procs.push(status);
    for (const p of procs) await p.stop();
    await router.stop();

    // sisock up: the secrets it generates
    const cwd = await mkdtemp(join(tmpdir(), 'sisock-secrets-log-'));
    let upOutput: string;
    const generated: string[] = [];
    try {
      const up = await spawnSisock(['up', '--tls-port', '0', '--ocs-port', '0'], { cwd, env: { ...CLEAN, ...trace, PORT: '0' }, timeout: 40_000, readyPattern: /Ctrl-C stops everything\n/ });
      for (const user of ['server', 'consumer', 'hub']) generated.push((await readFile(join(cwd, '.sisock', 'secrets', user), 'utf8')).trim());
      const upStatus = await spawnSisock(['status'], { cwd, env: { ...CLEAN }, untilExit: true });
      assert.match(upStatus.stdout(), /apex_archive|NAME/);
      await up.stop('SIGINT');
      upOutput = up.stdout() + up.stderr() + upStatus.stdout() + upStatus.stderr();
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }

    const everything = [router.stderr(), ...procs.map((p) => p.stdout() + p.stderr()), wrong, upOutput];
    const logged = everything.join('\n');
    assert.ok(logged.length > 10_000, `a good deal of trace output was checked (${logged.length} characters)`);
    const basic = Buffer.from(`grafana:${httpPassword}`).toString('base64');
    for (const secret of [...Object.values(secrets), httpToken, httpPassword, basic, ...generated]) {
      assert.ok(!logged.includes(secret), `a secret appears in the logs: ${secret.slice(0, 3)}...`);
    }
  });
});
