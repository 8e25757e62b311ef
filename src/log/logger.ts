// Structured logs, one JSON line per event, on stderr (stdout stays free for
// what a command prints for people). The level comes from LOGLEVEL.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Normalizes a LOGLEVEL value (the original used Python names such as WARNING). */
export function parseLogLevel(value: string | undefined, fallback: LevelWithSilent = 'info'): LevelWithSilent {
  if (!value) return fallback;
  const v = value.trim().toLowerCase();
  if (v === 'warning') return 'warn';
  if (v === 'critical') return 'fatal';
  return LEVELS.has(v) ? (v as LevelWithSilent) : fallback;
}

/** A logger for one component; `component` appears on every line. */
export function createLogger(component: string, level: string | undefined = process.env.LOGLEVEL): Logger {
  return pino({ level: parseLogLevel(level), base: { component } }, pino.destination({ fd: 2, sync: false }));
}

/** A logger that writes nothing, for library users who pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });
