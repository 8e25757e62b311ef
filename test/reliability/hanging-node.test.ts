// A data node that hangs: it accepts calls and never answers (its event loop
// alive, as a node stuck in its data source; then frozen whole by SIGSTOP).
// Callers get a timeout error in bounded time, other nodes keep answering,
// the hub reports the stuck node, and everything is well again once it
// answers. Real processes on loopback; times are recorded, not asserted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WampClient } from '../../src/client/client.js';
import { WampError } from '../../src/client/errors.js';
import type { HubStatus } from '../../src/hub/hub.js';
import type { DataReply } from '../../src/protocol/types.js';
import { dataNodeProcedures, HUB } from '../../src/protocol/uris.js';
import { spawnSisock, waitFor, type SisockProcess } from '../helpers/sisock.js';
import { startSystem, type Bridge, type System } from '../helpers/system.js';
import { connectAutobahn } from '../router/clients.js';

const NODE_TIMEOUT_S = 2;
const CALL_TIMEOUT_MS = 2000;
const JULY_14 = 1499990400;

let system: System;
let hub: SisockProcess;
let stuck: SisockProcess;
let bridge: Bridge;
let consumer: WampClient;

async function health(name: string): Promise<string | undefined> {
  const status = (await consumer.call(HUB.status)).args[0] as HubStatus;
  return status.nodes.find((n) => n.name === name)?.health;
}

async function weatherAnswers(): Promise<number[]> {
  const r = (await consumer.call(dataNodeProcedures('apex_archive').getData, [['apex_temperature'], JULY_14, JULY_14 + 7200], undefined, { timeout: 20_000 })).args[0] as DataReply;
  return r.data.apex_temperature as number[];
}

/** Runs `work`; its result and how long it took. */
async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const began = Date.now();
  const value = await work();
  return { value, ms: Date.now() - began };
}

/** Runs `work` and returns what it threw and how long that took. */
async function failure(work: () => Promise<unknown>): Promise<{ err: unknown; ms: number }> {
  const began = Date.now();
  try {
    await work();
  } catch (err) {
    return { err, ms: Date.now() - began };
  }
  throw new Error('expected a failure, got an answer');
}

