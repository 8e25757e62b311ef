import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { formatTable } from '../../src/cli/commands/status.js';

const bin = fileURLToPath(new URL('../../../bin/sisock.js', import.meta.url));

test('sisock node lists its kinds; an unknown kind exits 2', () => {
  const list = spawnSync(process.execPath, [bin, 'node', '--help'], { encoding: 'utf8' });
  assert.equal(list.status, 0);
  assert.match(list.stdout, /weather +example APEX weather archive/);
  const bad = spawnSync(process.execPath, [bin, 'node', 'nope'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown kind 'nope'/);
});

test('sisock node weather --help shows the connection, common and kind options', () => {
  const r = spawnSync(process.execPath, [bin, 'node', 'weather', '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  for (const flag of ['--url', '--secret', '--ca', '--max-points', '--downsample', '--claim-timeout', '--data-dir']) assert.ok(r.stdout.includes(flag), flag);
  assert.match(r.stdout, /env MAX_POINTS/);
  assert.match(r.stdout, /env WAMP_SECRET/);
});

test('bad settings exit 2 with a message', () => {
  const r = spawnSync(process.execPath, [bin, 'node', 'weather', '--downsample', 'naive'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--downsample must be m4 or lttb/);
});

test('the status table lines up like docker ps', () => {
  const table = formatTable([
    { name: 'sensors', description: 'Machine sensors.', fields: 12, timelines: 1, status: 'up 3 minutes', session: 42 },
    { name: 'apex_archive', description: 'Archived APEX weather.', fields: 5, timelines: 2, status: 'up 2 hours', session: 7 },
    { name: 'stuck', description: 'Hangs.', fields: null, timelines: null, status: 'not answering', session: null },
  ]);
  const lines = table.split('\n');
  assert.match(lines[0]!, /^NAME +FIELDS +TIMELINES +STATUS +SESSION +DESCRIPTION$/);
  assert.match(lines[1]!, /^apex_archive +5 +2 +up 2 hours +7 +Archived APEX weather\.$/);
  assert.match(lines[3]!, /^stuck +\? +\? +not answering +- +Hangs\.$/);
  const col = lines[0]!.indexOf('STATUS');
  assert.ok(lines.slice(1).every((l) => l.slice(col).match(/^(up|not)/)), 'columns aligned');
});
