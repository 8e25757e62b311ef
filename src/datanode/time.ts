// sisock time: t > 0 is a UNIX time in seconds; t <= 0 means -t seconds
// before now (so 0 is now).

/** Now, in UNIX seconds with sub-second precision. */
export function unixNow(): number {
  return Date.now() / 1000;
}

/** Resolves a sisock time against `now` (UNIX seconds). */
export function toUnixTime(t: number, now: number = unixNow()): number {
  return t > 0 ? t : now + t;
}
