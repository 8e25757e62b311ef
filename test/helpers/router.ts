// Starting a router for tests: in this process on ephemeral ports (fast,
// inspectable), or as a `sisock router` child process (for tests that kill
// or restart it). Both use the sisock default configuration unless told
// otherwise; the secure listener uses the test CA in test/fixtures/tls.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { Router } from '../../src/router/index.js';
import type { RouterConfig, TlsConfig } from '../../src/router/config.js';
import { restartablePort } from './ports.js';
import { DEFAULT_REALM, PUBLIC_DEFAULT_SECRETS, defaultRouterConfig } from '../../src/cli/router-defaults.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/tls/', import.meta.url));
const bin = fileURLToPath(new URL('../../../bin/sisock.js', import.meta.url));

/** Paths of the test TLS material: a CA and a server certificate for localhost/127.0.0.1/::1 issued by it. */
export const TEST_TLS = {
  caFile: `${fixtures}ca_cert.pem`,
  keyFile: `${fixtures}server_key.pem`,
  certFile: `${fixtures}server_cert.pem`,
};

/** PEM text of the test CA, to trust the secure listener. */
export function testCa(): string {
  return readFileSync(TEST_TLS.caFile, 'utf8');
}

export function testTls(): TlsConfig {
  return { key: readFileSync(TEST_TLS.keyFile, 'utf8'), cert: readFileSync(TEST_TLS.certFile, 'utf8') };
}

/** Secrets of the default CRA users in the test router. */
export const TEST_SECRETS = { server: PUBLIC_DEFAULT_SECRETS.server!, simonsobs: PUBLIC_DEFAULT_SECRETS.simonsobs!, hub: PUBLIC_DEFAULT_SECRETS.hub! };

export interface RouterUnderTest {
  router: Router;
  realm: string;
  /** ws://127.0.0.1:PORT/ws: the open listener (anonymous, and WAMP-CRA) */
  openUrl: string;
  /** wss://127.0.0.1:PORT/ws: the secure listener (WAMP-CRA); trust `ca` */
  tlsUrl: string;
  /** PEM of the CA that issued the secure listener's certificate */
  ca: string;
  /** secrets of the CRA users "server" (role server), "simonsobs" (role consumer) and "hub" (role hub) */
  secrets: { server: string; simonsobs: string; hub: string };
  close(): Promise<void>;
}

export interface StartRouterOptions {
  /** a whole router configuration instead of the sisock default (ports should be 0) */
  config?: RouterConfig;
  logger?: Logger;
}

/**
 * The sisock default configuration (realm test_realm, roles server / hub /
 * consumer / iocs_agent / iocs_controller / anonymous, CRA users server, hub
 * and simonsobs with TEST_SECRETS) with both listeners on ephemeral ports of
 * 127.0.0.1, the secure one with the test TLS material.
 */
export function defaultTestConfig(): RouterConfig {
  return defaultRouterConfig({
    host: '127.0.0.1',
    tlsPort: 0,
    ocsPort: 0,
    realm: DEFAULT_REALM,
    tls: testTls(),
    serverSecret: TEST_SECRETS.server,
    consumerSecret: TEST_SECRETS.simonsobs,
    hubSecret: TEST_SECRETS.hub,
  });
}

/**
 * Starts a router in this process on ephemeral ports of 127.0.0.1, with
 * `defaultTestConfig()` unless given a config. openUrl and tlsUrl are the
 * first plain and the first TLS WebSocket URL ('' when there is none).
 */
export async function startRouter(options: StartRouterOptions = {}): Promise<RouterUnderTest> {
  const config = options.config ?? defaultTestConfig();
  const router = new Router(config, options.logger ? { logger: options.logger } : {});
  const addresses = await router.start();
  const urls = addresses.flatMap((a) => a.urls);
  return {
    router,
    realm: config.realms[0]?.name ?? DEFAULT_REALM,
    openUrl: urls.find((u) => u.startsWith('ws:')) ?? '',
    tlsUrl: urls.find((u) => u.startsWith('wss:')) ?? '',
    ca: testCa(),
    secrets: { ...TEST_SECRETS },
    close: () => router.close(),
  };
}

