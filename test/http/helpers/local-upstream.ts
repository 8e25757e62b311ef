// An in-process Upstream over DataNodeSource objects (the interface data
// node authors implement), for server tests that control timing and
// failures exactly. The WAMP upstream is tested against the real router.
import type { DataNodeSource } from '../../../src/datanode/source.js';
import type { DataNodeInfo, DataReply, FieldsReply, SampleValue } from '../../../src/protocol/types.js';
import { UpstreamError, type CallOptions, type Upstream, type UpstreamEvent } from '../../../src/http/upstream.js';

export interface Call {
  procedure: 'get_data_node' | 'get_fields' | 'get_data';
  node?: string;
  args: unknown[];
}

function resolveTime(t: number): number {
  return t > 0 ? t : Date.now() / 1000 + t;
}

function abortable<T>(p: Promise<T>, o?: CallOptions): Promise<T> {
  const signal = o?.signal;
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(new UpstreamError('canceled', 'canceled'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new UpstreamError('canceled', 'canceled'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export class LocalUpstream implements Upstream {
  connected = true;
  hubFails = false;
  readonly calls: Call[] = [];
  private readonly sources = new Map<string, DataNodeSource>();
  private readonly listeners = new Set<(e: UpstreamEvent) => void>();

  constructor(sources: DataNodeSource[] = []) {
    for (const s of sources) this.sources.set(s.name, s);
  }

  add(source: DataNodeSource): void {
    this.sources.set(source.name, source);
    this.emit({ type: 'node-added', node: { name: source.name, description: source.description } });
  }

  remove(name: string): void {
    const s = this.sources.get(name);
    if (!s) return;
    this.sources.delete(name);
    this.emit({ type: 'node-removed', node: { name, description: s.description } });
  }

  setConnected(connected: boolean): void {
    this.connected = connected;
    this.emit(connected ? { type: 'connected' } : { type: 'disconnected', reason: 'test' });
  }

  private emit(e: UpstreamEvent): void {
    for (const l of this.listeners) l(e);
  }

  private check(): void {
    if (!this.connected) throw new UpstreamError('unavailable', 'no session');
  }

  private source(node: string): DataNodeSource {
    const s = this.sources.get(node);
    if (!s) throw new UpstreamError('no-such-node', `no data node '${node}'`, 'wamp.error.no_such_procedure');
    return s;
  }

  async listNodes(o?: CallOptions): Promise<DataNodeInfo[]> {
    this.calls.push({ procedure: 'get_data_node', args: [] });
    this.check();
    if (this.hubFails) throw new UpstreamError('timeout', 'hub did not answer');
    await abortable(Promise.resolve(), o);
    return [...this.sources.values()].map((s) => ({ name: s.name, description: s.description }));
  }

  async getFields(node: string, start: number, end: number, o?: CallOptions): Promise<FieldsReply> {
    this.calls.push({ procedure: 'get_fields', node, args: [start, end] });
    this.check();
    const s = this.source(node);
    return abortable(Promise.resolve(s.getFields({ start: resolveTime(start), end: resolveTime(end) })), o);
  }

  async getData(
    node: string,
    fields: string[],
    start: number,
    end: number,
    minStride: number | null,
    o?: CallOptions,
  ): Promise<DataReply> {
    this.calls.push({ procedure: 'get_data', node, args: [fields, start, end, minStride] });
    this.check();
    const s = this.source(node);
    const run = async (): Promise<DataReply> => {
      const timelines = await s.getData({
        fields,
        start: resolveTime(start),
        end: resolveTime(end),
        minStride,
        maxPoints: null,
        ...(o?.signal ? { signal: o.signal } : {}),
      });
      const reply: DataReply = { data: {}, timeline: {} };
      for (const tl of timelines) {
        if (tl.t.length === 0) continue;
        reply.timeline[tl.name] = {
          t: Array.from(tl.t),
          finalized_until: tl.finalizedUntil,
          ...(tl.listFields ? { fields: [...tl.fields.keys()] } : {}),
        };
        for (const [f, v] of tl.fields) reply.data[f] = Array.from(v as ArrayLike<SampleValue>);
      }
      return reply;
    };
    return abortable(run(), o);
  }

  subscribe(listener: (e: UpstreamEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  count(procedure: Call['procedure'], node?: string): number {
    return this.calls.filter((c) => c.procedure === procedure && (node === undefined || c.node === node)).length;
  }
}
