// fields_changed: a source that reports a change of its field list makes
// its DataNodeServer publish `consumer.<name>.fields_changed`, coalesced
// (one event per burst, at most one per gap, the last change always
// followed by an event), only with a session, and once more after the
// session comes back if a change was seen while it was away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotConnectedError, WampError } from '../../src/client/errors.js';
import { DataNodeServer } from '../../src/datanode/server.js';
import { FieldsAnnouncer } from '../../src/datanode/fields-announcer.js';
import { FIELDS_CHANGED_PATTERN, fieldsChangedTopic, nodeOfFieldsChangedTopic } from '../../src/protocol/uris.js';
import { silentLogger } from '../../src/log/logger.js';
import { captureLog } from '../helpers/log-capture.js';
import { consumer, getFields, startRouter } from '../helpers/datanode.js';
import { waitFor } from '../helpers/sisock.js';
import { growingSource } from '../http/helpers/sources.js';

/** An announcer whose publications are recorded (with the time they were made). */
function recorded(gapMs: number, options: { connected?: () => boolean; publish?: () => Promise<void> } = {}) {
  const at: number[] = [];
  const hooks: (() => void)[] = [];
  const announcer = new FieldsAnnouncer({
    gapMs,
    connected: options.connected ?? (() => true),
    logger: silentLogger,
    publish: async () => {
      at.push(performance.now());
      for (const h of hooks.splice(0)) h();
      await options.publish?.();
    },
  });
  return { announcer, at, onNextPublish: (h: () => void) => hooks.push(h) };
}

test('topics: one per node, and the node read back from a topic', () => {
  assert.equal(fieldsChangedTopic('ocs_feeds'), 'org.simonsobservatory.consumer.ocs_feeds.fields_changed');
  assert.equal(nodeOfFieldsChangedTopic(fieldsChangedTopic('ocs_feeds')), 'ocs_feeds');
  assert.equal(nodeOfFieldsChangedTopic('org.simonsobservatory.consumer.data_node_added'), null);
  assert.equal(nodeOfFieldsChangedTopic('org.simonsobservatory.consumer..fields_changed'), null);
});

test('the announcer: a burst is one event; changes within the gap wait for its end and make one more', async () => {
  const gap = 150;
  const { announcer, at, onNextPublish } = recorded(gap);
  for (let i = 0; i < 20; i++) announcer.changed();
  // while the first event goes out, more changes: inside the gap by construction
  onNextPublish(() => {
    for (let i = 0; i < 20; i++) announcer.changed();
  });
  await waitFor('two events', () => at.length === 2);
  // (times taken microseconds after the announcer takes its own)
  assert.ok(at[1]! - at[0]! >= gap - 0.5, `the trailing event waited for the gap (${at[1]! - at[0]!} ms)`);
  // nothing else was pending: a later change makes exactly one more
  announcer.changed();
  await waitFor('a third event', () => at.length === 3);
  assert.equal(announcer.published, 3);
  announcer.close();
});

test('the announcer: nothing without a session; what changed meanwhile goes out when one joins', async () => {
  let connected = false;
  const { announcer, at } = recorded(50, { connected: () => connected });
  announcer.changed();
  announcer.changed();
  // the change was seen; give its timer every chance to fire (its wait is 0)
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(at.length, 0, 'not published without a session');
  connected = true;
  announcer.joined();
  await waitFor('the event after joining', () => at.length === 1);
  announcer.joined(); // nothing pending: nothing to say
  announcer.changed();
  await waitFor('the next change', () => at.length === 2);
  announcer.close();
});

test('the announcer: a publication lost with the session is made again on the next one; a refusal is logged once', async () => {
  let fail: Error | null = new NotConnectedError('gone');
  const at: number[] = [];
  const log = captureLog();
  const announcer = new FieldsAnnouncer({
    gapMs: 10,
    connected: () => true,
    logger: log.logger,
    publish: async () => {
      at.push(performance.now());
      if (fail) throw fail;
    },
  });
  announcer.changed();
  await waitFor('the failed attempt', () => at.length === 1);
  fail = null;
  announcer.joined();
  await waitFor('the retry on the next session', () => at.length === 2 && announcer.published === 1);

  fail = new WampError('wamp.error.not_authorized', 'no');
  for (let i = 0; i < 3; i++) {
    announcer.changed();
    await waitFor(`refused attempt ${i + 1}`, () => at.length === 3 + i);
  }
  await waitFor('the warning', () => log.warnings(/field list changed/).length === 1);
  assert.equal(log.warnings(/field list changed/).length, 1, 'one warning for repeated refusals');
  announcer.close();
});

test('DataNodeServer publishes fields_changed when its source says so: one event per burst, the fields already listed', async () => {
  const router = await startRouter();
  const source = growingSource('growing');
  const server = new DataNodeServer({
    source,
    connection: { url: router.tlsUrl, realm: router.realm, ca: router.ca, auth: { method: 'wampcra', authid: 'server', secret: router.secrets.server }, reconnect: false },
    claimTimeout: 0,
    announceRetry: 60_000,
  });
  const c = await consumer(router);
  try {
    await server.start();
    const heard: { topic: unknown; fields: number }[] = [];
    await c.subscribe(
      FIELDS_CHANGED_PATTERN,
      async (e) => {
        heard.push({ topic: e.details.topic, fields: -1 });
        const entry = heard[heard.length - 1]!;
        entry.fields = Object.keys((await getFields(c, 'growing', 1, 0))[0]).length;
      },
      { match: 'wildcard' },
    );
    for (let i = 0; i < 30; i++) source.add(`f${i}`);
    await waitFor('the event', () => heard.length === 1 && heard[0]!.fields >= 0);
    assert.deepEqual(heard, [{ topic: fieldsChangedTopic('growing'), fields: 30 }]);
    // one change later: one more event (so nothing else was published in between)
    source.add('f30');
    await waitFor('the second event', () => heard.length === 2 && heard[1]!.fields >= 0);
    assert.deepEqual(heard[1], { topic: fieldsChangedTopic('growing'), fields: 31 });
    assert.equal(server.fieldsAnnouncer.published, 2);
  } finally {
    await c.close();
    await server.close();
    await router.close();
  }
});

test('a change seen while the node has no session is published once it is back on the router', async () => {
  const router = await startRouter();
  const source = growingSource('growing');
  const server = new DataNodeServer({
    source,
    connection: {
      url: router.tlsUrl,
      realm: router.realm,
      ca: router.ca,
      auth: { method: 'wampcra', authid: 'server', secret: router.secrets.server },
      reconnect: { initialDelay: 200, maxDelay: 500, factor: 2, jitter: 0.2 },
    },
    claimTimeout: 0,
    announceRetry: 200,
  });
  const c = await consumer(router);
  try {
    await server.start();
    const heard: unknown[] = [];
    await c.subscribe(FIELDS_CHANGED_PATTERN, (e) => void heard.push(e.details.topic), { match: 'wildcard' });
    // the change comes the moment the session is lost
    const lost = new Promise<void>((resolve) =>
      server.client.once('leave', () => {
        source.add('while_away');
        resolve();
      }),
    );
    router.router.realm(router.realm)!.sessions.get(server.client.sessionId!)!.kill('wamp.close.killed', 'this test ends the session');
    await lost;
    await waitFor('the node back on the router', () => server.client.joined);
    await waitFor('the event after the reconnection', () => heard.length === 1);
    assert.deepEqual(heard, [fieldsChangedTopic('growing')]);
    assert.ok('while_away' in (await getFields(c, 'growing', 1, 0))[0]);
  } finally {
    await c.close();
    await server.close();
    await router.close();
  }
});
