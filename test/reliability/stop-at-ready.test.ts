// Whoever reads a component's ready line (a supervisor, a script, `sisock
// up`) may stop it at once: SIGTERM right then must still be a clean stop
// (exit code 0, goodbyes said), not death by signal before the component
// listens for it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnRouter, type RouterProcess } from '../helpers/router.js';
import { spawnSisock } from '../helpers/sisock.js';

const ROUNDS = 5;
let router: RouterProcess;

before(async () => {
  router = await spawnRouter({ noTls: true });
});

after(async () => {
  await router?.stop();
});

async function stopsCleanlyAtReady(args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  for (let i = 0; i < ROUNDS; i++) {
    const p = await spawnSisock(args, { env });
    p.kill('SIGTERM');
    assert.equal(await p.exited, 0, `sisock ${args[0]}, round ${i + 1}: exit code 0, not death by signal; stderr: ${p.stderr().slice(-500)}`);
  }
}

test('sisock router', () => stopsCleanlyAtReady(['router', '--host', '127.0.0.1', '--no-tls', '--ocs-port', '0']));

test('sisock http', () => stopsCleanlyAtReady(['http', '--port', '0', '--url', router.openUrl], { WAMP_USER: 'simonsobs', WAMP_SECRET: router.secrets.simonsobs }));

test('sisock simulate-agent', () => stopsCleanlyAtReady(['simulate-agent', '--url', router.openUrl, '--agent-id', 'stopper', '--feed', 'x:1:1']));

test('sisock up, stopped while its parts start', async () => {
  const cwd = await mkdtemp(join(tmpdir(), 'sisock-stop-up-'));
  try {
    const up = await spawnSisock(['up', '--no-tls', '--ocs-port', '0'], { cwd, env: { WAMP_SECRET: '', SISOCK_CONSUMER_SECRET: '', SISOCK_HUB_SECRET: '', PORT: '0' }, timeout: 40_000 });
    up.kill('SIGTERM');
    assert.equal(await up.exited, 0, `stderr: ${up.stderr().slice(-500)}`);
    assert.match(up.stdout(), /sisock up: stopping/);
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
});
