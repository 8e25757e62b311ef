// The router killed (SIGKILL) and started again on the same ports while a
// steady query load runs through the HTTP bridge (SimpleJson /query and the
// REST API) and through direct WAMP consumers (JSON and msgpack). Every
// component reconnects by itself; the hub's node list, the bridge's field
// list and the subscriptions are restored; queries fail cleanly during the
// gap (an error status or error URI with a message, never a hang) and
// succeed again soon after the router's return; no component exits.
//
// The issue asks for success "within 5 s of the router's return": the wait
// for it is bounded at three times that, so a loaded test machine does not
// fail a healthy system; the measured times go to the test log.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WampClient } from '../../src/client/client.js';
import { NotConnectedError, WampError, describeError } from '../../src/client/errors.js';
import type { DataNodeInfo, DataReply } from '../../src/protocol/types.js';
import { dataNodeProcedures, HUB } from '../../src/protocol/uris.js';
import { waitFor, type SisockProcess } from '../helpers/sisock.js';
import { startSystem, type Bridge, type System } from '../helpers/system.js';

const JULY_14 = 1499990400;
const RECOVERY_BOUND_MS = 15_000;
const GAP_MS = 8000;

let system: System;
let hub: SisockProcess;
let stuck: SisockProcess;
let bridge: Bridge;
const nodes: SisockProcess[] = [];
const consumers: WampClient[] = [];

interface Outcome {
  stream: string;
  /** ms since the epoch when the request began */
  at: number;
  ms: number;
  ok: boolean;
  /** HTTP status or error URI / class, and message */
  detail: string;
}

const outcomes: Outcome[] = [];
let loading = false;

