// The browser tests drive a real headless Chromium (Debian's package). This
// installs it with apt-get when it is missing and we may do so, and otherwise
// stops with a clear message: browser tests are never skipped.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
if (candidates.some((p) => existsSync(p))) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (!isRoot || !hasApt) {
  console.error('sisock: the browser tests need Chromium. Install it (Debian: `apt-get install chromium`) or set CHROMIUM_PATH.');
  process.exit(1);
}
console.error('sisock: installing Chromium for the browser tests (apt-get install chromium) ...');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', 'chromium']]) {
  const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (r.status !== 0) {
    console.error(`sisock: apt-get ${args.join(' ')} failed.`);
    process.exit(1);
  }
}