export interface RouterProcess {
  child: ChildProcess;
  pid: number;
  openUrl: string;
  /** '' when started with --no-tls */
  tlsUrl: string;
  openPort: number;
  tlsPort: number;
  ca: string;
  secrets: { server: string; simonsobs: string; hub: string };
  /** stderr so far (JSON log lines) */
  stderr(): string;
  /** sends a signal (SIGKILL for crash tests) */
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM and wait for the exit; resolves to the exit code (null when killed by a signal) */
  stop(): Promise<number | null>;
  /** resolves when the process has exited */
  exited: Promise<number | null>;
}

export interface SpawnRouterOptions {
  /** fixed ports (e.g. to restart on the same ports); by default free ports below the ephemeral range, so a restart on them cannot collide with an outgoing connection */
  openPort?: number;
  tlsPort?: number;
  /** run without the secure listener */
  noTls?: boolean;
  /** extra arguments for `sisock router` */
  args?: string[];
  /** extra environment */
  env?: NodeJS.ProcessEnv;
  /** ms to wait for the listeners (default 15000) */
  timeout?: number;
}

/**
 * Starts `sisock router` as a child process on 127.0.0.1 and resolves once
 * it prints where it listens. The caller must stop() or kill() it. Ports it
 * picked itself are picked again when another process took one meanwhile.
 */
export async function spawnRouter(options: SpawnRouterOptions = {}): Promise<RouterProcess> {
  for (let attempt = 1; ; attempt++) {
    const openPort = options.openPort ?? (await restartablePort());
    const tlsPort = options.tlsPort ?? (options.noTls ? 0 : await restartablePort([openPort]));
    try {
      return await spawnRouterOn({ ...options, openPort, tlsPort });
    } catch (err) {
      const picked = options.openPort === undefined || (!options.noTls && options.tlsPort === undefined);
      if (!picked || attempt === 5 || !String(err).includes('EADDRINUSE')) throw err;
    }
  }
}

function spawnRouterOn(options: SpawnRouterOptions): Promise<RouterProcess> {
  const args = [bin, 'router', '--host', '127.0.0.1', '--ocs-port', String(options.openPort ?? 0)];
  if (options.noTls) args.push('--no-tls');
  else args.push('--tls-port', String(options.tlsPort ?? 0), '--tls-key', TEST_TLS.keyFile, '--tls-cert', TEST_TLS.certFile);
  args.push(...(options.args ?? []));
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOGLEVEL: process.env.LOGLEVEL ?? 'info', WAMP_SECRET: TEST_SECRETS.server, SISOCK_CONSUMER_SECRET: TEST_SECRETS.simonsobs, SISOCK_HUB_SECRET: TEST_SECRETS.hub, ...options.env },
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise<RouterProcess>((resolve, reject) => {
    const expectTls = !options.noTls;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sisock router did not start in time; stdout: ${stdout}; stderr: ${stderr}`));
    }, options.timeout ?? 15_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`sisock router exited with ${code} before listening; stderr: ${stderr}`));
    });
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const openUrl = /listening on (ws:\/\/\S+)/.exec(stdout)?.[1];
      const tlsUrl = /listening on (wss:\/\/\S+)/.exec(stdout)?.[1];
      if (openUrl === undefined || (expectTls && tlsUrl === undefined)) return;
      clearTimeout(timer);
      resolve({
        child,
        pid: child.pid!,
        openUrl,
        tlsUrl: tlsUrl ?? '',
        openPort: Number(new URL(openUrl).port),
        tlsPort: tlsUrl ? Number(new URL(tlsUrl).port) : 0,
        ca: testCa(),
        secrets: { ...TEST_SECRETS },
        stderr: () => stderr,
        kill: (signal = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        },
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
        exited,
      });
    });
  });
}
