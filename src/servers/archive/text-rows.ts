// Parser for the plain-text archives the file-based nodes serve: one sample
// per line, `<time> <value>` separated by blanks, `#` comments and blank
// lines allowed, an optional header line. Bad lines are counted and skipped
// (the caller logs them), never fatal. A last line without its newline may
// still be being written: it is parsed provisionally so readers see it, and
// re-read once the line is complete.
//
// It works on the bytes, not on a decoded string: plain decimals (the
// archives hold nothing else) are read with the exact fast path of
// Clinger's algorithm (an integer mantissa below 2^53 divided by an exact
// power of ten is correctly rounded), anything else goes to Number().
import type { Columns } from './columns.js';

export interface RowFormat {
  /** the first line of a file is a header: skipped when it is not a data row */
  header: boolean;
  /** maps the first column to UNIX seconds (identity when absent) */
  time?: (x: number) => number;
}

/** What went wrong in a file, kept short enough for one log line. */
export interface ParseReport {
  /** lines that are not `<number> <number>` rows */
  malformed: number;
  /** the first few of them */
  examples: { line: number; text: string }[];
  /** rows whose value is NaN (no reading): skipped on purpose */
  missing: number;
}

export interface ChunkResult {
  /** bytes of the chunk up to and including its last newline */
  completeBytes: number;
  /** complete lines in the chunk */
  completeLines: number;
  /** rows added from the unterminated last line (0 or 1) */
  provisionalRows: number;
}

const MAX_EXAMPLES = 3;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

export function newReport(): ParseReport {
  return { malformed: 0, examples: [], missing: 0 };
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 11 || c === 12;
}

/** the number in buf[a, b) (a token without blanks); NaN when it is not one */
function parseNumber(buf: Buffer, a: number, b: number): number {
  let i = a;
  let neg = false;
  const c0 = buf[i]!;
  if (c0 === 45 /* - */ || c0 === 43 /* + */) {
    neg = c0 === 45;
    i++;
  }
  let mantissa = 0;
  let anyDigit = false;
  let digits = 0;
  let decimals = 0;
  let seenDot = false;
  let fast = i < b;
  for (; i < b; i++) {
    const c = buf[i]!;
    if (c >= 48 && c <= 57) {
      anyDigit = true;
      if (digits > 0 || c !== 48) digits++;
      mantissa = mantissa * 10 + (c - 48);
      if (seenDot) decimals++;
    } else if (c === 46 /* . */ && !seenDot) {
      seenDot = true;
    } else {
      fast = false;
      break;
    }
  }
  if (fast && anyDigit && digits <= 15 && decimals <= 22) {
    const v = mantissa / POW10[decimals]!;
    return neg ? -v : v;
  }
  const s = buf.toString('latin1', a, b);
  // Number('') is 0 and Number('0x1A') is 26: only decimal notation is data here
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(nan|inf(inity)?)$/i.test(s) ? Number(s) : NaN;
}

type Row = 'row' | 'skip' | 'missing' | 'malformed';

/** parsed row of the last parseLine call (no allocation per line) */
let rowT = 0;
let rowV = 0;

/** Parses one line buf[a, b). */
function parseLine(buf: Buffer, a: number, b: number, time: ((x: number) => number) | undefined): Row {
  while (a < b && isBlank(buf[a]!)) a++;
  while (b > a && isBlank(buf[b - 1]!)) b--;
  if (a === b || buf[a] === 35 /* # */) return 'skip';
  let i = a;
  while (i < b && !isBlank(buf[i]!)) i++;
  const t0a = a;
  const t0b = i;
  while (i < b && isBlank(buf[i]!)) i++;
  if (i === b) return 'malformed';
  const va = i;
  while (i < b && !isBlank(buf[i]!)) i++;
  // Further columns are ignored, as the original servers did.
  const x = parseNumber(buf, t0a, t0b);
  if (!Number.isFinite(x)) return 'malformed';
  const v = parseNumber(buf, va, i);
  if (Number.isNaN(v)) return i - va === 3 && buf.toString('latin1', va, i).toLowerCase() === 'nan' ? 'missing' : 'malformed';
  if (!Number.isFinite(v)) return 'malformed';
  const t = time ? time(x) : x;
  if (!Number.isFinite(t)) return 'malformed';
  rowT = t;
  rowV = v;
  return 'row';
}

