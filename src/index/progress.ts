// A one-line progress bar for a long scan on a terminal: files, bytes, rate
// and time left, redrawn in place a few times a second.
import type { WriteStream } from 'node:tty';

export interface ProgressTotals {
  files: number;
  bytes: number;
}

function mb(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The text of the bar (without control characters), `width` columns at most. */
export function progressLine(done: ProgressTotals, total: ProgressTotals, seconds: number, width = 80): string {
  const frac = total.bytes > 0 ? Math.min(1, done.bytes / total.bytes) : total.files > 0 ? done.files / total.files : 1;
  const rate = seconds > 0 ? done.bytes / seconds : 0;
  // The first second says too little to guess from.
  const left = rate > 0 && seconds >= 1 ? (total.bytes - done.bytes) / rate : Infinity;
  const info = ` ${done.files}/${total.files} files  ${mb(done.bytes)}/${mb(total.bytes)}  ${(rate / 1e6).toFixed(0)} MB/s  ${duration(left)} left`;
  const barWidth = Math.max(10, Math.min(30, width - info.length - 3));
  const filled = Math.round(frac * barWidth);
  return `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]${info}`.slice(0, width);
}

export class ProgressBar {
  private readonly started = Date.now();
  private last = 0;
  private readonly done: ProgressTotals = { files: 0, bytes: 0 };

  constructor(
    private readonly out: WriteStream,
    private readonly total: ProgressTotals,
  ) {}

  bytes(n: number): void {
    this.done.bytes += n;
    this.draw(false);
  }

  file(): void {
    this.done.files++;
    this.draw(false);
  }

  private draw(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.last < 200) return;
    this.last = now;
    this.out.write(`\r${progressLine(this.done, this.total, (now - this.started) / 1000, (this.out.columns || 80) - 1)}\x1b[K`);
  }

  /** Clears the line. */
  end(): void {
    this.out.write('\r\x1b[K');
  }
}
