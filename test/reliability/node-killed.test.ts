// A data node killed (SIGKILL) mid-reply: while it computes a large reply
// for a direct WAMP caller or for the HTTP bridge, and while it streams
// progressive results. The caller gets an error at once (the router fails
// the calls of a callee that left), nothing hangs, the hub drops the node,
// and the other nodes keep answering. Times are recorded, not asserted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type autobahn from 'autobahn';
import type { WampClient } from '../../src/client/client.js';
import { WampError } from '../../src/client/errors.js';
import type { DataNodeInfo, DataReply } from '../../src/protocol/types.js';
import { dataNodeProcedures, HUB } from '../../src/protocol/uris.js';
import { waitFor, type SisockProcess } from '../helpers/sisock.js';
import { startSystem, type Bridge, type System } from '../helpers/system.js';
import { connectAutobahn } from '../router/clients.js';

const JULY_14 = 1499990400;

let system: System;
let bridge: Bridge;
let consumer: WampClient;

async function listed(): Promise<string[]> {
  return ((await consumer.call(HUB.getDataNode)).args[0] as DataNodeInfo[]).map((n) => n.name).sort();
}

async function weatherAnswers(): Promise<void> {
  const r = (await consumer.call(dataNodeProcedures('apex_archive').getData, [['apex_temperature'], JULY_14, JULY_14 + 7200], undefined, { timeout: 20_000 })).args[0] as DataReply;
  assert.deepEqual(r.data.apex_temperature, [-6.99, -8.73]);
}

/** Kills `node` once it printed `line`; resolves with the time of the kill. */
async function killWhen(node: SisockProcess, line: RegExp): Promise<number> {
  await waitFor(`the node to print ${line}`, () => line.test(node.stdout()), 30_000, 5);
  node.kill('SIGKILL');
  return Date.now();
}

before(async () => {
  system = await startSystem();
  await system.startHub(['--probe-interval', '0']);
  await system.startNode(['weather']);
  bridge = await system.startBridge(['--node-timeout', '120', '--fields-refresh', '0']);
  consumer = await system.consumer();
});

after(async () => {
  await system?.close();
});

test('killed while computing a large reply for a direct caller (no timeout): the call fails at once', async (t) => {
  const big = await system.startMisbehaving('slow-large', 'big');
  await waitFor('the node listed', async () => (await listed()).includes('big'));
  // no call timeout: only the router's word can end this call
  const call = consumer.call(dataNodeProcedures('big').getData, [['v'], 1, 0]).then(
    () => 'answered',
    (err: unknown) => err,
  );
  const killedAt = await killWhen(big, /computing/);
  const err = await call;
  const failedAfter = Date.now() - killedAt;
  assert.ok(err instanceof WampError && err.uri === 'wamp.error.canceled', `the router says the callee left: ${String(err)}`);
  assert.match(err.message, /callee left/);
  t.diagnostic(`direct call failed ${failedAfter} ms after the node was killed`);
  await waitFor('the hub to drop the node', async () => !(await listed()).includes('big'));
  t.diagnostic(`hub dropped the node ${Date.now() - killedAt} ms after the kill`);
  await weatherAnswers();
});

test('killed while computing a large reply for the bridge: the HTTP request fails with 502, not a hang', async (t) => {
  const big = await system.startMisbehaving('slow-large', 'big2');
  await waitFor('the bridge to know the node', async () => {
    const names = (await (await fetch(`${bridge.url}/search`, { method: 'POST', body: '{}' })).json()) as string[];
    return names.includes('big2::v');
  });
  const asked = fetch(`${bridge.url}/api/v1/data?fields=big2::v&from=now-1h&to=now`, { signal: AbortSignal.timeout(60_000) }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as { message?: string },
  }));
  const killedAt = await killWhen(big, /computing/);
  const answer = await asked;
  t.diagnostic(`bridge answered ${answer.status} ${Date.now() - killedAt} ms after the node was killed`);
  assert.equal(answer.status, 502);
  assert.match(answer.body.message ?? '', /big2.*went away during the call/);
  // the bridge and the others are fine
  const other = await fetch(`${bridge.url}/api/v1/data?fields=apex_archive::apex_temperature&from=${JULY_14}&to=${JULY_14 + 7200}`);
  assert.equal(other.status, 200);
  await waitFor('the bridge to mark the node offline', async () => {
    const nodes = ((await (await fetch(`${bridge.url}/api/v1/nodes`)).json()) as { nodes: { name: string; online: boolean }[] }).nodes;
    return nodes.find((n) => n.name === 'big2')?.online === false;
  });
});

test('killed while streaming progressive results: the caller gets an error after the progress it had', async (t) => {
  const streamer = await system.startMisbehaving('progressive', 'streamer');
  const ab = await connectAutobahn({ url: system.router.tlsUrl, realm: 'test_realm', ca: system.router.ca, authid: 'simonsobs', authmethods: ['wampcra'], secret: system.router.secrets.simonsobs });
  try {
    const progress: unknown[] = [];
    type ProgressPromise = { then(ok: () => void, fail: (err: unknown) => void, onProgress: (p: unknown) => void): void };
    const call = new Promise<unknown>((resolve) => {
      // autobahn (when.js) reports progressive results as promise notifications
      (ab.session.call('org.simonsobservatory.consumer.streamer.stream', [], {}, { receive_progress: true } as autobahn.ICallOptions) as unknown as ProgressPromise).then(
        () => resolve('answered'),
        (err) => resolve(err),
        (p) => progress.push(p),
      );
    });
    await waitFor('three progressive results', () => progress.length >= 3, 30_000, 10);
    streamer.kill('SIGKILL');
    const killedAt = Date.now();
    const err = await call;
    t.diagnostic(`progressive call failed ${Date.now() - killedAt} ms after the node was killed`);
    assert.equal((err as { error?: string }).error, 'wamp.error.canceled');
    assert.ok(progress.length >= 3, 'the results sent before the kill arrived');
  } finally {
    await ab.close();
  }
  await weatherAnswers();
});