/**
 * Appends the rows of `chunk` to `columns`. `firstLine` is the 1-based line
 * number of the chunk's first line in its file (1 means the chunk starts
 * the file, where a header may be).
 */
export function parseRows(
  chunk: Buffer,
  columns: Columns,
  format: RowFormat,
  firstLine: number,
  report: ParseReport,
): ChunkResult {
  const n = chunk.length;
  const time = format.time;
  let line = firstLine;
  let a = 0;
  let provisionalRows = 0;
  let completeBytes = 0;
  while (a < n) {
    // Fast path for the usual line, `<digits>[.<digits>] <digits>[.<digits>]\n`:
    // both numbers read in one pass; anything else goes to parseLine.
    const fast = fastRow(chunk, a, n);
    if (fast > 0) {
      const t = time ? time(rowT) : rowT;
      if (Number.isFinite(t)) {
        columns.push(t, rowV);
        a = fast;
        completeBytes = a;
        line++;
        continue;
      }
    }
    let b = chunk.indexOf(10, a);
    const complete = b >= 0;
    if (!complete) b = n;
    const row = parseLine(chunk, a, b, time);
    if (row === 'row') {
      columns.push(rowT, rowV);
      if (!complete) provisionalRows = 1;
    } else if (complete) {
      if (row === 'missing') report.missing++;
      else if (row === 'malformed' && !(format.header && line === 1)) {
        report.malformed++;
        if (report.examples.length < MAX_EXAMPLES) report.examples.push({ line, text: chunk.toString('latin1', a, Math.min(b, a + 80)).trim() });
      }
    }
    if (!complete) break;
    a = b + 1;
    completeBytes = a;
    line++;
  }
  return { completeBytes, completeLines: line - firstLine, provisionalRows };
}

/**
 * Reads a plain line `D[.D] D[.D]` (D: 1 to 15 digits in all, optional `-`
 * on the value, blanks between, optional `\r`) starting at `a`, ending with
 * a newline. Sets rowT/rowV and returns the index after the newline, or -1
 * when the line is anything else (the general parser then takes it).
 */
function fastRow(buf: Buffer, a: number, n: number): number {
  let i = a;
  // first number: unsigned decimal
  let m = 0;
  let nd = 0;
  let dec = -1;
  let c = 0;
  for (; i < n; i++) {
    c = buf[i]!;
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      nd++;
      if (dec >= 0) dec++;
    } else if (c === 46 && dec < 0) dec = 0;
    else break;
  }
  if (nd === 0 || nd > 15 || (c !== 32 && c !== 9)) return -1;
  rowT = dec > 0 ? m / POW10[dec]! : m;
  while (i < n && ((c = buf[i]!) === 32 || c === 9)) i++;
  // second number: optionally negative decimal
  let neg = false;
  if (c === 45) {
    neg = true;
    i++;
  }
  m = 0;
  nd = 0;
  dec = -1;
  for (; i < n; i++) {
    c = buf[i]!;
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      nd++;
      if (dec >= 0) dec++;
    } else if (c === 46 && dec < 0) dec = 0;
    else break;
  }
  if (nd === 0 || nd > 15 || i >= n) return -1;
  if (c === 13) {
    i++;
    if (i >= n) return -1;
    c = buf[i]!;
  }
  if (c !== 10) return -1;
  const v = dec > 0 ? m / POW10[dec]! : m;
  rowV = neg ? -v : v;
  return i + 1;
}
