// Runs `sisock <command>` as a child process, as an operator would, and
// waits for the line that says it is ready.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../../bin/sisock.js', import.meta.url));

export interface RunningCommand {
  child: ChildProcess;
  stdout: string[];
  /** stderr lines (JSON log lines, parsed when they are JSON) */
  logs: Record<string, unknown>[];
  /** resolves with the exit code (or signal name) */
  exited: Promise<number | string>;
  /** SIGTERM (or the given signal), then waits for the exit */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export function runSisock(args: string[], env: Record<string, string>): RunningCommand {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, LOGLEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const logs: Record<string, unknown>[] = [];
  let outBuf = '';
  let errBuf = '';
  child.stdout!.on('data', (d: Buffer) => {
    outBuf += d.toString();
    const lines = outBuf.split('\n');
    outBuf = lines.pop()!;
    stdout.push(...lines);
  });
  child.stderr!.on('data', (d: Buffer) => {
    errBuf += d.toString();
    const lines = errBuf.split('\n');
    errBuf = lines.pop()!;
    for (const l of lines) {
      try {
        logs.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        logs.push({ msg: l });
      }
    }
  });
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    stdout,
    logs,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** waits until a stdout line matches (or the process exits, or time runs out) */
export async function waitForLine(cmd: RunningCommand, match: RegExp, timeoutMs = 20_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const line = cmd.stdout.find((l) => match.test(l));
    if (line) return line;
    if (cmd.child.exitCode !== null || cmd.child.signalCode !== null) {
      throw new Error(`process exited (${cmd.child.exitCode ?? cmd.child.signalCode}) before printing ${match}; stderr: ${JSON.stringify(cmd.logs.slice(-5))}`);
    }
    if (Date.now() > until) throw new Error(`no line matching ${match} within ${timeoutMs} ms; stdout: ${cmd.stdout.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
