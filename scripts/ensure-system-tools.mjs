// Some tests drive real system tools: a headless Chromium (Debian's package)
// for the browser tests, and docker-compose (Debian's package; no Docker
// engine needed) to validate docker-compose.yml. This installs whichever is
// missing with apt-get (in one run) when it may, and otherwise stops with a
// clear message: tests that need these tools are never skipped.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

const tools = [
  {
    name: 'Chromium',
    pkg: 'chromium',
    why: 'the browser tests',
    present: () => [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean).some((p) => existsSync(p)),
    otherwise: 'or set CHROMIUM_PATH',
  },
  {
    name: 'docker-compose',
    pkg: 'docker-compose',
    why: 'the validation of docker-compose.yml',
    present: () => (process.env.DOCKER_COMPOSE ? existsSync(process.env.DOCKER_COMPOSE) : onPath('docker-compose')),
    otherwise: 'or set DOCKER_COMPOSE to its path',
  },
];

const missing = tools.filter((t) => !t.present());
if (missing.length === 0) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot || !onPath('apt-get')) {
  for (const t of missing) console.error(`sisock: ${t.why} need ${t.name}. Install it (Debian: \`apt-get install ${t.pkg}\`) ${t.otherwise}.`);
  process.exit(1);
}
const pkgs = missing.map((t) => t.pkg);
console.error(`sisock: installing ${missing.map((t) => `${t.name} for ${t.why}`).join(' and ')} (apt-get install ${pkgs.join(' ')}) ...`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...pkgs]]) {
  const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (r.status !== 0) {
    console.error(`sisock: apt-get ${args.join(' ')} failed.`);
    process.exit(1);
  }
}
