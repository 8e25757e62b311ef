// The bridge's live stream (GET /api/v1/events, Server-Sent Events): data
// nodes coming and going, the router connection, and new samples of the
// fields shown. Reconnects by itself with growing delays; each new
// connection asks for samples since the newest one the page holds, so a
// reconnect fills the gap without sending again what is shown.
import type { Api, NodeSummary } from './api.js';

export interface SamplesEvent {
  series: { id: string; t: number[]; v: unknown[] }[];
}

export type Connection = 'connecting' | 'open' | 'down';

export interface LiveHandlers {
  /** every (re)connection starts with the whole node list */
  hello(h: { connected: boolean; nodes: NodeSummary[] }): void;
  nodeAdded(n: NodeSummary): void;
  nodeRemoved(n: NodeSummary): void;
  fieldsChanged(n: NodeSummary): void;
  /** the bridge's own session with the router */
  upstream(u: { connected: boolean; reason: string | null }): void;
  samples(s: SamplesEvent): void;
  problem(p: { id: string; message: string }): void;
  connection(state: Connection, retryInMs?: number): void;
}

const RETRY_MS = [1000, 2000, 4000, 8000, 10_000];

export class LiveStream {
  private source: EventSource | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private fields: string[] = [];
  private closed = false;

  constructor(
    private readonly api: Api,
    private readonly handlers: LiveHandlers,
    /** epoch ms from which samples are wanted, asked at each (re)connection */
    private readonly since: () => number,
    private readonly intervalS = 1,
  ) {}

  /** Follows these fields' samples (none: node events only); reconnects only when they change. */
  follow(fields: string[]): void {
    const same = fields.length === this.fields.length && fields.every((f, i) => f === this.fields[i]);
    if (same && this.source) return;
    this.fields = fields.slice();
    this.connect();
  }

  close(): void {
    this.closed = true;
    this.source?.close();
    this.source = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private connect(): void {
    if (this.closed) return;
    this.source?.close();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.handlers.connection('connecting');
    const es = new EventSource(this.api.eventsUrl(this.fields, this.since(), this.intervalS));
    this.source = es;
    const on = <T>(event: string, handle: (data: T) => void): void => {
      es.addEventListener(event, (e) => {
        if (this.source !== es) return;
        try {
          handle(JSON.parse((e as MessageEvent<string>).data) as T);
        } catch (err) {
          console.error(`sisock monitor: bad '${event}' event`, err);
        }
      });
    };
    on<{ connected: boolean; nodes: NodeSummary[] }>('hello', (h) => {
      this.failures = 0;
      this.handlers.connection('open');
      this.handlers.hello(h);
    });
    on<NodeSummary>('node-added', (n) => this.handlers.nodeAdded(n));
    on<NodeSummary>('node-removed', (n) => this.handlers.nodeRemoved(n));
    on<NodeSummary>('fields-changed', (n) => this.handlers.fieldsChanged(n));
    on<{ connected: boolean; reason: string | null }>('upstream', (u) => this.handlers.upstream(u));
    on<SamplesEvent>('samples', (s) => this.handlers.samples(s));
    on<{ id: string; message: string }>('problem', (p) => this.handlers.problem(p));
    es.onerror = () => {
      if (this.source !== es) return;
      // EventSource would retry with the same URL (an old `since`): retry ourselves
      es.close();
      this.source = null;
      const wait = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)] as number;
      this.failures++;
      this.handlers.connection('down', wait);
      this.retryTimer = setTimeout(() => this.connect(), wait);
    };
  }
}