async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(bridge.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** A SimpleJson /query body; default range: the last ten minutes. */
function grafanaQuery(targets: string[], fromMs = Date.now() - 600_000, toMs = Date.now()): unknown {
  return { range: { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() }, intervalMs: 1000, maxDataPoints: 1000, targets: targets.map((target, i) => ({ target, refId: String.fromCharCode(65 + i) })) };
}

before(async () => {
  system = await startSystem();
  hub = await system.startHub(['--probe-interval', '1', '--probe-timeout', '1']);
  await system.startNode(['weather']);
  stuck = await system.startMisbehaving('hang-on-signal', 'stuck');
  bridge = await system.startBridge(['--node-timeout', String(NODE_TIMEOUT_S), '--fields-refresh', '0']);
  consumer = await system.consumer();
  await waitFor('both nodes healthy on the hub', async () => (await health('stuck')) === 'ok' && (await health('apex_archive')) === 'ok');
  await waitFor('the bridge knows the stuck node\'s field', async () => {
    const names = (await (await fetch(`${bridge.url}/search`, { method: 'POST', body: '{}' })).json()) as string[];
    return names.includes('stuck::v') && names.includes('apex_archive::apex_temperature');
  });
});

after(async () => {
  await system?.close();
});

test('a node stuck in its source: callers time out, the others answer, the hub reports it, and it recovers', async (t) => {
  stuck.kill('SIGUSR2');
  await waitFor('the node to hang', () => stuck.stdout().includes('hanging'));
  const hungAt = Date.now();
  // watched from now on, while the rest goes on
  const reportedAfter = waitFor('the hub to report the node unresponsive', async () => (await health('stuck')) === 'unresponsive', 30_000).then(() => Date.now() - hungAt);

  // a caller with a timeout of its own (our client layer)
  const own = await failure(() => consumer.call(dataNodeProcedures('stuck').getData, [['v'], -60, 0], undefined, { timeout: CALL_TIMEOUT_MS }));
  assert.ok(own.err instanceof WampError && own.err.uri === 'wamp.error.timeout', `timeout error, got ${String(own.err)}`);
  t.diagnostic(`direct call with a ${CALL_TIMEOUT_MS} ms timeout failed after ${own.ms} ms`);

  // a caller that asks the router to time the call out (autobahn, WAMP call option `timeout`)
  const ab = await connectAutobahn({ url: system.router.tlsUrl, realm: 'test_realm', ca: system.router.ca, authid: 'simonsobs', authmethods: ['wampcra'], secret: system.router.secrets.simonsobs });
  try {
    const routed = await failure(() => Promise.resolve(ab.session.call(dataNodeProcedures('stuck').getFields, [1, 0], {}, { timeout: CALL_TIMEOUT_MS })));
    assert.equal((routed.err as { error?: string }).error, 'wamp.error.timeout');
    t.diagnostic(`call timed out by the router (timeout option ${CALL_TIMEOUT_MS} ms) after ${routed.ms} ms`);
  } finally {
    await ab.close();
  }

  // many calls pending on the stuck node do not slow the others
  const pending = Array.from({ length: 20 }, () => consumer.call(dataNodeProcedures('stuck').getData, [['v'], -60, 0], undefined, { timeout: 4 * CALL_TIMEOUT_MS }).catch((err: unknown) => err));
  assert.deepEqual(await weatherAnswers(), [-6.99, -8.73], 'the weather node answers meanwhile');

  // the bridge: the stuck node's targets time out, the others are answered
  const mixed = await timed(() => post('/query', grafanaQuery(['stuck::v', 'apex_archive::apex_temperature'], JULY_14 * 1000, (JULY_14 + 7200) * 1000)));
  // partial success is a success for Grafana: the answer carries a notice for the stuck target
  assert.equal(mixed.value.status, 200);
  const series = mixed.value.json as unknown as { target: string; datapoints: unknown[]; meta?: { notices?: { text: string }[] } }[];
  assert.match(series.find((s) => s.target === 'stuck::v')?.meta?.notices?.[0]?.text ?? '', /did not answer within 2 s/);
  assert.deepEqual(series.find((s) => s.target === 'apex_archive::apex_temperature')?.datapoints, [[-6.99, JULY_14 * 1000], [-8.73, (JULY_14 + 3600) * 1000]]);
  t.diagnostic(`bridge /query with a stuck and a healthy target answered (200, notice on the stuck one) after ${mixed.ms} ms`);
  const only = await post('/query', grafanaQuery(['stuck::v']));
  assert.equal(only.status, 504);
  assert.match(String(only.json.message), /stuck.*did not answer within 2 s/);

  // the hub's liveness probe reports it (get_hub_status, its log, sisock status)
  t.diagnostic(`hub reported the node unresponsive ${await reportedAfter} ms after it began to hang (probe every 1 s, 1 s to answer)`);
  assert.equal(await health('apex_archive'), 'ok');
  await waitFor('the hub to log it', () => hub.logs().some((l) => l.msg === 'data node does not answer its liveness probe' && l.node === 'stuck'));
  const status = await spawnSisock(['status', '--timeout', '2'], { env: system.consumerEnv, untilExit: true });
  // status asks the node itself too: its own call failing shows as "not answering"
  assert.match(status.stdout(), /stuck\s.*(not answering|unresponsive)/);
  assert.match(status.stdout(), /apex_archive\s.*up /);

  for (const r of await Promise.all(pending)) assert.ok(r instanceof WampError && r.uri === 'wamp.error.timeout', `pending call timed out: ${String(r)}`);

  // it answers again: everyone sees it
  stuck.kill('SIGUSR2');
  const answeringAt = Date.now();
  await waitFor('the hub to see it answer again', async () => (await health('stuck')) === 'ok');
  t.diagnostic(`hub saw it healthy again ${Date.now() - answeringAt} ms after it answered again`);
  // the hub's log line comes through its stdout, which may trail the answer to the health query
  await waitFor("the hub's log line 'data node answers again'", () => hub.logs().some((l) => l.msg === 'data node answers again' && l.node === 'stuck'));
  const again = await consumer.call(dataNodeProcedures('stuck').getData, [['v'], -60, 0], undefined, { timeout: 20_000 });
  assert.ok(((again.args[0] as DataReply).data.v ?? []).length > 0);
  assert.equal((await post('/query', grafanaQuery(['stuck::v']))).status, 200);
  assert.equal(stuck.child.exitCode, null);
  assert.equal(hub.child.exitCode, null);
});

test('a node frozen whole (SIGSTOP): callers time out, nothing else is held up; thawed, it serves again', async (t) => {
  stuck.kill('SIGSTOP');
  try {
    const own = await failure(() => consumer.call(dataNodeProcedures('stuck').getData, [['v'], -60, 0], undefined, { timeout: CALL_TIMEOUT_MS }));
    assert.ok(own.err instanceof WampError && own.err.uri === 'wamp.error.timeout');
    t.diagnostic(`call to the frozen node failed after ${own.ms} ms`);
    assert.deepEqual(await weatherAnswers(), [-6.99, -8.73]);
    const only = await post('/query', grafanaQuery(['stuck::v']));
    assert.equal(only.status, 504);
    await waitFor('the hub to report the frozen node', async () => (await health('stuck')) === 'unresponsive');
  } finally {
    stuck.kill('SIGCONT');
  }
  // late answers to timed-out calls arrive now and are dropped; new calls are answered
  await waitFor('the thawed node to answer', async () => (await health('stuck')) === 'ok');
  const again = await consumer.call(dataNodeProcedures('stuck').getData, [['v'], -60, 0], undefined, { timeout: 20_000 });
  assert.ok(((again.args[0] as DataReply).data.v ?? []).length > 0);
  assert.equal((await post('/query', grafanaQuery(['stuck::v']))).status, 200);
});
