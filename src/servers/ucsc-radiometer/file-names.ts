// The UCSC radiometer writes one file per UTC day: `PWV_UCSC_<year>-<doy>.txt`,
// and until mid-2018 `PWV_UCSC_<doy>-<year>.txt`. The two are told apart by
// which number is the four-digit year; both are accepted for any date, with
// or without zero padding of the day, so the exact day of the switch does
// not matter.

export interface PwvFileKey {
  year: number;
  /** day of year, 1 = 1 January */
  doy: number;
  /** UNIX seconds of 00:00 UTC on that day */
  dayStart: number;
  /** written in the newer `<year>-<doy>` order */
  yearFirst: boolean;
}

const NAME = /^PWV_UCSC_(\d{1,4})-(\d{1,4})\.txt$/;

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** UNIX seconds of 00:00 UTC on 1 January of `year` */
export function yearStart(year: number): number {
  return Date.UTC(year, 0, 1) / 1000;
}

export function parsePwvFileName(name: string): PwvFileKey | null {
  const m = NAME.exec(name);
  if (!m) return null;
  const [a, b] = [m[1]!, m[2]!];
  let year: number;
  let doy: number;
  let yearFirst: boolean;
  if (a.length === 4 && b.length <= 3) {
    [year, doy, yearFirst] = [Number(a), Number(b), true];
  } else if (b.length === 4 && a.length <= 3) {
    [year, doy, yearFirst] = [Number(b), Number(a), false];
  } else {
    return null;
  }
  if (doy < 1 || doy > (isLeapYear(year) ? 366 : 365)) return null;
  return { year, doy, dayStart: yearStart(year) + (doy - 1) * 86400, yearFirst };
}

/** the file name for a UTC day, in the current naming */
export function pwvFileName(year: number, doy: number, yearFirst = true): string {
  const d = String(doy).padStart(3, '0');
  return yearFirst ? `PWV_UCSC_${year}-${d}.txt` : `PWV_UCSC_${d}-${year}.txt`;
}

/** fractional day of year (1.0 = 1 January 00:00 UTC) to UNIX seconds */
export function dayOfYearToUnix(year: number, fractionalDoy: number): number {
  return yearStart(year) + (fractionalDoy - 1) * 86400;
}
