// The classic SimpleJson plugin's own endpoints (also used by simpod 0.2 to
// 0.5 and the SisockJson fork): POST /search, POST /annotations.
import type { FastifyPluginAsync } from 'fastify';
import { listNames } from '../grafana/names-query.js';
import { nameFilter, parseRange } from '../grafana/request.js';
import { annotationsBodySchema, searchBodySchema } from '../grafana/schemas.js';
import type { PluginDeps } from '../server.js';
import { annotationEvents } from '../grafana/annotations.js';

const JSON_TYPE = 'application/json; charset=utf-8';

export const simpleJsonPlugin: FastifyPluginAsync<PluginDeps> = async (app, deps) => {
  app.post('/search', { schema: { body: searchBodySchema } }, async (request, reply) => {
    const options = listNames(nameFilter(request.body, 'target'), deps.service.catalog);
    // plain strings where text and value agree: the safest form for every plugin version
    const answer = options.map((o) => (o.text === o.value ? o.value : o));
    return reply.type(JSON_TYPE).send(JSON.stringify(answer));
  });

  app.post('/annotations', { schema: { body: annotationsBodySchema } }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const annotation = (body.annotation ?? {}) as Record<string, unknown>;
    const query = typeof annotation.query === 'string' ? annotation.query.trim() : '';
    if (query === '') return reply.type(JSON_TYPE).send('[]');
    const { fromMs, toMs } = parseRange(body);
    const events = await annotationEvents(query, fromMs, toMs, deps.service, request.clientSignal, deps.log);
    return reply.type(JSON_TYPE).send(JSON.stringify(events));
  });
};
