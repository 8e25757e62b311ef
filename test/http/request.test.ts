import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nameFilter, parseQueryRequest, parseTargets } from '../../src/http/grafana/request.js';
import { nodeAllowed, nodeFilters } from '../../src/http/grafana/filters.js';
import { BadRequest } from '../../src/http/time.js';
import { fixture } from './helpers/fixtures.js';

test('SimpleJson on Grafana 5.4: range, stride from intervalMs and maxDataPoints, both targets with refIds', () => {
  const q = parseQueryRequest(fixture('sj-query-grafana5').body);
  assert.equal(q.fromMs, Date.UTC(2017, 6, 13));
  assert.equal(q.toMs, Date.UTC(2017, 6, 29));
  assert.equal(q.stride, 1200);
  assert.equal(q.maxDataPoints, 1164);
  assert.deepEqual(q.targets, [
    { target: 'apex_archive::apex_temperature', refId: 'A', format: 'timeseries' },
    { target: 'apex_archive::apex_humidity', refId: 'B', format: 'timeseries' },
  ]);
  assert.equal(q.requestId, undefined);
});

test('SimpleJson on Grafana 10: unknown top-level keys ignored, table target, requestId kept', () => {
  const q = parseQueryRequest(fixture('sj-query-grafana10').body);
  assert.equal(q.requestId, 'Q101');
  // 6 h / 550 points = 39273 ms > intervalMs 30000
  assert.equal(q.stride, 39.273);
  assert.deepEqual(
    q.targets.map((t) => [t.refId, t.format]),
    [
      ['A', 'timeseries'],
      ['B', 'timeseries'],
      ['C', 'table'],
    ],
  );
});

test('simpod: frames by default, payload.format picks another shape; hidden, empty and placeholder targets are dropped', () => {
  const code = parseQueryRequest(fixture('simpod-query-code').body);
  assert.deepEqual(
    code.targets.map((t) => [t.refId, t.target, t.format]),
    [
      ['A', 'apex_archive::apex_temperature', 'frame'],
      ['B', 'apex_archive::apex_humidity', 'frame'],
      ['C', 'apex_archive::apex_pressure', 'table'],
    ],
  );
  const legacy = parseQueryRequest(fixture('simpod-query-legacy-hidden').body);
  assert.deepEqual(
    legacy.targets.map((t) => t.refId),
    ['B'],
  );
  assert.deepEqual(
    parseTargets([
      { target: 'select metric', refId: 'A' },
      { target: 5, refId: 'B' },
      'n::f',
      null,
      { refId: 'C' },
      { target: '  n::f  ', refId: 'D', type: 'table', hide: false },
      { target: 'n::g', data: { format: 'frame' } },
      { target: 'n::h', payload: { format: 'timeseries' } },
      { target: 'n::i', data: {} },
    ]),
    [
      { target: 'n::f', refId: 'D', format: 'table' },
      { target: 'n::g', format: 'frame' },
      { target: 'n::h', format: 'timeseries' },
      { target: 'n::i', format: 'timeseries' },
    ],
  );
});

test('the annotation query through /query and the scenes query parse like any other', () => {
  const anno = parseQueryRequest(fixture('simpod-query-annotation').body);
  assert.deepEqual(anno.targets, [{ target: 'apex_archive::apex_temperature', refId: 'Anno', format: 'frame' }]);
  assert.equal(anno.stride, 60);
  const scenes = parseQueryRequest(fixture('simpod-query-scenes').body);
  assert.equal(scenes.requestId, 'SQR101');
  assert.equal(scenes.stride, 21.6);
});

test('bad bodies: not an object, no range, inverted range, non-array targets', () => {
  assert.throws(() => parseQueryRequest([]), (e: unknown) => e instanceof BadRequest && /JSON object/.test(e.message));
  assert.throws(() => parseQueryRequest({ targets: [] }), /range is missing/);
  assert.throws(
    () => parseQueryRequest({ range: { from: '2017-07-29T00:00:00Z', to: '2017-07-13T00:00:00Z' }, targets: [] }),
    /bad time range: from \(2017-07-29T00:00:00\.000Z\) is after to/,
  );
  assert.throws(() => parseQueryRequest({ range: { from: 'x', to: 1 }, targets: [] }), /range\.from is not a time/);
  assert.throws(() => parseQueryRequest({ range: { from: 0, to: 1 }, targets: {} }), /targets must be an array/);
  assert.deepEqual(parseQueryRequest({ range: { from: 0, to: 1 } }).targets, []);
});

test('name filters come from target, metric or payload.target (or a bare payload string)', () => {
  assert.equal(nameFilter(fixture('sj-search-open').body, 'target'), '');
  assert.equal(nameFilter(fixture('sj-search-variable-multi').body, 'target'), 'apex_archive::apex_(temperature|humidity)');
  assert.equal(nameFilter(fixture('simpod-metrics-code').body, 'metric'), '');
  assert.equal(nameFilter(fixture('simpod-metrics-builder').body, 'metric'), 'apex_archive::apex_temperature');
  assert.equal(nameFilter(fixture('simpod-variable-fields').body, 'payload', 'target'), 'fields(apex_archive)');
  assert.equal(nameFilter({ payload: 'nodes()' }, 'payload', 'target'), 'nodes()');
  assert.equal(nameFilter({ payload: { other: 1 } }, 'payload', 'target'), '');
  assert.equal(nameFilter(undefined, 'target'), '');
});

test('ad-hoc filters on node from adhocFilters and filters, deduplicated; other keys ignored', () => {
  const body = fixture('simpod-query-legacy-hidden').body as Record<string, unknown>;
  const filters = nodeFilters(body);
  assert.equal(filters.length, 1);
  assert.ok(nodeAllowed('apex_archive', filters));
  assert.equal(nodeAllowed('sensors', filters), false);
  const ops = (operator: string, value: string, values?: string[]) => [{ key: 'node', operator, value, ...(values ? { values } : {}) }];
  assert.equal(nodeAllowed('a', ops('!=', 'a')), false);
  assert.equal(nodeAllowed('apex', ops('=~', 'ap.*')), true);
  assert.equal(nodeAllowed('apex', ops('!~', 'ap.*')), false);
  assert.equal(nodeAllowed('b', ops('=|', '', ['a', 'b'])), true);
  assert.equal(nodeAllowed('b', ops('!=|', '', ['a', 'b'])), false);
  assert.equal(nodeAllowed('b', ops('<', 'a')), true);
  assert.deepEqual(nodeFilters({ filters: [{ key: 'City', operator: '=', value: 'Berlin' }, 'junk'] }), []);
});
