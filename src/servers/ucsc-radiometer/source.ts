// The `ucsc_radiometer` data node: precipitable water vapour from the UCSC
// radiometer, one text file per UTC day (`PWV_UCSC_<year>-<doy>.txt`), a
// header line, then rows `<fractional day of year> <pwv in mm or NaN>`.
// Day-of-year is converted to UNIX time in UTC (the original used the
// server's local time zone, which shifted every sample by its UTC offset).
import { basename } from 'node:path';
import type { DataNodeSource, DataRequest, FieldsRequest, TimelineSamples } from '../../datanode/source.js';
import type { FieldsReply } from '../../protocol/types.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import { lowerBound } from '../../datanode/range.js';
import type { IndexEntry } from '../archive/directory-index.js';
import { FileArchive } from '../archive/file-archive.js';
import type { CacheStats } from '../archive/parsed-file-cache.js';
import { dayOfYearToUnix, parsePwvFileName, type PwvFileKey } from './file-names.js';

export interface UcscRadiometerOptions {
  /** the directory holding the PWV_UCSC files (`/data/PWV` in the original) */
  pwvDir: string;
  name?: string;
  description?: string;
  /** seconds between full rescans of the directory (default 60; 0: never) */
  rescanInterval?: number;
  /** budget of the parsed-file cache, bytes (default 64 MiB, ~10 years of data) */
  cacheBytes?: number;
  logger?: Logger;
}

export const PWV_FIELD = 'pwv';
/** the radiometer's nominal sampling interval, seconds */
export const PWV_INTERVAL = 60.48;

type Entry = IndexEntry<PwvFileKey>;

export class UcscRadiometerSource implements DataNodeSource {
  readonly name: string;
  readonly description: string;
  private readonly archive: FileArchive<PwvFileKey>;
  private readonly logger: Logger;
  private byDay = new Map<number, Entry>();
  private days: number[] = [];
  private byDayVersion = -1;
  private readonly duplicatesLogged = new Set<number>();

  constructor(options: UcscRadiometerOptions) {
    this.name = options.name ?? 'ucsc_radiometer';
    this.description = options.description ?? 'PWV readings from the UCSC radiometer.';
    this.logger = options.logger ?? silentLogger;
    this.archive = new FileArchive<PwvFileKey>({
      dir: options.pwvDir,
      parseName: parsePwvFileName,
      formatOf: (path) => {
        const year = parsePwvFileName(basename(path))?.year ?? NaN;
        return { header: true, time: (x) => dayOfYearToUnix(year, x) };
      },
      rescanInterval: options.rescanInterval ?? 60,
      cacheBytes: options.cacheBytes ?? 64 * 1024 * 1024,
      logger: this.logger,
    });
  }

  /** scans the directory once and starts watching it */
  start(): Promise<void> {
    return this.archive.start();
  }

  close(): void {
    this.archive.close();
  }

  /** cache counters, for benchmarks and logs */
  get cacheStats(): Readonly<CacheStats> {
    return this.archive.cacheStats;
  }

  /** forces a rescan now (the periodic one does the same) */
  rescan(): Promise<void> {
    return this.archive.rescan();
  }

  getFields(request: FieldsRequest): FieldsReply {
    if (this.filesFor(request.start, request.end).length === 0) return [{}, {}];
    return [
      { [PWV_FIELD]: { description: 'PWV from UCSC Radiometer', timeline: PWV_FIELD, type: 'number', units: 'mm' } },
      { [PWV_FIELD]: { interval: PWV_INTERVAL, field: [PWV_FIELD] } },
    ];
  }

  async getData(request: DataRequest): Promise<TimelineSamples[]> {
    if (!request.fields.includes(PWV_FIELD)) return [];
    const { t, v } = await this.archive.read(this.filesFor(request.start, request.end), request.start, request.end, request.signal);
    if (t.length === 0) return [];
    return [{ name: PWV_FIELD, t, fields: new Map([[PWV_FIELD, v]]), finalizedUntil: t[t.length - 1]! }];
  }

  /**
   * Day files that may hold samples in [start, end): the UTC days the range
   * touches, and one day either side for rows that spill past midnight.
   */
  private filesFor(start: number, end: number): Entry[] {
    this.refreshDays();
    const first = Math.floor(start / 86400) - 1;
    const last = Math.floor(end / 86400) + 1;
    const out: Entry[] = [];
    for (let i = lowerBound(this.days, first); i < this.days.length && this.days[i]! <= last; i++) {
      out.push(this.byDay.get(this.days[i]!)!);
    }
    return out;
  }

  private refreshDays(): void {
    if (this.byDayVersion === this.archive.index.version) return;
    const byDay = new Map<number, Entry>();
    for (const e of this.archive.index.entries()) {
      const day = e.key.dayStart / 86400;
      const other = byDay.get(day);
      if (other) {
        // Both namings for one day: serve the newer naming's file only, so
        // no sample is served twice.
        if (!this.duplicatesLogged.has(day)) {
          this.duplicatesLogged.add(day);
          this.logger.warn({ files: [other.name, e.name] }, 'two files for one day; serving the <year>-<doy> one');
        }
        if (other.key.yearFirst) continue;
      }
      byDay.set(day, e);
    }
    this.byDay = byDay;
    this.days = [...byDay.keys()].sort((a, b) => a - b);
    this.byDayVersion = this.archive.index.version;
  }
}
