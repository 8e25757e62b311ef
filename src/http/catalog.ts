// The bridge's list of data nodes and their fields. Filled once when the
// upstream connects, then kept current from the hub's added/subtracted
// events (no rescan per request, unlike the original bridge); a node's field
// list is reloaded when the node says it changed (sisock's fields_changed
// event; original nodes never send it), on demand when a request names a
// field it does not know (rate-limited), and optionally on a timer.
import type { DataNodeInfo, FieldInfo, TimelineInfo } from '../protocol/types.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { fullName } from './names.js';
import { asUpstreamError, type Upstream, type UpstreamEvent } from './upstream.js';

export interface NodeEntry {
  name: string;
  description: string;
  /** listed by the hub right now */
  online: boolean;
  /** epoch ms when `online` last changed */
  since: number;
  fields: Record<string, FieldInfo>;
  timelines: Record<string, TimelineInfo>;
  /** epoch ms of the last successful get_fields, null before the first */
  fieldsLoadedAt: number | null;
  /** why the last get_fields failed, null when it did not */
  fieldsError: string | null;
}

export type CatalogEvent =
  | { type: 'node-added'; node: NodeEntry }
  | { type: 'node-removed'; node: NodeEntry }
  | { type: 'fields-changed'; node: NodeEntry }
  | { type: 'upstream'; connected: boolean; reason?: string };

export interface CatalogOptions {
  logger?: Logger;
  /** limit for one get_fields / get_data_node call */
  callTimeoutMs?: number;
  /** reload every online node's fields this often; 0 turns it off */
  refreshIntervalMs?: number;
  /** least time between two on-demand reloads of one node */
  minReloadGapMs?: number;
  /** the get_fields window, sisock times; (1, 0) is "all time" as the original bridge asked */
  fieldsWindow?: [number, number];
}

export class Catalog {
  private readonly entries = new Map<string, NodeEntry>();
  private readonly listeners = new Set<(e: CatalogEvent) => void>();
  private readonly loading = new Map<string, Promise<void>>();
  /** nodes that reported a change while their fields were loading: load once more after */
  private readonly reloadAgain = new Set<string>();
  /** per node: value of `eventSeq` at its last hub event, so a sync does not undo a newer event */
  private readonly lastEvent = new Map<string, number>();
  private eventSeq = 0;
  private sorted: string[] | null = null;
  private syncing: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastSyncError: string | null = null;
  private lastSyncAt = 0;
  private readonly log: Logger;
  private readonly callTimeoutMs: number;
  private readonly refreshIntervalMs: number;
  private readonly minReloadGapMs: number;
  private readonly fieldsWindow: [number, number];

  constructor(
    private readonly upstream: Upstream,
    options: CatalogOptions = {},
  ) {
    this.log = options.logger ?? silentLogger;
    this.callTimeoutMs = options.callTimeoutMs ?? 10_000;
    this.refreshIntervalMs = options.refreshIntervalMs ?? 0;
    this.minReloadGapMs = options.minReloadGapMs ?? 5_000;
    this.fieldsWindow = options.fieldsWindow ?? [1, 0];
  }

