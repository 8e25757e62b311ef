import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Authorizer } from '../../src/router/authorizer.js';
import { defaultRoles } from '../../src/cli/router-defaults.js';

const auth = new Authorizer([
  {
    name: 'r',
    permissions: [
      { uri: '', match: 'prefix', allow: { subscribe: true } },
      { uri: 'com.app.', match: 'prefix', allow: { call: true, publish: true }, disclose: { caller: true } },
      { uri: 'com.app.admin', match: 'exact', allow: {} },
      { uri: 'com.app..secret', match: 'wildcard', allow: { register: true } },
    ],
  },
]);

test('the most specific permission decides; default is deny', () => {
  assert.deepEqual(auth.authorize('r', 'com.app.x', 'call'), { allow: true, disclose: true });
  assert.equal(auth.authorize('r', 'com.app.x', 'register').allow, false);
  assert.equal(auth.authorize('r', 'com.app.admin', 'call').allow, false, 'exact beats prefix');
  assert.equal(auth.authorize('r', 'com.app.admin.sub', 'call').allow, true, 'an exact entry covers only its URI');
  assert.equal(auth.authorize('r', 'com.app.x.secret', 'register').allow, true, 'wildcard');
  assert.equal(auth.authorize('r', 'com.app.x.secret', 'call').allow, false, 'the matching wildcard decides over the prefix');
  assert.equal(auth.authorize('r', 'other.thing', 'subscribe').allow, true, '"" prefix matches everything');
  assert.equal(auth.authorize('r', 'other.thing', 'publish').allow, false);
  assert.equal(auth.authorize('nobody', 'com.app.x', 'call').allow, false, 'unknown role');
});

test('prefix matching is by characters: observatory. does not cover observatory', () => {
  const a = new Authorizer([{ name: 'a', permissions: [{ uri: 'observatory.', match: 'prefix', allow: { publish: true } }] }]);
  assert.equal(a.authorize('a', 'observatory.x', 'publish').allow, true);
  assert.equal(a.authorize('a', 'observatory', 'publish').allow, false);
});

test('the sisock default roles: anonymous is confined, server may do anything but serve the hub', () => {
  const d = new Authorizer(defaultRoles());
  const may = (role: string, uri: string, action: 'call' | 'register' | 'publish' | 'subscribe'): boolean => d.authorize(role, uri, action).allow;
  assert.equal(may('anonymous', 'observatory.agent.feeds.x', 'publish'), true);
  assert.equal(may('anonymous', 'observatory.agent.ops', 'register'), true);
  assert.equal(may('anonymous', 'org.simonsobservatory.consumer.apex.get_data', 'call'), true);
  assert.equal(may('anonymous', 'org.simonsobservatory.consumer.data_node_added', 'subscribe'), true);
  assert.equal(may('anonymous', 'org.simonsobservatory.consumer.apex.get_data', 'register'), false);
  assert.equal(may('anonymous', 'org.simonsobservatory.data_node.add', 'call'), false);
  assert.equal(may('anonymous', 'org.simonsobservatory.consumer.data_node_added', 'publish'), false);
  assert.equal(may('anonymous', 'wamp.session.on_leave', 'subscribe'), false);
  assert.equal(may('server', 'org.simonsobservatory.data_node.add', 'register'), false);
  assert.equal(may('hub', 'org.simonsobservatory.data_node.add', 'register'), true);
  assert.equal(may('server', 'org.simonsobservatory.consumer.apex.get_data', 'register'), true);
  assert.equal(may('server', 'wamp.session.on_leave', 'subscribe'), true);
  assert.equal(may('consumer', 'org.simonsobservatory.consumer.apex.get_data', 'call'), true);
  assert.equal(may('consumer', 'org.simonsobservatory.consumer.apex.get_data', 'register'), false);
  assert.equal(may('iocs_controller', 'observatory.x.ops', 'register'), false);
});
