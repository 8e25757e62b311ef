// How the stores keep what has no column type of its own: a group's index
// entries as one binary value (exact doubles, compact, one row per group),
// a file's bookkeeping state and issues as JSON, and times as the
// DATETIME(6) text of the original scanner's tables.
import type { ScanIssue } from '../g3/index.js';
import type { BookkeepingState, GroupEntry } from './file-groups.js';

const ENTRIES_FORMAT = 1;

// u8 format, u8 0, u16 0, u32 n; f64[n] first, last, offset, length; u32[n] blockIndex, count.
export function encodeEntries(entries: readonly GroupEntry[]): Uint8Array {
  const n = entries.length;
  const out = Buffer.alloc(8 + 40 * n);
  out.writeUInt8(ENTRIES_FORMAT, 0);
  out.writeUInt32LE(n, 4);
  let at = 8;
  for (const key of ['first', 'last', 'offset', 'length'] as const) {
    for (const e of entries) {
      out.writeDoubleLE(e[key], at);
      at += 8;
    }
  }
  for (const key of ['blockIndex', 'count'] as const) {
    for (const e of entries) {
      out.writeUInt32LE(e[key], at);
      at += 4;
    }
  }
  return out;
}

export function decodeEntries(bytes: Uint8Array): GroupEntry[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8 || buf.readUInt8(0) !== ENTRIES_FORMAT) throw new Error('group entries of an unknown format');
  const n = buf.readUInt32LE(4);
  if (buf.length < 8 + 40 * n) throw new Error('group entries are short');
  const f = (k: number, i: number): number => buf.readDoubleLE(8 + (k * n + i) * 8);
  const u = (k: number, i: number): number => buf.readUInt32LE(8 + 32 * n + (k * n + i) * 4);
  const out = new Array<GroupEntry>(n);
  for (let i = 0; i < n; i++) out[i] = { first: f(0, i), last: f(1, i), offset: f(2, i), length: f(3, i), blockIndex: u(0, i), count: u(1, i) };
  return out;
}

/** Issues as stored: JSON (offsets and frame indices are plain numbers). */
export function encodeIssues(issues: readonly ScanIssue[]): string {
  return JSON.stringify(issues);
}

export function decodeIssues(text: string | null): ScanIssue[] {
  if (!text) return [];
  const v = JSON.parse(text) as unknown;
  return Array.isArray(v) ? (v as ScanIssue[]) : [];
}

export function encodeState(state: BookkeepingState): string {
  return JSON.stringify(state);
}

export function decodeState(text: string | null): BookkeepingState {
  if (!text) return { sessionId: null, providers: [], nextGroup: 0, closed: 0, stopped: false };
  return JSON.parse(text) as BookkeepingState;
}

/** UTC 'YYYY-MM-DD HH:MM:SS.ffffff' (microseconds, truncated), as DATETIME(6) holds it. */
export function sqlDateTime(seconds: number): string {
  const whole = Math.floor(seconds);
  let micros = Math.floor((seconds - whole) * 1e6);
  if (micros > 999999) micros = 999999;
  const d = new Date(whole * 1000);
  const p = (x: number, w = 2): string => String(x).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(micros, 6)}`;
}
