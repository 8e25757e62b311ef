import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InFlight } from '../../src/http/coalesce.js';
import { UpstreamError } from '../../src/http/upstream.js';

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
}

test('identical concurrent requests share one run; a later one starts a new run', async () => {
  const inFlight = new InFlight<number>();
  let runs = 0;
  const gate = deferred<number>();
  const work = async () => {
    runs++;
    return gate.promise;
  };
  const a = inFlight.run('k', undefined, work);
  const b = inFlight.run('k', new AbortController().signal, work);
  const c = inFlight.run('other', undefined, async () => 7);
  gate.resolve(42);
  assert.deepEqual(await Promise.all([a, b, c]), [42, 42, 7]);
  assert.equal(runs, 1);
  assert.equal(inFlight.joined, 1);
  assert.equal(inFlight.size, 0);
  await inFlight.run('k', undefined, work);
  assert.equal(runs, 2);
});

test('one waiter leaving gets canceled at once; the work is aborted only when the last leaves', async () => {
  const inFlight = new InFlight<string>();
  let workSignal: AbortSignal | undefined;
  const gate = deferred<string>();
  const work = async (s: AbortSignal) => {
    workSignal = s;
    return gate.promise;
  };
  const c1 = new AbortController();
  const c2 = new AbortController();
  const p1 = inFlight.run('k', c1.signal, work);
  const p2 = inFlight.run('k', c2.signal, work);
  await Promise.resolve();
  c1.abort();
  await assert.rejects(p1, (e: unknown) => e instanceof UpstreamError && e.kind === 'canceled');
  assert.equal(workSignal?.aborted, false);
  c2.abort();
  await assert.rejects(p2, (e: unknown) => e instanceof UpstreamError && e.kind === 'canceled');
  assert.equal(workSignal?.aborted, true);
  assert.equal(inFlight.size, 0);
  gate.reject(new Error('late failure nobody waits for'));
  // a new request after everyone left starts fresh work
  assert.equal(await inFlight.run('k', undefined, async () => 'fresh'), 'fresh');
});

test('errors reach every waiter; an already aborted signal is refused without running', async () => {
  const inFlight = new InFlight<number>();
  const boom = new UpstreamError('timeout', 'slow');
  const work = async () => {
    throw boom;
  };
  const results = await Promise.allSettled([inFlight.run('k', undefined, work), inFlight.run('k', undefined, work)]);
  assert.deepEqual(
    results.map((r) => r.status === 'rejected' && r.reason),
    [boom, boom],
  );
  let ran = false;
  const aborted = AbortSignal.abort();
  await assert.rejects(
    inFlight.run('x', aborted, async () => {
      ran = true;
      return 1;
    }),
    /canceled/,
  );
  assert.equal(ran, false);
});
