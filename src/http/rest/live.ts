// The REST API's live stream (GET /api/v1/events, Server-Sent Events):
// data node added/removed and field-list changes as they happen, and, for
// fields the client names, new samples as they arrive (the bridge polls the
// nodes for samples newer than the last one sent).
import type { ServerResponse } from 'node:http';
import type { Logger } from '../../log/logger.js';
import type { CatalogEvent, NodeEntry } from '../catalog.js';
import type { DataService } from '../data-service.js';
import type { ResolvedField } from '../resolve.js';
import { columnsJson } from './data.js';

/** Bytes a client may fall behind before its stream is closed. */
export const MAX_BACKLOG = 8 * 1024 * 1024;

/** One Server-Sent Events stream on a raw response. */
export class SseStream {
  private closed = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    private readonly res: ServerResponse,
    headers: Record<string, string | string[] | number | undefined>,
  ) {
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // proxies (nginx) must not buffer the stream
      'x-accel-buffering': 'no',
    });
    res.on('close', () => this.close());
    res.write(': sisock live stream\nretry: 3000\n\n');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  /** Sends one event whose data is JSON text (one line). */
  send(event: string, json: string): void {
    if (this.closed) return;
    this.res.write(`event: ${event}\ndata: ${json}\n\n`);
    if (this.res.writableLength > MAX_BACKLOG) this.close();
  }

  comment(text: string): void {
    if (!this.closed) this.res.write(`: ${text}\n\n`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.res.writableEnded) this.res.end();
    for (const l of this.closeListeners.splice(0)) l();
  }
}

export function nodeJson(n: NodeEntry): string {
  return JSON.stringify({
    name: n.name,
    description: n.description,
    online: n.online,
    since: new Date(n.since).toISOString(),
    fields: Object.keys(n.fields).length,
  });
}

/** Forwards field-list events to the stream. */
export function forwardCatalog(stream: SseStream, e: CatalogEvent): void {
  switch (e.type) {
    case 'node-added':
      stream.send('node-added', nodeJson(e.node));
      return;
    case 'node-removed':
      stream.send('node-removed', nodeJson(e.node));
      return;
    case 'fields-changed':
      stream.send('fields-changed', nodeJson(e.node));
      return;
    case 'upstream':
      stream.send('upstream', JSON.stringify({ connected: e.connected, reason: e.reason ?? null }));
      return;
  }
}

/**
 * Polls the nodes of `fields` every `intervalMs` for samples newer than the
 * last one sent (starting at `sinceMs`), and sends them as `samples` events:
 * `{"series": [{"id", "t": [ms...], "v": [...]}]}`.
 */
export class LiveSamples {
  /** per field: UNIX seconds of the newest sample sent */
  private readonly last = new Map<string, number>();
  private readonly problems = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly controller = new AbortController();

  constructor(
    private readonly service: DataService,
    private readonly fields: ResolvedField[],
    sinceMs: number,
    private readonly intervalMs: number,
    private readonly stream: SseStream,
    private readonly log: Logger,
  ) {
    // a sample exactly at `since` is new: start just before it
    for (const f of fields) this.last.set(f.name, sinceMs / 1000 - 1e-6);
  }

  start(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.controller.abort();
  }

  private async tick(): Promise<void> {
    if (this.running || this.stream.isClosed) return;
    this.running = true;
    try {
      const start = Math.min(...this.last.values());
      const end = Date.now() / 1000 + 1;
      const results = await this.service.fetch(this.fields, start, end, null, this.controller.signal);
      const parts: string[] = [];
      for (const f of this.fields) {
        const r = results.get(f.name);
        if (!r) continue;
        if (!r.ok) {
          if (r.error.kind === 'canceled') return;
          if (this.problems.get(f.name) !== r.error.message) {
            this.problems.set(f.name, r.error.message);
            this.stream.send('problem', JSON.stringify({ id: f.name, message: r.error.message }));
          }
          continue;
        }
        this.problems.delete(f.name);
        const { t } = r.samples;
        const after = this.last.get(f.name) as number;
        let i = 0;
        while (i < t.length && (t[i] as number) <= after) i++;
        if (i >= t.length) continue;
        this.last.set(f.name, t[t.length - 1] as number);
        parts.push(`{"id":${JSON.stringify(f.name)},${columnsJson(f, r.samples, i)}}`);
      }
      if (parts.length > 0) this.stream.send('samples', `{"series":[${parts.join(',')}]}`);
    } catch (err) {
      this.log.warn({ err }, 'live sample poll failed');
    } finally {
      this.running = false;
    }
  }
}
