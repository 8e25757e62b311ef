import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Slots } from '../../src/http/slots.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('slots: at most size held; waiters go in order of arrival as slots are given back', async () => {
  const slots = new Slots(2);
  const order: string[] = [];
  const a = await slots.take();
  const b = await slots.take();
  const c = slots.take().then((give) => (order.push('c'), give));
  const d = slots.take().then((give) => (order.push('d'), give));
  await tick();
  assert.deepEqual([slots.inUse, slots.queued, order], [2, 2, []]);
  a();
  a(); // twice: the second does nothing
  const giveC = await c;
  await tick();
  assert.deepEqual([slots.inUse, slots.queued, order], [2, 1, ['c']]);
  b();
  const giveD = await d;
  assert.deepEqual(order, ['c', 'd']);
  giveC();
  giveD();
  assert.deepEqual([slots.inUse, slots.queued], [0, 0]);
});

test('slots: a waiter whose signal aborts leaves the line and takes no slot', async () => {
  const slots = new Slots(1);
  const held = await slots.take();
  const gone = new AbortController();
  const waiting = slots.take(gone.signal);
  const next = slots.take();
  await tick();
  assert.equal(slots.queued, 2);
  gone.abort(new Error('client went away'));
  await assert.rejects(waiting, /client went away/);
  assert.equal(slots.queued, 1);
  held();
  const give = await next;
  assert.equal(slots.inUse, 1);
  give();
  assert.equal(slots.inUse, 0);
  // already aborted: refused at once
  await slots.take();
  await assert.rejects(slots.take(AbortSignal.abort(new Error('too late'))), /too late/);
});
