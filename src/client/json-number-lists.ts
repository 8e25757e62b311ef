// Reading a JSON message while keeping its long lists of numbers as text.
// A consumer that only passes numbers on as JSON (an HTTP bridge answering
// with the samples a data node sent) would otherwise parse every number to
// a double and format it back to text: most of its work for a large reply.
// Lists of numbers (and nulls) of at least `minLength` elements come back
// as JsonNumberList, which holds their text and parses it only when asked;
// everything else is read as JSON.parse reads it. Anything this reader does
// not accept is handed to JSON.parse, so the result and the errors are
// JSON.parse's whenever the two could differ.
//
// The reader works on the message's bytes as they came off the socket: a
// kept list is a view of them, copied into an answer as bytes, and the
// message never becomes one large string (decoding it, and collecting it
// afterwards, cost a consumer as much as checking its lists did).

/** A list of numbers and nulls as the JSON text it arrived in. */
export class JsonNumberList {
  private parsed: (number | null)[] | undefined;
  private doubles: Float64Array | undefined;
  private decoded: string | undefined;
  /** the list's JSON text, brackets included, as bytes (all ASCII) */
  readonly bytes: Uint8Array;

  constructor(
    /** the list's JSON text, brackets included (bytes are kept as they are, not copied) */
    text: Uint8Array | string,
    /** how many elements it has */
    readonly length: number,
    /**
     * every number in it is within a double's range, written without
     * blanks: the text can be copied into other JSON as is (a number such
     * as 1e999 would read as Infinity elsewhere, and JSON has no Infinity)
     */
    readonly copyable: boolean,
  ) {
    this.bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  }

  /** The list's JSON text (made from its bytes on first use). */
  get text(): string {
    return (this.decoded ??= latin1(this.bytes, 0, this.bytes.length));
  }

  /** The elements as JSON.parse gives them (parsed once, on first use). */
  values(): (number | null)[] {
    return (this.parsed ??= JSON.parse(this.text) as (number | null)[]);
  }

  /**
   * The elements as doubles, NaN for null (read once, on first use): the
   * doubles JSON.parse gives, without a heap object for each, and read
   * faster where every number is a plain decimal of up to 15 digits.
   */
  numbers(): Float64Array {
    return (this.doubles ??= (this.copyable && plainDecimals(this.bytes, this.length)) || Float64Array.from(this.values(), (x) => (x === null ? NaN : x)));
  }
}

/** Bytes start to end as a string of the same characters (they are ASCII where this is used). */
function latin1(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}

/** 10^0 to 10^22: every one exact as a double. */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** Integers below this are exact as doubles, and so is each step of adding up their digits. */
const EXACT_INTEGERS = 2 ** 53;

/**
 * The numbers of a copyable list as doubles, or undefined as soon as one is
 * not a plain decimal (an exponent, or more digits than a double holds
 * exactly). A decimal whose digits, as an integer, are below 2^53 is that
 * integer divided by a power of ten, both exact as doubles, so the one
 * correctly rounded division gives the double nearest the decimal: what
 * JSON.parse gives (Clinger's fast path).
 */
