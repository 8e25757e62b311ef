// The bridge's view of sisock: the few things it needs from the hub and the
// data nodes, behind one narrow interface. The WAMP implementation lives in
// wamp-upstream.ts; everything else in src/http/ talks only to this.
import { DataReplyError } from '../protocol/data-reply.js';
import type { DataNodeInfo, DataReply, FieldsReply } from '../protocol/types.js';

export interface CallOptions {
  /** aborts the call (client went away); the upstream cancels the WAMP call */
  signal?: AbortSignal;
  /** gives up after this many milliseconds with an UpstreamError of kind 'timeout' */
  timeoutMs?: number;
}

/** What happened upstream; the bridge keeps its field list current from these. */
export type UpstreamEvent =
  | { type: 'connected' }
  | { type: 'disconnected'; reason: string }
  | { type: 'node-added'; node: DataNodeInfo }
  | { type: 'node-removed'; node: DataNodeInfo }
  /** the node said its field list changed (sisock's fields_changed; original nodes never do) */
  | { type: 'fields-changed'; node: string };

export interface Upstream {
  /** true while a session with the router is open */
  readonly connected: boolean;
  /** where it connects (the router's URL), for messages */
  readonly where?: string;
  /** the hub's list of data nodes (consumer.get_data_node) */
  listNodes(options?: CallOptions): Promise<DataNodeInfo[]>;
  /** a node's get_fields(start, end), sisock times */
  getFields(node: string, start: number, end: number, options?: CallOptions): Promise<FieldsReply>;
  /** a node's get_data(fields, start, end, min_stride), sisock times and seconds */
  getData(
    node: string,
    fields: string[],
    start: number,
    end: number,
    minStride: number | null,
    options?: CallOptions,
  ): Promise<DataReply>;
  /**
   * The hub's own report (our hub's `consumer.get_hub_status`: liveness
   * probes per node), when the hub offers one; an original hub does not.
   */
  hubStatus?(options?: CallOptions): Promise<unknown>;
  /** registers a listener; returns the function that removes it */
  subscribe(listener: (event: UpstreamEvent) => void): () => void;
  close(): Promise<void>;
}

export type UpstreamErrorKind =
  /** no session with the router */
  | 'unavailable'
  /** the call took longer than allowed */
  | 'timeout'
  /** the caller aborted */
  | 'canceled'
  /** nobody answers this procedure: the node is gone */
  | 'no-such-node'
  /** the node (or hub) answered with an error */
  | 'remote'
  /** the reply does not have the contract's shape */
  | 'bad-reply'
  /** the answer would be larger than a WAMP message may be */
  | 'too-large';

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
    /** the WAMP error URI, when there was one */
    readonly uri?: string,
    /** for 'too-large': how many times too large the answer was, when the node said */
    readonly oversize?: number,
  ) {
    super(message);
  }
}

/** Wraps anything thrown by an upstream call into an UpstreamError. */
export function asUpstreamError(err: unknown): UpstreamError {
  if (err instanceof UpstreamError) return err;
  // the original's `false`: too much data requested
  if (err instanceof DataReplyError) return new UpstreamError(err.kind === 'refused' ? 'too-large' : 'bad-reply', err.message);
  return new UpstreamError('remote', err instanceof Error ? err.message : String(err));
}
