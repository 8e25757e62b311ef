// The maintained JSON data source (simpod 0.4+): POST /metrics (the metric
// list: not Prometheus, which is GET /metrics), /metric-payload-options,
// /variable.
import type { FastifyPluginAsync } from 'fastify';
import { listNames } from '../grafana/names-query.js';
import { nameFilter } from '../grafana/request.js';
import { metricsBodySchema, payloadOptionsBodySchema, variableBodySchema } from '../grafana/schemas.js';
import type { PluginDeps } from '../server.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** Builder-mode options every metric offers: how to shape its answer. */
export const FORMAT_PAYLOAD = {
  name: 'format',
  label: 'Answer as',
  type: 'select',
  placeholder: 'data frame',
  reloadMetric: false,
} as const;

export const FORMAT_OPTIONS = [
  { label: 'data frame', value: 'frame' },
  { label: 'time series (legacy)', value: 'timeseries' },
  { label: 'table', value: 'table' },
] as const;

export const grafanaJsonPlugin: FastifyPluginAsync<PluginDeps> = async (app, deps) => {
  app.post('/metrics', { schema: { body: metricsBodySchema } }, async (request, reply) => {
    const options = listNames(nameFilter(request.body, 'metric'), deps.service.catalog);
    const answer = options.map((o) => ({ label: o.text, value: o.value, payloads: [FORMAT_PAYLOAD] }));
    return reply.type(JSON_TYPE).send(JSON.stringify(answer));
  });

  app.post('/metric-payload-options', { schema: { body: payloadOptionsBodySchema } }, async (request, reply) => {
    const body = (request.body ?? {}) as { name?: unknown };
    return reply.type(JSON_TYPE).send(JSON.stringify(body.name === FORMAT_PAYLOAD.name ? FORMAT_OPTIONS : []));
  });

  app.post('/variable', { schema: { body: variableBodySchema } }, async (request, reply) => {
    // payload is {target} in the default editor, the user's raw JSON with "Raw JSON" on, or a bare string
    const options = listNames(nameFilter(request.body, 'payload', 'target'), deps.service.catalog);
    const answer = options.map((o) => ({ __text: o.text, __value: o.value }));
    return reply.type(JSON_TYPE).send(JSON.stringify(answer));
  });
};
