// What a reader keeps in memory of the index: every file and its field
// groups in archive order (files by name, groups in so3g's flush order) as
// an HKArchive whose groups carry no frame offsets yet, and the summary
// series. It follows the scanner by the index generation, reloading only
// the files that changed. Frame offsets are fetched per query, for the
// groups a query needs.
import { HKArchive, type FieldGroup, type IndexEntry } from '../g3/index.js';
import type { FieldType } from '../protocol/types.js';
import { fieldTypeOf } from './file-indexer.js';
import type { CatalogFile, CatalogGroup, IndexStore, StoredSeries } from './store.js';

/** A field group of the catalog, and where it comes from. */
export interface CatalogFieldGroup extends FieldGroup {
  groupId: number;
  fileName: string;
}

export interface IndexCatalogOptions {
  /** ms between checks of the index generation (default 1000). */
  refreshInterval?: number;
}

export class IndexCatalog {
  private readonly store: IndexStore;
  private readonly interval: number;
  private generationSeen = -1;
  private checkedAt = 0;
  private files = new Map<number, CatalogFile>();
  private groupsByFile = new Map<number, CatalogGroup[]>();
  private seriesByName = new Map<string, StoredSeries>();
  private typesByName = new Map<string, FieldType>();
  private archiveView: HKArchive = new HKArchive([]);
  private versions = new Map<string, number>();
  private pending: Promise<void> | undefined;

  constructor(store: IndexStore, opts: IndexCatalogOptions = {}) {
    this.store = store;
    this.interval = opts.refreshInterval ?? 1000;
  }

  /** The archive over every field group (no frame offsets: for field lists and grouping). */
  get archive(): HKArchive {
    return this.archiveView;
  }

  get generation(): number {
    return this.generationSeen;
  }

  series(name: string): StoredSeries | undefined {
    return this.seriesByName.get(name);
  }

  /** Every full field name in the index (the reader's field list over all time). */
  fieldNames(): IterableIterator<string> {
    return this.typesByName.keys();
  }

  get fieldCount(): number {
    return this.typesByName.size;
  }

  /** A field's wire type (from its first group's vector class). */
  typeOf(name: string): FieldType {
    return this.typesByName.get(name) ?? 'number';
  }

  /** Index version of a file by name (frames cached under an old version are not used). */
  versionOf(name: string): number | undefined {
    return this.versions.get(name);
  }

  fileCount(): number {
    return this.files.size;
  }

  /** Brings the catalog up to date if the index changed (checked at most once per interval unless forced). */
  async refresh(force = false): Promise<void> {
    if (!force && Date.now() - this.checkedAt < this.interval) return;
    // One refresh at a time; callers arriving meanwhile share it.
    this.pending ??= this.load().finally(() => (this.pending = undefined));
    await this.pending;
  }

  private async load(): Promise<void> {
    const generation = await this.store.generation();
    this.checkedAt = Date.now();
    if (generation === this.generationSeen) return;
    const files = await this.store.catalogFiles();
    const changed = new Set(files.filter((f) => this.files.get(f.id)?.generation !== f.generation).map((f) => f.id));
    const groups = changed.size > 0 ? await this.store.catalogGroups([...changed]) : [];
    const series = await this.store.series();
    const byFile = new Map<number, CatalogGroup[]>();
    for (const g of groups) {
      const list = byFile.get(g.fileId);
      if (list) list.push(g);
      else byFile.set(g.fileId, [g]);
    }
    const nextGroups = new Map<number, CatalogGroup[]>();
    for (const f of files) nextGroups.set(f.id, changed.has(f.id) ? (byFile.get(f.id) ?? []) : (this.groupsByFile.get(f.id) ?? []));
    this.files = new Map(files.map((f) => [f.id, f]));
    this.groupsByFile = nextGroups;
    this.seriesByName = new Map(series.map((s) => [s.name, s]));
    this.versions = new Map(files.map((f) => [f.name, f.version]));
    this.rebuild();
    this.generationSeen = generation;
  }

  private rebuild(): void {
    const ordered = [...this.files.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const fieldGroups: CatalogFieldGroup[] = [];
    const types = new Map<string, FieldType>();
    for (const f of ordered) {
      const groups = [...(this.groupsByFile.get(f.id) ?? [])].sort((a, b) => a.seq - b.seq);
      for (const g of groups) {
        fieldGroups.push({ prefix: g.prefix, fields: g.fields, classes: g.classes, start: g.start, end: g.end, indexInfo: [], groupId: g.id, fileName: f.name });
        g.fields.forEach((field, i) => {
          const name = `${g.prefix}.${field}`;
          if (!types.has(name)) types.set(name, fieldTypeOf(g.classes[i]));
        });
      }
    }
    this.typesByName = types;
    this.archiveView = new HKArchive(fieldGroups);
  }

  /**
   * Copies of field groups with their index entries, keeping those that
   * overlap [start, end) (so3g's test), fetched from the index.
   */
  async withEntries(groups: readonly FieldGroup[], start: number | null, end: number | null): Promise<CatalogFieldGroup[]> {
    const cat = groups as readonly CatalogFieldGroup[];
    const entries = await this.store.groupEntries([...new Set(cat.map((g) => g.groupId))]);
    return cat.map((g) => {
      const indexInfo: IndexEntry[] = [];
      for (const e of entries.get(g.groupId) ?? []) {
        if ((start === null || start <= e.last) && (end === null || end > e.first)) {
          indexInfo.push({ filename: g.fileName, byteOffset: e.offset, frameLength: e.length, blockIndex: e.blockIndex, count: e.count, timeRange: [e.first, e.last] });
        }
      }
      return { ...g, indexInfo };
    });
  }
}
