// A bounded version of the load benchmark (bench/load): 200 data node
// sessions and 50 consumers on one router, 20,000 get_data calls through
// the real DataNodeServer, hub and client code in worker processes. Every
// call must succeed; throughput and the router's memory go to the test log
// (`npm run bench -- load` runs the full million).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLoad } from '../../bench/load/load.js';
import { memoryReport } from '../../bench/load/index.js';

test('200 node sessions, 50 consumers, 20,000 calls: zero errors', async (t) => {
  const r = await runLoad({ nodes: 200, consumers: 50, calls: 20_000, window: 4 });
  t.diagnostic(`${r.calls} calls in ${(r.elapsedMs / 1000).toFixed(1)} s: ${Math.round(r.callsPerSecond)} calls/s, p50 ${r.latencyMs.p50.toFixed(1)} ms, p99 ${r.latencyMs.p99.toFixed(1)} ms, ${r.sessions} sessions`);
  for (const l of memoryReport(r)) t.diagnostic(l);
  assert.equal(r.listed, 200, 'the hub lists every node');
  assert.ok(r.sessions >= 251, `every session joined (${r.sessions})`);
  assert.deepEqual(r.firstErrors, []);
  assert.equal(r.errors, 0);
  assert.equal(r.calls, 20_000);
});
