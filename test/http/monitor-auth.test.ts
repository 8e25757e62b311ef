// With credentials required, the web monitor's own files stay public (the
// page must load before it can ask its user for credentials) and nothing
// else does: no path under /monitor/ reaches the API or a file outside.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, startBridge } from './helpers/bridge.js';
import { ApexArchiveSource } from '../../src/servers/weather/source.js';
import { startStack, until, type Stack } from './helpers/stack.js';

let stack: Stack;
let dir: string;
before(async () => {
  stack = await startStack([await ApexArchiveSource.load()]);
  dir = mkdtempSync(join(tmpdir(), 'sisock-monitor-auth-'));
  mkdirSync(join(dir, 'monitor', 'assets'), { recursive: true });
  writeFileSync(join(dir, 'monitor', 'index.html'), '<!doctype html><title>sisock monitor</title>');
  writeFileSync(join(dir, 'monitor', 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'not for the public');
});
after(async () => {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

for (const basePath of ['', '/s']) {
  test(`monitor files are public, the API is not (base path '${basePath}')`, async () => {
    const b = await startBridge(stack.upstream, { monitorDir: join(dir, 'monitor'), basePath, auth: { token: 'sesame' } });
    try {
      await until('the weather fields', () => b.bridge.service.catalog.names().length === 5);
      for (const path of ['/monitor/', '/monitor/index.html', '/monitor/assets/app.js', '/monitor/?plot=a::b']) {
        const r = await request(`${b.url}${path}`);
        assert.equal(r.status, 200, `GET ${path}: ${r.text}`);
      }
      const head = await request(`${b.url}/monitor/assets/app.js`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      // `/monitor` is redirected to `/monitor/` (fetch follows)
      const redirected = await request(`${b.url}/monitor`);
      assert.equal(redirected.status, 200);
      assert.match(redirected.text, /sisock monitor/);
      // everything else needs the token, whatever the path looks like
      for (const path of ['/api/v1/nodes', '/monitor/../api/v1/nodes', '/monitor/%2e%2e/api/v1/nodes', '/monitor/..%2fsecret.txt', '/', '/metrics']) {
        const r = await request(`${b.url}${path}`);
        assert.ok(r.status === 403 || r.status === 404, `GET ${path}: ${r.status}`);
        assert.doesNotMatch(r.text, /not for the public|apex_archive/);
      }
      const post = await request(`${b.url}/monitor/index.html`, { method: 'POST', body: {} });
      assert.equal(post.status, 403);
      const ok = await request(`${b.url}/api/v1/nodes`, { headers: { authorization: 'Bearer sesame' } });
      assert.equal(ok.status, 200);
    } finally {
      await b.close();
    }
  });
}
