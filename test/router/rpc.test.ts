// The dealer, driven by autobahn-js and wampy with mixed serializers:
// register/call, errors, caller disclosure, progressive results, cancel,
// timeouts, pattern-based and shared registrations, callees that leave.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import autobahn from 'autobahn';
import { startRouter, type RouterUnderTest } from '../helpers/router.js';
import { connectAutobahn, connectWampy, RawClient, type AutobahnClient } from './clients.js';

function errorUri(err: unknown): string | undefined {
  if (err instanceof autobahn.Error) return err.error;
  return (err as { error?: string; errorUri?: string })?.error ?? (err as { errorUri?: string })?.errorUri;
}

/** Asserts that a call (autobahn's when.js promise or a real one) fails with the WAMP error `uri`. */
async function rejectsWith(p: PromiseLike<unknown>, uri: string): Promise<void> {
  await assert.rejects(Promise.resolve(p), (e: unknown) => {
    assert.equal(errorUri(e), uri);
    return true;
  });
}

describe('RPC', () => {
  let r: RouterUnderTest;
  let server: AutobahnClient; // role server (CRA on wss), msgpack
  let anon: AutobahnClient; // role anonymous, json
  before(async () => {
    r = await startRouter();
    server = await connectAutobahn({ url: r.tlsUrl, realm: r.realm, ca: r.ca, serializer: 'msgpack', authid: 'server', authmethods: ['wampcra'], secret: r.secrets.server });
    anon = await connectAutobahn({ url: r.openUrl, realm: r.realm, serializer: 'json' });
  });
  after(async () => {
    await server.close();
    await anon.close();
    await r.close();
  });

  test('a json caller calls a msgpack callee and gets args and kwargs back, binary intact', async () => {
    const reg = await server.session.register('org.simonsobservatory.consumer.test.echo', (args, kwargs) => new autobahn.Result(args, kwargs));
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const res = (await anon.session.call('org.simonsobservatory.consumer.test.echo', [1, 'two', { three: 3.5 }, bytes], { k: [true, null] })) as autobahn.Result;
    assert.deepEqual(res.args.slice(0, 3), [1, 'two', { three: 3.5 }]);
    assert.deepEqual(Buffer.from(res.args[3] as Uint8Array), bytes);
    assert.deepEqual(res.kwargs, { k: [true, null] });
    await reg.unregister();
  });

  test('wampy (cbor) calls an autobahn (msgpack) callee', async () => {
    const reg = await server.session.register('org.simonsobservatory.consumer.test.add', (args?: number[]) => args![0]! + args![1]!);
    const w = await connectWampy({ url: r.openUrl, realm: r.realm, serializer: 'cbor' });
    const res = await w.call('org.simonsobservatory.consumer.test.add', [2, 40]);
    assert.deepEqual(res.argsList, [42]);
    await w.disconnect();
    await reg.unregister();
  });

  test('calling an unregistered procedure gives wamp.error.no_such_procedure', async () => {
    await rejectsWith(anon.session.call('org.simonsobservatory.consumer.nothing.here'), 'wamp.error.no_such_procedure');
  });

  test('a bad procedure URI gives wamp.error.invalid_uri', async () => {
    await rejectsWith(server.session.call('bad uri with spaces'), 'wamp.error.invalid_uri');
  });

  test('anonymous may not register an org.simonsobservatory procedure', async () => {
    await rejectsWith(anon.session.register('org.simonsobservatory.consumer.fake.get_data', () => 1), 'wamp.error.not_authorized');
    await rejectsWith(anon.session.register('org.simonsobservatory.data_node.add', () => 1), 'wamp.error.not_authorized');
  });

  test('anonymous may not call outside what its role allows', async () => {
    const reg = await server.session.register('org.simonsobservatory.data_node.reset', () => true);
    await rejectsWith(anon.session.call('org.simonsobservatory.data_node.reset', ['x', 'y', 1]), 'wamp.error.not_authorized');
    await reg.unregister();
  });

  test('anonymous (OCS agent) registers and calls under observatory. with OCS-style URIs', async () => {
    const agent = await connectAutobahn({ url: r.openUrl, realm: r.realm, serializer: 'msgpack' });
    const reg = await agent.session.register('observatory.LS372-1.ops', () => 'ok');
    assert.equal(await anon.session.call('observatory.LS372-1.ops'), 'ok');
    await reg.unregister();
    await agent.close();
  });

  test('registering a procedure twice gives wamp.error.procedure_already_exists', async () => {
    const reg = await server.session.register('org.simonsobservatory.test.twice', () => 1);
    const other = await connectAutobahn({ url: r.tlsUrl, realm: r.realm, ca: r.ca, authid: 'server', authmethods: ['wampcra'], secret: r.secrets.server });
    await rejectsWith(other.session.register('org.simonsobservatory.test.twice', () => 2), 'wamp.error.procedure_already_exists');
    await other.close();
    await reg.unregister();
  });

  test('the callee sees the caller when the role discloses callers', async () => {
    let seen: autobahn.IInvocation | undefined;
    const reg = await server.session.register('org.simonsobservatory.test.whoami', (_a, _k, details) => {
      seen = details;
      return null;
    });
    const caller = await connectAutobahn({ url: r.tlsUrl, realm: r.realm, ca: r.ca, authid: 'server', authmethods: ['wampcra'], secret: r.secrets.server });
    await caller.session.call('org.simonsobservatory.test.whoami');
    assert.equal(seen?.caller, caller.session.id);
    assert.equal((seen as unknown as { caller_authid?: string }).caller_authid, 'server');
    await caller.close();
    await reg.unregister();
  });

  test('the callee does not see an anonymous caller (no disclosure for that role)', async () => {
    let seen: autobahn.IInvocation | undefined;
    const reg = await server.session.register('org.simonsobservatory.consumer.test.whoami', (_a, _k, details) => {
      seen = details;
      return null;
    });
    await anon.session.call('org.simonsobservatory.consumer.test.whoami');
    assert.equal(seen?.caller, undefined);
    await reg.unregister();
  });

  test('an application error from the callee reaches the caller with its args', async () => {
    const reg = await server.session.register('org.simonsobservatory.consumer.test.fail', () => {
      throw new autobahn.Error('org.simonsobservatory.error.too_much_data', ['too much'], { limit: 5 });
    });
    await assert.rejects(Promise.resolve(anon.session.call('org.simonsobservatory.consumer.test.fail')), (e: unknown) => {
      const err = e as autobahn.Error;
      return err.error === 'org.simonsobservatory.error.too_much_data' && err.args[0] === 'too much' && (err.kwargs as { limit: number }).limit === 5;
    });
    await reg.unregister();
  });

  test('progressive results pass through before the final result', async () => {
    const reg = await server.session.register('org.simonsobservatory.consumer.test.chunks', async (_a, _k, details) => {
      for (let i = 0; i < 3; i++) details!.progress!([`chunk ${i}`], {});
      return 'done';
    });
    const chunks: unknown[] = [];
    const deferred = anon.session.call('org.simonsobservatory.consumer.test.chunks', [], {}, { receive_progress: true });
    (deferred as unknown as { then: (a: unknown, b: unknown, p: (x: unknown) => void) => void }).then(undefined, undefined, (p) => chunks.push(p));
    const res = await deferred;
    assert.equal(res, 'done');
    assert.deepEqual(chunks, [['chunk 0'], ['chunk 1'], ['chunk 2']].map((a) => a[0]));
    await reg.unregister();
  });

  test('wampy receives progressive results', async () => {
    const reg = await server.session.register('org.simonsobservatory.consumer.test.chunks2', async (_a, _k, details) => {
      details!.progress!(['a'], {});
      details!.progress!(['b'], {});
      return 'end';
    });
    const w = await connectWampy({ url: r.openUrl, realm: r.realm, serializer: 'msgpack' });
    const got: unknown[] = [];
    const res = await w.call('org.simonsobservatory.consumer.test.chunks2', null, {
      progress_callback: (r2) => {
        got.push(r2.argsList?.[0]);
      },
    });
    assert.deepEqual(got, ['a', 'b']);
    assert.deepEqual(res.argsList, ['end']);
    await w.disconnect();
    await reg.unregister();
  });

  test('a call with a timeout that the callee never answers fails with wamp.error.timeout', async () => {
    const reg = await server.session.register('org.simonsobservatory.consumer.test.hang', () => new Promise(() => undefined));
    const w = await connectWampy({ url: r.openUrl, realm: r.realm });
    await rejectsWith(w.call('org.simonsobservatory.consumer.test.hang', null, { timeout: 100 }), 'wamp.error.timeout');
    await w.disconnect();
    await reg.unregister();
  });

  test('cancel: skip, kill and killnowait', async () => {
    // a raw callee that announces call_canceling, so the INTERRUPTs can be observed
    const callee = new RawClient(r.openUrl);
    await callee.opened();
    await callee.hello(r.realm);
    callee.send([64, 1, {}, 'observatory.test.slow']);
    const registered = (await callee.next()) as unknown[];
    assert.equal(registered[0], 65);
    const w = await connectWampy({ url: r.openUrl, realm: r.realm });

    for (const mode of ['skip', 'killnowait', 'kill'] as const) {
      const call = w.call('observatory.test.slow', [mode]);
      const inv = (await callee.next()) as unknown[];
      assert.equal(inv[0], 68);
      await w.cancel(w.getOpStatus().reqId, { mode });
      if (mode === 'skip') {
        await rejectsWith(call, 'wamp.error.canceled');
        // the callee may still answer; the answer is dropped
        callee.send([70, inv[1], {}, ['late']]);
      } else if (mode === 'killnowait') {
        await rejectsWith(call, 'wamp.error.canceled');
        assert.deepEqual(await callee.next(), [69, inv[1], { mode: 'killnowait' }]);
      } else {
        assert.deepEqual(await callee.next(), [69, inv[1], { mode: 'kill' }]);
        // with kill, the call ends with the callee's own answer
        callee.send([8, 68, inv[1], {}, 'wamp.error.canceled', ['stopped by callee']]);
        await rejectsWith(call, 'wamp.error.canceled');
      }
    }
    await w.disconnect();
    callee.close();
  });

  test('a callee that leaves fails its pending calls at once', async () => {
    const callee = await connectAutobahn({ url: r.openUrl, realm: r.realm });
    let invoked!: () => void;
    const gotInvocation = new Promise<void>((res) => (invoked = res));
    await callee.session.register('observatory.test.leaver', () => {
      invoked();
      return new Promise(() => undefined);
    });
    const call = anon.session.call('observatory.test.leaver');
    await gotInvocation;
    callee.connection.close();
    await rejectsWith(call, 'wamp.error.canceled');
  });

  test('prefix and wildcard registrations, with the called URI in the invocation details', async () => {
    const seen: string[] = [];
    const prefix = await server.session.register('org.simonsobservatory.consumer.px.', (_a, _k, d) => {
      seen.push(`prefix:${d!.procedure}`);
      return 'p';
    }, { match: 'prefix' } as autobahn.IRegisterOptions);
    const wild = await server.session.register('org.simonsobservatory.consumer..get_fields', (_a, _k, d) => {
      seen.push(`wild:${d!.procedure}`);
      return 'w';
    }, { match: 'wildcard' } as autobahn.IRegisterOptions);
    const exact = await server.session.register('org.simonsobservatory.consumer.px.exact', () => 'e');
    assert.equal(await anon.session.call('org.simonsobservatory.consumer.px.one.two'), 'p');
    assert.equal(await anon.session.call('org.simonsobservatory.consumer.apex.get_fields'), 'w');
    // exact beats prefix; the longest prefix beats a wildcard
    assert.equal(await anon.session.call('org.simonsobservatory.consumer.px.exact'), 'e');
    assert.equal(await anon.session.call('org.simonsobservatory.consumer.px.get_fields'), 'p');
    assert.deepEqual(seen, ['prefix:org.simonsobservatory.consumer.px.one.two', 'wild:org.simonsobservatory.consumer.apex.get_fields', 'prefix:org.simonsobservatory.consumer.px.get_fields']);
    await prefix.unregister();
    await wild.unregister();
    await exact.unregister();
  });

  test('shared registrations: roundrobin takes turns; a different policy conflicts', async () => {
    const callees = await Promise.all([0, 1, 2].map(() => connectAutobahn({ url: r.openUrl, realm: r.realm, serializer: 'msgpack' })));
    for (const [i, c] of callees.entries()) {
      await c.session.register('observatory.test.shared', () => i, { invoke: 'roundrobin' });
    }
    await rejectsWith(anon.session.register('observatory.test.shared', () => 9, { invoke: 'random' }), 'wamp.error.procedure_exists_with_different_invocation_policy');
    await rejectsWith(anon.session.register('observatory.test.shared', () => 9), 'wamp.error.procedure_exists_with_different_invocation_policy');
    const got: unknown[] = [];
    for (let i = 0; i < 6; i++) got.push(await anon.session.call('observatory.test.shared'));
    assert.deepEqual(got, [0, 1, 2, 0, 1, 2]);
    // when one callee leaves, the others keep serving
    await callees[1]!.close();
    const after: unknown[] = [];
    for (let i = 0; i < 4; i++) after.push(await anon.session.call('observatory.test.shared'));
    assert.deepEqual(new Set(after), new Set([0, 2]));
    await callees[0]!.close();
    await callees[2]!.close();
  });

  test('shared registrations: first and last', async () => {
    const a = await connectAutobahn({ url: r.openUrl, realm: r.realm });
    const b = await connectAutobahn({ url: r.openUrl, realm: r.realm });
    await a.session.register('observatory.test.first', () => 'a', { invoke: 'first' });
    await b.session.register('observatory.test.first', () => 'b', { invoke: 'first' });
    await a.session.register('observatory.test.last', () => 'a', { invoke: 'last' });
    await b.session.register('observatory.test.last', () => 'b', { invoke: 'last' });
    assert.equal(await anon.session.call('observatory.test.first'), 'a');
    assert.equal(await anon.session.call('observatory.test.last'), 'b');
    await a.close();
    await b.close();
  });
});
