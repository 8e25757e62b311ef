// Starts a bridge on an ephemeral port and talks HTTP to it as Grafana and
// scripts do (Node's fetch).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { createBridge, type Bridge, type BridgeOptions } from '../../../src/http/server.js';
import type { Upstream } from '../../../src/http/upstream.js';
import type { GrafanaRequest } from './fixtures.js';

export interface RunningBridge {
  bridge: Bridge;
  /** http://127.0.0.1:<port> plus the base path */
  url: string;
  close(): Promise<void>;
}

export async function startBridge(upstream: Upstream, options: Partial<BridgeOptions> = {}): Promise<RunningBridge> {
  const bridge = await createBridge({ upstream, processMetrics: false, ...options });
  await bridge.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = bridge.app.server.address() as AddressInfo;
  return { bridge, url: `http://127.0.0.1:${port}${bridge.basePath}`, close: () => bridge.close() };
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** the body parsed as JSON, or undefined when it is not JSON */
  json: unknown;
}

export async function request(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {},
): Promise<Answer> {
  const method = init.method ?? (init.body !== undefined || init.raw !== undefined ? 'POST' : 'GET');
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  let body: string | undefined;
  if (init.raw !== undefined) body = init.raw;
  else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Sends a recorded Grafana request the way its plugin does (Content-Type set by both plugins). */
export function replay(base: string, r: GrafanaRequest): Promise<Answer> {
  return request(base + r.path, {
    method: r.method,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/plain, */*' },
    ...(r.body !== undefined ? { raw: JSON.stringify(r.body) } : {}),
  });
}

const APEX = fileURLToPath(new URL('../../../../data/apex-example/', import.meta.url));

/**
 * The example data's rows of one field in [fromMs, toMs), as Grafana
 * datapoints [value, ms]. The files repeat each day's last sample as the
 * next day's first (same time, same value): such repeats are dropped here,
 * and `withoutRepeats` drops them from answers, since a node may keep or
 * drop them.
 */
export function apexDatapoints(field: string, fromMs: number, toMs: number): [number, number][] {
  const rows = readFileSync(`${APEX}${field}.dat`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number])
    .filter(([t]) => t * 1000 >= fromMs && t * 1000 < toMs)
    .map(([t, v]): [number, number] => [v, Math.round(t * 1000)]);
  return rows.filter((r, i) => i === 0 || r[1] !== (rows[i - 1] as [number, number])[1]);
}

function sameRow(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Drops exact repeats of consecutive datapoints, table rows and frame samples from a /query answer. */
export function withoutRepeats(answer: unknown): unknown {
  if (!Array.isArray(answer)) return answer;
  return answer.map((item: unknown) => {
    if (typeof item !== 'object' || item === null) return item;
    const out = { ...(item as Record<string, unknown>) };
    for (const key of ['datapoints', 'rows']) {
      const list = out[key];
      if (Array.isArray(list)) out[key] = list.filter((r, i) => i === 0 || !sameRow(r, list[i - 1]));
    }
    const fields = out.fields as { values: unknown[] }[] | undefined;
    if (Array.isArray(fields) && fields.length === 2) {
      const [t, v] = fields as [{ values: unknown[] }, { values: unknown[] }];
      const keep = t.values.map((x, i) => i === 0 || x !== t.values[i - 1] || v.values[i] !== v.values[i - 1]);
      out.fields = fields.map((f) => ({ ...f, values: f.values.filter((_, i) => keep[i]) }));
    }
    return out;
  });
}

/** The example data's header: description, timeline, units. */
export function apexHeader(field: string): { description: string; units: string } {
  const lines = readFileSync(`${APEX}${field}.dat`, 'utf8').split('\n');
  return { description: (lines[0] ?? '').slice(1).trim(), units: (lines[2] ?? '').slice(1).trim() };
}

/** Reads Server-Sent Events from a response body. */
export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: unknown }> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
      const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
      if (event && data) yield { event, data: JSON.parse(data) };
    }
  }
}
