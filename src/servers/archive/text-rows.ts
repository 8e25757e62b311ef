// Parser for the plain-text archives the file-based nodes serve: one sample
// per line, `<time> <value>` separated by blanks, `#` comments and blank
// lines allowed, an optional header line. Bad lines are counted and skipped
// (the caller logs them), never fatal. A last line without its newline may
// still be being written: it is parsed provisionally so readers see it, and
// re-read once the line is complete.
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

export function newReport(): ParseReport {
  return { malformed: 0, examples: [], missing: 0 };
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 11 || c === 12;
}

type Row = { t: number; v: number } | 'skip' | 'missing' | 'malformed';

/** Parses one line [a, b) of `s`. */
function parseLine(s: string, a: number, b: number, time: ((x: number) => number) | undefined): Row {
  while (a < b && isBlank(s.charCodeAt(a))) a++;
  while (b > a && isBlank(s.charCodeAt(b - 1))) b--;
  if (a === b || s.charCodeAt(a) === 35 /* # */) return 'skip';
  let i = a;
  while (i < b && !isBlank(s.charCodeAt(i))) i++;
  const t0 = s.slice(a, i);
  while (i < b && isBlank(s.charCodeAt(i))) i++;
  if (i === b) return 'malformed';
  const j = i;
  while (i < b && !isBlank(s.charCodeAt(i))) i++;
  const v0 = s.slice(j, i);
  // Further columns are ignored, as the original servers did.
  const x = Number(t0);
  if (!Number.isFinite(x)) return 'malformed';
  const v = Number(v0);
  if (Number.isNaN(v)) return v0.toLowerCase() === 'nan' ? 'missing' : 'malformed';
  if (!Number.isFinite(v)) return 'malformed';
  const t = time ? time(x) : x;
  return Number.isFinite(t) ? { t, v } : 'malformed';
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
  // latin1 maps bytes 1:1 to code units: cheap, and numbers are ASCII anyway.
  const s = chunk.toString('latin1');
  const n = s.length;
  let line = firstLine;
  let a = 0;
  let provisionalRows = 0;
  let completeBytes = 0;
  while (a < n) {
    let b = s.indexOf('\n', a);
    const complete = b >= 0;
    if (!complete) b = n;
    const row = parseLine(s, a, b, format.time);
    const headerLine = format.header && line === 1;
    if (typeof row === 'object') {
      columns.push(row.t, row.v);
      if (!complete) provisionalRows = 1;
    } else if (complete) {
      if (row === 'missing') report.missing++;
      else if (row === 'malformed' && !headerLine) {
        report.malformed++;
        if (report.examples.length < MAX_EXAMPLES) report.examples.push({ line, text: s.slice(a, Math.min(b, a + 80)) });
      }
    }
    if (!complete) break;
    a = b + 1;
    completeBytes = a;
    line++;
  }
  return { completeBytes, completeLines: line - firstLine, provisionalRows };
}
