// Reading a JSON message while keeping its long lists of numbers as text.
// A consumer that only passes numbers on as JSON (an HTTP bridge answering
// with the samples a data node sent) would otherwise parse every number to
// a double and format it back to text: most of its work for a large reply.
// Lists of numbers (and nulls) of at least `minLength` elements come back
// as JsonNumberList, which holds their text and parses it only when asked;
// everything else is read as JSON.parse reads it. Anything this reader does
// not accept is handed to JSON.parse, so the result and the errors are
// JSON.parse's whenever the two could differ.

/** A list of numbers and nulls as the JSON text it arrived in. */
export class JsonNumberList {
  private parsed: (number | null)[] | undefined;

  constructor(
    /** the list's JSON text, brackets included */
    readonly text: string,
    /** how many elements it has */
    readonly length: number,
    /**
     * every number in it is within a double's range, written without
     * blanks: the text can be copied into other JSON as is (a number such
     * as 1e999 would read as Infinity elsewhere, and JSON has no Infinity)
     */
    readonly copyable: boolean,
  ) {}

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
    return (this.doubles ??= (this.copyable && plainDecimals(this.text, this.length)) || Float64Array.from(this.values(), (x) => (x === null ? NaN : x)));
  }

  private doubles: Float64Array | undefined;
}

/** 10^0 to 10^22: every one exact as a double. */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** Integers below this are exact as doubles, and so is each step of adding up their digits. */
const EXACT_INTEGERS = 2 ** 53;
/** The bytes of a list being read (reused: one read at a time; it grows to the largest). */
let listBytes = Buffer.allocUnsafe(1 << 16);

/**
 * The numbers of a copyable list as doubles, or undefined as soon as one is
 * not a plain decimal (an exponent, or more digits than a double holds
 * exactly). A decimal whose digits, as an integer, are below 2^53 is that
 * integer divided by a power of ten, both exact as doubles, so the one
 * correctly rounded division gives the double nearest the decimal: what
 * JSON.parse gives (Clinger's fast path).
 */
