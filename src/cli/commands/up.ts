// `sisock up`: the whole system in one command with embedded defaults. It
// starts the router, then the hub, then every part of `upParts`, each as a
// supervised child process (output prefixed by its name, restarted with
// backoff if it crashes), prints where each listens, and stops them all on
// Ctrl-C.
//
// State lives in a folder of the current directory (default `.sisock/`):
// the WAMP-CRA secrets it generates on first run (mode 600), the TLS
// material `sisock tls init` makes, and while it runs `up.json`, the client
// settings that let `sisock status` find this system.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatHelp, parseCommandLine, UsageError, type OptionSpecs } from '../options.js';
import { Supervisor, type PartSpec } from '../supervisor.js';

/** While `sisock up` runs: the client settings of its system (a config file for the other commands). */
export const UP_CONFIG_FILE = '.sisock/up.json';

/** What every part started after the router is told, through its environment. */
export interface UpContext {
  /** the URL clients use (wss when TLS is on) */
  url: string;
  realm: string;
  /** absolute path of the CA file for wss, or undefined */
  caFile: string | undefined;
  /** environment for a client joining as user 'server' (hub, data nodes) */
  serverEnv: NodeJS.ProcessEnv;
  /** environment for a client joining as user 'simonsobs' (consumer role: the HTTP bridge) */
  consumerEnv: NodeJS.ProcessEnv;
  /** the router's open URL, where OCS agents publish their feeds */
  ocsUrl: string;
  /** absolute path of the state folder */
  stateDir: string;
}

export interface UpPart {
  name: string;
  /** `sisock` arguments and environment of the part */
  spec: (ctx: UpContext) => Omit<PartSpec, 'name'>;
}

/**
 * The parts `sisock up` starts after the router and the hub, one line each.
 * Each must print one line on stdout once it is ready (where it listens or
 * what it serves).
 */
export const upParts: UpPart[] = [
  { name: 'weather', spec: (ctx) => ({ args: ['node', 'weather'], env: ctx.serverEnv }) },
  { name: 'sensors', spec: (ctx) => ({ args: ['node', 'sensors'], env: ctx.serverEnv }) },
  // a simulated OCS agent and the data-feed node that serves every feed of every agent, so the first look is live
  {
    name: 'feeds',
    spec: (ctx) => ({
      args: ['node', 'data-feed', '--target', '*', '--feed', '*', '--name', 'ocs_feeds', '--feed-url', ctx.ocsUrl, '--spool-dir', join(ctx.stateDir, 'spool')],
      env: ctx.serverEnv,
    }),
  },
  { name: 'agent', spec: (ctx) => ({ args: ['simulate-agent', '--url', ctx.ocsUrl, '--agent-id', SIMULATED_AGENT, ...SIMULATED_FEEDS.flatMap((f) => ['--feed', f])], env: {} }) },
  { name: 'http', spec: (ctx) => ({ args: ['http'], env: ctx.consumerEnv }) },
];

const SIMULATED_AGENT = 'fake-data1';
/** name:channels:samples per second:style (see `sisock simulate-agent --help`) */
const SIMULATED_FEEDS = ['temperatures:4:2:lakeshore', 'false_temperatures:3:5:fake'];

/**
 * The web monitor's first view (its URL query): live plots of a simulated
 * feed and of this machine, over the last 5 minutes, with the example
 * archive and the feeds opened in the node list.
 */
export const MONITOR_START_VIEW =
  `?plot=ocs_feeds::${SIMULATED_AGENT}.false_temperatures.channel_00,ocs_feeds::${SIMULATED_AGENT}.temperatures.channel_01_t` +
  '&plot=sensors::cpu_utilisation,sensors::memory_used_percent,sensors::cpu_load_1&last=5m&live=1&node=apex_archive&node=ocs_feeds';

