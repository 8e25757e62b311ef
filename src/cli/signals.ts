// How a long-running command waits: until SIGINT or SIGTERM, until its
// client gives up, or, when `sisock up` started it, until that supervisor is
// gone (so a supervisor killed without a chance to clean up leaves no
// orphans behind).
import type { EventEmitter } from 'node:events';

/** Resolves 'signal' on SIGINT/SIGTERM or when the supervisor died, 'fatal' when `emitter` emits `fatal`. */
export function untilStopped(emitter: EventEmitter): Promise<'signal' | 'fatal'> {
  return new Promise((resolve) => {
    const supervisor = Number(process.env.SISOCK_SUPERVISOR_PID);
    const orphanWatch = Number.isInteger(supervisor) && supervisor > 0
      ? setInterval(() => {
          if (process.ppid !== supervisor) done('signal');
        }, 1000)
      : null;
    orphanWatch?.unref();
    const done = (how: 'signal' | 'fatal'): void => {
      if (orphanWatch) clearInterval(orphanWatch);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      emitter.off('fatal', onFatal);
      resolve(how);
    };
    const onSignal = (): void => done('signal');
    const onFatal = (): void => done('fatal');
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    emitter.on('fatal', onFatal);
  });
}
