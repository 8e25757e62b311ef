// Cases the router fuzzer found, each kept as a plain test so it stays
// fixed: what was sent, and what the router must answer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RouterConfig } from '../../src/router/config.js';
import { startRouter, type RouterUnderTest } from '../helpers/router.js';
import { RawClient } from '../router/clients.js';

const config: RouterConfig = {
  realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: 'com.', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } }] }] }],
  listeners: [{ host: '127.0.0.1', port: 0, paths: { ws: { type: 'websocket' } } }],
};

/** JSON text of a list nested `depth` levels deep. */
const deepList = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

/** The next message that is not an EVENT. */
async function answer(c: RawClient): Promise<unknown[]> {
  for (;;) {
    const m = (await c.next()) as unknown[];
    if (m?.[0] !== 36) return m;
  }
}

/** A SUBSCRIBE the router must still answer: the session is alive. */
async function stillServed(c: RawClient, id: number): Promise<void> {
  c.send(JSON.stringify([32, id, {}, 'com.alive']));
  const m = await answer(c);
  assert.deepEqual(m.slice(0, 2), [33, id], `the session still answers: ${JSON.stringify(m).slice(0, 200)}`);
}

describe('router: client values in error texts', () => {
  let r: RouterUnderTest;
  before(async () => {
    r = await startRouter({ config });
  });
  after(() => r.close());

  // found by the fuzzer: the error text was built with String(value), which
  // overflows the stack on a list nested thousands of levels deep; the
  // session was aborted with wamp.error.runtime_error instead of an ERROR
  const cases: [string, (deep: string) => string, number][] = [
    ['REGISTER with match', (d) => `[64, 1, {"match": ${d}}, "com.x"]`, 64],
    ['REGISTER with invoke', (d) => `[64, 1, {"invoke": ${d}}, "com.x"]`, 64],
    ['SUBSCRIBE with match', (d) => `[32, 1, {"match": ${d}}, "com.x"]`, 32],
  ];
  for (const [name, message, type] of cases) {
    test(`${name} nested 100,000 levels deep gets wamp.error.invalid_argument and the session goes on`, async () => {
      const c = new RawClient(r.openUrl);
      await c.opened();
      await c.hello('realm1');
      c.send(message(deepList(100_000)));
      const err = await answer(c);
      assert.equal(err[0], 8);
      assert.equal(err[1], type);
      assert.equal(err[4], 'wamp.error.invalid_argument');
      assert.match(String((err[5] as unknown[])[0]), /a list of 1/);
      await stillServed(c, 2);
      c.close();
    });
  }

  test('CANCEL with a deeply nested mode gets wamp.error.invalid_argument', async () => {
    const c = new RawClient(r.openUrl);
    await c.opened();
    await c.hello('realm1', { roles: { caller: { features: { call_canceling: true } }, callee: { features: { call_canceling: true } } } });
    c.send('[64, 1, {}, "com.slow"]');
    const registered = await answer(c);
    assert.equal(registered[0], 65);
    c.send('[48, 2, {}, "com.slow"]');
    assert.equal((await answer(c))[0], 68); // the invocation, to ourselves
    c.send(`[49, 2, {"mode": ${deepList(100_000)}}]`);
    const err = await answer(c);
    assert.deepEqual(err.slice(0, 3), [8, 49, 2]);
    assert.equal(err[4], 'wamp.error.invalid_argument');
    await stillServed(c, 3);
    c.close();
  });

  test('an unknown message type that is a deep list is a protocol violation with a short reason', async () => {
    const c = new RawClient(r.openUrl);
    await c.opened();
    await c.hello('realm1');
    c.send(`[${deepList(100_000)}, 1]`);
    const abort = await answer(c);
    assert.equal(abort[0], 3);
    assert.equal(abort[2], 'wamp.error.protocol_violation');
    assert.equal((abort[1] as { message: string }).message, 'unknown message type a list of 1');
    await c.closed;
  });

  test('an error about a megabyte-long URI quotes only its beginning', async () => {
    const c = new RawClient(r.openUrl);
    await c.opened();
    await c.hello('realm1');
    const uri = `com.${'x '.repeat(500_000)}`;
    c.send(JSON.stringify([48, 1, {}, uri]));
    const err = await answer(c);
    assert.equal(err[4], 'wamp.error.invalid_uri');
    const text = String((err[5] as unknown[])[0]);
    assert.ok(text.length < 300, `error text of ${text.length} characters`);
    assert.ok(text.startsWith("invalid procedure URI 'com.x x"), text.slice(0, 80));
    c.close();
  });
});
