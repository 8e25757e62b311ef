import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryIndex, type IndexChange } from '../../../src/servers/archive/directory-index.js';
import { captureLog } from '../../helpers/log-capture.js';
import { waitFor } from '../../helpers/sisock.js';

const parseName = (n: string) => (n.endsWith('.dat') ? n.slice(0, -4) : null);

test('the index follows files as they appear, grow, are renamed and go away, without rescans', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-index-'));
  writeFileSync(join(dir, 'a.dat'), '1 1\n');
  writeFileSync(join(dir, 'ignored.txt'), 'x');
  const changes: [string, IndexChange][] = [];
  const index = new DirectoryIndex({
    dir,
    parseName,
    rescanInterval: 0,
    logger: captureLog().logger,
    onChange: (e, c) => changes.push([e.name, c]),
  });
  await index.start();
  assert.deepEqual([...index.entries()].map((e) => e.key), ['a']);
  writeFileSync(join(dir, 'b.dat'), '1 1\n');
  await waitFor('b.dat indexed', () => index.get('b.dat') !== undefined);
  appendFileSync(join(dir, 'a.dat'), '2 2\n');
  await waitFor('a.dat growth seen', () => index.get('a.dat')?.size === 8);
  renameSync(join(dir, 'b.dat'), join(dir, 'c.dat'));
  await waitFor('rename seen', () => index.get('c.dat') !== undefined && index.get('b.dat') === undefined);
  unlinkSync(join(dir, 'a.dat'));
  await waitFor('removal seen', () => index.get('a.dat') === undefined);
  assert.deepEqual([...index.entries()].map((e) => e.name), ['c.dat']);
  assert.ok(changes.some(([n, c]) => n === 'a.dat' && c === 'modified'));
  assert.ok(changes.some(([n, c]) => n === 'b.dat' && c === 'removed'));
  index.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a directory that does not exist yet is logged once and picked up by a later rescan', async () => {
  const root = mkdtempSync(join(tmpdir(), 'sisock-index-'));
  const dir = join(root, 'later');
  const log = captureLog();
  const index = new DirectoryIndex({ dir, parseName, rescanInterval: 0, logger: log.logger });
  await index.start();
  await index.rescan();
  assert.equal(index.size, 0);
  assert.equal(log.warnings(/not readable/).length, 1);
  mkdirSync(dir);
  writeFileSync(join(dir, 'x.dat'), '1 1\n');
  await index.rescan();
  assert.equal(index.size, 1);
  // and once found, it is watched
  writeFileSync(join(dir, 'y.dat'), '1 1\n');
  await waitFor('y.dat indexed by the watcher', () => index.size === 2);
  index.close();
  rmSync(root, { recursive: true, force: true });
});

test('a rescan alone reconciles additions, removals and modifications', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-index-'));
  writeFileSync(join(dir, 'a.dat'), '1 1\n');
  writeFileSync(join(dir, 'b.dat'), '1 1\n');
  const index = new DirectoryIndex({ dir, parseName, rescanInterval: 0, logger: captureLog().logger });
  await index.start();
  unlinkSync(join(dir, 'a.dat'));
  appendFileSync(join(dir, 'b.dat'), '2 2\n');
  writeFileSync(join(dir, 'c.dat'), '1 1\n');
  // whatever the watcher did or did not deliver yet, a rescan leaves the truth
  await index.rescan();
  assert.deepEqual([...index.entries()].map((e) => e.name).sort(), ['b.dat', 'c.dat']);
  assert.equal(index.get('b.dat')!.size, 8);
  index.close();
  rmSync(dir, { recursive: true, force: true });
});
