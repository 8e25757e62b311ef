// Running `sisock` commands as real child processes in tests, and waiting
// for things to happen (bounded by deadlines, never asserting on speed).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SISOCK_BIN = fileURLToPath(new URL('../../../bin/sisock.js', import.meta.url));

export interface SisockProcess {
  child: ChildProcess;
  pid: number;
  /** the first stdout line (the command's "ready" line) */
  ready: string;
  stdout(): string;
  stderr(): string;
  /** the stderr lines so far, parsed (JSON log lines; others as {msg: line}) */
  logs(): Record<string, unknown>[];
  /** resolves with the exit code (null when killed by a signal) */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM (or `signal`), then SIGKILL after 5 s; resolves with the exit code */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** ms to wait for the first stdout line, or with untilExit for the exit (default 15000); then it is killed */
  timeout?: number;
  /** resolve at exit instead of at the first stdout line (for commands expected to exit) */
  untilExit?: boolean;
  /** stdout text that means ready (default: any first line) */
  readyPattern?: RegExp;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** Starts `sisock <args>` and resolves once it printed its ready line (or exited, with untilExit). */
export function spawnSisock(args: string[], options: SpawnOptions = {}): Promise<SisockProcess> {
  return spawnScript(SISOCK_BIN, args, options);
}

/** Starts `node <script> <args>` (e.g. a test fixture process), as spawnSisock does. */
export function spawnScript(script: string, args: string[], options: SpawnOptions = {}): Promise<SisockProcess> {
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: options.cwd,
    env: { ...process.env, LOGLEVEL: process.env.LOGLEVEL ?? 'info', ...options.env },
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const handle = (ready: string): SisockProcess => ({
    child,
    pid: child.pid!,
    ready,
    stdout: () => out,
    stderr: () => err,
    logs: () => parseLogLines(err),
    exited,
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  });
  if (options.untilExit) {
    return new Promise<SisockProcess>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${script} ${args.join(' ')} did not exit in time; stdout: ${out}; stderr: ${err.slice(-2000)}`));
      }, options.timeout ?? 15_000);
      void exited.then(() => {
        clearTimeout(timer);
        resolve(handle(out.split('\n')[0] ?? ''));
      });
    });
  }
  return new Promise<SisockProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${args.join(' ')} did not get ready; stdout: ${out}; stderr: ${err.slice(-2000)}`));
    }, options.timeout ?? 15_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${script} ${args.join(' ')} exited with ${code} before ready; stderr: ${err.slice(-2000)}`));
    });
    const check = (): void => {
      const line = options.readyPattern ? options.readyPattern.exec(out)?.[0] : out.includes('\n') ? out.split('\n')[0] : undefined;
      if (line === undefined) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve(handle(line));
    };
    child.stdout!.on('data', check);
  });
}

/** Complete lines of a log stream, parsed as JSON where they are JSON. */
export function parseLogLines(text: string): Record<string, unknown>[] {
  const lines = text.split('\n');
  lines.pop(); // the last one is incomplete (or empty)
  return lines.filter((l) => l.trim() !== '').map((l) => {
    try {
      const v: unknown = JSON.parse(l);
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { msg: l };
    } catch {
      return { msg: l };
    }
  });
}

/** Polls `probe` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String((last as Error).message ?? last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Whether a process id is alive (a zombie, exited but not yet reaped, is not). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // "pid (comm) S ...": the state letter follows the last ')'
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}
