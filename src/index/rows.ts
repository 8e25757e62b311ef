// Rows of the index tables as the stores read them, and what they mean.
// Both stores use these (column names are the same in both dialects).
import type { FieldType } from '../protocol/types.js';
import { decodeEntries, decodeIssues, decodeState } from './codec.js';
import type { GroupRecord } from './file-groups.js';
import type { CatalogGroup, FileStatus, StoredFile, StoredSeries } from './store.js';
import { levelIndex } from './summaries.js';

export interface FileRow {
  id: number;
  name: string;
  size: number;
  mtime_ms: number;
  status: string;
  end_offset: number;
  next_frame: number;
  tail_offset: number | null;
  tail_length: number | null;
  tail_crc: number | null;
  issues: string | null;
  error: string | null;
  state: string | null;
  version: number;
  generation: number;
  token: string;
}

export function fileFromRow(r: FileRow): StoredFile {
  return {
    id: Number(r.id),
    name: r.name,
    size: Number(r.size),
    mtimeMs: Number(r.mtime_ms),
    status: r.status as FileStatus,
    endOffset: Number(r.end_offset),
    nextFrame: Number(r.next_frame),
    tail: r.tail_offset === null || r.tail_length === null || r.tail_crc === null ? null : { offset: Number(r.tail_offset), length: Number(r.tail_length), crc: Number(r.tail_crc) },
    issues: decodeIssues(r.issues),
    error: r.error,
    state: decodeState(r.state),
    version: Number(r.version),
    generation: Number(r.generation),
    token: r.token,
  };
}

export interface GroupRow {
  id: number;
  file_id: number;
  n: number;
  seq: number;
  prefix: string;
  fields: string;
  classes: string;
  start: number;
  end: number;
  closed?: number;
  entries?: Uint8Array;
}

export function catalogGroupFromRow(r: GroupRow): CatalogGroup {
  return {
    id: Number(r.id),
    fileId: Number(r.file_id),
    n: Number(r.n),
    seq: Number(r.seq),
    prefix: r.prefix,
    fields: JSON.parse(r.fields) as string[],
    classes: JSON.parse(r.classes) as string[],
    start: Number(r.start),
    end: Number(r.end),
  };
}

export function groupRecordFromRow(r: GroupRow): GroupRecord {
  const g = catalogGroupFromRow(r);
  return { n: g.n, prefix: g.prefix, fields: g.fields, classes: g.classes, start: g.start, end: g.end, seq: g.seq, closed: Boolean(r.closed), entries: decodeEntries(r.entries!) };
}

/** Splits a list for `IN (...)` clauses of bounded size. */
export function* slices<T>(list: readonly T[], size = 500): Generator<T[]> {
  for (let i = 0; i < list.length; i += size) yield list.slice(i, i + size);
}

export interface SeriesRow {
  id: number;
  name: string;
  type: string;
  min_level: number;
}

export function seriesFromRow(r: SeriesRow): StoredSeries {
  return { id: Number(r.id), name: r.name, type: r.type as FieldType, minLevel: levelIndex(Number(r.min_level)) };
}
