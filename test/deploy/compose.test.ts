// docker-compose.yml, validated by docker-compose itself (`config`, no
// engine needed) with the example settings, and checked against the sisock
// command it runs: every service of the original is there, every command
// and flag exists, every environment variable is one the command reads,
// secrets come only from the env file, and Grafana's provisioning points at
// the bridge. docker-compose prints YAML; Python's yaml module, which
// docker-compose itself is built on, turns it into JSON for the test.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commands } from '../../src/cli/main.js';
import { nodeKinds } from '../../src/cli/commands/node.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin/sisock.js');
const ENV_EXAMPLE = join(ROOT, 'deploy/env.example');
const COMPOSE = process.env.DOCKER_COMPOSE ?? 'docker-compose';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  profiles?: string[];
  networks?: Record<string, { aliases?: string[] } | null>;
  depends_on?: Record<string, { condition: string }>;
}

interface ComposeConfig {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

function yamlToJson(text: string): unknown {
  const out = execFileSync('python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], { input: text, encoding: 'utf8' });
  return JSON.parse(out) as unknown;
}

/** `docker-compose config` with only this env file as settings (the caller's environment would win over it). */
function composeConfig(envFile: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(COMPOSE, ['--project-directory', ROOT, '-f', join(ROOT, 'docker-compose.yml'), '--env-file', envFile, 'config'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function readEnvFile(path: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** Environment variables and flags `sisock <args> --help` lists. */
function helpOf(args: string[]): { env: Set<string>; flags: Set<string> } {
  const text = execFileSync(process.execPath, [BIN, ...args, '--help'], { encoding: 'utf8' });
  return { env: new Set([...text.matchAll(/env ([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!)), flags: new Set([...text.matchAll(/(--[a-z][a-z0-9-]*)/g)].map((m) => m[1]!)) };
}

/** The sisock command words of a service's command: `node weather`, `http`, `tls init`. */
function commandWords(command: string[]): string[] {
  if (command[0] === 'node' || command[0] === 'tls') return command.slice(0, 2);
  return command.slice(0, 1);
}

/** Commands compose runs that the g3 issue (7) is building: their settings are named by that issue. */
const BEING_BUILT: Record<string, string[]> = {
  scan: ['DATA_DIRECTORY', 'SCAN_INTERVAL', 'SQL_HOST', 'SQL_USER', 'SQL_PASSWD', 'SQL_DB'],
  'node g3-reader': ['DATA_DIRECTORY', 'SQL_HOST', 'SQL_USER', 'SQL_PASSWD', 'SQL_DB'],
};

/** Every component logs at LOGLEVEL (src/log/logger.ts), whether or not its --help says so. */
const EVERY_COMMAND = ['LOGLEVEL'];

const SECRETS: [service: string, variable: string, from: string][] = [
  ['sisock-crossbar', 'WAMP_SECRET', 'WAMP_SECRET'],
  ['sisock-crossbar', 'SISOCK_CONSUMER_SECRET', 'SISOCK_CONSUMER_SECRET'],
  ['sisock-crossbar', 'SISOCK_HUB_SECRET', 'SISOCK_HUB_SECRET'],
  ['hub', 'WAMP_SECRET', 'SISOCK_HUB_SECRET'],
  ['weather', 'WAMP_SECRET', 'WAMP_SECRET'],
  ['g3-reader', 'WAMP_SECRET', 'WAMP_SECRET'],
  ['sisock-http', 'WAMP_SECRET', 'SISOCK_CONSUMER_SECRET'],
  ['sisock-http', 'SISOCK_HTTP_TOKEN', 'SISOCK_HTTP_TOKEN'],
  ['g3-file-scanner', 'SQL_PASSWD', 'SQL_PASSWD'],
  ['database', 'MARIADB_PASSWORD', 'SQL_PASSWD'],
  ['database', 'MARIADB_ROOT_PASSWORD', 'MARIADB_ROOT_PASSWORD'],
  ['grafana', 'GF_SECURITY_ADMIN_PASSWORD', 'GRAFANA_ADMIN_PASSWORD'],
  ['grafana', 'SISOCK_HTTP_TOKEN', 'SISOCK_HTTP_TOKEN'],
];

describe('docker-compose.yml', () => {
  let config: ComposeConfig;
  const example = readEnvFile(ENV_EXAMPLE);

  before(() => {
    const r = composeConfig(ENV_EXAMPLE);
    assert.equal(r.status, 0, `docker-compose config failed: ${r.stderr}`);
    config = yamlToJson(r.stdout) as ComposeConfig;
  });

  test("is valid for docker-compose and has the original's services, plus the hub and the TLS set-up", () => {
    assert.deepEqual(Object.keys(config.services).sort(), [
      'apex-weather',
      'data-feed',
      'database',
      'g3-file-scanner',
      'g3-reader',
      'grafana',
      'hub',
      'sensors',
      'sisock-crossbar',
      'sisock-http',
      'tls-init',
      'ucsc-radiometer',
      'weather',
    ]);
  });

  test("the hub joins as the router's user `hub`, the only one that may serve the hub's procedures", () => {
    assert.equal(config.services['hub']!.environment!.WAMP_USER, 'hub');
    // every other sisock client joins as `server` (data nodes) or `simonsobs` (the bridge)
    for (const name of ['weather', 'sensors', 'g3-reader']) assert.equal(config.services[name]!.environment!.WAMP_USER, 'server', name);
    assert.equal(config.services['sisock-http']!.environment!.WAMP_USER, 'simonsobs');
  });

  test('the router answers to the names old configs use for the host', () => {
    const router = config.services['sisock-crossbar']!;
    assert.deepEqual(router.command, ['router', '--host', '0.0.0.0']);
    assert.deepEqual([...(router.networks?.default?.aliases ?? [])].sort(), ['router', 'sisock_crossbar']);
    // published on this machine only, unless SISOCK_BIND says otherwise
    assert.deepEqual(router.ports?.map(String).sort(), ['127.0.0.1:8001:8001/tcp', '127.0.0.1:8080:8080/tcp']);
    // and its certificate names every one of them
    const tls = config.services['tls-init']!.command!;
    const hosts = tls[tls.indexOf('--host') + 1]!.split(',');
    for (const name of ['sisock-crossbar', 'sisock_crossbar', 'router', 'localhost']) assert.ok(hosts.includes(name), `${name} missing from the certificate's names`);
  });

  test('tls-init makes the TLS material on the first run and keeps it (exit 0) on later ones', () => {
    // the service's own entry point, run here with `sisock` on PATH and /tls replaced by a temporary folder
    const s = config.services['tls-init']!;
    const dir = mkdtempSync(join(tmpdir(), 'sisock-tls-init-'));
    try {
      writeFileSync(join(dir, 'sisock'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
      const [sh, flag, script, name] = s.entrypoint!;
      const args = s.command!.map((a) => (a === '/tls' ? join(dir, 'tls') : a));
      const run = (): number | null =>
        spawnSync(sh!, [flag!, script!.replaceAll('$$', '$').replaceAll('/tls/', `${join(dir, 'tls')}/`), name!, ...args], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, stdio: 'ignore' }).status;
      assert.equal(run(), 0);
      const cert = readFileSync(join(dir, 'tls/server_cert.pem'), 'utf8');
      assert.equal(run(), 0, 'a second run fails: the router, which waits for it, would never start');
      assert.equal(readFileSync(join(dir, 'tls/server_cert.pem'), 'utf8'), cert);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every sisock service runs the one image with a command and flags the sisock CLI has', () => {
    const image = config.services['sisock-crossbar']!.image;
    for (const [name, s] of Object.entries(config.services)) {
      if (s.image !== image) continue;
      assert.ok(s.command && s.command.length > 0, `${name} has no command`);
      const words = commandWords(s.command);
      const key = words.join(' ');
      const exists = words[0] === 'node' ? nodeKinds[words[1]!] !== undefined : commands[words[0]!] !== undefined;
      if (!exists) {
        assert.ok(key in BEING_BUILT, `${name}: sisock ${key} does not exist`);
        continue;
      }
      const { flags } = helpOf(words);
      for (const flag of s.command.filter((w) => w.startsWith('--'))) assert.ok(flags.has(flag), `${name}: sisock ${key} has no ${flag}`);
    }
  });

  test('every environment variable of a sisock service is one its command reads', () => {
    const image = config.services['sisock-crossbar']!.image;
    // what every data node reads: the options all node kinds share
    const kinds = Object.keys(nodeKinds).map((k) => helpOf(['node', k]).env);
    const common = new Set([...kinds[0]!].filter((e) => kinds.every((k) => k.has(e))));
    for (const [name, s] of Object.entries(config.services)) {
      if (s.image !== image) continue;
      const key = commandWords(s.command!).join(' ');
      const reads = key in BEING_BUILT ? new Set([...BEING_BUILT[key]!, ...(key.startsWith('node') ? common : [])]) : helpOf(commandWords(s.command!)).env;
      for (const variable of Object.keys(s.environment ?? {})) {
        assert.ok(reads.has(variable) || EVERY_COMMAND.includes(variable), `${name}: sisock ${key} does not read ${variable}`);
      }
    }
  });

  test('clients reach the router by its service name and trust the CA of the tls volume', () => {
    for (const [name, s] of Object.entries(config.services)) {
      const env = s.environment ?? {};
      if (env.CROSSBAR_HOST === undefined) continue;
      assert.equal(env.CROSSBAR_HOST, 'sisock-crossbar', name);
      assert.equal(env.SISOCK_CA, '/tls/ca_cert.pem', name);
      assert.ok(s.volumes?.some((v) => String(v).startsWith('tls:/tls:ro')), `${name} does not mount the tls volume read-only`);
    }
    assert.ok(config.services['sensors']!.volumes!.some((v) => String(v).startsWith('/sys:/host/sys:ro')));
  });

  test('the g3 scanner and reader get the settings of the original (issue 7), and share the archive path', () => {
    const scanner = config.services['g3-file-scanner']!;
    const reader = config.services['g3-reader']!;
    for (const v of ['DATA_DIRECTORY', 'SCAN_INTERVAL', 'SQL_HOST', 'SQL_USER', 'SQL_PASSWD', 'SQL_DB']) assert.ok(v in scanner.environment!, `g3-file-scanner lacks ${v}`);
    for (const v of ['DATA_DIRECTORY', 'SQL_HOST', 'SQL_USER', 'SQL_PASSWD', 'SQL_DB']) assert.ok(v in reader.environment!, `g3-reader lacks ${v}`);
    assert.equal(scanner.environment!.SQL_HOST, 'database');
    assert.deepEqual(scanner.command, ['scan']);
    assert.deepEqual(reader.command, ['node', 'g3-reader']);
    const mount = (s: Service): string | undefined => s.volumes?.map(String).find((v) => v.includes(':/data:'));
    assert.equal(mount(scanner), mount(reader));
    assert.equal(config.services['database']!.environment!.MARIADB_DATABASE, scanner.environment!.SQL_DB);
  });

  test('secrets come from the env file, and a missing one stops docker-compose with its name', () => {
    for (const [service, variable, from] of SECRETS) {
      assert.equal(config.services[service]?.environment?.[variable], example.get(from), `${service} ${variable}`);
    }
    // nothing secret is written in the compose file itself
    const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    for (const [, variable] of SECRETS) {
      for (const m of text.matchAll(new RegExp(`^\\s*${variable}:\\s*(.*)$`, 'gm'))) assert.match(m[1]!, /^\$\{[A-Z_]+:\?/, `${variable} is given a value in docker-compose.yml`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'sisock-compose-'));
    try {
      const partial = join(dir, 'env');
      writeFileSync(partial, readFileSync(ENV_EXAMPLE, 'utf8').replace(/^WAMP_SECRET=.*$/m, ''));
      const r = composeConfig(partial);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /WAMP_SECRET/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("Grafana is provisioned with the bridge as its data source, with the bridge's token", () => {
    const grafana = config.services['grafana']!;
    const http = config.services['sisock-http']!;
    assert.equal(grafana.environment!.SISOCK_HTTP_URL, `http://sisock-http:${http.environment!.PORT}`);
    assert.equal(grafana.environment!.GF_INSTALL_PLUGINS, 'simpod-json-datasource');
    assert.ok(grafana.volumes!.some((v) => String(v).endsWith('deploy/grafana/provisioning:/etc/grafana/provisioning:ro')));
    const ds = yamlToJson(readFileSync(join(ROOT, 'deploy/grafana/provisioning/datasources/sisock.yaml'), 'utf8')) as {
      datasources: { uid: string; type: string; url: string; jsonData: Record<string, string>; secureJsonData: Record<string, string> }[];
    };
    const sisock = ds.datasources[0]!;
    assert.equal(sisock.type, 'simpod-json-datasource');
    assert.equal(sisock.url, '${SISOCK_HTTP_URL}');
    assert.equal(sisock.jsonData.httpHeaderName1, 'Authorization');
    assert.equal(sisock.secureJsonData.httpHeaderValue1, 'Bearer ${SISOCK_HTTP_TOKEN}');
    // the bundled dashboard uses that data source and the weather node's fields
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/dashboards/apex-weather.json'), 'utf8')) as { panels: { datasource: { uid: string }; targets: { target: string }[] }[] };
    for (const p of dashboard.panels) {
      assert.equal(p.datasource.uid, sisock.uid);
      for (const t of p.targets) assert.match(t.target, /^apex_archive::apex_[a-z]+$/);
    }
    const dashboards = yamlToJson(readFileSync(join(ROOT, 'deploy/grafana/provisioning/dashboards/sisock.yaml'), 'utf8')) as { providers: { options: { path: string } }[] };
    assert.ok(grafana.volumes!.some((v) => String(v).endsWith(`deploy/grafana/dashboards:${dashboards.providers[0]!.options.path}:ro`)));
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  test('builds with dev dependencies and runs with production ones, as an unprivileged user, with the sisock entry point', () => {
    const stages = [...text.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)];
    assert.equal(stages.length, 2, 'a build stage and a run stage');
    assert.match(text, /npm ci\b/);
    assert.match(text, /npm prune --omit=dev/);
    assert.match(text, /COPY --from=build/);
    const run = text.slice(text.lastIndexOf('FROM'));
    const user = /^USER\s+(\S+)/m.exec(run)?.[1];
    assert.ok(user !== undefined && user !== 'root' && user !== '0', `runs as ${user ?? 'root'}`);
    assert.match(run, /^ENTRYPOINT \["sisock"\]/m);
    assert.match(run, /ln -s \/app\/bin\/sisock\.js \/usr\/local\/bin\/sisock/);
  });

  test('.dockerignore keeps local state, secrets and build output out of the image', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const p of ['node_modules', 'dist', '.sisock', '.env', '.git']) assert.ok(ignored.includes(p), `${p} is not ignored`);
    // what the build needs is not
    for (const p of ['src', 'bin', 'data', 'package.json', 'package-lock.json', 'tsconfig.json']) {
      assert.ok(!ignored.includes(p) && existsSync(join(ROOT, p)), `${p} must reach the build`);
    }
  });
});

describe('example configuration files (deploy/config)', () => {
  /** Config keys `sisock <args> --help` lists. */
  const keysOf = (args: string[]): Set<string> => new Set([...execFileSync(process.execPath, [BIN, ...args, '--help'], { encoding: 'utf8' }).matchAll(/config ([a-z_]+\.[a-z_.]+)/g)].map((m) => m[1]!));
  const leaves = (o: unknown, prefix = ''): string[] =>
    o !== null && typeof o === 'object' && !Array.isArray(o) ? Object.entries(o).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k)) : [prefix];
  const files: [string, string[][]][] = [
    ['router.example.json', [['router'], ['hub']]],
    ['data-node.example.json', Object.keys(nodeKinds).map((k) => ['node', k])],
    ['http.example.json', [['http']]],
  ];
  for (const [file, readers] of files) {
    test(`${file}: every key is one its commands read, and they all load it`, () => {
      const path = join(ROOT, 'deploy/config', file);
      const known = new Set(readers.flatMap((args) => [...keysOf(args)]));
      for (const key of leaves(JSON.parse(readFileSync(path, 'utf8')))) assert.ok(known.has(key), `${file}: no command reads ${key}`);
      for (const args of readers) execFileSync(process.execPath, [BIN, ...args, '--config', path, '--help'], { encoding: 'utf8' });
    });
  }
});
