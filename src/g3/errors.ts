// Errors raised while reading or writing .g3 data. Each says where (a byte
// offset) and why, so a caller can report a damaged file precisely.

/** The bytes do not follow the format (bad flag, impossible length, unknown layout). */
export class G3FormatError extends Error {
  override name = 'G3FormatError';
  /** Byte offset of the problem, relative to the buffer being decoded. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

/** The bytes end before the structure being read does. */
export class G3TruncatedError extends G3FormatError {
  override name = 'G3TruncatedError';
  /** How many bytes the structure needs beyond the end of the buffer, at least. */
  readonly missing: number;
  constructor(message: string, offset: number, missing: number) {
    super(message, offset);
    this.missing = missing;
  }
}

/** A class name this library cannot decode (kept as raw bytes where the format allows it). */
export class G3UnknownClassError extends G3FormatError {
  override name = 'G3UnknownClassError';
  readonly className: string;
  constructor(className: string, offset: number, why = 'unknown class') {
    super(`${why}: ${className}`, offset);
    this.className = className;
  }
}
