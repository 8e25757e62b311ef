// The bridge's Upstream over WAMP: the hub's node list and events, and the
// data nodes' get_fields / get_data, through the client layer (which
// reconnects and re-subscribes by itself). The only module of the bridge
// that knows URIs and WAMP errors.
import type { CallOptions as ClientCallOptions, WampClient } from '../client/client.js';
import { NotConnectedError, WampError, describeError } from '../client/errors.js';
import { PAYLOAD_SIZE_EXCEEDED } from '../client/size-limit.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import type { DataNodeInfo, DataReply, FieldsReply } from '../protocol/types.js';
import { CONSUMER_TOPICS, ERRORS, HUB, dataNodeProcedures, nodeOfFieldsChangedTopic } from '../protocol/uris.js';
import { UpstreamError, type CallOptions, type Upstream, type UpstreamEvent } from './upstream.js';

function nodeInfo(x: unknown): DataNodeInfo | null {
  if (typeof x !== 'object' || x === null) return null;
  const o = x as Record<string, unknown>;
  if (typeof o.name !== 'string' || o.name === '') return null;
  return { name: o.name, description: typeof o.description === 'string' ? o.description : '' };
}

/**
 * What a call failed with, in the bridge's terms; `who` names the callee for
 * messages; `prefixes` are how the callee may start its own error message
 * (`<procedure URI> failed: `, `<node> get_data failed: `), dropped as noise.
 */
export function classify(
  err: unknown,
  who: string,
  timeoutMs: number | undefined,
  prefixes: string[] = [],
  aborted = false,
): UpstreamError {
  if (err instanceof UpstreamError) return err;
  if (err instanceof NotConnectedError) return new UpstreamError('unavailable', 'not connected to the WAMP router');
  if (err instanceof WampError) {
    switch (err.uri) {
      case 'wamp.error.timeout':
        return new UpstreamError('timeout', `${who} did not answer within ${(timeoutMs ?? 0) / 1000} s`, err.uri);
      case 'wamp.error.canceled':
        // ours when we aborted; otherwise the router's word for a callee that went away mid-call
        return aborted
          ? new UpstreamError('canceled', 'the request was canceled', err.uri)
          : new UpstreamError('no-such-node', `${who} went away during the call`, err.uri);
      case 'wamp.error.no_such_procedure':
        return new UpstreamError('no-such-node', `${who} is not registered on the router`, err.uri);
      case PAYLOAD_SIZE_EXCEEDED: {
        const { bytes, limit } = err.kwargs;
        const oversize = typeof bytes === 'number' && typeof limit === 'number' && limit > 0 ? bytes / limit : undefined;
        return new UpstreamError('too-large', `${who} cannot send an answer that large (${err.message}): ask for fewer fields, a shorter range or fewer points`, err.uri, oversize);
      }
      case ERRORS.tooMuchData:
        return new UpstreamError('too-large', `${who} refused: ${err.message}`, err.uri);
      case 'wamp.error.not_authorized':
        return new UpstreamError('remote', `the router does not allow the bridge to call ${who}`, err.uri);
      default: {
        const prefix = prefixes.find((p) => err.message.startsWith(p));
        const why = prefix ? err.message.slice(prefix.length) : err.message;
        return new UpstreamError('remote', `${who} failed: ${why}`, err.uri);
      }
    }
  }
  return new UpstreamError('remote', `${who} failed: ${describeError(err)}`);
}

export class WampUpstream implements Upstream {
  private readonly listeners = new Set<(e: UpstreamEvent) => void>();
  private readonly log: Logger;
  private started = false;

  constructor(
    readonly client: WampClient,
    options: { logger?: Logger } = {},
  ) {
    this.log = options.logger ?? silentLogger;
  }

  get connected(): boolean {
    return this.client.joined;
  }

  get where(): string {
    return this.client.url;
  }

