import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandLine, UsageError, type OptionSpecs } from '../../src/cli/options.js';

const specs = {
  port: { flag: 'port', type: 'number', env: 'PORT', key: 'http.port', default: 5000, description: 'port' },
  host: { flag: 'host', type: 'string', env: 'CROSSBAR_HOST', key: 'router.host', description: 'host' },
  verbose: { flag: 'verbose', type: 'boolean', default: false, description: 'more logs' },
  fields: { flag: 'field', type: 'list', description: 'fields' },
} satisfies OptionSpecs;

test('defaults apply when nothing else sets an option', () => {
  const r = parseCommandLine(specs, [], {});
  assert.equal(r.options.port, 5000);
  assert.equal(r.options.host, undefined);
  assert.equal(r.options.verbose, false);
});

test('flags beat environment variables, which beat the config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-opt-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ http: { port: 7000 }, router: { host: 'from-file' } }));
  const env = { PORT: '6000' };
  assert.equal(parseCommandLine(specs, ['--config', file], env).options.port, 6000);
  assert.equal(parseCommandLine(specs, ['--config', file], env).options.host, 'from-file');
  assert.equal(parseCommandLine(specs, ['--config', file, '--port', '8000'], env).options.port, 8000);
  assert.equal(parseCommandLine(specs, ['--config', file], {}).options.port, 7000);
});

test('lists accept repeated flags and commas', () => {
  const r = parseCommandLine(specs, ['--field', 'a,b', '--field', 'c'], {});
  assert.deepEqual(r.options.fields, ['a', 'b', 'c']);
});

test('bad values and unknown flags are usage errors with a clear message', () => {
  assert.throws(() => parseCommandLine(specs, ['--port', 'x'], {}), (e: unknown) => e instanceof UsageError && /expected a number for port/.test(e.message));
  assert.throws(() => parseCommandLine(specs, [], { PORT: 'abc' }), /environment variable PORT/);
  assert.throws(() => parseCommandLine(specs, ['--nope'], {}), UsageError);
});

test('every component takes the WAMP message size limit: flag or SISOCK_MAX_MESSAGE_SIZE, 64 MiB by default', async () => {
  const { clientOptionsFrom, connectionOptions } = await import('../../src/cli/connection.js');
  const parse = (argv: string[], env: Record<string, string> = {}): ReturnType<typeof clientOptionsFrom> =>
    clientOptionsFrom(parseCommandLine(connectionOptions, argv, env).options);
  assert.deepEqual([parse([]).maxMessageSize, parse([]).maxPayload], [64 * 1024 * 1024, 64 * 1024 * 1024]);
  assert.deepEqual([parse([], { SISOCK_MAX_MESSAGE_SIZE: '1048576' }).maxMessageSize, parse(['--max-message-size', '2048']).maxPayload], [1048576, 2048]);
  for (const bad of ['100', '0', '2048.5']) {
    assert.throws(() => parse(['--max-message-size', bad]), (e: unknown) => e instanceof UsageError && /--max-message-size must be a whole number of bytes, at least 1024/.test(e.message), bad);
  }
});
