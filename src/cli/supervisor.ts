// Runs sisock components as child processes for `sisock up`: prefixes their
// output with their name, restarts one that crashes (with backoff; not one
// that exited cleanly, which was asked to stop, nor one that exited for a
// reason a restart cannot fix), and stops them all in reverse order of start.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { backoffDelay, type BackoffOptions } from '../client/backoff.js';

export interface PartSpec {
  /** short name, used as the output prefix */
  name: string;
  /** arguments of the `sisock` command, e.g. ['node', 'weather'] */
  args: string[];
  /** extra environment */
  env?: NodeJS.ProcessEnv;
}

export interface SupervisorOptions {
  /** the sisock entry script (bin/sisock.js) */
  bin: string;
  out: Writable;
  err: Writable;
  /** delays between restarts of a crashed part; default 1 s doubling to 30 s */
  backoff?: BackoffOptions;
  /** a part that ran this long (ms) before crashing restarts without delay growth (default 60000) */
  stableAfter?: number;
  /** name column width */
  width?: number;
}

/** Exit codes after which a restart cannot help: 2 usage, 3 name taken. */
const PERMANENT_EXIT = new Set([2, 3]);

interface Part {
  spec: PartSpec;
  child: ChildProcess | null;
  startedAt: number;
  restarts: number;
  /** stdout lines since the last start */
  lines: string[];
  /** it printed its ready line once: from then on a crash means restart */
  everReady: boolean;
  stopped: boolean;
  timer: NodeJS.Timeout | null;
  exited: Promise<void>;
}

/**
 * Events: `line` (name, line) for each stdout line of a part, `exit` (name,
 * code, signal), `restart` (name, attempt, delayMs), `failed` (name, code):
 * a part that will not be restarted.
 */
export class Supervisor extends EventEmitter {
  private readonly parts: Part[] = [];
  private readonly options: SupervisorOptions;
  private stopping = false;

  constructor(options: SupervisorOptions) {
    super();
    this.options = options;
  }

  /** Starts a part; resolves with its first stdout line (its "ready" line) or rejects if it exits first or times out. */
  start(spec: PartSpec, timeoutMs = 20_000): Promise<string> {
    const part: Part = { spec, child: null, startedAt: 0, restarts: 0, lines: [], everReady: false, stopped: false, timer: null, exited: Promise.resolve() };
    this.parts.push(part);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('line', onLine);
        this.off('exit', onExit);
        reject(new Error(`${spec.name} did not report ready within ${timeoutMs} ms`));
      }, timeoutMs);
      const onLine = (name: string, line: string): void => {
        if (name !== spec.name) return;
        clearTimeout(timer);
        this.off('line', onLine);
        this.off('exit', onExit);
        resolve(line);
      };
      const onExit = (name: string, code: number | null, signal: string | null): void => {
        if (name !== spec.name) return;
        clearTimeout(timer);
        this.off('line', onLine);
        this.off('exit', onExit);
        reject(new Error(`${spec.name} exited (${signal ?? `code ${code}`}) before it was ready`));
      };
      this.on('line', onLine);
      this.on('exit', onExit);
      this.spawn(part);
    });
  }

  /** stdout lines of a part since its last start */
  lines(name: string): string[] {
    return this.parts.find((p) => p.spec.name === name)?.lines ?? [];
  }

  /** Changes the arguments a part gets when it is restarted (e.g. to keep the ports it picked). */
  setRestartArgs(name: string, args: string[]): void {
    const part = this.parts.find((p) => p.spec.name === name);
    if (part) part.spec = { ...part.spec, args };
  }

  pid(name: string): number | undefined {
    return this.parts.find((p) => p.spec.name === name)?.child?.pid;
  }

  /** Stops every part, last started first: SIGTERM, then SIGKILL after `graceMs`. */
  async stopAll(graceMs = 5000): Promise<void> {
    this.stopping = true;
    for (const part of [...this.parts].reverse()) {
      part.stopped = true;
      if (part.timer) clearTimeout(part.timer);
      const child = part.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await part.exited;
      clearTimeout(killer);
    }
  }

  private write(stream: Writable, name: string, line: string): void {
    stream.write(`${name.padEnd(this.options.width ?? 8)} | ${line}\n`);
  }

  private spawn(part: Part): void {
    const { spec } = part;
    const child = spawn(process.execPath, [this.options.bin, ...spec.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...spec.env, SISOCK_SUPERVISOR_PID: String(process.pid) },
    });
    part.child = child;
    part.startedAt = Date.now();
    part.lines = [];
    part.exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      part.everReady = true;
      part.lines.push(line);
      this.write(this.options.out, spec.name, line);
      this.emit('line', spec.name, line);
    });
    createInterface({ input: child.stderr! }).on('line', (line) => this.write(this.options.err, spec.name, line));
    child.once('error', (err) => this.write(this.options.err, spec.name, `cannot start: ${err.message}`));
    child.once('exit', (code, signal) => {
      this.emit('exit', spec.name, code, signal);
      if (this.stopping || part.stopped) return;
      if (!part.everReady) {
        // It never got going (bad settings, a port in use): start() reports it.
        this.emit('failed', spec.name, code);
        return;
      }
      if (code === 0) {
        // A clean exit means someone asked it to stop (Ctrl-C reaches the whole process group).
        this.write(this.options.err, spec.name, 'stopped');
        return;
      }
      if (code !== null && PERMANENT_EXIT.has(code)) {
        this.write(this.options.err, spec.name, `exited with code ${code}; not restarting it (see its messages above)`);
        this.emit('failed', spec.name, code);
        return;
      }
      if (Date.now() - part.startedAt >= (this.options.stableAfter ?? 60_000)) part.restarts = 0;
      const wait = backoffDelay(part.restarts, this.options.backoff ?? { initialDelay: 1000, maxDelay: 30_000, factor: 2, jitter: 0.2 });
      part.restarts++;
      this.write(this.options.err, spec.name, `exited (${signal ?? `code ${code}`}); restarting in ${(wait / 1000).toFixed(1)} s`);
      this.emit('restart', spec.name, part.restarts, wait);
      part.timer = setTimeout(() => {
        part.timer = null;
        if (!this.stopping && !part.stopped) this.spawn(part);
      }, wait);
    });
  }
}
