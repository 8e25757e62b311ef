import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeRegistry } from '../../src/hub/registry.js';

test('a name belongs to the session that added it; the same session may announce again', () => {
  const r = new NodeRegistry();
  assert.equal(r.add('weather', 'Weather.', 11), 'added');
  assert.equal(r.add('weather', 'Other.', 22), 'taken');
  assert.equal(r.add('weather', 'Weather, again.', 11), 'refreshed');
  assert.deepEqual(r.list(), [{ name: 'weather', description: 'Weather, again.' }]);
});

test('subtract needs the owning session', () => {
  const r = new NodeRegistry();
  r.add('a', 'A', 1);
  assert.equal(r.subtract('a', 2), 'not-owner');
  assert.equal(r.subtract('nope', 1), 'unknown');
  assert.equal(r.subtract('a', 1), 'removed');
  assert.equal(r.size, 0);
});

test('a session leaving drops exactly its nodes', () => {
  const r = new NodeRegistry();
  r.add('a', 'A', 1);
  r.add('b', 'B', 1);
  r.add('c', 'C', 2);
  assert.deepEqual(r.dropSession(1).map((n) => n.name).sort(), ['a', 'b']);
  assert.deepEqual(r.list(), [{ name: 'c', description: 'C' }]);
  assert.deepEqual(r.dropSession(99), []);
});

test('a rediscovered node keeps its placeholder until it announces itself', () => {
  const r = new NodeRegistry();
  r.add('x', '(unknown)', 5, { rediscovered: true });
  assert.equal(r.get('x')!.rediscovered, true);
  assert.equal(r.add('x', '(unknown again)', 5, { rediscovered: true }), 'refreshed');
  assert.equal(r.get('x')!.description, '(unknown)');
  r.add('x', 'Real description.', 5);
  assert.equal(r.get('x')!.description, 'Real description.');
  assert.equal(r.get('x')!.rediscovered, false);
});
