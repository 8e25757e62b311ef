// Consumers we did not write, autobahn-js (the WAMP authors' client, as the
// original Python consumers use autobahn) and wampy, read the weather node
// through a real router: fields, data with absolute and relative times, and
// min_stride given positionally and by keyword.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import autobahn from 'autobahn';
import { Wampy } from 'wampy';
import { MsgpackSerializer } from 'wampy/MsgpackSerializer.js';
import { WebSocket } from 'ws';
import { Hub } from '../../../src/hub/hub.js';
import type { DataReply, FieldsReply } from '../../../src/protocol/types.js';
import { dataNodeProcedures, HUB } from '../../../src/protocol/uris.js';
import { startRouter, TEST_TLS, type RouterUnderTest } from '../../helpers/router.js';
import { spawnSisock, waitFor, type SisockProcess } from '../../helpers/sisock.js';

const JULY_14 = 1499990400;
const P = dataNodeProcedures('apex_archive');

let router: RouterUnderTest;
let hub: Hub;
let node: SisockProcess;

before(async () => {
  router = await startRouter();
  const connection = { url: router.tlsUrl, realm: router.realm, ca: router.ca, auth: { method: 'wampcra' as const, authid: 'server', secret: router.secrets.server } };
  hub = new Hub({ connection: { ...connection, auth: { method: 'wampcra', authid: 'hub', secret: router.secrets.hub } }, probe: { interval: 0 } });
  await hub.start();
  node = await spawnSisock(['node', 'weather'], { env: { SISOCK_URL: router.tlsUrl, SISOCK_CA: TEST_TLS.caFile, WAMP_USER: 'server', WAMP_SECRET: router.secrets.server } });
  await waitFor('the node to announce itself', () => hub.registry.size === 1);
});

after(async () => {
  await node?.stop();
  await hub?.close();
  await router?.close();
});

/** What both consumers must see, whatever library asked. */
interface Calls {
  call(uri: string, args: unknown[], kwargs?: Record<string, unknown>): Promise<unknown>;
}

async function checkConsumer(c: Calls): Promise<void> {
  const nodes = (await c.call(HUB.getDataNode, [])) as { name: string; description: string }[];
  assert.deepEqual(nodes, [{ name: 'apex_archive', description: 'Archived APEX weather.' }]);

  const [fields, timelines] = (await c.call(P.getFields, [1, 0])) as FieldsReply;
  assert.equal(Object.keys(fields).length, 5);
  assert.deepEqual(fields.apex_windspeed, { description: 'APEX weather station windspeed.', timeline: 'minutely', type: 'number', units: 'km/h' });
  assert.deepEqual(timelines.hourly!.field.sort(), ['apex_humidity', 'apex_pressure', 'apex_temperature']);

  // absolute times, [start, end)
  const abs = (await c.call(P.getData, [['apex_temperature', 'apex_humidity'], JULY_14, JULY_14 + 3 * 3600])) as DataReply;
  assert.deepEqual(abs.data.apex_temperature, [-6.99, -8.73, -6.14]);
  assert.deepEqual(abs.data.apex_humidity, [33.34, 36.11, 28.78]);
  assert.deepEqual(abs.timeline.hourly!.t, [JULY_14, JULY_14 + 3600, JULY_14 + 7200]);
  assert.equal(abs.timeline.hourly!.finalized_until, null);

  // relative times: start as seconds before now reaches back to the archive; end 0 is now
  const ago = Math.ceil(Date.now() / 1000 - JULY_14) + 10;
  const rel = (await c.call(P.getData, [['apex_temperature'], -ago, 0])) as DataReply;
  assert.equal(rel.data.apex_temperature!.length, 337, 'the whole hourly archive (14 days + 1, day-boundary repeats merged)');
  const none = (await c.call(P.getData, [['apex_temperature'], -3600, 0])) as DataReply;
  assert.deepEqual(none, { data: { apex_temperature: [] }, timeline: {} }, 'the last hour of today has no 2017 data');

  // min_stride, positional and keyword, same answer; far fewer points, peaks kept
  const raw = (await c.call(P.getData, [['apex_windspeed'], 1, 0])) as DataReply;
  const positional = (await c.call(P.getData, [['apex_windspeed'], 1, 0, 3600])) as DataReply;
  const keyword = (await c.call(P.getData, [['apex_windspeed'], 1, 0], { min_stride: 3600 })) as DataReply;
  assert.deepEqual(positional, keyword);
  const span = raw.timeline.minutely!.t.at(-1)! - raw.timeline.minutely!.t[0]!;
  const kept = positional.data.apex_windspeed as number[];
  assert.ok(kept.length <= Math.ceil(span / 3600) + 9 && kept.length < raw.data.apex_windspeed!.length / 10, `${kept.length} points`);
  const rawValues = (raw.data.apex_windspeed as (number | null)[]).filter((v): v is number => v !== null);
  assert.equal(Math.max(...kept), Math.max(...rawValues), 'the maximum survives');
  assert.equal(Math.min(...kept), Math.min(...rawValues), 'the minimum survives');
  assert.equal(positional.timeline.minutely!.t.length, kept.length);
}