  /** Starts following the upstream; resolves after the first sync if connected. */
  async start(): Promise<void> {
    if (this.unsubscribe) return;
    this.unsubscribe = this.upstream.subscribe((e) => this.onUpstream(e));
    if (this.refreshIntervalMs > 0) {
      this.timer = setInterval(() => void this.reloadAll(), this.refreshIntervalMs);
      this.timer.unref();
    }
    if (this.upstream.connected) await this.sync();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  onChange(listener: (e: CatalogEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every node seen since the bridge started (offline ones too), by name. */
  nodes(): NodeEntry[] {
    return [...this.entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  node(name: string): NodeEntry | undefined {
    return this.entries.get(name);
  }

  field(node: string, field: string): FieldInfo | undefined {
    const e = this.entries.get(node);
    return e && Object.prototype.hasOwnProperty.call(e.fields, field) ? e.fields[field] : undefined;
  }

  /** Sorted `node::field` names of every online node. */
  names(): readonly string[] {
    if (this.sorted === null) {
      const all: string[] = [];
      for (const e of this.entries.values()) {
        if (!e.online) continue;
        for (const f of Object.keys(e.fields)) all.push(fullName(e.name, f));
      }
      this.sorted = all.sort();
    }
    return this.sorted;
  }

  /** Why the last full sync failed, or null. */
  get syncError(): string | null {
    return this.lastSyncError;
  }

  /**
   * Reads the hub's node list and reconciles: new nodes come online (fields
   * loaded), listed ones stay, unlisted ones go offline. Concurrent calls share one run.
   */
  sync(): Promise<void> {
    if (!this.syncing) {
      this.syncing = this.runSync().finally(() => {
        this.syncing = null;
      });
    }
    return this.syncing;
  }

  private async runSync(): Promise<void> {
    const seq = this.eventSeq;
    this.lastSyncAt = Date.now();
    let listed: DataNodeInfo[];
    try {
      listed = await this.upstream.listNodes({ timeoutMs: this.callTimeoutMs });
      this.lastSyncError = null;
    } catch (err) {
      const e = asUpstreamError(err);
      this.lastSyncError = e.message;
      this.log.warn({ err: e.message, kind: e.kind }, 'cannot list data nodes from the hub');
      return;
    }
    const names = new Set<string>();
    const loads: Promise<void>[] = [];
    for (const info of listed) {
      if (!info || typeof info.name !== 'string') continue;
      names.add(info.name);
      if ((this.lastEvent.get(info.name) ?? -1) > seq) continue;
      const fresh = this.setOnline(info);
      if (fresh || this.entries.get(info.name)?.fieldsLoadedAt === null) loads.push(this.reload(info.name));
    }
    for (const e of this.entries.values()) {
      if (e.online && !names.has(e.name) && (this.lastEvent.get(e.name) ?? -1) <= seq) this.setOffline(e.name);
    }
    await Promise.all(loads);
    this.log.info({ nodes: names.size, fields: this.names().length }, 'field list synchronised with the hub');
  }

  /** Reloads one node's fields now (concurrent calls share one get_fields). */
  reload(node: string): Promise<void> {
    let p = this.loading.get(node);
    if (!p) {
      p = this.load(node).finally(() => {
        this.loading.delete(node);
        if (this.reloadAgain.delete(node)) void this.reload(node);
      });
      this.loading.set(node, p);
    }
    return p;
  }

  /**
   * A node said its field list changed: reload it. A load under way may
   * have read the list before the change, so it is followed by one more
   * (however many changes arrive meanwhile).
   */
  private followFieldsChange(node: string): void {
    const e = this.entries.get(node);
    if (!e || !e.online) {
      // not listed yet: its node-added event loads the fields anyway
      this.log.debug({ node }, 'fields_changed from a node not listed: ignored');
      return;
    }
    if (this.loading.has(node)) this.reloadAgain.add(node);
    else void this.reload(node);
  }

  /**
   * Reloads a node's fields unless that happened less than the minimum gap
   * ago; used when a request names a field the list does not have.
   * Resolves to true when the list was (re)loaded.
   */
  async reloadIfStale(node: string): Promise<boolean> {
    const e = this.entries.get(node);
    if (!e || !e.online) return false;
    const inFlight = this.loading.get(node);
    if (inFlight) {
      await inFlight;
      return true;
    }
    const last = e.fieldsLoadedAt ?? 0;
    if (Date.now() - last < this.minReloadGapMs) return false;
    await this.reload(node);
    return true;
  }

  /**
   * Syncs with the hub unless that happened less than the minimum gap ago;
   * used when a request names a node the list does not have (a missed event).
   */
  async syncIfStale(): Promise<boolean> {
    if (this.syncing) {
      await this.syncing;
      return true;
    }
    if (Date.now() - this.lastSyncAt < this.minReloadGapMs) return false;
    await this.sync();
    return true;
  }

  /** Reloads every online node's fields (on demand, or on the timer). */
  async reloadAll(): Promise<void> {
    await Promise.all(this.nodes().filter((e) => e.online).map((e) => this.reload(e.name)));
  }

  private async load(node: string): Promise<void> {
    const [start, end] = this.fieldsWindow;
    try {
      const reply = await this.upstream.getFields(node, start, end, { timeoutMs: this.callTimeoutMs });
      const e = this.entries.get(node);
      if (!e) return;
      const [fields, timelines] = validFieldsReply(reply);
      const changed =
        e.fieldsLoadedAt === null ||
        JSON.stringify(fields) !== JSON.stringify(e.fields) ||
        JSON.stringify(timelines) !== JSON.stringify(e.timelines);
      e.fields = fields;
      e.timelines = timelines;
      e.fieldsLoadedAt = Date.now();
      e.fieldsError = null;
      if (changed) {
        this.sorted = null;
        this.emit({ type: 'fields-changed', node: e });
        this.log.debug({ node, fields: Object.keys(fields).length }, 'fields loaded');
      }
    } catch (err) {
      const e = this.entries.get(node);
      const u = asUpstreamError(err);
      if (e) e.fieldsError = u.message;
      this.log.warn({ node, err: u.message, kind: u.kind }, 'cannot load the fields of a data node');
    }
  }

  private onUpstream(event: UpstreamEvent): void {
    switch (event.type) {
      case 'connected':
        this.emit({ type: 'upstream', connected: true });
        void this.sync();
        return;
      case 'disconnected':
        this.emit({ type: 'upstream', connected: false, reason: event.reason });
        return;
      case 'node-added': {
        const n = event.node;
        if (!n || typeof n.name !== 'string') return;
        this.lastEvent.set(n.name, ++this.eventSeq);
        this.setOnline(n);
        void this.reload(n.name);
        return;
      }
      case 'node-removed': {
        const n = event.node;
        if (!n || typeof n.name !== 'string') return;
        this.lastEvent.set(n.name, ++this.eventSeq);
        this.setOffline(n.name);
        return;
      }
      case 'fields-changed':
        this.followFieldsChange(event.node);
        return;
    }
  }

  /** Marks a node online; true when it was not online before. */
  private setOnline(info: DataNodeInfo): boolean {
    const description = typeof info.description === 'string' ? info.description : '';
    const e = this.entries.get(info.name);
    if (e && e.online) {
      e.description = description;
      return false;
    }
    const entry: NodeEntry = e ?? {
      name: info.name,
      description,
      online: true,
      since: Date.now(),
      fields: {},
      timelines: {},
      fieldsLoadedAt: null,
      fieldsError: null,
    };
    entry.online = true;
    entry.since = Date.now();
    entry.description = description;
    if (e) {
      // back after a restart: its fields may have changed, reload them
      entry.fieldsLoadedAt = null;
    }
    this.entries.set(info.name, entry);
    this.sorted = null;
    this.log.info({ node: info.name }, 'data node online');
    this.emit({ type: 'node-added', node: entry });
    return true;
  }

  private setOffline(name: string): void {
    const e = this.entries.get(name);
    if (!e || !e.online) return;
    e.online = false;
    e.since = Date.now();
    this.sorted = null;
    this.log.info({ node: name }, 'data node offline');
    this.emit({ type: 'node-removed', node: e });
  }

  private emit(e: CatalogEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.error({ err }, 'catalog listener failed');
      }
    }
  }
}

const FIELD_TYPES = new Set(['number', 'string', 'bool']);

/**
 * Keeps what is usable from a get_fields reply: the contract's
 * `[fields, timelines]`, fields being objects. A missing type counts as
 * number (older nodes omit it).
 */
export function validFieldsReply(reply: unknown): [Record<string, FieldInfo>, Record<string, TimelineInfo>] {
  if (!Array.isArray(reply) || reply.length < 1 || typeof reply[0] !== 'object' || reply[0] === null) {
    throw new Error('get_fields reply is not [fields, timelines]');
  }
  const fields: Record<string, FieldInfo> = {};
  for (const [name, raw] of Object.entries(reply[0] as Record<string, unknown>)) {
    const f = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    fields[name] = {
      description: typeof f.description === 'string' ? f.description : null,
      timeline: typeof f.timeline === 'string' ? f.timeline : '',
      type: typeof f.type === 'string' && FIELD_TYPES.has(f.type) ? (f.type as FieldInfo['type']) : 'number',
      units: typeof f.units === 'string' ? f.units : null,
    };
  }
  const timelines: Record<string, TimelineInfo> = {};
  const rawTimelines = reply[1];
  if (typeof rawTimelines === 'object' && rawTimelines !== null && !Array.isArray(rawTimelines)) {
    for (const [name, raw] of Object.entries(rawTimelines as Record<string, unknown>)) {
      const t = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
      timelines[name] = {
        interval: typeof t.interval === 'number' && Number.isFinite(t.interval) ? t.interval : null,
        field: Array.isArray(t.field) ? t.field.filter((x): x is string => typeof x === 'string') : [],
      };
    }
  }
  return [fields, timelines];
}
