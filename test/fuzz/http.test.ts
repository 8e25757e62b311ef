// The HTTP fuzzer's bounded run (the long one is `npm run fuzz -- http`):
// 5,000 spoiled requests on every endpoint of the bridge (Grafana and
// REST) and on the router's HTTP caller, against a real system. Fixed seed;
// FUZZ_SEED picks another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzHttp, summarizeHttp } from './http-fuzzer.js';

const seed = Number(process.env.FUZZ_SEED ?? 20240601);

test(`HTTP fuzzing: 5,000 bad requests, clear 4xx JSON errors, no 5xx, no hang (seed ${seed})`, async (t) => {
  const r = await fuzzHttp({ seed, requests: 5000 });
  for (const line of summarizeHttp(r).split('\n')) t.diagnostic(line);
  assert.ok(r.requests >= 5000);
  assert.deepEqual(
    r.failures.map((f) => `request ${f.index}: ${f.why} <- ${f.request}`),
    [],
    'requests answered wrongly (replay: npm run fuzz -- http --seed <seed> --case <index>)',
  );
  // the fuzzing reached every endpoint and got all kinds of answers
  assert.ok(Object.keys(r.endpoints).length >= 25, JSON.stringify(r.endpoints));
  for (const status of ['bridge 200', 'bridge 400', 'bridge 404', 'bridge 413', 'router 200', 'router 400']) assert.ok((r.statuses[status] ?? 0) > 0, `no ${status}`);
  // and left the system as it found it
  assert.equal(r.healthAfter, 200);
  assert.ok(r.referenceSame, 'the reference query answers differently after the fuzzing');
  assert.deepEqual(r.bridgeErrors, []);
  assert.deepEqual(r.routerErrors, []);
  assert.equal(r.routerExit, 0);
});
