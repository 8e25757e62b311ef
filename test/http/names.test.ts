import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePattern, filterNames, fullName, splitName, unescapeRegex } from '../../src/http/names.js';

test('names split at the first :: and join back', () => {
  assert.deepEqual(splitName('apex_archive::apex_temperature'), { node: 'apex_archive', field: 'apex_temperature' });
  assert.deepEqual(splitName('g3::a::b'), { node: 'g3', field: 'a::b' });
  assert.equal(splitName('no separator'), null);
  assert.equal(splitName('::field'), null);
  assert.equal(fullName('n', 'f'), 'n::f');
});

test("Grafana's regex escaping of a single value is undone", () => {
  assert.equal(
    unescapeRegex('g3_reader::observatory\\.LSA22YE\\.feeds\\.temperatures\\.Channel_05_T'),
    'g3_reader::observatory.LSA22YE.feeds.temperatures.Channel_05_T',
  );
  assert.equal(unescapeRegex('a\\(b\\)\\|c\\[d\\]\\{e\\}\\*\\+\\?\\^\\$\\/\\\\'), 'a(b)|c[d]{e}*+?^$/\\');
  assert.equal(unescapeRegex('plain_name'), 'plain_name');
});

test('patterns: anchored or not; invalid and overlong patterns are refused', () => {
  assert.ok(compilePattern('a|b', true)?.test('b'));
  assert.equal(compilePattern('a|b', true)?.test('ab'), false);
  assert.ok(compilePattern('tem', false)?.test('apex_temperature'));
  assert.equal(compilePattern('tem', true)?.test('apex_temperature'), false);
  assert.equal(compilePattern('(unclosed', false), null);
  assert.equal(compilePattern('x'.repeat(3000), false), null);
  assert.ok(compilePattern('apex_archive::apex_(temperature|humidity)', true)?.test('apex_archive::apex_humidity'));
  // Grafana escapes `/` too: RE2 accepts escaped punctuation
  assert.ok(compilePattern('a\\/b\\.c', true)?.test('a/b.c'));
});

test('patterns that make a backtracking engine explode are matched in linear time', () => {
  // with JavaScript's RegExp this takes longer than the age of the universe
  const evil = compilePattern('(a|aa)+b', true);
  const evilNested = compilePattern('(a+)+$', false);
  const text = 'a'.repeat(100_000) + 'c';
  assert.equal(evil?.test(text), false);
  assert.equal(evilNested?.test(text), false);
  assert.equal(evilNested?.test('x' + 'a'.repeat(100_000)), true);
});

test('name filters: all for empty, regex when valid, substring otherwise; order kept', () => {
  const names = ['a::x.y', 'a::xzy', 'b::(odd'];
  assert.deepEqual(filterNames(names, ''), names);
  assert.deepEqual(filterNames(names, undefined), names);
  assert.deepEqual(filterNames(names, 'x.y'), ['a::x.y', 'a::xzy']);
  assert.deepEqual(filterNames(names, '^b'), ['b::(odd']);
  assert.deepEqual(filterNames(names, '(odd'), ['b::(odd']);
});
