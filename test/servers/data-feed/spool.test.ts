import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeedStore } from '../../../src/servers/data-feed/feed-store.js';
import { FeedSpool } from '../../../src/servers/data-feed/spool.js';
import type { DataRequest } from '../../../src/datanode/source.js';
import { captureLog } from '../../helpers/log-capture.js';

const feed = { agent_address: 'observatory.A', feed_name: 'f', record: true };
const selector = { addressRoot: 'observatory', target: 'A', feed: 'f' };
const all = (fields: string[]): DataRequest => ({ fields, start: 0, end: Infinity, minStride: null, maxPoints: null });

/** a store with its spool, as the node wires them */
async function open(path: string, now: () => number, opts: { bufferTime?: number; maxBytes?: number } = {}) {
  const log = captureLog();
  let spool: FeedSpool | null = null;
  const store = new FeedStore({
    selector,
    bufferTime: opts.bufferTime ?? 3600,
    maxSamples: 1_000_000,
    now,
    logger: log.logger,
    onStored: (meta, t, v) => spool?.record(meta, t, v),
  });
  spool = new FeedSpool({ path, maxBytes: opts.maxBytes ?? 64 << 20, flushInterval: 3600, logger: log.logger });
  const report = await spool.open(store);
  return { store, spool, report, log };
}

function publish(store: FeedStore, t0: number, n: number, extra: Record<string, unknown[]> = {}) {
  const ts = Array.from({ length: n }, (_, i) => t0 + i);
  store.ingest([[{ b: { block_name: 'b', timestamps: ts, data: { X: ts.map((t) => t * 0.5), ...extra } } }, feed]]);
}

function series(store: FeedStore, field: string) {
  const [tl] = store.getData(all([field]));
  return tl ? { t: [...tl.t], v: Array.from(tl.fields.get(field) as ArrayLike<unknown>) } : { t: [], v: [] };
}

test('a restarted node serves the buffer it had (clean shutdown)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-spool-'));
  const path = join(dir, 'node.spool');
  const now = () => 2000;
  const a = await open(path, now);
  publish(a.store, 1000, 50);
  a.store.ingest([[{ s: { block_name: 's', timestamps: [1500, 1501], data: { State: ['idle', 'run'], On: [true, false] } } }, feed]]);
  publish(a.store, 1050, 50);
  await a.spool.close();
  const b = await open(path, now);
  assert.deepEqual(series(b.store, 'x'), series(a.store, 'x'));
  assert.equal(series(b.store, 'x').t.length, 100);
  assert.deepEqual(series(b.store, 'state').v, ['idle', 'run']);
  assert.deepEqual(series(b.store, 'on').v, [true, false]);
  assert.deepEqual(b.store.getFields(), a.store.getFields());
  assert.equal(b.report.samples, 104);
  await b.spool.close();
  rmSync(dir, { recursive: true, force: true });
});

test('after a crash the last flushed samples are back, and a torn last frame is ignored', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-spool-'));
  const path = join(dir, 'node.spool');
  const now = () => 2000;
  const a = await open(path, now);
  publish(a.store, 1000, 10);
  await a.spool.flush();
  publish(a.store, 1010, 10);
  await a.spool.flush();
  // no close(): the process died; and it died in the middle of a write
  appendFileSync(path, Buffer.from([0, 0, 1, 0, 1, 2, 3]));
  const b = await open(path, now);
  assert.deepEqual(series(b.store, 'x').t, Array.from({ length: 20 }, (_, i) => 1000 + i));
  assert.equal(b.report.tornBytes, 7);
  assert.equal(b.log.warnings(/could not be read/).length, 1);
  // the restored spool was rewritten whole: the torn bytes are gone
  const c = await open(path, now);
  assert.equal(c.report.tornBytes, 0);
  await Promise.all([a.spool.close(), b.spool.close(), c.spool.close()]);
  rmSync(dir, { recursive: true, force: true });
});

test('samples that passed BUFFER_TIME while the node was down are not restored', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-spool-'));
  const path = join(dir, 'node.spool');
  let now = 1100;
  const a = await open(path, () => now, { bufferTime: 100 });
  publish(a.store, 1000, 100);
  await a.spool.close();
  now = 1150;
  const b = await open(path, () => now, { bufferTime: 100 });
  assert.deepEqual(series(b.store, 'x').t, Array.from({ length: 50 }, (_, i) => 1050 + i));
  await b.spool.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the spool stays under its size cap, keeping the newest samples', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-spool-'));
  const path = join(dir, 'node.spool');
  const now = () => 121_000;
  const cap = 64 * 1024;
  const a = await open(path, now, { maxBytes: cap });
  for (let k = 0; k < 20; k++) {
    publish(a.store, 100_000 + k * 1000, 1000);
    await a.spool.flush();
    assert.ok(statSync(path).size <= cap, `spool is ${statSync(path).size} bytes after batch ${k}`);
  }
  await a.spool.close();
  const b = await open(path, now, { maxBytes: cap });
  const t = series(b.store, 'x').t;
  assert.ok(t.length > 1000 && t.length < 20_000, `${t.length} samples restored`);
  assert.equal(t[t.length - 1], 100_000 + 19 * 1000 + 999, 'the newest sample is there');
  for (let i = 1; i < t.length; i++) assert.equal(t[i], t[i - 1]! + 1, 'a contiguous run of the newest samples');
  await b.spool.close();
  rmSync(dir, { recursive: true, force: true });
});

test('expired samples are compacted away, so a long-running spool does not grow', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-spool-'));
  const path = join(dir, 'node.spool');
  let now = 10_000;
  const a = await open(path, () => now, { bufferTime: 1000 });
  let largest = 0;
  for (let k = 0; k < 400; k++) {
    publish(a.store, now, 1000);
    now += 1000;
    await a.spool.flush();
    largest = Math.max(largest, statSync(path).size);
  }
  // 400 batches of ~16 kB were written (~6.4 MB); the buffer only ever holds ~2 of them
  assert.ok(largest < 1.5 * (1 << 20), `the spool reached ${largest} bytes`);
  await a.spool.compact();
  assert.ok(statSync(path).size < 40_000, `compacted to ${statSync(path).size} bytes`);
  await a.spool.close();
  rmSync(dir, { recursive: true, force: true });
});
