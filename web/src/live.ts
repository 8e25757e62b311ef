// The bridge's live stream (GET /api/v1/events, Server-Sent Events): data
// nodes coming and going, the router connection, and new samples of the
// fields shown. Read with fetch (so credentials can be sent); reconnects by
// itself with growing delays, and each new connection asks for samples
// since the newest one the page holds, so a reconnect fills the gap
// without sending again what is shown.
import { ApiError, type Api, type NodeSummary } from './api.js';
import { SseParser, type SseEvent } from './sse.js';

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
  /** the bridge refused the stream (credentials): no retry */
  forbidden(err: ApiError): void;
  /** the bridge refused the stream for another reason (it is retried) */
  refused(err: ApiError): void;
}

const RETRY_MS = [1000, 2000, 4000, 8000, 10_000];

export class LiveStream {
  private controller: AbortController | null = null;
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
    if (same && (this.controller || this.retryTimer)) return;
    this.fields = fields.slice();
    void this.connect();
  }

  close(): void {
    this.closed = true;
    this.controller?.abort();
    this.controller = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    this.controller?.abort();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const controller = new AbortController();
    this.controller = controller;
    this.handlers.connection('connecting');
    try {
      let res: Response;
      try {
        res = await fetch(this.api.eventsUrl(this.fields, this.since(), this.intervalS), {
          headers: this.api.headers({ accept: 'text/event-stream' }),
          cache: 'no-store',
          signal: controller.signal,
        });
      } catch (err) {
        if (controller.signal.aborted) throw err;
        throw new ApiError('cannot reach the sisock HTTP bridge', 0);
      }
      if (!res.ok || !res.body) throw res.ok ? new ApiError('the bridge sent no stream', res.status) : await this.api.errorOf(res);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      const parser = new SseParser();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const e of parser.push(value)) this.dispatch(e);
      }
      throw new ApiError('the bridge ended the live stream', 0);
    } catch (err) {
      if (controller.signal.aborted || this.controller !== controller) return;
      this.controller = null;
      if (err instanceof ApiError && err.forbidden) {
        this.handlers.connection('down');
        this.handlers.forbidden(err);
        return;
      }
      if (err instanceof ApiError && err.status >= 400) this.handlers.refused(err);
      const wait = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)] as number;
      this.failures++;
      this.handlers.connection('down', wait);
      this.retryTimer = setTimeout(() => void this.connect(), wait);
    }
  }

  private dispatch(e: SseEvent): void {
    let data: unknown;
    try {
      data = JSON.parse(e.data);
    } catch (err) {
      console.error(`sisock monitor: bad '${e.event}' event`, err);
      return;
    }
    const h = this.handlers;
    switch (e.event) {
      case 'hello':
        this.failures = 0;
        h.connection('open');
        h.hello(data as { connected: boolean; nodes: NodeSummary[] });
        return;
      case 'node-added':
        return h.nodeAdded(data as NodeSummary);
      case 'node-removed':
        return h.nodeRemoved(data as NodeSummary);
      case 'fields-changed':
        return h.fieldsChanged(data as NodeSummary);
      case 'upstream':
        return h.upstream(data as { connected: boolean; reason: string | null });
      case 'samples':
        return h.samples(data as SamplesEvent);
      case 'problem':
        return h.problem(data as { id: string; message: string });
    }
  }
}
