// GET /metrics: Prometheus text format. (POST /metrics is simpod's metric
// list, in grafana-json.ts: same path, different method.)
import type { FastifyPluginAsync } from 'fastify';
import type { PluginDeps } from '../server.js';

export const prometheusPlugin: FastifyPluginAsync<PluginDeps> = async (app, deps) => {
  app.get('/metrics', async (_request, reply) => {
    const text = await deps.metrics.text();
    return reply.type(deps.metrics.contentType).send(text);
  });
};
