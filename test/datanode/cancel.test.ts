// A get_data that its caller gives up (cancel, timeout at the caller or at
// the router, caller gone) stops
// the data node's work for that call: the router sends INTERRUPT, the
// client layer aborts the invocation's signal, the source sees it. Nothing
// is logged as a failure, and the node serves the next call as usual.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallTimeoutError, WampError } from '../../src/client/errors.js';
import { DataNodeServer } from '../../src/datanode/server.js';
import type { DataNodeSource } from '../../src/datanode/source.js';
import { dataNodeProcedures } from '../../src/protocol/uris.js';
import { captureLog } from '../helpers/log-capture.js';
import { consumer, startRouter, type RouterUnderTest } from '../helpers/datanode.js';
import { waitFor } from '../helpers/sisock.js';
import { Wampy } from 'wampy';
import { WebSocket } from 'ws';

/** A source whose get_data waits until released or aborted, and says which. */
function waitingSource(name: string) {
  const seen = { calls: 0, aborted: [] as unknown[], release: [] as (() => void)[] };
  const source: DataNodeSource = {
    name,
    description: 'waits',
    getFields: () => [{ v: { description: null, timeline: 't', type: 'number', units: null } }, { t: { interval: 1, field: ['v'] } }],
    getData: (req) =>
      new Promise((resolve, reject) => {
        seen.calls++;
        seen.release.push(() => resolve([{ name: 't', t: Float64Array.from([1, 2]), fields: new Map([['v', [5, 6]]]), finalizedUntil: null }]));
        req.signal?.addEventListener('abort', () => {
          seen.aborted.push(req.signal?.reason);
          reject(new Error('stopped'));
        });
      }),
  };
  return { source, seen };
}

async function node(router: RouterUnderTest, source: DataNodeSource, logger = captureLog()) {
  const server = new DataNodeServer({
    source,
    connection: { url: router.openUrl, realm: router.realm, auth: { method: 'wampcra', authid: 'server', secret: router.secrets.server }, reconnect: false },
    claimTimeout: 0,
    announceRetry: 60_000,
    logger: logger.logger,
  });
  await server.start();
  return { server, log: logger };
}

test('a caller that cancels, times out (itself or through the router) or leaves stops the source; the node logs no failure and serves on', async () => {
  const router = await startRouter();
  const { source, seen } = waitingSource('waiting');
  const { server, log } = await node(router, source);
  const caller = await consumer(router);
  const uri = dataNodeProcedures('waiting').getData;
  try {
    // canceled by the caller
    const controller = new AbortController();
    const canceled = caller.call(uri, [["v"], 1, 10], undefined, { signal: controller.signal });
    await waitFor('the first call to reach the source', () => seen.calls === 1);
    controller.abort();
    await assert.rejects(canceled, (err: unknown) => err instanceof WampError && err.uri === 'wamp.error.canceled');
    await waitFor('the source to be aborted', () => seen.aborted.length === 1);
    const reason = seen.aborted[0];
    assert.ok(reason instanceof WampError && reason.uri === 'wamp.error.canceled', 'the reason says the call was canceled');

    // timed out at the caller
    await assert.rejects(caller.call(uri, [["v"], 1, 10], undefined, { timeout: 300 }), CallTimeoutError);
    await waitFor('the second call to be aborted', () => seen.aborted.length === 2);

    // the caller's session goes away mid-call
    const leaving = await consumer(router);
    const lost = leaving.call(uri, [["v"], 1, 10]).catch(() => undefined);
    await waitFor('the third call to reach the source', () => seen.calls === 3);
    await leaving.close();
    await lost;
    await waitFor('the third call to be aborted', () => seen.aborted.length === 3);

    // a caller we did not write asks the router to time the call out (CALL.Options.timeout)
    const w = new Wampy(router.openUrl, { realm: router.realm, ws: WebSocket as never, autoReconnect: false });
    await w.connect();
    try {
      await assert.rejects(w.call(uri, { argsList: [['v'], 1, 10] }, { timeout: 300 }), (err: unknown) => (err as { errorUri?: string }).errorUri === 'wamp.error.timeout');
    } finally {
      await w.disconnect();
    }
    await waitFor('the fourth call to be aborted', () => seen.aborted.length === 4);

    // the node serves on
    const answered = caller.call(uri, [["v"], 1, 10]);
    await waitFor('the fifth call to reach the source', () => seen.calls === 5);
    seen.release[4]?.();
    const reply = (await answered).args[0] as { data: { v: number[] } };
    assert.deepEqual(reply.data.v, [5, 6]);
    assert.equal(seen.aborted.length, 4);
    assert.deepEqual(
      log.warnings().map((l) => l.msg),
      [],
      'nothing logged as a failure',
    );
    assert.ok(log.lines.some((l) => /given up/.test(String(l.msg))), 'the give-up is logged at debug level');
  } finally {
    await caller.close();
    await server.close();
    await router.close();
  }
});
