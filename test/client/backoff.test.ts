import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, DEFAULT_BACKOFF } from '../../src/client/backoff.js';
import { ClaimGrace } from '../../src/client/claim.js';

test('backoff grows exponentially up to its ceiling, jitter only shortens it', () => {
  const o = { initialDelay: 100, maxDelay: 1000, factor: 2, jitter: 0.5 };
  assert.deepEqual([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, o, () => 0)), [100, 200, 400, 800, 1000, 1000]);
  assert.deepEqual([0, 3, 10].map((a) => backoffDelay(a, o, () => 1)), [50, 400, 500]);
  const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(5, o)));
  assert.ok(spread.size > 10, 'random jitter spreads the delays');
  for (const d of spread) assert.ok(d >= 500 && d <= 1000);
});

test('by default, after a long outage a client knocks at least every 2 s (so a system answers within 5 s of the router\'s return)', () => {
  for (let attempt = 0; attempt < 50; attempt++) assert.ok(backoffDelay(attempt, DEFAULT_BACKOFF) <= 2000);
  assert.equal(backoffDelay(0, DEFAULT_BACKOFF, () => 0), 250, 'the first retry comes quickly');
});

test('a name conflict becomes final only after the grace period, and a success resets it', () => {
  let now = 0;
  const g = new ClaimGrace(1000, () => now);
  assert.equal(g.conflict(), false);
  now = 999;
  assert.equal(g.conflict(), false);
  now = 1000;
  assert.equal(g.conflict(), true);
  g.reset();
  now = 1500;
  assert.equal(g.conflict(), false);
  assert.equal(new ClaimGrace(0).conflict(), true, 'no grace: the first conflict is final');
});
