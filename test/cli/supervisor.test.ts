import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Supervisor } from '../../src/cli/supervisor.js';

const fake = fileURLToPath(new URL('../helpers/fake-part.js', import.meta.url));

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.setEncoding('utf8').on('data', (d: string) => (text += d));
  return { stream, text: () => text };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const fastBackoff = { initialDelay: 50, maxDelay: 200, factor: 2, jitter: 0 };

test('parts start in order, report ready, get their output prefixed, and stop in reverse order', async () => {
  const out = collect();
  const err = collect();
  const s = new Supervisor({ bin: fake, out: out.stream, err: err.stream, backoff: fastBackoff, width: 6 });
  const exits: string[] = [];
  s.on('exit', (name: string) => exits.push(name));
  try {
    assert.equal(await s.start({ name: 'first', args: ['ready', 'listening on ws://x'] }), 'listening on ws://x');
    assert.equal(await s.start({ name: 'second', args: ['ready', 'serving'] }), 'serving');
    const pids = [s.pid('first')!, s.pid('second')!];
    assert.ok(pids.every(alive));
    await s.stopAll();
    assert.ok(!pids.some(alive), 'every part is gone');
    assert.deepEqual(exits, ['second', 'first']);
    assert.match(out.text(), /^first {2}\| listening on ws:\/\/x$/m);
    assert.match(err.text(), /^second \| \{"msg":"fake part started"/m);
  } finally {
    await s.stopAll();
  }
});

test('a crashed part is restarted with backoff; one that exits with code 2 or 3 is not', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sisock-sup-'));
  const marker = join(dir, 'starts');
  const out = collect();
  const err = collect();
  const s = new Supervisor({ bin: fake, out: out.stream, err: err.stream, backoff: fastBackoff });
  try {
    const restarted: string[] = [];
    s.on('restart', (name: string) => restarted.push(name));
    await s.start({ name: 'flaky', args: ['crash-after', '100'], env: { FAKE_MARKER: marker } });
    await new Promise<void>((resolve) => s.on('restart', (_n: string, attempt: number) => attempt >= 3 && resolve()));
    const starts = (await readFile(marker, 'utf8')).trim().split('\n');
    assert.ok(starts.length >= 3, `restarted (${starts.length} starts)`);
    assert.match(err.text(), /flaky +\| exited \(code 1\); restarting in/);

    // A clean exit was asked for (Ctrl-C reaches every part): no restart.
    const quitterExit = new Promise<void>((resolve) => s.on('exit', (n: string) => n === 'quitter' && resolve()));
    await s.start({ name: 'quitter', args: ['ready-then-exit', '0'] });
    await quitterExit;
    assert.match(err.text(), /quitter +\| stopped$/m);
    assert.ok(!restarted.includes('quitter'), 'not restarted');
    assert.ok(restarted.includes('flaky'));

    // Exit code 3 (name taken) or 2 (bad settings): a restart cannot help.
    const failed = new Promise<[string, number]>((resolve) => s.once('failed', (n: string, c: number) => resolve([n, c])));
    await s.start({ name: 'taken', args: ['ready-then-exit', '3'] });
    assert.deepEqual(await failed, ['taken', 3]);
    assert.match(err.text(), /taken +\| exited with code 3; not restarting it/);

    // A part that dies before it is ever ready makes start() fail, and is not restarted either.
    await assert.rejects(s.start({ name: 'broken', args: ['exit', '1'] }), /broken exited \(code 1\) before it was ready/);
    assert.ok(!restarted.includes('broken') && !restarted.includes('taken'));
  } finally {
    await s.stopAll();
    await rm(dir, { recursive: true, force: true });
  }
});
