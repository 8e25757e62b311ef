// Cases the HTTP fuzzer found in the bridge, each kept as a plain test.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApexArchiveSource } from '../../src/servers/weather/source.js';
import { startBridge, type RunningBridge } from '../http/helpers/bridge.js';
import { startStack, until, type Stack } from '../http/helpers/stack.js';

describe('HTTP bridge: fuzz findings', () => {
  let stack: Stack;
  let bridge: RunningBridge;
  before(async () => {
    stack = await startStack([await ApexArchiveSource.load()]);
    bridge = await startBridge(stack.upstream);
    await until('the bridge knows the weather node', () => bridge.bridge.service.catalog.names().length > 0);
  });
  after(async () => {
    await bridge.close();
    await stack.close();
  });

  // found by the fuzzer: HEAD on the event stream opened a live stream whose
  // headers Node never sends (a HEAD answer has no body, and this one never
  // ended): the client waited forever while the bridge polled the nodes
  test('HEAD /api/v1/events answers with the stream headers and ends', async () => {
    const res = await fetch(`${bridge.url}/api/v1/events?fields=apex_archive::apex_temperature&interval=1`, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(await res.text(), '');
  });

  // found by the fuzzer: the ad-hoc filters' values went whole into
  // JSON.stringify (to drop duplicate filters), which overflowed the stack
  // on a value nested 100,000 deep: 500 internal error
  test('an ad-hoc filter whose value nests 100,000 deep is not a 500', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const body = `{"range": {"from": "2017-07-20T00:00:00Z", "to": "2017-07-21T00:00:00Z"}, "targets": [{"target": "apex_archive::apex_temperature", "refId": "A"}], "maxDataPoints": 100, "filters": [{"key": "node", "operator": "=~", "value": ${deep}, "values": [${deep}, "apex_archive"]}]}`;
    const res = await fetch(`${bridge.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(res.status, 200, await res.clone().text());
    const series = (await res.json()) as { target?: string; name?: string }[];
    assert.equal(series.length, 1);
  });

  // found by the fuzzer: a body sent with Content-Encoding br that was not
  // brotli made the request decompression (@fastify/compress) fail in a way
  // that wedged the kept-alive connection: two requests later, an answer
  // never came
  test('a compressed request body is refused with 415, and the connection goes on serving', async () => {
    const body = JSON.stringify(Array.from({ length: 4000 }, () => ({ target: 'fields(apex_archive)' })));
    const first = await fetch(`${bridge.url}/search`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'br' }, body });
    assert.equal(first.status, 415);
    assert.match(((await first.json()) as { message: string }).message, /Content-Encoding 'br' are not accepted/);
    const second = await fetch(`${bridge.url}/nope`, { method: 'POST' });
    assert.equal(second.status, 404);
    await second.text();
    const third = await fetch(`${bridge.url}/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"target": "apex"}', signal: AbortSignal.timeout(10_000) });
    assert.equal(third.status, 200);
    assert.ok(((await third.json()) as string[]).includes('apex_archive::apex_temperature'));
  });

  // found by the fuzzer: one /query with the same target 9,000 times took
  // seconds of the bridge's time and built an answer of hundreds of MB; a
  // 4 MB body could carry 80,000
  test('a /query with more than 1000 targets is a 400; 1000 are answered', async () => {
    const body = (n: number): string =>
      JSON.stringify({ range: { from: '2017-07-20T00:00:00Z', to: '2017-07-20T01:00:00Z' }, maxDataPoints: 10, targets: Array.from({ length: n }, (_, i) => ({ refId: `T${i}`, target: 'apex_archive::apex_temperature' })) });
    const tooMany = await fetch(`${bridge.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(1001) });
    assert.equal(tooMany.status, 400);
    assert.match(((await tooMany.json()) as { message: string }).message, /at most 1000 targets per query, got 1001/);
    const fine = await fetch(`${bridge.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(1000) });
    assert.equal(fine.status, 200);
    assert.equal(((await fine.json()) as unknown[]).length, 1000);
  });

  test('HEAD /api/v1/events with a bad interval is a 400 like GET', async () => {
    const res = await fetch(`${bridge.url}/api/v1/events?interval=0`, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 400);
  });
});
