import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../bin/sisock.js', import.meta.url));

test('sisock version prints the package version', () => {
  const r = spawnSync(process.execPath, [bin, 'version'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+$/);
});

test('an unknown command exits 2 with the usage', () => {
  const r = spawnSync(process.execPath, [bin, 'no-such-command'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command 'no-such-command'/);
  assert.match(r.stderr, /usage: sisock <command>/);
});
