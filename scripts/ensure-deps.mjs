// Installs the npm dependencies when node_modules is missing or older than
// package-lock.json, so `npm start` and `npm test` work on a fresh clone.
// Uses nothing but Node itself: it runs before any dependency exists.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const lock = readFileSync('package-lock.json');
const want = createHash('sha256').update(lock).update(readFileSync('package.json')).digest('hex');
const stamp = 'node_modules/.sisock-installed';
const have = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';

if (have !== want) {
  console.error('sisock: installing dependencies (npm ci) ...');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('sisock: `npm ci` failed; see the messages above.');
    process.exit(r.status ?? 1);
  }
  writeFileSync(stamp, want + '\n');
}
