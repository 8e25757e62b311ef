import { test } from 'node:test';
import assert from 'node:assert/strict';
import autobahn from 'autobahn';
import { computeWcs, convertStarredUri, deriveKey, isValidUri, secretsEqual } from '../../src/wamp/index.js';

test('WAMP-CRA signatures and derived keys agree with autobahn-js', () => {
  const challenge = JSON.stringify({ authid: 'server', nonce: 'abc', session: 1 });
  assert.equal(computeWcs('Q5#x4%HCmgTsS!Pj', challenge), autobahn.auth_cra.sign('Q5#x4%HCmgTsS!Pj', challenge));
  const key = deriveKey('secret', 'salt123', 1000, 32);
  assert.equal(key, autobahn.auth_cra.derive_key('secret', 'salt123', 1000, 32));
  assert.equal(computeWcs(key, challenge), autobahn.auth_cra.sign(key, challenge));
});

test('secretsEqual compares exactly', () => {
  assert.equal(secretsEqual('abc', 'abc'), true);
  assert.equal(secretsEqual('abc', 'abd'), false);
  assert.equal(secretsEqual('abc', 'abcd'), false);
});

test('loose URIs: OCS topics with dashes and upper case are valid', () => {
  assert.ok(isValidUri('observatory.LS372-1.feeds.temperatures'));
  assert.ok(isValidUri('org.simonsobservatory.consumer.apex_weather.get_data'));
  for (const bad of ['', 'a..b', '.a', 'a.', 'a b', 'a.#']) assert.equal(isValidUri(bad), false, bad);
  assert.ok(isValidUri('', 'prefix'));
  assert.ok(isValidUri('observatory.', 'prefix'));
  assert.ok(isValidUri('com..get_fields', 'wildcard'));
  assert.equal(isValidUri('com. .x', 'wildcard'), false);
});

test("crossbar's starred permission URIs convert as autobahn does", () => {
  assert.deepEqual(convertStarredUri('com.example.proc'), { uri: 'com.example.proc', match: 'exact' });
  assert.deepEqual(convertStarredUri('com.example.*'), { uri: 'com.example.', match: 'prefix' });
  assert.deepEqual(convertStarredUri('*'), { uri: '', match: 'prefix' });
  assert.deepEqual(convertStarredUri('com.*.proc'), { uri: 'com..proc', match: 'wildcard' });
  assert.deepEqual(convertStarredUri('com.*.proc.*'), { uri: 'com..proc.', match: 'wildcard' });
});
