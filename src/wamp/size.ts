// The size of an encoded message against a transport's limit, shared by
// the router and the client: both must not send what the peer would refuse.

/**
 * The bytes of an encoded message when over `limit`, else 0 (no limit:
 * undefined or 0). Text is counted only when it could be over: a UTF-16
 * unit takes at most 3 bytes of UTF-8, and at least 1.
 */
export function bytesOverLimit(encoded: string | ArrayBuffer | Uint8Array, limit: number | undefined): number {
  if (limit === undefined || limit <= 0) return 0;
  if (typeof encoded !== 'string') return encoded.byteLength > limit ? encoded.byteLength : 0;
  if (encoded.length * 3 <= limit) return 0;
  if (encoded.length > limit) return encoded.length;
  const bytes = Buffer.byteLength(encoded, 'utf8');
  return bytes > limit ? bytes : 0;
}
