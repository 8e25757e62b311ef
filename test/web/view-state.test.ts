// The monitor's view in the URL: what a shared link restores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_VIEW, formatViewState, parseViewState, type ViewState } from '../../web/src/view-state.js';

test('a view survives the round trip through its query string', () => {
  const views: ViewState[] = [
    { plots: [['apex_archive::apex_temperature', 'apex_archive::apex_humidity'], ['sensors::cpu_load_1']], nodes: ['apex_archive'], range: { kind: 'relative', spanMs: 6 * 3_600_000 }, live: true, utc: true },
    { plots: [['ocs_feeds::fake-data1.temperatures.channel_01_t']], nodes: [], range: { kind: 'absolute', fromMs: Date.UTC(2017, 6, 14), toMs: Date.UTC(2017, 6, 15, 12, 30) }, live: false, utc: false },
    { plots: [['odd node::a field/with?&=#%']], nodes: ['odd node'], range: { kind: 'relative', spanMs: 90_000 }, live: false, utc: true },
  ];
  for (const v of views) assert.deepEqual(parseViewState(formatViewState(v)), v);
});

test('links stay readable: names keep their colons and commas', () => {
  const q = formatViewState({ ...DEFAULT_VIEW, plots: [['a::x', 'b::y.z']], range: { kind: 'relative', spanMs: 900_000 } });
  assert.equal(q, '?plot=a::x,b::y.z&last=15m&live=1');
});

test('an empty or unreadable query gives the default view, and bad parts are ignored', () => {
  assert.deepEqual(parseViewState(''), DEFAULT_VIEW);
  assert.deepEqual(parseViewState('?last=soon&from=yesterday&plot=,,&live=maybe'), { ...DEFAULT_VIEW, live: false });
  // an inverted absolute range is not a range: the default span is kept
  const v = parseViewState('?from=2017-07-15&to=2017-07-14&plot=a::b');
  assert.deepEqual(v.range, DEFAULT_VIEW.range);
  assert.deepEqual(v.plots, [['a::b']]);
});

test('absolute ranges read ISO times, dates (UTC) and UNIX seconds; they are never live', () => {
  const v = parseViewState('?from=2017-07-14&to=1500076800&live=1');
  assert.deepEqual(v.range, { kind: 'absolute', fromMs: Date.UTC(2017, 6, 14), toMs: 1_500_076_800_000 });
  assert.equal(v.live, false);
});

test('repeated fields in a plot and repeated nodes are kept once', () => {
  const v = parseViewState('?plot=a::x,a::x,a::y&node=a&node=a,b');
  assert.deepEqual(v.plots, [['a::x', 'a::y']]);
  assert.deepEqual(v.nodes, ['a', 'b']);
});