export const upOptions = {
  host: { flag: 'host', type: 'string', env: 'SISOCK_ROUTER_HOST', key: 'up.host', default: '127.0.0.1', description: 'address the router listens on' },
  tlsPort: { flag: 'tls-port', type: 'number', env: 'CROSSBAR_TLS_PORT', key: 'up.tls_port', default: 8080, description: 'secure WebSocket port (0: any free port)' },
  ocsPort: { flag: 'ocs-port', type: 'number', env: 'CROSSBAR_OCS_PORT', key: 'up.ocs_port', default: 8001, description: 'open WebSocket port for OCS agents (0: any free port)' },
  realm: { flag: 'realm', type: 'string', env: 'SISOCK_REALM', key: 'up.realm', default: 'test_realm', description: 'WAMP realm' },
  noTls: { flag: 'no-tls', type: 'boolean', env: 'SISOCK_NO_TLS', key: 'up.no_tls', default: false, description: 'no secure listener; components join over the open port with WAMP-CRA' },
  stateDir: { flag: 'state-dir', type: 'string', env: 'SISOCK_STATE_DIR', key: 'up.state_dir', default: '.sisock', description: 'folder for generated secrets and TLS material' },
} satisfies OptionSpecs;

const BIN = fileURLToPath(new URL('../../../../bin/sisock.js', import.meta.url));

/** Reads a secret file, or creates it with a fresh random secret (mode 600). */
function secretFile(path: string): string {
  if (!existsSync(path)) writeFileSync(path, randomBytes(24).toString('base64url') + '\n', { mode: 0o600 });
  return readFileSync(path, 'utf8').trim();
}

/** Makes the TLS material with `sisock tls init` when it is missing; false when that is not possible. */
function ensureTls(dir: string, host: string, out: (line: string) => void): { key: string; cert: string; ca: string } | null {
  const tls = { key: join(dir, 'server_key.pem'), cert: join(dir, 'server_cert.pem'), ca: join(dir, 'ca_cert.pem') };
  if (existsSync(tls.key) && existsSync(tls.cert) && existsSync(tls.ca)) return tls;
  const hosts = [...new Set(['localhost', '127.0.0.1', host])].join(',');
  const r = spawnSync(process.execPath, [BIN, 'tls', 'init', '--dir', dir, '--host', hosts], { encoding: 'utf8' });
  if (r.status === 0 && existsSync(tls.key) && existsSync(tls.cert) && existsSync(tls.ca)) {
    out(`made a CA and a server certificate for ${hosts} in ${dir}`);
    return tls;
  }
  out(`cannot make TLS material (${(r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n')[0]}): running without the secure listener`);
  return null;
}

