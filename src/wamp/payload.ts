// The application payload of a message: its Arguments and ArgumentsKw.
// The router only moves payloads from one peer to another, so it keeps them
// as the exact bytes the sender wrote and splices those bytes into the
// message it sends whenever the receiver reads the same format. Decoding and
// re-encoding would lose what JavaScript values cannot hold: a float with an
// integral value (293.0 becomes the integer 293, which breaks Python peers
// that type a field from its values), integers beyond 2^53, and time on
// payloads of megabytes. Values are decoded only for a receiver of another
// format and for the router's own procedures.
import type { Args, Dict } from './messages.js';
import { ProtocolViolation } from './validation.js';

/** A wire format (JSON, msgpack or CBOR), as far as payloads need one. */
export interface PayloadFormat {
  readonly name: 'json' | 'msgpack' | 'cbor';
  /** Decodes the bytes of one or two consecutive message elements (Arguments, ArgumentsKw) into their values. */
  decodeElements(bytes: Buffer): unknown[];
}

export class Payload {
  private decoded: readonly unknown[] | undefined;

  private constructor(
    /** the format of the bytes; undefined for values made in this process */
    readonly format: PayloadFormat | undefined,
    /** the message the bytes are in (kept whole: a view of it would cost more than the offsets) */
    private readonly source: Buffer | undefined,
    private readonly start: number,
    private readonly end: number,
    /** 1: Arguments only; 2: Arguments and ArgumentsKw */
    readonly count: 1 | 2,
    values: readonly unknown[] | undefined,
  ) {
    this.decoded = values;
  }

  /** A payload of values; undefined when there is none. ArgumentsKw without Arguments get an empty list, as the spec requires. */
  static of(args: Args | undefined, kwargs: Dict | undefined): Payload | undefined {
    if (kwargs !== undefined) return new Payload(undefined, undefined, 0, 0, 2, [args ?? [], kwargs]);
    if (args !== undefined) return new Payload(undefined, undefined, 0, 0, 1, [args]);
    return undefined;
  }

  /**
   * A payload kept as bytes [start, end) of a message a peer sent, separator
   * included (a scanner checked that they are a list and a dictionary, well-formed).
   */
  static raw(format: PayloadFormat, source: Buffer, start: number, end: number, count: 1 | 2): Payload {
    return new Payload(format, source, start, end, count, undefined);
  }

  /** Length of the raw bytes (0 for values). */
  get byteLength(): number {
    return this.end - this.start;
  }

  /** Copies the raw bytes into `target` at `at`. */
  copyTo(target: Buffer, at: number): void {
    this.source!.copy(target, at, this.start, this.end);
  }

  /** The raw bytes (a view of the message they came in). */
  bytes(): Buffer {
    return this.source!.subarray(this.start, this.end);
  }

  /** [Arguments] or [Arguments, ArgumentsKw], decoded on first use. Throws ProtocolViolation when the bytes cannot be decoded. */
  values(): readonly unknown[] {
    if (this.decoded === undefined) {
      const values = this.format!.decodeElements(this.bytes());
      if (values.length !== this.count) throw new ProtocolViolation(`payload holds ${values.length} elements, expected ${this.count}`);
      this.decoded = values;
    }
    return this.decoded;
  }

  get args(): Args {
    return this.values()[0] as Args;
  }

  get kwargs(): Dict | undefined {
    return this.values()[1] as Dict | undefined;
  }
}