function plainDecimals(text: string, length: number): Float64Array | undefined {
  if (listBytes.length < text.length) listBytes = Buffer.allocUnsafe(Math.max(text.length, 2 * listBytes.length));
  const b = listBytes;
  b.write(text, 0, 'latin1');
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
  return p === text.length ? out : undefined;
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const LOWER_N = 0x6e;

/** Thrown inside the reader for any text it does not take; the caller then asks JSON.parse. */
class NotTaken extends Error {}
const NOT_TAKEN = new NotTaken();

const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;

// Lists of numbers are matched by regular expressions: they run as native
// code, several times faster over a long list than a loop in JavaScript.
// A copyable list is written without blanks, and its numbers cannot leave
// a double's range (integer parts of up to 200 digits, exponents of up to
// two: below 1e300, where a double ends near 1.8e308).
const NUMBER = '-?(?:0|[1-9]\\d*)(?:\\.\\d+)?(?:[eE][+-]?\\d+)?';
const SMALL_NUMBER = '-?(?:0|[1-9]\\d{0,199})(?:\\.\\d+)?(?:[eE][+-]?\\d{1,2})?';
const COPYABLE_LIST = new RegExp(`\\[(?:(?:${SMALL_NUMBER}|null)(?:,(?:${SMALL_NUMBER}|null))*)?\\]`, 'y');
const BLANKS = '[ \\t\\n\\r]*';
const ANY_NUMBER_LIST = new RegExp(`\\[${BLANKS}(?:(?:${NUMBER}|null)${BLANKS}(?:,${BLANKS}(?:${NUMBER}|null)${BLANKS})*)?\\]`, 'y');
/** One number on its own (a value outside a list of numbers). */
const NUMBER_TOKEN = new RegExp(NUMBER, 'y');

class Reader {
  pos = 0;

  constructor(
    private readonly text: string,
    private readonly minLength: number,
  ) {}

  private skipSpace(): void {
    const s = this.text;
    let p = this.pos;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c !== SPACE && c !== LF && c !== CR && c !== TAB) break;
      p++;
    }
    this.pos = p;
  }

  value(): unknown {
    this.skipSpace();
    const s = this.text;
    const c = s.charCodeAt(this.pos);
    if (c === OPEN_OBJECT) return this.object();
    if (c === OPEN_ARRAY) return this.array();
    if (c === QUOTE) return this.string();
    if (c === MINUS || isDigit(c)) {
      const start = this.pos;
      NUMBER_TOKEN.lastIndex = start;
      if (!NUMBER_TOKEN.test(s)) throw NOT_TAKEN;
      this.pos = NUMBER_TOKEN.lastIndex;
      return Number(s.slice(start, this.pos));
    }
    for (const [word, v] of LITERALS) {
      if (s.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    throw NOT_TAKEN;
  }

  private string(): string {
    const s = this.text;
    const start = this.pos + 1;
    let p = start;
    let escaped = false;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        p += 2;
        continue;
      }
      if (!(c >= SPACE)) throw NOT_TAKEN; // a control character, or the end (NaN)
      p++;
    }
    this.pos = p + 1;
    return escaped ? (JSON.parse(s.slice(start - 1, p + 1)) as string) : s.slice(start, p);
  }

  private object(): Record<string, unknown> {
    const s = this.text;
    const out: Record<string, unknown> = {};
    this.pos++;
    this.skipSpace();
    if (s.charCodeAt(this.pos) === CLOSE_OBJECT) {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      if (s.charCodeAt(this.pos) !== QUOTE) throw NOT_TAKEN;
      const key = this.string();
      this.skipSpace();
      if (s.charCodeAt(this.pos) !== COLON) throw NOT_TAKEN;
      this.pos++;
      const v = this.value();
      // an own property, as JSON.parse makes it, even for "__proto__"
      if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
      this.skipSpace();
      const c = s.charCodeAt(this.pos++);
      if (c === CLOSE_OBJECT) return out;
      if (c !== COMMA) throw NOT_TAKEN;
    }
  }

  private array(): unknown {
    const list = this.numberList();
    if (list !== undefined) return list;
    const s = this.text;
    const out: unknown[] = [];
    this.pos++;
    this.skipSpace();
    if (s.charCodeAt(this.pos) === CLOSE_ARRAY) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.skipSpace();
      const c = s.charCodeAt(this.pos++);
      if (c === CLOSE_ARRAY) return out;
      if (c !== COMMA) throw NOT_TAKEN;
    }
  }

  /**
   * The list at pos if it holds only numbers and nulls (as a JsonNumberList
   * when long enough, else parsed); undefined, pos unchanged, if it holds
   * anything else.
   */
  private numberList(): unknown {
    const s = this.text;
    const start = this.pos;
    let copyable = true;
    COPYABLE_LIST.lastIndex = start;
    if (!COPYABLE_LIST.test(s)) {
      ANY_NUMBER_LIST.lastIndex = start;
      if (!ANY_NUMBER_LIST.test(s)) return undefined;
      copyable = false;
    }
    const end = copyable ? COPYABLE_LIST.lastIndex : ANY_NUMBER_LIST.lastIndex;
    this.pos = end;
    // commas only separate elements in such a list
    let count = 0;
    for (let p = s.indexOf(',', start); p !== -1 && p < end; p = s.indexOf(',', p + 1)) count++;
    const text = s.slice(start, end);
    if (count + 1 < this.minLength) return JSON.parse(text) as unknown;
    return new JsonNumberList(text, count + 1, copyable);
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.pos === this.text.length;
  }
}

const LITERALS: readonly [string, unknown][] = [
  ['true', true],
  ['false', false],
  ['null', null],
];

/**
 * JSON text parsed as JSON.parse does, except that lists of at least
 * `minLength` numbers and nulls come back as JsonNumberList. Throws
 * JSON.parse's SyntaxError for text that is not JSON.
 */
export function parseKeepingNumberLists(text: string, minLength = 32): unknown {
  const reader = new Reader(text, Math.max(1, minLength));
  try {
    const value = reader.value();
    if (reader.atEnd()) return value;
  } catch (err) {
    if (!(err instanceof NotTaken) && !(err instanceof SyntaxError) && !(err instanceof RangeError)) throw err;
  }
  // not JSON, or JSON this reader leaves to the native one (deep nesting)
  return JSON.parse(text) as unknown;
}
