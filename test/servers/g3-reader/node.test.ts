// The g3_reader node through the real router, called by our client and by
// autobahn-js: field list and data equal to the reference library's on the
// reference archive (SQLite index), strides and MAX_POINTS, and two readers
// sharing one MariaDB index while a scanner writes it (and announcing the
// fields of a new provider as the index gains them).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import autobahn from 'autobahn';
import type { WampClient } from '../../../src/client/client.js';
import type { DataNodeServer } from '../../../src/datanode/server.js';
import { IndexScanner } from '../../../src/index/scanner.js';
import type { IndexStore } from '../../../src/index/store.js';
import type { DataReply } from '../../../src/protocol/types.js';
import { dataNodeProcedures, FIELDS_CHANGED_PATTERN, nodeOfFieldsChangedTopic } from '../../../src/protocol/uris.js';
import { G3ReaderSource } from '../../../src/servers/g3-reader/source.js';
import { ARCHIVE, mysqlFactory, REFERENCE, referenceCopy, sqliteFactory, type StoreFactory } from '../../index/helpers.js';
import { waitFor } from '../../helpers/sisock.js';
import { consumer, getData, getFields, serveNode, startRouter, strideBound, type RouterUnderTest } from '../../helpers/datanode.js';

type DataTruth = { data: Record<string, { dtype: string; values: unknown[] }>; timelines: Record<string, { fields: string[]; t: number[]; finalized_until: number }> };

let router: RouterUnderTest;
let c: WampClient;
let ref: { dir: string; cleanup: () => Promise<void> };
let live: { dir: string; cleanup: () => Promise<void> };
let sqlite: StoreFactory;
let maria: StoreFactory;
const stores: IndexStore[] = [];
const nodes: DataNodeServer[] = [];
let scanner: IndexScanner;

async function reader(factory: StoreFactory, name: string, maxPoints: number | null = null): Promise<void> {
  const store = factory.again();
  const source = new G3ReaderSource({ store, name, refreshInterval: 0 });
  await source.start();
  nodes.push(await serveNode(router, source, maxPoints));
}

before(async () => {
  router = await startRouter();
  ref = await referenceCopy();
  sqlite = await sqliteFactory();
  const s = await sqlite.make();
  stores.push(s);
  await new IndexScanner({ root: ref.dir, store: s, interval: 0, watch: false, policy: 'stop' }).pass();
  await reader(sqlite, 'g3_reader');
  await reader(sqlite, 'g3_reader_capped', 50);

  // A MariaDB index of part of the archive, kept up to date by a scanner, shared by two readers.
  live = await referenceCopy(['16499/1649997600.g3']);
  maria = await mysqlFactory();
  const m = await maria.make();
  stores.push(m);
  scanner = new IndexScanner({ root: live.dir, store: m, interval: 0, watch: true, settle: 50 });
  const first = new Promise((resolve) => scanner.once('pass', resolve));
  scanner.start();
  await first;
  await reader(maria, 'g3_reader_a');
  await reader(maria, 'g3_reader_b');
  c = await consumer(router);
});

after(async () => {
  await c?.close();
  for (const n of nodes) await n.close();
  await scanner?.stop();
  for (const s of stores) await s.close();
  await router?.close();
  await sqlite?.cleanup();
  await maria?.cleanup();
  await ref?.cleanup();
  await live?.cleanup();
});

/** The truth as it reads after the wire: NaN as null, int64 as numbers. */
function wire(want: DataTruth): DataReply {
  const data: DataReply['data'] = {};
  for (const [k, v] of Object.entries(want.data)) {
    data[k] = v.values.map((x) => (x === 'NaN' || x === 'Infinity' || x === '-Infinity' ? null : v.dtype === 'int64' && typeof x === 'string' ? Number(x) : (x as number | string | boolean)));
  }
  const timeline: DataReply['timeline'] = {};
  for (const [k, v] of Object.entries(want.timelines)) timeline[k] = { t: v.t, finalized_until: v.finalized_until, fields: v.fields };
  return { data, timeline };
}

test('get_fields through the router: every field, grouped into timelines as so3g groups them', async () => {
  const [fields, timelines] = await getFields(c, 'g3_reader', 1, 0);
  const want = ARCHIVE.get_fields as { fields: Record<string, { timeline: string }>; timelines: Record<string, { field: string[] }> };
  assert.deepEqual(Object.keys(fields), Object.keys(want.fields));
  for (const [k, v] of Object.entries(fields)) {
    assert.equal(v.timeline, want.fields[k]!.timeline, k);
    assert.equal(v.description, null);
  }
  assert.deepEqual(timelines, Object.fromEntries(Object.entries(want.timelines).map(([k, v]) => [k, { interval: null, field: v.field }])));
  const [none] = await getFields(c, 'g3_reader', 1e9, 1.1e9);
  assert.deepEqual(none, {}, 'nothing in 2001-2004');
});

