// Synthetic UCSC radiometer files for tests and demos: one file per UTC
// day in the radiometer's layout, with occasional NaN rows as the real
// instrument writes them.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { seededRandom } from '../apex-weather/synthetic.js';
import { isLeapYear, pwvFileName, yearStart } from './file-names.js';
import { PWV_INTERVAL } from './source.js';

export interface SyntheticPwvOptions {
  /** any time on the first day, UNIX seconds */
  start: number;
  days: number;
  /** `auto`: the old `<doy>-<year>` naming in 2018 up to day 201, as the instrument did */
  naming?: 'auto' | 'year-first' | 'doy-first';
  /** about one row in this many is NaN (0: none) */
  nanEvery?: number;
  seed?: number;
}

export const PWV_HEADER = 'DOY PWV[mm]';

/** the row text for fractional day of year `x` (what a reader must parse back) */
export function pwvRow(x: number, pwv: number | null): string {
  return `${x.toFixed(6)} ${pwv === null ? 'NaN' : pwv.toFixed(4)}`;
}

export async function writeSyntheticPwvArchive(dir: string, options: SyntheticPwvOptions): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const rnd = seededRandom(options.seed ?? 3);
  const names: string[] = [];
  const firstDay = Math.floor(options.start / 86400) * 86400;
  for (let d = 0; d < options.days; d++) {
    const dayStart = firstDay + d * 86400;
    const year = new Date(dayStart * 1000).getUTCFullYear();
    const doy = (dayStart - yearStart(year)) / 86400 + 1;
    if (doy > (isLeapYear(year) ? 366 : 365)) throw new Error('day of year out of range');
    const naming = options.naming ?? 'auto';
    const yearFirst = naming === 'year-first' || (naming === 'auto' && !(year === 2018 && doy <= 201));
    const lines = [PWV_HEADER];
    for (let s = 0; s < 86400; s += PWV_INTERVAL) {
      const x = doy + s / 86400;
      const nan = options.nanEvery ? rnd() * options.nanEvery < 1 : false;
      lines.push(pwvRow(x, nan ? null : 0.8 + 0.5 * Math.sin((2 * Math.PI * (dayStart + s)) / 86400) + 0.1 * rnd()));
    }
    const name = pwvFileName(year, doy, yearFirst);
    await writeFile(join(dir, name), lines.join('\n') + '\n');
    names.push(name);
  }
  return names;
}