function plainDecimals(b: Uint8Array, length: number): Float64Array | undefined {
  const out = new Float64Array(length);
  let p = 1;
  for (let i = 0; i < length; i++) {
    let c = b[p]!;
    if (c === LOWER_N) {
      out[i] = NaN;
      p += 5; // 'null' and the comma or bracket after it
      continue;
    }
    const negative = c === MINUS;
    if (negative) c = b[++p]!;
    let m = 0;
    while (c >= ZERO && c <= NINE) {
      m = m * 10 + (c - ZERO);
      c = b[++p]!;
    }
    let decimals = 0;
    if (c === DOT) {
      c = b[++p]!;
      while (c >= ZERO && c <= NINE) {
        m = m * 10 + (c - ZERO);
        decimals++;
        c = b[++p]!;
      }
    }
    if ((c !== COMMA && c !== CLOSE_ARRAY) || m >= EXACT_INTEGERS || decimals > 22) return undefined;
    const v = m / EXACT_POWERS_OF_TEN[decimals]!;
    out[i] = negative ? -v : v;
    p++;
  }
  return p === b.length ? out : undefined;
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const ONE = 0x31;
const NINE = 0x39;
const UPPER_E = 0x45;
const LOWER_E = 0x65;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const LOWER_L = 0x6c;
const LOWER_N = 0x6e;
const LOWER_U = 0x75;
/** bytes from here on belong to characters beyond ASCII */
const NON_ASCII = 0x80;

/** Thrown inside the reader for any text it does not take; the caller then asks JSON.parse. */
class NotTaken extends Error {}
const NOT_TAKEN = new NotTaken();

const isBlank = (c: number): boolean => c === SPACE || c === LF || c === CR || c === TAB;
const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;

/**
 * A copyable list's numbers stay below 1e300, where a double ends near
 * 1.8e308: integer parts of up to 200 digits, exponents of up to two.
 */
const COPYABLE_INTEGER_DIGITS = 200;
const COPYABLE_EXPONENT_DIGITS = 2;

const LITERALS: readonly [Uint8Array, unknown][] = [
  [Buffer.from('true'), true],
  [Buffer.from('false'), false],
  [Buffer.from('null'), null],
];

class Reader {
  pos = 0;
  /** set by number(): the number it read is within a copyable list's bounds */
  private small = true;
  /** set by numberList(): its element count, and whether it can be copied */
  private count = 0;
  private copyable = true;

  constructor(
    private readonly b: Buffer,
    private readonly minLength: number,
  ) {}

  private skipBlanks(): void {
    const b = this.b;
    let p = this.pos;
    while (isBlank(b[p]!)) p++;
    this.pos = p;
  }

  value(): unknown {
    this.skipBlanks();
    const b = this.b;
    const c = b[this.pos]!;
    if (c === OPEN_OBJECT) return this.object();
    if (c === OPEN_ARRAY) return this.array();
    if (c === QUOTE) return this.string();
    if (c === MINUS || isDigit(c)) {
      const start = this.pos;
      const end = this.number(start);
      if (end < 0) throw NOT_TAKEN;
      this.pos = end;
      return Number(latin1(b, start, end));
    }
    for (const [word, v] of LITERALS) {
      if (this.startsWith(word)) {
        this.pos += word.length;
        return v;
      }
    }
    throw NOT_TAKEN;
  }

  private startsWith(word: Uint8Array): boolean {
    const b = this.b;
    const p = this.pos;
    for (let i = 0; i < word.length; i++) if (b[p + i] !== word[i]) return false;
    return true;
  }

  /**
   * The end of the JSON number at p, or -1 if there is none; `small` tells
   * whether it is within a copyable list's bounds.
   */
  private number(p: number): number {
    const b = this.b;
    let c = b[p]!;
    if (c === MINUS) c = b[++p]!;
    let small = true;
    if (c === ZERO) c = b[++p]!;
    else if (c >= ONE && c <= NINE) {
      const start = p;
      do c = b[++p]!;
      while (isDigit(c));
      if (p - start > COPYABLE_INTEGER_DIGITS) small = false;
    } else return -1;
    if (c === DOT) {
      c = b[++p]!;
      if (!isDigit(c)) return -1;
      do c = b[++p]!;
      while (isDigit(c));
    }
    if (c === LOWER_E || c === UPPER_E) {
      c = b[++p]!;
      if (c === PLUS || c === MINUS) c = b[++p]!;
      const start = p;
      while (isDigit(c)) c = b[++p]!;
      if (p === start) return -1;
      if (p - start > COPYABLE_EXPONENT_DIGITS) small = false;
    }
    this.small = small;
    return p;
  }

  private string(): string {
    const b = this.b;
    const start = this.pos + 1;
    let p = start;
    let escaped = false;
    let ascii = true;
    for (;;) {
      const c = b[p]!;
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        p += 2;
        continue;
      }
      if (!(c >= SPACE)) throw NOT_TAKEN; // a control character, or the end (undefined)
      if (c >= NON_ASCII) ascii = false;
      p++;
    }
    this.pos = p + 1;
    // a string's bytes decode alone as they do within the whole message: its quotes are ASCII, and UTF-8 resynchronises at ASCII
    if (escaped) return JSON.parse(b.toString('utf8', start - 1, p + 1)) as string;
    return b.toString(ascii ? 'latin1' : 'utf8', start, p);
  }

  /** Steps into the list or object at pos; true, and past it, when it closes at once with `close`. */
  private empty(close: number): boolean {
    this.pos++;
    this.skipBlanks();
    if (this.b[this.pos] !== close) return false;
    this.pos++;
    return true;
  }

  private object(): Record<string, unknown> {
    const b = this.b;
    const out: Record<string, unknown> = {};
    if (this.empty(CLOSE_OBJECT)) return out;
    for (;;) {
      this.skipBlanks();
      if (b[this.pos] !== QUOTE) throw NOT_TAKEN;
      const key = this.string();
      this.skipBlanks();
      if (b[this.pos] !== COLON) throw NOT_TAKEN;
      this.pos++;
      const v = this.value();
      // an own property, as JSON.parse makes it, even for "__proto__"
      if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
      this.skipBlanks();
      const c = b[this.pos++];
      if (c === CLOSE_OBJECT) return out;
      if (c !== COMMA) throw NOT_TAKEN;
    }
  }

  private array(): unknown {
    const start = this.pos;
    const end = this.numberList(start);
    if (end >= 0) {
      this.pos = end;
      const bytes = this.b.subarray(start, end);
      if (this.count < this.minLength) return JSON.parse(latin1(bytes, 0, bytes.length)) as unknown;
      return new JsonNumberList(bytes, this.count, this.copyable);
    }
    const b = this.b;
    const out: unknown[] = [];
    if (this.empty(CLOSE_ARRAY)) return out;
    for (;;) {
      out.push(this.value());
      this.skipBlanks();
      const c = b[this.pos++];
      if (c === CLOSE_ARRAY) return out;
      if (c !== COMMA) throw NOT_TAKEN;
    }
  }

  /**
   * The end of the list at p if it holds only numbers and nulls, with its
   * element count and whether it can be copied in `count` and `copyable`;
   * -1 if it holds anything else. One pass checks, counts and bounds.
   */
  private numberList(p: number): number {
    const b = this.b;
    let copyable = true;
    let count = 0;
    let c = b[++p]!;
    while (isBlank(c)) {
      copyable = false;
      c = b[++p]!;
    }
    if (c !== CLOSE_ARRAY) {
      for (;;) {
        if (c === LOWER_N) {
          if (b[p + 1] !== LOWER_U || b[p + 2] !== LOWER_L || b[p + 3] !== LOWER_L) return -1;
          p += 4;
        } else {
          p = this.number(p);
          if (p < 0) return -1;
          if (!this.small) copyable = false;
        }
        count++;
        c = b[p]!;
        while (isBlank(c)) {
          copyable = false;
          c = b[++p]!;
        }
        if (c === CLOSE_ARRAY) break;
        if (c !== COMMA) return -1;
        c = b[++p]!;
        while (isBlank(c)) {
          copyable = false;
          c = b[++p]!;
        }
      }
    }
    this.count = count;
    this.copyable = copyable;
    return p + 1;
  }

  atEnd(): boolean {
    this.skipBlanks();
    return this.pos === this.b.length;
  }
}

