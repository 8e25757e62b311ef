// The example weather archive's text format, one file per field:
//   line 1  `# <description>`
//   line 2  `# <timeline name>`
//   line 3  `# <units>`
//   further lines starting with `#` are comments (the archive marks days so)
//   other lines: `<unix_time> <value>`, separated by white space
// Rows are sorted by time on reading; a time that repeats (the example files
// repeat the first sample of each day) keeps its last value.

export interface DatFile {
  description: string | null;
  timeline: string;
  units: string | null;
  /** sample times, UNIX seconds, strictly ascending */
  t: Float64Array;
  /** values aligned with t; NaN where the file says nan */
  v: Float64Array;
  /** lines that could not be read, with their 1-based numbers */
  skipped: { line: number; text: string }[];
}

function header(line: string | undefined): string | null {
  if (line === undefined || !line.startsWith('#')) return null;
  const text = line.slice(1).trim();
  return text.length > 0 ? text : null;
}

/** Parses one file's text; throws if the three header lines are missing. */
export function parseDatFile(text: string, name = 'file'): DatFile {
  const lines = text.split(/\r?\n/);
  const description = header(lines[0]);
  const timeline = header(lines[1]);
  const units = header(lines[2]);
  if (!lines[0]?.startsWith('#') || !lines[1]?.startsWith('#') || !lines[2]?.startsWith('#') || timeline === null) {
    throw new Error(`${name}: expected three header lines '# description', '# timeline', '# units'`);
  }
  const rows: [number, number][] = [];
  const skipped: DatFile['skipped'] = [];
  for (let i = 3; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    const t = Number(parts[0]);
    const v = parts.length === 2 ? Number(parts[1]) : NaN;
    const isNan = parts.length === 2 && /^[+-]?nan$/i.test(parts[1]!);
    if (parts.length !== 2 || !Number.isFinite(t) || t <= 0 || (Number.isNaN(v) && !isNan)) {
      skipped.push({ line: i + 1, text: line.length > 80 ? line.slice(0, 80) + '…' : line });
      continue;
    }
    rows.push([t, v]);
  }
  let sorted = true;
  for (let i = 1; i < rows.length && sorted; i++) sorted = rows[i]![0] >= rows[i - 1]![0];
  // A stable sort keeps the file order of repeated times, so "last wins" holds.
  if (!sorted) rows.sort((a, b) => a[0] - b[0]);
  const t: number[] = [];
  const v: number[] = [];
  for (const [ti, vi] of rows) {
    if (t.length > 0 && t[t.length - 1] === ti) v[v.length - 1] = vi;
    else {
      t.push(ti);
      v.push(vi);
    }
  }
  return { description, timeline, units, t: Float64Array.from(t), v: Float64Array.from(v), skipped };
}