export async function run(argv: string[]): Promise<number> {
  let o;
  try {
    const parsed = parseCommandLine(upOptions, argv);
    if (parsed.help) {
      console.log(formatHelp('sisock up [options]', upOptions));
      return 0;
    }
    o = parsed.options;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`sisock up: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const say = (line: string): void => console.log(`sisock up: ${line}`);
  const state = resolve(o.stateDir);
  mkdirSync(join(state, 'secrets'), { recursive: true, mode: 0o700 });
  // A WAMP_SECRET of the user's wins over the generated one.
  const serverSecret = process.env.WAMP_SECRET || secretFile(join(state, 'secrets', 'server'));
  const consumerSecret = process.env.SISOCK_CONSUMER_SECRET || secretFile(join(state, 'secrets', 'consumer'));
  const tls = o.noTls ? null : ensureTls(join(state, 'tls'), o.host, say);

  const names = ['router', 'hub', ...upParts.map((p) => p.name)];
  const supervisor = new Supervisor({ bin: BIN, out: process.stdout, err: process.stderr, width: Math.max(...names.map((n) => n.length)) });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say('stopping');
    await supervisor.stopAll();
    rmSync(join(state, 'up.json'), { force: true });
  };

  try {
    const routerArgs = (tlsPort: number, ocsPort: number): string[] => [
      'router', '--host', o.host, '--realm', o.realm, '--ocs-port', String(ocsPort),
      ...(tls ? ['--tls-port', String(tlsPort), '--tls-key', tls.key, '--tls-cert', tls.cert] : ['--no-tls']),
    ];
    const routerEnv = { WAMP_SECRET: serverSecret, SISOCK_CONSUMER_SECRET: consumerSecret };
    await supervisor.start({ name: 'router', args: routerArgs(o.tlsPort, o.ocsPort), env: routerEnv });
    // The router prints one line per listener; give the second a moment.
    const urls = await waitForUrls(supervisor, tls !== null);
    const wss = urls.find((u) => u.startsWith('wss:'));
    const ws = urls.find((u) => u.startsWith('ws:'))!;
    // A restarted router must come back on the same ports, even ones picked at random.
    supervisor.setRestartArgs('router', routerArgs(wss ? Number(new URL(wss).port) : 0, Number(new URL(ws).port)));

    const url = wss ?? ws;
    const caFile = wss && tls ? tls.ca : undefined;
    const client = { SISOCK_URL: url, SISOCK_REALM: o.realm, ...(caFile ? { SISOCK_CA: caFile } : {}), WAMP_SECRET_FILE: '', WAMP_TICKET: '' };
    const ctx: UpContext = {
      url,
      realm: o.realm,
      caFile,
      serverEnv: { ...client, WAMP_USER: 'server', WAMP_SECRET: serverSecret },
      consumerEnv: { ...client, WAMP_USER: 'simonsobs', WAMP_SECRET: consumerSecret },
      ocsUrl: ws,
      stateDir: state,
    };
    writeFileSync(
      join(state, 'up.json'),
      JSON.stringify({ client: { url, realm: o.realm, user: 'server', secret_file: join(state, 'secrets', 'server'), ...(caFile ? { ca: caFile } : {}) } }, null, 2) + '\n',
      { mode: 0o600 },
    );
    await supervisor.start({ name: 'hub', args: ['hub'], env: ctx.serverEnv });
    await Promise.all(upParts.map((p) => supervisor.start({ name: p.name, ...p.spec(ctx) })));

    const width = Math.max(...names.map((n) => n.length));
    const described = urls.map((u) => `${u} (${u.startsWith('wss:') ? 'secure, WAMP-CRA' : 'open: OCS agents, anonymous consumers, WAMP-CRA'})`);
    say('everything is up');
    say(`  ${'router'.padEnd(width)}  ${described.join('  ')}`);
    for (const name of names.slice(1)) say(`  ${name.padEnd(width)}  ${(supervisor.lines(name)[0] ?? '').replace(/^sisock [^:]+: /, '')}`);
    const monitor = /web monitor at (\S+)/.exec(supervisor.lines('http')[0] ?? '')?.[1];
    say(monitor ? `open the web monitor: ${monitor}${MONITOR_START_VIEW}` : 'the web monitor is not built (`npm run build` builds it)');
    say(`state in ${state}; \`sisock status\` lists the data nodes; Ctrl-C stops everything`);
  } catch (err) {
    console.error(`sisock up: ${(err as Error).message}`);
    await stop();
    return 1;
  }

  await new Promise<void>((done) => {
    const onSignal = (): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      done();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await stop();
  return 0;
}

/** The router's listening URLs, from its stdout (`... listening on <url>`). */
async function waitForUrls(supervisor: Supervisor, expectTls: boolean, timeoutMs = 5000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const urls = supervisor.lines('router').flatMap((l) => /listening on (\S+)/.exec(l)?.[1] ?? []);
    const complete = urls.some((u) => u.startsWith('ws:')) && (!expectTls || urls.some((u) => u.startsWith('wss:')));
    if (complete) return urls;
    if (Date.now() > deadline) {
      if (urls.some((u) => u.startsWith('ws:'))) return urls;
      throw new Error(`the router did not say where it listens: ${supervisor.lines('router').join(' / ')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
