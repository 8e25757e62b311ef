// What every endpoint family shares: the field list (Catalog), resolution
// of requested names against it (with a reload when a name is unknown, in
// case an event was missed or a node grew a field), and the Fetcher.
import type { Catalog } from './catalog.js';
import type { Fetcher, FieldResult } from './fetcher.js';
import { resolveTarget, type Resolution, type ResolvedField } from './resolve.js';
import type { Upstream, UpstreamErrorKind } from './upstream.js';

export class DataService {
  constructor(
    readonly upstream: Upstream,
    readonly catalog: Catalog,
    readonly fetcher: Fetcher,
  ) {}

  /** Resolves each text (same order); unknown names trigger one rate-limited reload. */
  async resolve(texts: readonly string[]): Promise<Resolution[]> {
    let results = texts.map((t) => resolveTarget(t, this.catalog));
    const failed = results.filter((r): r is Extract<Resolution, { ok: false }> => !r.ok);
    if (failed.length === 0) return results;
    const reloads: Promise<boolean>[] = [];
    const nodes = new Set<string>();
    let sync = false;
    for (const r of failed) {
      if (r.reason === 'unknown-field' && r.node !== undefined) nodes.add(r.node);
      else if (r.reason === 'unknown-node' || r.reason === 'offline-node') sync = true;
    }
    for (const n of nodes) reloads.push(this.catalog.reloadIfStale(n));
    if (sync) reloads.push(this.catalog.syncIfStale());
    if (reloads.length === 0) return results;
    const changed = (await Promise.all(reloads)).some(Boolean);
    if (changed) results = texts.map((t) => resolveTarget(t, this.catalog));
    return results;
  }

  /** Fetches the fields, whose names must come from resolve(). */
  fetch(
    fields: readonly ResolvedField[],
    start: number,
    end: number,
    stride: number | null,
    signal?: AbortSignal,
  ): Promise<Map<string, FieldResult>> {
    return this.fetcher.fetch({ fields, start, end, stride }, signal);
  }
}

/** What went wrong for a target, for choosing the HTTP status when nothing could be answered. */
export type FailureKind = UpstreamErrorKind | 'unknown';

/**
 * The status for a request none of whose targets could be answered:
 * 503 without a router session, 504 when a node timed out, 502 when a node
 * failed, 422 when an answer would be too large to carry, 404 when only
 * names were unknown (never 401: grafana-json-protocol 2.3).
 */
export function failureStatus(kinds: Iterable<FailureKind>): number {
  const set = new Set(kinds);
  if (set.has('unavailable')) return 503;
  if (set.has('timeout')) return 504;
  if (set.has('remote') || set.has('no-such-node') || set.has('bad-reply')) return 502;
  if (set.has('too-large')) return 422;
  if (set.has('canceled')) return 499;
  return 404;
}