test('an autobahn-js consumer (msgpack, wss with the site CA) reads fields and data', async () => {
  const connection = new autobahn.Connection({
    url: router.tlsUrl,
    realm: router.realm,
    authmethods: ['wampcra'],
    authid: 'simonsobs',
    onchallenge: (_s: autobahn.Session, _m: string, extra: { challenge: string }) => autobahn.auth_cra.sign(router.secrets.simonsobs, extra.challenge),
    serializers: [new (autobahn as unknown as { serializer: { MsgpackSerializer: new () => unknown } }).serializer.MsgpackSerializer()],
    protocols: ['wamp.2.msgpack'],
    // autobahn hands `agent` (our CA) to ws only from a transport's own options
    transports: [{ type: 'websocket', url: router.tlsUrl, agent: new Agent({ ca: router.ca }) }],
    max_retries: 0,
    retry_if_unreachable: false,
  } as unknown as autobahn.IConnectionOptions);
  const session = await new Promise<autobahn.Session>((resolve, reject) => {
    connection.onopen = (s) => resolve(s);
    connection.onclose = (reason, details) => {
      reject(new Error(`${reason} ${JSON.stringify(details)}`));
      return false;
    };
    connection.open();
  });
  try {
    // autobahn resolves a single positional result to the value itself
    await checkConsumer({ call: (uri, args, kwargs) => Promise.resolve(session.call(uri, args, kwargs)) });
    await assert.rejects(Promise.resolve(session.call(P.getData, [['apex_windspeed'], 'yesterday', 0])), (err: { error: string; args: string[] }) => {
      assert.equal(err.error, 'wamp.error.invalid_argument');
      assert.match(err.args[0]!, /'start' must be a number/);
      return true;
    });
  } finally {
    connection.close();
  }
});

test('a wampy consumer (JSON, anonymous on the open port) reads fields and data', async () => {
  const w = new Wampy(router.openUrl, { realm: router.realm, ws: WebSocket as never, autoReconnect: false });
  await w.connect();
  try {
    await checkConsumer({
      call: async (uri, args, kwargs) => {
        const r = await w.call(uri, kwargs ? { argsList: args, argsDict: kwargs } : { argsList: args });
        return r.argsList?.[0];
      },
    });
  } finally {
    await w.disconnect();
  }
});

test('a wampy consumer with msgpack gets null, not NaN, where a timeline has no sample of a field', async () => {
  const w = new Wampy(router.openUrl, { realm: router.realm, ws: WebSocket as never, autoReconnect: false, serializer: new MsgpackSerializer() });
  await w.connect();
  try {
    // 1501043100 is in the windspeed file only; the radiometer shares its timeline
    const r = (await w.call(P.getData, { argsList: [['apex_radiometer', 'apex_windspeed'], 1501043100 - 60, 1501043100 + 61] })).argsList![0] as DataReply;
    assert.deepEqual(r.timeline.minutely!.t, [1501043040, 1501043100, 1501043160]);
    assert.equal(r.data.apex_radiometer![1], null);
    assert.equal(typeof r.data.apex_windspeed![1], 'number');
  } finally {
    await w.disconnect();
  }
});
