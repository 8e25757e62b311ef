// The index behind one interface, with two stores: SQLite in a file (the
// embedded default) and MariaDB/MySQL (shared by several readers). One
// scanner writes it, file by file, each file in one transaction; readers
// follow its changes by a generation number that every commit raises.
//
// Beside our own tables the stores keep the original scanner's tables
// (`feeds`, `fields`, `description`) so tooling written for it keeps working.
import type { ScanIssue } from '../g3/index.js';
import type { FieldType } from '../protocol/types.js';
import type { BookkeepingState, GroupEntry, GroupRecord } from './file-groups.js';
import type { Bucket, SummaryKind } from './summaries.js';

/** ok: complete as far as anyone can tell; truncated: ends inside a frame; corrupt: damaged frames; unreadable: could not be read at all. */
export type FileStatus = 'ok' | 'truncated' | 'corrupt' | 'unreadable';

/** The last complete frame of a file: re-read before resuming, to tell an append from a rewrite. */
export interface TailFrame {
  offset: number;
  length: number;
  crc: number;
}

/** What the index knows of one file. */
export interface StoredFile {
  id: number;
  /** Path relative to the data directory, with '/' separators. */
  name: string;
  size: number;
  mtimeMs: number;
  status: FileStatus;
  /** Where to resume when the file grows (after the last complete frame). */
  endOffset: number;
  /** Index the next frame read gets. */
  nextFrame: number;
  tail: TailFrame | null;
  /** Damage and misunderstandings met in the file (kept across resumes). */
  issues: ScanIssue[];
  /** Why the file could not be read, for status unreadable. */
  error: string | null;
  state: BookkeepingState;
  /** Raised by every commit of this file. */
  version: number;
  /** The index generation of its last commit. */
  generation: number;
  /** Random token of its last commit (tells whether a commit cut off by a lost connection went through). */
  token: string;
}

/** A summary series: one full field name. */
export interface SeriesInfo {
  name: string;
  type: FieldType;
  /** Finest summary level kept for it (index into LEVEL_WIDTHS). */
  minLevel: number;
}

export interface StoredSeries extends SeriesInfo {
  id: number;
}

/** One stored chunk of summary buckets of one series, level and file. */
export interface SummaryChunk {
  seriesId: number;
  level: number;
  chunk: number;
  data: Uint8Array;
}

/** New buckets of one series, level and chunk, to add to the chunk merged across files. */
export interface SummaryDelta {
  seriesId: number;
  level: number;
  chunk: number;
  kind: SummaryKind;
  buckets: Bucket[];
}

/** Rows of the original scanner's tables for one file. */
export interface CompatFeeds {
  /** Directory of the file (absolute) and its base name, as the original stored them. */
  path: string;
  filename: string;
  scanned: boolean;
  feeds: { provId: number; description: string; fields: { field: string; start: number; end: number }[] }[];
}

/** Everything one scan of one file changes, written in one transaction. */
export interface FileUpdate {
  name: string;
  /** The stored file this update continues (its id and version), or null for a file new to the index. */
  basedOn: { id: number; version: number } | null;
  /** Drop everything stored for the file first (it was rewritten, not appended to). */
  replace: boolean;
  token: string;
  file: Omit<StoredFile, 'id' | 'name' | 'version' | 'generation' | 'token'>;
  /** Groups created or changed (upserted by file and group number), entries included. */
  groups: GroupRecord[];
  /** Summary chunks of this file (upserted; chunks carry their series ids). */
  summaries: SummaryChunk[];
  /**
   * What this scan adds to the chunks merged across files (levels from
   * MERGED_FROM_LEVEL on). With `replace`, the store recomputes those
   * chunks from every file's chunks instead.
   */
  merged: SummaryDelta[];
  compat: CompatFeeds;
}

/** A group as readers see it (without its entries, which are fetched on demand). */
export interface CatalogGroup {
  id: number;
  fileId: number;
  n: number;
  seq: number;
  prefix: string;
  fields: string[];
  classes: string[];
  start: number;
  end: number;
}

export interface CatalogFile {
  id: number;
  name: string;
  version: number;
  generation: number;
  status: FileStatus;
}

/** The database cannot be reached (or went away during the operation). */
export class IndexUnavailableError extends Error {
  override name = 'IndexUnavailableError';
}

/** The file changed in the index since the update was computed (another writer, or a retried commit). */
export class IndexConflictError extends Error {
  override name = 'IndexConflictError';
}

/** The index was written by a newer sisock (or is not ours). */
export class IndexSchemaError extends Error {
  override name = 'IndexSchemaError';
}

export interface IndexStore {
  readonly kind: 'sqlite' | 'mysql';
  /** Human-readable location (file path or host/database), for logs. */
  readonly where: string;
  /** Connects, and creates or upgrades the schema. */
  open(): Promise<void>;
  close(): Promise<void>;

  /** A value of the index's own settings (e.g. data_directory), or null. */
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;

  // ---- the scanner ----
  files(): Promise<StoredFile[]>;
  /** The groups of a file still open (with entries), to resume it. */
  openGroups(fileId: number): Promise<GroupRecord[]>;
  /** Stored summary chunks of a file, for each level from a chunk number on (levels without a bound: none). */
  fileChunks(fileId: number, fromChunk: (number | undefined)[]): Promise<SummaryChunk[]>;
  /** Makes sure the series exist; returns every series asked for as stored (first writer's type and level win). */
  ensureSeries(series: SeriesInfo[]): Promise<Map<string, StoredSeries>>;
  /** Writes one file's update in one transaction. Throws IndexConflictError if `basedOn` is stale. */
  commitFile(update: FileUpdate): Promise<StoredFile>;
  /** Drops a file that left the data directory (`compat`: its rows in the original's tables). */
  removeFile(id: number, compat: { path: string; filename: string }): Promise<void>;

  // ---- readers ----
  /** Raised by every commit. */
  generation(): Promise<number>;
  catalogFiles(): Promise<CatalogFile[]>;
  catalogGroups(fileIds: readonly number[]): Promise<CatalogGroup[]>;
  series(): Promise<StoredSeries[]>;
  groupEntries(groupIds: readonly number[]): Promise<Map<number, GroupEntry[]>>;
  /**
   * Chunks of a series and level with chunk numbers in [from, to]: one per
   * chunk (merged across files) from MERGED_FROM_LEVEL on, every file's below.
   */
  summaryChunks(seriesId: number, level: number, from: number, to: number): Promise<Uint8Array[]>;
}
