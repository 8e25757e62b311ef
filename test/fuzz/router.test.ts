// The router fuzzer's bounded run (the long one is `npm run fuzz`): 100,000
// malformed, truncated, oversized, wrongly-typed and out-of-order WAMP
// messages on every subprotocol from thousands of raw sessions, while our
// client, autobahn-js and wampy keep calling, publishing and subscribing.
// The seed is fixed so a failure is replayed exactly; FUZZ_SEED picks
// another (bench/fuzz.ts replays single sessions by index).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzRouter, summarize } from './router-fuzzer.js';

const seed = Number(process.env.FUZZ_SEED ?? 20240601);

test(`router fuzzing: 100,000 bad WAMP messages, well-behaved sessions unaffected, no leak (seed ${seed})`, async (t) => {
  const r = await fuzzRouter({ seed, messages: 100_000 });
  for (const line of summarize(r).split('\n')) t.diagnostic(line);
  assert.ok(r.messagesSent >= 100_000, `${r.messagesSent} messages sent`);
  assert.deepEqual(
    r.failures.map((f) => `session ${f.index}: ${f.report.failures.join('; ')}`),
    [],
    'sessions where the router broke the session model (replay: npm run fuzz -- router --seed <seed> --session <index>)',
  );
  // every session that sent something bad got an ABORT, an ERROR or a close
  assert.ok(r.badSessions > 10_000, `${r.badSessions} bad sessions`);
  assert.equal(r.badAnswered, r.badSessions);
  assert.ok(r.errorsAnswered > 10_000, `${r.errorsAnswered} ERRORs`);
  // all six subprotocols, every kind of script, and the transport's own refusals were exercised
  assert.equal(Object.keys(r.protocols).length, 6, JSON.stringify(r.protocols));
  assert.deepEqual(Object.keys(r.kinds).sort(), ['bytes', 'conversation', 'handshake', 'order', 'oversize']);
  for (const end of ['abort wamp.error.protocol_violation', 'closed 1007', 'closed 1009']) assert.ok((r.ends[end] ?? 0) > 0, `no session ended with ${end}`);
  // the well-behaved sessions saw no error and missed no event
  assert.deepEqual(r.good.errors, []);
  assert.ok(r.good.calls > 0 && r.good.publishes > 0);
  assert.deepEqual(r.good.events, { ours: r.good.publishes, autobahn: r.good.publishes });
  // the router: no internal error, back to its baseline, a clean exit
  assert.deepEqual(r.routerErrors, []);
  assert.deepEqual(r.after, r.baseline);
  assert.equal(r.violationsLogged, r.ends['abort wamp.error.protocol_violation']);
  assert.equal(r.routerExit, 0);
});
