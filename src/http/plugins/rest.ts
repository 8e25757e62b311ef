// The REST API for scripts and the web monitor, under /api/v1 (docs/http.md):
//   GET  /status               bridge and router state
//   GET  /nodes                data nodes with online state and field counts
//   GET  /nodes/:node          one node: its fields (description, units, type, timeline) and timelines
//   GET  /fields?match=        every field, optionally filtered
//   GET|POST /data             samples of several fields over a range, JSON (columnar) or CSV
//   POST /refresh              reload the field lists from the hub and nodes
//   GET  /events               Server-Sent Events: node added/removed, field lists, live samples
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { NodeEntry } from '../catalog.js';
import { filterNames, fullName } from '../names.js';
import { dataCsvParts, dataJsonParts, fetchData, nameList, parseDataQuery, restTime } from '../rest/data.js';
import { forwardCatalog, LiveSamples, nodeJson, SseStream } from '../rest/live.js';
import { notConnected, sendError, type PluginDeps } from '../server.js';
import { BadRequest } from '../time.js';

const JSON_TYPE = 'application/json; charset=utf-8';

const VERSION = ((): string => {
  try {
    const url = new URL('../../../../package.json', import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

const dataQuerySchema = {
  type: 'object',
  properties: {
    fields: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    field: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    from: { type: ['string', 'number'] },
    to: { type: ['string', 'number'] },
    points: { type: ['string', 'number'] },
    stride: { type: ['string', 'number'] },
    format: { type: 'string', enum: ['json', 'csv', 'JSON', 'CSV'] },
  },
} as const;

const eventsQuerySchema = {
  type: 'object',
  properties: {
    fields: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    since: { type: 'string' },
    interval: { type: 'string' },
  },
} as const;

function fieldList(n: NodeEntry): unknown[] {
  return Object.entries(n.fields)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([field, info]) => ({
      id: fullName(n.name, field),
      node: n.name,
      field,
      description: info.description,
      units: info.units,
      type: info.type,
      timeline: info.timeline,
    }));
}

export const restPlugin: FastifyPluginAsync<PluginDeps> = async (app, deps) => {
  const { catalog } = deps.service;
  const json = (reply: FastifyReply, value: unknown): FastifyReply => reply.type(JSON_TYPE).send(JSON.stringify(value));

  /** Per node, what the hub's liveness probe saw; empty when the hub has no status report or does not answer. */
  const hubHealth = async (): Promise<Map<string, { health: string; lastProbeMs: number | null }>> => {
    const out = new Map<string, { health: string; lastProbeMs: number | null }>();
    const upstream = deps.service.upstream;
    if (!upstream.hubStatus || !upstream.connected) return out;
    try {
      const status = (await upstream.hubStatus({ timeoutMs: 2000 })) as { nodes?: unknown };
      for (const n of Array.isArray(status?.nodes) ? status.nodes : []) {
        const e = n as { name?: unknown; health?: unknown; last_probe_ms?: unknown };
        if (typeof e.name !== 'string' || typeof e.health !== 'string') continue;
        out.set(e.name, { health: e.health, lastProbeMs: typeof e.last_probe_ms === 'number' ? e.last_probe_ms : null });
      }
    } catch (err) {
      deps.log.debug({ err: (err as Error).message }, 'no hub status report');
    }
    return out;
  };

  app.get('/status', async (_request, reply) => {
    const nodes = catalog.nodes();
    return json(reply, {
      version: VERSION,
      connected: deps.service.upstream.connected,
      nodes: nodes.filter((n) => n.online).length,
      fields: catalog.names().length,
      hubError: catalog.syncError,
      nodeTimeoutMs: deps.service.fetcher.nodeTimeoutMs,
    });
  });

  app.get('/nodes', async (_request, reply) => {
    const probes = await hubHealth();
    const nodes = catalog.nodes().map((n) => ({
      ...(JSON.parse(nodeJson(n)) as object),
      fieldsError: n.fieldsError,
      // the hub's liveness probe: ok, unresponsive, unknown; null when the hub does not say
      health: n.online ? (probes.get(n.name)?.health ?? null) : null,
      lastProbeMs: n.online ? (probes.get(n.name)?.lastProbeMs ?? null) : null,
    }));
    return json(reply, { nodes });
  });

  app.get<{ Params: { node: string } }>('/nodes/:node', async (request, reply) => {
    const n = catalog.node(request.params.node);
    if (!n) return sendError(reply, 404, `unknown data node '${request.params.node}'`, 'unknown_node');
    return json(reply, {
      name: n.name,
      description: n.description,
      online: n.online,
      since: new Date(n.since).toISOString(),
      fieldsError: n.fieldsError,
      fields: fieldList(n),
      timelines: n.timelines,
    });
  });

  app.get<{ Querystring: { match?: string } }>(
    '/fields',
    { schema: { querystring: { type: 'object', properties: { match: { type: 'string' } } } } },
    async (request, reply) => {
      const keep = new Set(filterNames(catalog.names(), request.query.match));
      const fields = catalog
        .nodes()
        .filter((n) => n.online)
        .flatMap(fieldList)
        .filter((f) => keep.has((f as { id: string }).id));
      return json(reply, { fields });
    },
  );

  const data = async (input: Record<string, unknown>, signal: AbortSignal, reply: FastifyReply): Promise<FastifyReply> => {
    const q = parseDataQuery(input);
    if (!deps.service.upstream.connected) {
      return sendError(reply, 503, notConnected(deps.service.upstream.where), 'no_session');
    }
    const outcome = await fetchData(q, deps.service, signal);
    if (!outcome.ok) return sendError(reply, outcome.status, outcome.message, 'data_failed');
    // streamed: a long range's answer is never one text in memory
    if (q.format === 'csv') {
      return reply.type('text/csv; charset=utf-8').send(Readable.from(dataCsvParts(outcome.fields, outcome.results), { objectMode: false }));
    }
    return reply.type(JSON_TYPE).send(Readable.from(dataJsonParts(q, outcome.fields, outcome.results), { objectMode: false }));
  };

  app.get('/data', { schema: { querystring: dataQuerySchema } }, async (request, reply) =>
    data(request.query as Record<string, unknown>, request.clientSignal, reply),
  );
  app.post('/data', { schema: { body: dataQuerySchema } }, async (request, reply) =>
    data((request.body ?? {}) as Record<string, unknown>, request.clientSignal, reply),
  );

  app.post<{ Querystring: { node?: string } }>('/refresh', async (request, reply) => {
    const node = request.query.node;
    if (node !== undefined) {
      if (!catalog.node(node)) return sendError(reply, 404, `unknown data node '${node}'`, 'unknown_node');
      await catalog.reload(node);
    } else {
      await catalog.sync();
      await catalog.reloadAll();
    }
    return json(reply, { nodes: catalog.nodes().filter((n) => n.online).length, fields: catalog.names().length });
  });

  app.get('/events', { schema: { querystring: eventsQuerySchema } }, async (request, reply) => {
    const query = request.query as { fields?: string | string[]; since?: string; interval?: string };
    const names = [...new Set(nameList(query.fields))];
    const now = Date.now();
    const sinceMs = restTime(query.since, 'since', now, now);
    const intervalS = query.interval === undefined ? deps.liveIntervalMs / 1000 : Number(query.interval);
    if (!Number.isFinite(intervalS) || intervalS < 0.2 || intervalS > 3600) {
      throw new BadRequest('interval must be between 0.2 and 3600 seconds');
    }
    const resolutions = names.length > 0 ? await deps.service.resolve(names) : [];
    const unknown = resolutions.flatMap((r) => (r.ok ? [] : [r.message]));
    if (unknown.length > 0) return sendError(reply, 404, unknown.join('; '), 'unknown_field');
    const fields = [...new Map(resolutions.flatMap((r) => (r.ok ? r.fields : [])).map((f) => [f.name, f])).values()];
    // HEAD: the stream's headers and no stream (Node sends no headers at all for a body-less answer that never ends)
    if (request.method === 'HEAD') return reply.code(200).header('cache-control', 'no-cache, no-transform').type('text/event-stream; charset=utf-8').send();

    reply.hijack();
    const stream = new SseStream(reply.raw, reply.getHeaders());
    stream.send(
      'hello',
      JSON.stringify({
        connected: deps.service.upstream.connected,
        nodes: catalog.nodes().map((n) => JSON.parse(nodeJson(n)) as unknown),
        fields: fields.map((f) => f.name),
      }),
    );
    const unsubscribe = catalog.onChange((e) => forwardCatalog(stream, e));
    const keepalive = setInterval(() => stream.comment('keepalive'), 15_000);
    const live =
      fields.length > 0
        ? new LiveSamples(deps.service, fields, sinceMs, intervalS * 1000, stream, deps.log.child({ part: 'live' }))
        : null;
    live?.start();
    stream.onClose(() => {
      unsubscribe();
      clearInterval(keepalive);
      live?.stop();
    });
    deps.log.debug({ fields: names.length }, 'live stream opened');
  });
};
