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
