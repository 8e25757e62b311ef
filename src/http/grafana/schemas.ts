// JSON schemas of what the Grafana endpoints accept. They check types only
// as far as every plugin generation agrees (grafana-json-protocol 4, 5):
// unknown keys are always allowed, since each Grafana release adds some.
const time = { type: ['string', 'number'] } as const;

export const rangeSchema = {
  type: 'object',
  required: ['from', 'to'],
  properties: { from: time, to: time, raw: { type: 'object' } },
} as const;

const filterList = {
  type: 'array',
  items: { type: 'object', properties: { key: { type: 'string' }, operator: { type: 'string' } } },
} as const;

export const queryBodySchema = {
  type: 'object',
  required: ['range'],
  properties: {
    range: rangeSchema,
    targets: { type: 'array' },
    interval: { type: ['string', 'null'] },
    // numbers, or numeric strings from hand-made clients
    intervalMs: { type: ['number', 'string', 'null'] },
    maxDataPoints: { type: ['number', 'string', 'null'] },
    adhocFilters: filterList,
    filters: filterList,
    requestId: { type: ['string', 'number', 'null'] },
  },
} as const;

/** /search: `{target}` (SimpleJson, simpod up to 0.5) */
export const searchBodySchema = {
  type: 'object',
  properties: { target: { type: ['string', 'number', 'null'] } },
} as const;

/** /metrics: `{}` or `{metric?, payload?}` (simpod 0.6+) */
export const metricsBodySchema = {
  type: 'object',
  properties: { metric: { type: ['string', 'number', 'null'] }, payload: {} },
} as const;

/** /metric-payload-options: `{metric, payload, name}` */
export const payloadOptionsBodySchema = {
  type: 'object',
  properties: { metric: { type: ['string', 'number', 'null'] }, name: { type: ['string', 'null'] }, payload: {} },
} as const;

/** /variable: `{payload: {target} | string | raw JSON, range}` (simpod 0.4+) */
export const variableBodySchema = {
  type: 'object',
  properties: { payload: {}, range: { type: ['object', 'null'] } },
} as const;

/** /annotations: `{range, rangeRaw, annotation}` (SimpleJson, simpod 0.2) */
export const annotationsBodySchema = {
  type: 'object',
  properties: { range: { type: ['object', 'null'] }, annotation: { type: ['object', 'null'] } },
} as const;

/** /tag-keys, /tag-values: no body, `{}`, or `{key?, filters?, queries?, timeRange?}` */
export const tagBodySchema = {
  type: 'object',
  properties: { key: { type: ['string', 'null'] }, filters: { type: ['array', 'null'] } },
} as const;
