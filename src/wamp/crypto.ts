// The cryptography of WAMP-CRA and ticket authentication, computed exactly as
// autobahn (Python and JS) does, so their clients and ours agree.
import { createHmac, pbkdf2Sync, randomInt, timingSafeEqual } from 'node:crypto';

/** Defaults of autobahn's derive_key and of the CRA challenge extra. */
export const CRA_DEFAULT_ITERATIONS = 1000;
export const CRA_DEFAULT_KEYLEN = 32;

/**
 * WAMP-CRA signature: base64(HMAC-SHA256(key, challenge)). `key` is the
 * secret itself, or for salted secrets the base64 text from deriveKey().
 */
export function computeWcs(key: string | Buffer, challenge: string): string {
  return createHmac('sha256', key).update(challenge, 'utf8').digest('base64');
}

/**
 * Autobahn's derive_key: PBKDF2-HMAC-SHA256 of the secret with the salt,
 * returned as base64 text (the text, not the raw bytes, is then the HMAC key).
 */
export function deriveKey(
  secret: string,
  salt: string,
  iterations: number = CRA_DEFAULT_ITERATIONS,
  keylen: number = CRA_DEFAULT_KEYLEN,
): string {
  return pbkdf2Sync(Buffer.from(secret, 'utf8'), Buffer.from(salt, 'utf8'), iterations, keylen, 'sha256').toString('base64');
}

/** A random secret of `length` characters from autobahn's generate_wcs alphabet. */
export function generateWcs(length = 14): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** Compares two secrets or signatures in constant time (for equal lengths). */
export function secretsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  if (x.length !== y.length) {
    // still spend the time of a comparison so lengths do not leak through timing
    timingSafeEqual(x, x);
    return false;
  }
  return timingSafeEqual(x, y);
}
