// What both Grafana plugins call alike: POST /query, /tag-keys, /tag-values.
import type { FastifyPluginAsync } from 'fastify';
import { parseQueryRequest } from '../grafana/request.js';
import { runQuery } from '../grafana/query.js';
import { answerSent } from '../json-bytes.js';
import { FILTER_KEYS, nodeFilters } from '../grafana/filters.js';
import { queryBodySchema, tagBodySchema } from '../grafana/schemas.js';
import { notConnected, sendError, type PluginDeps } from '../server.js';

const JSON_TYPE = 'application/json; charset=utf-8';

export const grafanaQueryPlugin: FastifyPluginAsync<PluginDeps> = async (app, deps) => {
  app.post('/query', { schema: { body: queryBodySchema } }, async (request, reply) => {
    const body = request.body as Record<string, unknown>;
    const query = parseQueryRequest(body);
    if (!deps.service.upstream.connected && query.targets.length > 0) {
      return sendError(reply, 503, notConnected(deps.service.upstream.where), 'no_session');
    }
    const outcome = await runQuery(query, deps.service, request.clientSignal, nodeFilters(body));
    if (request.clientSignal.aborted) {
      deps.log.debug({ requestId: query.requestId }, 'client went away before the answer');
      return reply.code(499).send();
    }
    if (!outcome.ok) {
      deps.log.warn({ requestId: query.requestId, status: outcome.status, reason: outcome.message }, 'query failed');
      return sendError(reply, outcome.status, outcome.message, 'query_failed');
    }
    if (outcome.notices.length > 0) {
      deps.log.warn({ requestId: query.requestId, notices: outcome.notices }, 'query answered in part');
    }
    // its buffer serves later answers once this one is out (not when the client left halfway)
    reply.raw.once('finish', () => answerSent(outcome.body));
    return reply.type(JSON_TYPE).send(outcome.body);
  });

  // SimpleJson's drop-downs spin forever on an error: always answer 200 here
  app.post('/tag-keys', { schema: { body: tagBodySchema } }, async (_request, reply) => {
    return reply.type(JSON_TYPE).send(JSON.stringify(FILTER_KEYS));
  });

  app.post('/tag-values', { schema: { body: tagBodySchema } }, async (request, reply) => {
    const body = (request.body ?? {}) as { key?: unknown };
    const values =
      body.key === 'node'
        ? deps.service.catalog
            .nodes()
            .filter((n) => n.online)
            .map((n) => ({ text: n.name, value: n.name }))
        : [];
    return reply.type(JSON_TYPE).send(JSON.stringify(values));
  });
};
