// Splitting a byte stream into frames (FORMAT 3.1-3.3). A frame has no
// length field: it is delimited by walking its key table, so the parser
// reports either a frame, or how many bytes it needs at least, or why the
// bytes cannot be a frame. Blobs are not decoded here.
import { ByteReader, decodeName } from './bytes.js';
import { g3CrcRange } from './crc32c.js';
import { G3FormatError, G3TruncatedError } from './errors.js';
import { G3Frame, type FrameEntry } from './frame.js';

/** Sanity limits beyond which a header is taken as damage rather than data. */
export const FRAME_LIMITS = {
  maxKeys: 1 << 20,
  maxKeyLength: 1 << 16,
  maxBlobLength: 2 ** 32 - 1,
};

export const FRAME_HEADER_SIZE = 13;

export type FrameParse =
  | { kind: 'frame'; frame: G3Frame; end: number }
  /** The bytes end inside the frame: at least `need` bytes from its start are required. */
  | { kind: 'incomplete'; need: number; reason: string }
  /** The bytes at this position cannot be a frame. */
  | { kind: 'corrupt'; reason: string; at: number };

/**
 * Parses the frame starting at `pos` in `bytes` (`bytes[0]` being at stream
 * offset `base`). Blobs in the returned frame view `bytes` (no copy).
 */
export function parseFrame(bytes: Uint8Array, pos: number, base: number, verifyCrc = true): FrameParse {
  const r = new ByteReader(bytes, pos, bytes.length, base);
  try {
    r.need(FRAME_HEADER_SIZE, 'frame header');
    const flag = r.u8();
    if (flag !== 1) {
      const what = flag === 0 ? 'big-endian frame (flag 00) is not supported' : `bad frame flag 0x${flag.toString(16).padStart(2, '0')}`;
      return { kind: 'corrupt', reason: `${what} at offset ${base + pos}`, at: base + pos };
    }
    const version = r.u32();
    if (version !== 1) return { kind: 'corrupt', reason: `unsupported frame version ${version} at offset ${base + pos + 1}`, at: base + pos + 1 };
    const n = r.i32();
    if (n < 0 || n > FRAME_LIMITS.maxKeys) return { kind: 'corrupt', reason: `impossible key count ${n} at offset ${base + pos + 5}`, at: base + pos + 5 };
    const type = r.u32();
    const entries = new Array<FrameEntry>(n);
    let crc = 0;
    for (let i = 0; i < n; i++) {
      const keyLength = r.length('key name length of entry', FRAME_LIMITS.maxKeyLength, i);
      r.need(keyLength, 'key name of entry', i);
      const keyAt = r.pos;
      const key = decodeName(bytes, keyAt, keyAt + keyLength);
      r.pos += keyLength;
      const blobLength = r.length('blob length of key', FRAME_LIMITS.maxBlobLength, key);
      const blobAt = r.pos;
      r.need(blobLength, 'blob of key', key);
      r.pos += blobLength;
      if (verifyCrc) crc = g3CrcRange(bytes, blobAt, blobAt + blobLength, g3CrcRange(bytes, keyAt, keyAt + keyLength, crc));
      entries[i] = {
        key,
        keyBytes: undefined,
        blob: undefined,
        src: bytes,
        keyAt,
        keyLength,
        blobAt,
        blobLength,
        blobOffset: base + blobAt,
        decoded: false,
        object: null,
      };
    }
    const crcStored = r.u32('frame CRC');
    const frame = new G3Frame(type, {
      entries,
      origin: { offset: base + pos, length: r.pos - pos, crcStored, crcComputed: verifyCrc ? crc : undefined },
      bytes,
      start: pos,
    });
    return { kind: 'frame', frame, end: r.pos };
  } catch (err) {
    if (err instanceof G3TruncatedError) return { kind: 'incomplete', need: bytes.length - pos + err.missing, reason: err.message };
    if (err instanceof G3FormatError) return { kind: 'corrupt', reason: err.message, at: err.offset };
    throw err;
  }
}

/**
 * Whether a frame could start at `pos`: the header fields have plausible
 * values. Used to look for the next frame after damage.
 */
export function plausibleFrameStart(bytes: Uint8Array, pos: number): boolean {
  if (pos + FRAME_HEADER_SIZE > bytes.length) return false;
  if (bytes[pos] !== 1 || bytes[pos + 1] !== 1 || bytes[pos + 2] !== 0 || bytes[pos + 3] !== 0 || bytes[pos + 4] !== 0) return false;
  // key count below 2^20, type code a small value (an ASCII letter in practice)
  if (bytes[pos + 8] !== 0 || (bytes[pos + 7]! & 0xf0) !== 0) return false;
  return bytes[pos + 11] === 0 && bytes[pos + 12] === 0;
}
