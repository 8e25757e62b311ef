// `sisock tls init` makes a CA and a server certificate; a router serving
// them is reachable over wss by clients that trust the CA, and only by them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { X509Certificate } from 'node:crypto';
import { startRouter } from '../helpers/router.js';
import { defaultRouterConfig } from '../../src/cli/router-defaults.js';
import { connectAutobahn, connectWampy } from './clients.js';

const bin = fileURLToPath(new URL('../../../bin/sisock.js', import.meta.url));

test('sisock tls init: a CA and a server certificate that wss clients trusting the CA accept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sisock-tls-'));
  try {
    const out = spawnSync(process.execPath, [bin, 'tls', 'init', '--dir', dir, '--host', 'localhost,127.0.0.1,router.example.org'], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    assert.equal(statSync(join(dir, 'server_key.pem')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'ca_key.pem')).mode & 0o777, 0o600);
    const ca = readFileSync(join(dir, 'ca_cert.pem'), 'utf8');
    const cert = new X509Certificate(readFileSync(join(dir, 'server_cert.pem')));
    assert.ok(cert.checkIssued(new X509Certificate(ca)));
    assert.match(cert.subjectAltName ?? '', /DNS:router\.example\.org/);
    assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);

    const again = spawnSync(process.execPath, [bin, 'tls', 'init', '--dir', dir], { encoding: 'utf8' });
    assert.equal(again.status, 2, 'refuses to overwrite');
    assert.match(again.stderr, /--force/);

    const r = await startRouter({
      config: defaultRouterConfig({
        host: '127.0.0.1',
        tlsPort: 0,
        ocsPort: 0,
        realm: 'test_realm',
        tls: { key: readFileSync(join(dir, 'server_key.pem'), 'utf8'), cert: readFileSync(join(dir, 'server_cert.pem'), 'utf8') },
        serverSecret: 'a-secret',
        consumerSecret: 'b-secret',
      }),
    });
    try {
      const a = await connectAutobahn({ url: r.tlsUrl, realm: 'test_realm', ca, authid: 'server', authmethods: ['wampcra'], secret: 'a-secret', serializer: 'msgpack' });
      await a.close();
      const w = await connectWampy({ url: r.tlsUrl.replace('127.0.0.1', 'localhost'), realm: 'test_realm', ca, authid: 'simonsobs', secret: 'b-secret' });
      await w.disconnect();
      // a client trusting another CA (the test fixtures') is refused at the TLS handshake
      await assert.rejects(connectAutobahn({ url: r.tlsUrl, realm: 'test_realm', ca: r.ca, authid: 'server', authmethods: ['wampcra'], secret: 'a-secret' }));
    } finally {
      await r.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
