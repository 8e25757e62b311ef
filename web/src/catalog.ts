// What the page knows of the data nodes: the list (kept live from the
// stream's events, a node that went away kept and marked gone), each
// opened node's fields, and every field for the search.
import type { Api, FieldInfo, NodeDetail, NodeSummary } from './api.js';

export interface NodeState extends NodeSummary {
  /** epoch ms when it went away, while it is gone */
  goneAt: number | null;
}

export type CatalogChange =
  | { type: 'nodes' }
  | { type: 'gone'; node: string }
  | { type: 'back'; node: string }
  | { type: 'new'; node: string }
  | { type: 'fields'; node: string | null };

export class Catalog {
  private readonly byName = new Map<string, NodeState>();
  private readonly details = new Map<string, NodeDetail>();
  private readonly detailRequests = new Map<string, Promise<NodeDetail>>();
  private all: FieldInfo[] = [];
  /** `all` is current (cleared when a node's fields change) */
  private allLoaded = false;
  /** `all` was loaded at least once */
  private allEver = false;
  /** a change came while `allRequest` was out: its answer may predate it */
  private allStale = false;
  private allRequest: Promise<void> | null = null;
  private readonly listeners: ((c: CatalogChange) => void)[] = [];

  constructor(private readonly api: Api) {}

  onChange(listener: (c: CatalogChange) => void): void {
    this.listeners.push(listener);
  }

  private emit(c: CatalogChange): void {
    for (const l of this.listeners) l(c);
  }

  nodes(): NodeState[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  node(name: string): NodeState | undefined {
    return this.byName.get(name);
  }

  isOnline(name: string): boolean {
    return this.byName.get(name)?.online ?? false;
  }

  /** The fields of a node, if loaded. */
  detail(name: string): NodeDetail | undefined {
    return this.details.get(name);
  }

  /**
   * Loads a node's fields (kept until they change); with `fresh`, the
   * bridge first asks the node again (a live node's list grows as new
   * fields publish their first samples).
   */
  loadDetail(name: string, fresh = false): Promise<NodeDetail> {
    const pending = this.detailRequests.get(name);
    if (pending) return pending;
    const reload = fresh ? this.api.refresh(name).catch(() => undefined) : Promise.resolve();
    const p = reload.then(() => this.api.node(name)).then(
      (d) => {
        this.details.set(name, d);
        this.detailRequests.delete(name);
        this.emit({ type: 'fields', node: name });
        return d;
      },
      (err: unknown) => {
        this.detailRequests.delete(name);
        throw err;
      },
    );
    this.detailRequests.set(name, p);
    return p;
  }

  /**
   * Every field of the online nodes (for the search); loaded on first use
   * and again after changes, the previous list standing in meanwhile.
   */
  allFields(): FieldInfo[] | null {
    if (!this.allLoaded) void this.loadAll();
    return this.allEver ? this.all : null;
  }

  /** A field's description, from whatever has been loaded. */
  field(id: string): FieldInfo | undefined {
    const node = id.slice(0, Math.max(0, id.indexOf('::')));
    return this.details.get(node)?.fields.find((f) => f.id === id) ?? this.all.find((f) => f.id === id);
  }

  loadAll(): Promise<void> {
    if (this.allRequest) return this.allRequest;
    this.allStale = false;
    this.allRequest = this.api
      .fields()
      .then((fields) => {
        this.all = fields;
        this.allEver = true;
        this.allLoaded = !this.allStale;
        this.emit({ type: 'fields', node: null });
      })
      .finally(() => {
        this.allRequest = null;
        if (this.allStale) void this.loadAll();
      });
    return this.allRequest;
  }

  /** Forgets a node's fields so the next look loads them again. */
  invalidate(name: string): void {
    this.details.delete(name);
    this.allChanged();
  }

  /** The list of every field is out of date (a request out now may answer the old one). */
  private allChanged(): void {
    this.allLoaded = false;
    if (this.allRequest) this.allStale = true;
  }

  /** The whole list, at each (re)connection of the stream. */
  replace(list: NodeSummary[]): void {
    const seen = new Set<string>();
    for (const n of list) {
      seen.add(n.name);
      this.upsert(n);
    }
    // nodes the bridge forgot (it restarted) while we knew them: gone
    for (const n of this.byName.values()) if (!seen.has(n.name) && n.online) this.markGone(n.name);
    this.allChanged();
    this.emit({ type: 'nodes' });
  }

  /** A node added, or its state in a list. */
  upsert(n: NodeSummary): void {
    const old = this.byName.get(n.name);
    this.byName.set(n.name, { ...n, goneAt: n.online ? null : (old?.goneAt ?? Date.parse(n.since)) });
    if (!old) {
      if (n.online) this.emit({ type: 'new', node: n.name });
    } else if (!old.online && n.online) {
      this.invalidate(n.name);
      this.emit({ type: 'back', node: n.name });
    } else if (old.online && !n.online) {
      this.emit({ type: 'gone', node: n.name });
    }
    if (!old || old.fields !== n.fields) this.invalidate(n.name);
    this.emit({ type: 'nodes' });
  }

  markGone(name: string, at = Date.now()): void {
    const old = this.byName.get(name);
    if (!old || !old.online) return;
    this.byName.set(name, { ...old, online: false, goneAt: at });
    this.allChanged();
    this.emit({ type: 'gone', node: name });
    this.emit({ type: 'nodes' });
  }

  fieldsChanged(n: NodeSummary): void {
    this.invalidate(n.name);
    this.upsert(n);
    this.emit({ type: 'fields', node: n.name });
  }
}
