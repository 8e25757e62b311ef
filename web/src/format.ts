// How numbers and times are written on the page.

/** A value with about 4 significant digits, no exponent for everyday magnitudes. */
export function formatValue(x: number | null | undefined, units?: string | null): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  let s: string;
  if (a !== 0 && (a >= 1e7 || a < 1e-3)) s = x.toExponential(3);
  else if (Number.isInteger(x)) s = String(x);
  else s = x.toPrecision(a >= 1000 ? 7 : 4).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
  return units ? `${s} ${units}` : s;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `2017-07-14 03:00:00` in UTC or local time. */
export function formatDateTime(ms: number, utc: boolean, withSeconds = true): string {
  const d = new Date(ms);
  const [y, mo, da, h, mi, s] = utc
    ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
  return `${y}-${pad(mo)}-${pad(da)} ${pad(h)}:${pad(mi)}${withSeconds ? `:${pad(s)}` : ''}`;
}

/** `2017-07-14T03:00` for a datetime-local input. */
export function inputDateTime(ms: number, utc: boolean): string {
  return formatDateTime(ms, utc, false).replace(' ', 'T');
}

/** A datetime-local input's value (UTC or local) to epoch ms. */
export function parseInputDateTime(value: string, utc: boolean): number | null {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(value)) return null;
  const ms = utc ? Date.parse(`${value}Z`) : new Date(value).getTime();
  return Number.isFinite(ms) ? ms : null;
}

/** `3 s`, `2 min`, `5 h` ago. */
export function formatAgo(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/** A timeline's sample interval: `2.5 s`, `1 min`, `1 h`, or `irregular`. */
export function formatInterval(s: number | null): string {
  if (s === null || !(s > 0)) return 'irregular';
  if (s < 60) return `every ${+s.toPrecision(3)} s`;
  if (s < 3600) return `every ${+(s / 60).toPrecision(3)} min`;
  if (s < 86400) return `every ${+(s / 3600).toPrecision(3)} h`;
  return `every ${+(s / 86400).toPrecision(3)} d`;
}

/**
 * Labels of the time axis's ticks, 24-hour: the date where it changes (and
 * at the first tick), the time of day as precise as the tick step needs.
 */
export function timeTicks(ticks: readonly number[], stepMs: number, utc: boolean): string[] {
  let lastDate = '';
  return ticks.map((ms) => {
    const full = formatDateTime(ms, utc);
    const date = full.slice(0, 10);
    if (stepMs >= 86_400_000) return date;
    let time = stepMs >= 60_000 ? full.slice(11, 16) : full.slice(11, 19);
    if (stepMs < 1000) time += `.${String(((ms % 1000) + 1000) % 1000).padStart(3, '0')}`;
    const label = date !== lastDate ? `${time}\n${date}` : time;
    lastDate = date;
    return label;
  });
}
