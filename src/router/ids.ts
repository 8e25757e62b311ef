// WAMP ids. Global-scope ids (sessions, publications) are random in
// [1, 2^53] as the spec asks; registration and subscription ids too, so they
// reveal nothing about how many exist.
import { randomInt } from 'node:crypto';

/** A random integer in [1, 2^53]. */
export function randomId(): number {
  // randomInt spans at most 2^48 values, so draw the high 21 bits and the low 32 separately
  return randomInt(0, 2 ** 21) * 2 ** 32 + randomInt(0, 2 ** 32) + 1;
}

/** A random id not already used as a key of `taken`. */
export function freshId(taken: { has(id: number): boolean }): number {
  let id = randomId();
  while (taken.has(id)) id = randomId();
  return id;
}
