// SimpleJson annotations: the annotation's query names string fields
// (`node::field`, or a pattern); each sample becomes an event whose text is
// the value. Numbers are not events. Failures give no events and a log
// line, since Grafana would only show a toast.
import type { Logger } from '../../log/logger.js';
import type { DataService } from '../data-service.js';

export interface AnnotationEvent {
  time: number;
  title: string;
  text: string;
  tags: string[];
}

/** Most events one request returns (the newest ones are kept). */
export const MAX_EVENTS = 5000;

export async function annotationEvents(
  query: string,
  fromMs: number,
  toMs: number,
  service: DataService,
  signal: AbortSignal | undefined,
  log: Logger,
): Promise<AnnotationEvent[]> {
  const [resolution] = await service.resolve([query]);
  if (!resolution || !resolution.ok) {
    log.warn({ query, reason: resolution && !resolution.ok ? resolution.message : '' }, 'annotation query names nothing');
    return [];
  }
  const fields = resolution.fields.filter((f) => f.info.type === 'string');
  if (fields.length === 0) return [];
  const results = await service.fetch(fields, fromMs / 1000, toMs / 1000, null, signal);
  const events: AnnotationEvent[] = [];
  for (const f of fields) {
    const r = results.get(f.name);
    if (!r) continue;
    if (!r.ok) {
      log.warn({ field: f.name, err: r.error.message }, 'annotation data not available');
      continue;
    }
    const { t, v } = r.samples;
    for (let i = 0; i < t.length; i++) {
      const value = v[i];
      if (value === null || value === undefined || value === '') continue;
      events.push({ time: Math.round((t[i] as number) * 1000), title: f.name, text: String(value), tags: [f.node] });
    }
  }
  events.sort((a, b) => a.time - b.time);
  return events.length > MAX_EVENTS ? events.slice(events.length - MAX_EVENTS) : events;
}
