// The hub's list of data node servers: who is there, which session owns each
// name, and what the liveness probe last saw. Pure state; the hub wires it to
// WAMP.
import type { DataNodeInfo } from '../protocol/types.js';

export type NodeHealth = 'unknown' | 'ok' | 'unresponsive';

export interface NodeEntry {
  name: string;
  description: string;
  /** WAMP session that announced (or, rediscovered, registered) the node */
  session: number;
  /** ms since the epoch */
  addedAt: number;
  /** found through the registration meta API after a hub restart, not announced */
  rediscovered: boolean;
  health: NodeHealth;
  /** ms since the epoch of the last finished probe */
  lastProbeAt: number | null;
  /** ms the last successful probe took */
  lastProbeMs: number | null;
  lastError: string | null;
  /** failed probes in a row */
  failures: number;
}

export type AddOutcome = 'added' | 'refreshed' | 'taken';
export type SubtractOutcome = 'removed' | 'unknown' | 'not-owner';

export class NodeRegistry {
  private readonly nodes = new Map<string, NodeEntry>();

  get size(): number {
    return this.nodes.size;
  }

  get(name: string): NodeEntry | undefined {
    return this.nodes.get(name);
  }

  /**
   * A node announces itself. The same session announcing again refreshes
   * its description; another session's name is taken.
   */
  add(name: string, description: string, session: number, options: { rediscovered?: boolean; now?: number } = {}): AddOutcome {
    const existing = this.nodes.get(name);
    if (existing) {
      if (existing.session !== session) return 'taken';
      if (!options.rediscovered) {
        existing.description = description;
        existing.rediscovered = false;
      }
      return 'refreshed';
    }
    this.nodes.set(name, {
      name,
      description,
      session,
      addedAt: options.now ?? Date.now(),
      rediscovered: options.rediscovered ?? false,
      health: 'unknown',
      lastProbeAt: null,
      lastProbeMs: null,
      lastError: null,
      failures: 0,
    });
    return 'added';
  }

  /** Removes `name` if `session` owns it. */
  subtract(name: string, session: number): SubtractOutcome {
    const existing = this.nodes.get(name);
    if (!existing) return 'unknown';
    if (existing.session !== session) return 'not-owner';
    this.nodes.delete(name);
    return 'removed';
  }

  /** Removes every node of a session that left; returns them. */
  dropSession(session: number): NodeEntry[] {
    const gone = [...this.nodes.values()].filter((n) => n.session === session);
    for (const n of gone) this.nodes.delete(n.name);
    return gone;
  }

  /** Removes `name` whatever its session (its session is known to be gone). */
  remove(name: string): NodeEntry | undefined {
    const existing = this.nodes.get(name);
    this.nodes.delete(name);
    return existing;
  }

  entries(): NodeEntry[] {
    return [...this.nodes.values()];
  }

  /** The contract's list: [{name, description}]. */
  list(): DataNodeInfo[] {
    return this.entries().map((n) => ({ name: n.name, description: n.description }));
  }
}