/** Sends one request after another (50 ms apart) until told to stop, recording each outcome. */
async function load(stream: string, once: () => Promise<string | null>): Promise<void> {
  while (loading) {
    const at = Date.now();
    let failure: string | null;
    try {
      failure = await once();
    } catch (err) {
      failure = err instanceof WampError ? `${err.uri}: ${err.message}` : err instanceof NotConnectedError ? `not connected: ${err.message}` : `unexpected: ${describeError(err)}`;
    }
    outcomes.push({ stream, at, ms: Date.now() - at, ok: failure === null, detail: failure ?? 'ok' });
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An HTTP request of the load: null when it succeeded with the expected data, else why not. */
async function http(path: string, body?: unknown): Promise<string | null> {
  let res: Response;
  try {
    res = await fetch(bridge.url + path, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      signal: AbortSignal.timeout(20_000),
    });
  } catch (err) {
    return `hang or transport failure: ${describeError(err)}`;
  }
  const json = (await res.json()) as unknown;
  if (res.status !== 200) return `${res.status}: ${(json as { message?: string }).message ?? 'no message'}`;
  const text = JSON.stringify(json);
  return text.includes('-6.99') && text.includes('-8.73') ? null : `200 without the data: ${text.slice(0, 200)}`;
}

const grafanaQuery = {
  range: { from: new Date(JULY_14 * 1000).toISOString(), to: new Date((JULY_14 + 7200) * 1000).toISOString() },
  intervalMs: 1000,
  maxDataPoints: 1000,
  targets: [{ target: 'alpha::apex_temperature', refId: 'A' }, { target: 'beta::apex_temperature', refId: 'B' }],
};

async function wamp(c: WampClient, node: string): Promise<string | null> {
  const r = (await c.call(dataNodeProcedures(node).getData, [['apex_temperature'], JULY_14, JULY_14 + 7200], undefined, { timeout: 20_000 })).args[0] as DataReply;
  return JSON.stringify(r.data.apex_temperature) === '[-6.99,-8.73]' ? null : `wrong data ${JSON.stringify(r.data)}`;
}

async function hubList(c: WampClient): Promise<string[]> {
  return ((await c.call(HUB.getDataNode, [], undefined, { timeout: 5000 })).args[0] as DataNodeInfo[]).map((n) => n.name).sort();
}

async function bridgeNames(): Promise<string[]> {
  return (await (await fetch(`${bridge.url}/search`, { method: 'POST', body: '{}' })).json()) as string[];
}

/** When each component said it joined the router again (pino `time` of its 'joined the router' lines), after `since`. */
function rejoins(p: SisockProcess, since: number): number[] {
  return p.logs().filter((l) => l.msg === 'joined the router' && typeof l.time === 'number' && l.time > since).map((l) => l.time as number);
}

before(async () => {
  system = await startSystem();
  hub = await system.startHub(['--probe-interval', '5']);
  for (const name of ['alpha', 'beta']) nodes.push(await system.startNode(['weather', '--name', name]));
  stuck = await system.startMisbehaving('hang-on-signal', 'stuck');
  bridge = await system.startBridge(['--fields-refresh', '0', '--node-timeout', '10']);
  consumers.push(await system.consumer(), await system.consumer({ serializer: 'msgpack' }));
  await waitFor('the bridge to know both nodes', async () => (await bridgeNames()).filter((n) => n.endsWith('::apex_temperature')).length === 2);
});

after(async () => {
  loading = false;
  await system?.close();
});

test('router killed under load: everything reconnects, state is restored, queries fail cleanly and recover', async (t) => {
  const [json, msgpack] = consumers as [WampClient, WampClient];
  const listBefore = await hubList(json);
  const namesBefore = await bridgeNames();
  assert.deepEqual(listBefore, ['alpha', 'beta', 'stuck']);
  const added: string[] = [];
  const hubEvents: string[] = [];
  await json.subscribe(HUB.added, (ev) => {
    added.push((ev.args[0] as DataNodeInfo).name);
    hubEvents.push(`+${(ev.args[0] as DataNodeInfo).name}`);
  });
  await json.subscribe(HUB.subtracted, (ev) => void hubEvents.push(`-${(ev.args[0] as DataNodeInfo).name}`));

  loading = true;
  const streams = [
    load('bridge /query', () => http('/query', grafanaQuery)),
    load('bridge REST', () => http(`/api/v1/data?fields=alpha::apex_temperature&from=${JULY_14}&to=${JULY_14 + 7200}`)),
    load('WAMP json', () => wamp(json, 'alpha')),
    load('WAMP msgpack', () => wamp(msgpack, 'beta')),
  ];
  const names = ['bridge /query', 'bridge REST', 'WAMP json', 'WAMP msgpack'];
  await waitFor('a steady load', () => names.every((s) => outcomes.filter((o) => o.stream === s && o.ok).length >= 5));

  // a call in flight when the router dies (to a node that never answers): it must fail at once, not hang
  stuck.kill('SIGUSR2');
  await waitFor('the node to hang', () => stuck.stdout().includes('hanging'));
  const inFlight = json.call(dataNodeProcedures('stuck').getData, [['v'], -60, 0], undefined, { timeout: 60_000 }).then(
    () => ({ err: null as unknown, at: Date.now() }),
    (err: unknown) => ({ err, at: Date.now() }),
  );
  await new Promise((r) => setTimeout(r, 100));

  const killedAt = Date.now();
  await system.killRouter();
  await new Promise((r) => setTimeout(r, GAP_MS));
  await system.restartRouter();
  const returnedAt = Date.now();

  // recovery: every stream succeeds again, and keeps succeeding
  const firstSuccess = new Map<string, number>();
  await waitFor(
    'every stream to succeed again',
    () => {
      for (const s of names) {
        const ok = outcomes.find((o) => o.stream === s && o.ok && o.at >= returnedAt);
        if (ok) firstSuccess.set(s, ok.at + ok.ms - returnedAt);
      }
      return firstSuccess.size === names.length;
    },
    RECOVERY_BOUND_MS,
    20,
  );
  const recoveredAt = Date.now();
  await new Promise((r) => setTimeout(r, 1500));
  loading = false;
  await Promise.all(streams);

  const lost = await inFlight;
  t.diagnostic(`a call in flight at the kill failed ${lost.at - killedAt} ms after it: ${describeError(lost.err)}`);
  assert.ok(lost.err instanceof NotConnectedError, `the call in flight fails as not connected: ${String(lost.err)}`);
  assert.ok(lost.at < returnedAt, 'it failed during the gap, not after');
  for (const [s, ms] of firstSuccess) t.diagnostic(`${s}: first success ${ms} ms after the router's return`);
  for (const [name, p] of [['hub', hub], ['alpha', nodes[0]!], ['beta', nodes[1]!], ['bridge', bridge.process]] as const) {
    const times = rejoins(p, returnedAt - 1);
    t.diagnostic(`${name}: rejoined ${times.length > 0 ? `${times[0]! - returnedAt} ms` : 'never'} after the router's return`);
  }
  t.diagnostic(`hub events heard by a consumer around the restart: ${hubEvents.join(' ')}`);
  assert.deepEqual(hubEvents.filter((e) => e.startsWith('-')), [], 'no node was ever subtracted: they all came back in time');
  const gap = outcomes.filter((o) => o.at >= killedAt && o.at < recoveredAt);
  const failures = gap.filter((o) => !o.ok);
  const kinds = new Map<string, number>();
  for (const f of failures) {
    const kind = `${f.stream}: ${f.detail.replace(/\d{4,}/g, 'N')}`;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  t.diagnostic(`router away ${returnedAt - killedAt} ms; ${gap.length} requests meanwhile, ${failures.length} failed:`);
  for (const [k, n] of kinds) t.diagnostic(`  ${n} x ${k}`);

  // before the kill: no failure
  assert.deepEqual(outcomes.filter((o) => o.at + o.ms < killedAt && !o.ok), []);
  // during the gap: clean failures only (error status or URI with a message), quick, never a hang
  for (const f of failures) {
    assert.match(f.detail, /^(50[234]: .+|wamp\.error\.\w+: .+|not connected: .+)$/, `a clean failure: ${f.stream} ${f.detail}`);
    assert.ok(f.ms < 15_000, `${f.stream} failed in ${f.ms} ms, not after hanging`);
  }
  assert.ok(failures.length > 0, 'the gap was seen');
  // after recovery: no failure
  assert.deepEqual(outcomes.filter((o) => o.at > recoveredAt && !o.ok), [], 'steady again after recovery');
  for (const [s, ms] of firstSuccess) assert.ok(ms <= RECOVERY_BOUND_MS, `${s} recovered`);

  // no component exited; state restored
  for (const p of [hub, ...nodes, stuck, bridge.process]) assert.equal(p.child.exitCode, null, 'no component exited');
  assert.deepEqual(await hubList(json), listBefore, "the hub's node list");
  assert.deepEqual(await bridgeNames(), namesBefore, "the bridge's field list");

  // subscriptions restored: the consumer's and the bridge's hear of a node that arrives now
  const late = await system.startNode(['weather', '--name', 'late']);
  nodes.push(late);
  await waitFor('the consumer to hear data_node_added', () => added.includes('late'));
  await waitFor('the bridge to list the new node (from the event: no periodic refresh)', async () => (await bridgeNames()).includes('late::apex_temperature'));
});
