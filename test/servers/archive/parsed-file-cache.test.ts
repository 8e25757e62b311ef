import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParsedFileCache } from '../../../src/servers/archive/parsed-file-cache.js';
import { captureLog } from '../../helpers/log-capture.js';

function setup(maxBytes = 1 << 20) {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-cache-'));
  const log = captureLog();
  const cache = new ParsedFileCache({ maxBytes, formatOf: () => ({ header: false }), logger: log.logger });
  return { dir, log, cache, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('a file that grows is extended by reading only its new tail', async () => {
  const { dir, cache, done } = setup();
  const path = join(dir, 'a.dat');
  writeFileSync(path, '1 10\n2 20\n');
  const first = await cache.get(path);
  assert.deepEqual([...first!.columns.t], [1, 2]);
  appendFileSync(path, '3 30\n4 40\n');
  const grown = await cache.get(path);
  assert.deepEqual([...grown!.columns.t], [1, 2, 3, 4]);
  assert.deepEqual([...grown!.columns.v], [10, 20, 30, 40]);
  assert.equal(cache.stats.fullReads, 1);
  assert.equal(cache.stats.tailReads, 1);
  assert.equal(cache.stats.bytesRead, 20, 'the first rows were not parsed again');
  done();
});

test('a line caught half-written is replaced once it is complete', async () => {
  const { dir, cache, done } = setup();
  const path = join(dir, 'a.dat');
  writeFileSync(path, '1 10\n2 12');
  assert.deepEqual([...(await cache.get(path))!.columns.v], [10, 12]);
  appendFileSync(path, '3.5\n3 30\n');
  const f = await cache.get(path);
  assert.deepEqual([...f!.columns.t], [1, 2, 3]);
  assert.deepEqual([...f!.columns.v], [10, 123.5, 30]);
  done();
});

test('a file rewritten rather than appended to is read again whole', async () => {
  const { dir, cache, done } = setup();
  const path = join(dir, 'a.dat');
  writeFileSync(path, '1 10\n2 20\n');
  await cache.get(path);
  writeFileSync(path, '5 50\n6 60\n7 70\n8 80\n');
  const f = await cache.get(path);
  assert.deepEqual([...f!.columns.t], [5, 6, 7, 8]);
  assert.equal(cache.stats.fullReads, 2);
  writeFileSync(path, '9 90\n');
  assert.deepEqual([...(await cache.get(path))!.columns.t], [9], 'a shrunken file is read again');
  done();
});

test('rows out of time order are sorted, also after an append', async () => {
  const { dir, cache, done } = setup();
  const path = join(dir, 'a.dat');
  writeFileSync(path, '3 30\n1 10\n2 20\n');
  assert.deepEqual([...(await cache.get(path))!.columns.t], [1, 2, 3]);
  appendFileSync(path, '0 0\n');
  const f = await cache.get(path);
  assert.deepEqual([...f!.columns.t], [0, 1, 2, 3]);
  assert.deepEqual([...f!.columns.v], [0, 10, 20, 30]);
  done();
});

test('malformed lines are logged once per read with examples, the rest is kept', async () => {
  const { dir, cache, log, done } = setup();
  const path = join(dir, 'a.dat');
  writeFileSync(path, '1 10\nbad\n2 20\n');
  assert.deepEqual([...(await cache.get(path))!.columns.t], [1, 2]);
  const w = log.warnings(/malformed/);
  assert.equal(w.length, 1);
  assert.equal(w[0]!.malformed, 1);
  assert.equal(w[0]!.path, path);
  done();
});

test('a missing file gives null and a log line, not an exception', async () => {
  const { dir, cache, log, done } = setup();
  assert.equal(await cache.get(join(dir, 'nope.dat')), null);
  assert.equal(log.warnings(/not readable/).length, 1);
  done();
});

test('the cache stays within its byte budget, least recently used out first', async () => {
  const { dir, cache, done } = setup(4096);
  const paths = [0, 1, 2, 3].map((i) => join(dir, `${i}.dat`));
  // 100 rows = 1600 bytes parsed per file
  for (const p of paths) writeFileSync(p, Array.from({ length: 100 }, (_, k) => `${k} ${k}`).join('\n') + '\n');
  for (const p of paths) await cache.get(p);
  assert.ok(cache.heldBytes <= 4096, `held ${cache.heldBytes}`);
  assert.ok(cache.stats.evictions >= 1);
  // the oldest was evicted: asking again reads it again, and it is still right
  const again = await cache.get(paths[0]!);
  assert.equal(again!.columns.length, 100);
  assert.equal(cache.stats.fullReads, 5);
  done();
});

test('concurrent requests for one file share one read', async () => {
  const { dir, cache, done } = setup();
  const path = join(dir, 'a.dat');
  writeFileSync(path, '1 10\n');
  const [a, b] = await Promise.all([cache.get(path), cache.get(path)]);
  assert.equal(a, b);
  assert.equal(cache.stats.fullReads, 1);
  done();
});