  /**
   * Subscribes to the hub's events and to every node's fields_changed
   * (restored by the client on every new session) and starts connecting.
   * Does not wait for the router: the bridge serves (503 at first) while
   * the client keeps trying.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.client.on('join', () => this.emit({ type: 'connected' }));
    this.client.on('leave', (reason: string) => this.emit({ type: 'disconnected', reason }));
    const relay = (type: 'node-added' | 'node-removed') => (e: { args: unknown[] }) => {
      const node = nodeInfo(e.args[0]);
      if (node) this.emit({ type, node });
      else this.log.warn({ topic: type, args: e.args }, 'hub event without a node name ignored');
    };
    await this.client.subscribe(HUB.added, relay('node-added'));
    await this.client.subscribe(HUB.subtracted, relay('node-removed'));
    // every node's fields_changed, dots in its name or not (the prefix brings the
    // hub's events a second time: ignored here). Optional: under a router whose
    // roles refuse it, the bridge learns fields as before (reloads on unknown
    // names and on the timer)
    await this.client.subscribe(CONSUMER_TOPICS, (e) => this.fieldsChanged(e.details.topic), { match: 'prefix', optional: true });
    void this.client.start().catch((err: unknown) => this.log.error({ err: describeError(err) }, 'the WAMP client stopped'));
  }

  private fieldsChanged(topic: unknown): void {
    const node = typeof topic === 'string' ? nodeOfFieldsChangedTopic(topic) : null;
    if (node !== null) this.emit({ type: 'fields-changed', node });
  }

  private async call(
    uri: string,
    who: string,
    args: unknown[],
    kwargs: Record<string, unknown> | undefined,
    o?: CallOptions,
    prefixes: string[] = [],
    read: Pick<ClientCallOptions, 'numberLists'> = {},
  ): Promise<unknown> {
    try {
      const r = await this.client.call(uri, args, kwargs, {
        ...(o?.timeoutMs ? { timeout: o.timeoutMs } : {}),
        ...(o?.signal ? { signal: o.signal } : {}),
        ...read,
      });
      return r.args[0];
    } catch (err) {
      throw classify(err, who, o?.timeoutMs, [`${uri} failed: `, ...prefixes], o?.signal?.aborted ?? false);
    }
  }

  async listNodes(o?: CallOptions): Promise<DataNodeInfo[]> {
    const reply = await this.call(HUB.getDataNode, 'the sisock hub', [], undefined, o);
    if (!Array.isArray(reply)) throw new UpstreamError('bad-reply', 'the hub did not answer a list of data nodes');
    return reply.map(nodeInfo).filter((n): n is DataNodeInfo => n !== null);
  }

  hubStatus(o?: CallOptions): Promise<unknown> {
    return this.call(HUB.status, 'the sisock hub', [], undefined, o);
  }

  async getFields(node: string, start: number, end: number, o?: CallOptions): Promise<FieldsReply> {
    const reply = await this.call(dataNodeProcedures(node).getFields, `data node '${node}'`, [start, end], undefined, o, [
      `${node} get_fields failed: `,
    ]);
    return reply as FieldsReply;
  }

  async getData(
    node: string,
    fields: string[],
    start: number,
    end: number,
    minStride: number | null,
    o?: CallOptions,
  ): Promise<DataReply> {
    // min_stride as a keyword, as the original bridge sent it (nodes take it either way)
    const kwargs = minStride !== null ? { min_stride: minStride } : undefined;
    // the samples stay as the node's JSON text until read: the answers copy that text
    const reply = await this.call(dataNodeProcedures(node).getData, `data node '${node}'`, [fields, start, end], kwargs, o, [`${node} get_data failed: `], { numberLists: 'text' });
    return reply as DataReply;
  }

  subscribe(listener: (e: UpstreamEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: UpstreamEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.error({ err: describeError(err) }, 'upstream listener failed');
      }
    }
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.client.close();
  }
}
