// A real pino logger whose lines the test can read back.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../src/log/logger.js';

export interface CapturedLog {
  logger: Logger;
  lines: Record<string, unknown>[];
  /** lines at warn level or above whose msg matches */
  warnings(match?: RegExp): Record<string, unknown>[];
}

export function captureLog(level = 'debug'): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const logger = pino({ level }, stream);
  return {
    logger,
    lines,
    warnings: (match) => lines.filter((l) => (l.level as number) >= 40 && (!match || match.test(String(l.msg)))),
  };
}