const utf8 = new TextDecoder();
/** a lone surrogate: text that UTF-8 cannot carry as it is */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * JSON parsed as JSON.parse parses it, except that lists of at least
 * `minLength` numbers and nulls come back as JsonNumberList. `json` is the
 * text, or its UTF-8 bytes as they arrived (read as TextDecoder decodes
 * them; kept lists are views of them, so they must not be reused). Throws
 * JSON.parse's SyntaxError for text that is not JSON.
 */
export function parseKeepingNumberLists(json: string | Uint8Array, minLength = 32): unknown {
  const bytes =
    typeof json !== 'string'
      ? Buffer.from(json.buffer, json.byteOffset, json.byteLength)
      : LONE_SURROGATE.test(json)
        ? null
        : Buffer.from(json, 'utf8');
  if (bytes) {
    const reader = new Reader(bytes, Math.max(1, minLength));
    try {
      const value = reader.value();
      if (reader.atEnd()) return value;
    } catch (err) {
      if (!(err instanceof NotTaken) && !(err instanceof SyntaxError) && !(err instanceof RangeError)) throw err;
    }
  }
  // not JSON, or JSON this reader leaves to the native one (deep nesting, a BOM)
  return JSON.parse(typeof json === 'string' ? json : utf8.decode(json)) as unknown;
}