test('get_data of every field over the archive through the router equals the reference library, in both clients', async () => {
  const want = ARCHIVE.get_data as DataTruth;
  const fields = Object.keys(want.data);
  const reply = await getData(c, 'g3_reader', fields, 1, 0);
  assert.deepStrictEqual(reply, wire(want));
  // autobahn-js, the reference WAMP client, reads the same.
  const conn = new autobahn.Connection({
    url: router.tlsUrl,
    realm: router.realm,
    authmethods: ['wampcra'],
    authid: 'simonsobs',
    onchallenge: (_s: autobahn.Session, _m: string, extra: { challenge: string }) => autobahn.auth_cra.sign(router.secrets.simonsobs, extra.challenge),
    transports: [{ type: 'websocket', url: router.tlsUrl, agent: new Agent({ ca: router.ca }) }],
    max_retries: 0,
    retry_if_unreachable: false,
  } as unknown as autobahn.IConnectionOptions);
  const session = await new Promise<autobahn.Session>((resolve, reject) => {
    conn.onopen = (s) => resolve(s);
    conn.onclose = (reason) => {
      reject(new Error(reason));
      return false;
    };
    conn.open();
  });
  try {
    const field = 'observatory.bluefors.feeds.bluefors.heater_state';
    const viaAutobahn = (await session.call(dataNodeProcedures('g3_reader').getData, [[field], 1, 0])) as DataReply;
    assert.deepStrictEqual(viaAutobahn, await getData(c, 'g3_reader', [field], 1, 0));
    assert.ok((viaAutobahn.data[field] as string[]).length > 100);
  } finally {
    conn.close();
  }
});

test('min_stride, positional or keyword, answers from the summaries within its bound and keeps the peaks', async () => {
  const field = 'observatory.LSA22YE.feeds.temperatures.Channel_01_T';
  const raw = await getData(c, 'g3_reader', [field], 1, 0);
  const pos = await getData(c, 'g3_reader', [field], 1, 0, 3600);
  const kw = await getData(c, 'g3_reader', [field], 1, 0, 3600, true);
  assert.deepEqual(kw, pos);
  const tl = Object.values(pos.timeline)[0]!;
  assert.deepEqual(tl.fields, [field]);
  const rawT = Object.values(raw.timeline)[0]!.t;
  assert.ok(tl.t.length < rawT.length && tl.t.length <= strideBound(rawT, 3600), `${tl.t.length} points`);
  const v = pos.data[field] as number[];
  const rawV = (raw.data[field] as (number | null)[]).filter((x): x is number => x !== null);
  assert.equal(Math.max(...v), Math.max(...rawV));
  assert.equal(Math.min(...v), Math.min(...rawV));
  const byT = new Map(rawT.map((t, i) => [t, raw.data[field]![i]]));
  tl.t.forEach((t, i) => assert.equal(v[i], byT.get(t), 'every point is a real sample'));
});

test('MAX_POINTS caps every timeline of a reply', async () => {
  const fields = ['observatory.LSA22YE.feeds.temperatures.Channel_01_T', 'observatory.bluefors.feeds.bluefors.pressure_ch1', 'observatory.bluefors.feeds.bluefors.heater_state'];
  // The 2022 session: four hourly files.
  const reply = await getData(c, 'g3_reader_capped', fields, 1649997600, 1650012000);
  const full = await getData(c, 'g3_reader', fields, 1649997600, 1650012000);
  for (const f of fields) {
    assert.ok(full.data[f]!.length > 50, `${f} has more samples than the cap`);
    assert.ok(reply.data[f]!.length > 20 && reply.data[f]!.length <= 50, `${f}: ${reply.data[f]!.length}`);
  }
  for (const tl of Object.values(reply.timeline)) assert.ok(tl.t.length <= 50);
});

test('two readers share one MariaDB index while the scanner writes it: a new file is served by both', async () => {
  const field = 'observatory.apex-weather.feeds.weather.humidity';
  for (const n of ['g3_reader_a', 'g3_reader_b']) {
    assert.equal((await getData(c, n, [field], 1, 0)).data[field]!.length, 0);
    assert.ok(!(field in (await getFields(c, n, 1, 0))[0]), `${n} does not list the field yet`);
  }
  // the readers watch the index and announce the new provider's fields, unasked
  const announced = new Set<string>();
  await c.subscribe(FIELDS_CHANGED_PATTERN, (ev) => void announced.add(nodeOfFieldsChangedTopic(String(ev.details.topic)) ?? ''), { match: 'wildcard' });
  await mkdir(join(live.dir, '16500'));
  await copyFile(join(REFERENCE, '16500/1650004896.g3'), join(live.dir, '16500/1650004896.g3'));
  await waitFor('both readers announce new fields', () => announced.has('g3_reader_a') && announced.has('g3_reader_b'));
  assert.ok(!announced.has('g3_reader') && !announced.has('g3_reader_capped'), 'the readers of the other index say nothing');
  for (const n of ['g3_reader_a', 'g3_reader_b']) {
    await waitFor(`${n} serves the new file`, async () => (await getData(c, n, [field], 1, 0)).data[field]!.length > 0);
    const [fields] = await getFields(c, n, 1, 0);
    assert.ok(field in fields);
  }
  const a = await getData(c, 'g3_reader_a', [field], 1, 0);
  assert.deepStrictEqual(await getData(c, 'g3_reader_b', [field], 1, 0), a);
});
