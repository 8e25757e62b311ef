// Prometheus metrics of the bridge: HTTP requests, their latency and errors,
// upstream (WAMP) calls, the field list and the router session. One registry
// per bridge, so several bridges in one process (tests) do not collide.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CallOptions, Upstream } from './upstream.js';
import { asUpstreamError } from './upstream.js';

export interface MetricsSources {
  connected: () => boolean;
  nodes: () => number;
  fields: () => number;
  coalesced: () => number;
}

export class BridgeMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly upstreamCalls: Counter<'procedure' | 'node' | 'outcome'>;
  readonly upstreamDuration: Histogram<'procedure' | 'node'>;

  constructor(sources: MetricsSources, options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: 'sisock_http_requests_total',
      help: 'HTTP requests answered, by method, route and status code',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'sisock_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method and route',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.upstreamCalls = new Counter({
      name: 'sisock_http_upstream_calls_total',
      help: 'WAMP calls to the hub and data nodes, by procedure, data node and outcome (ok, timeout, canceled, error, ...)',
      labelNames: ['procedure', 'node', 'outcome'],
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: 'sisock_http_upstream_call_duration_seconds',
      help: 'Duration of WAMP calls to the hub and data nodes, by procedure and data node',
      labelNames: ['procedure', 'node'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    new Gauge({
      name: 'sisock_http_upstream_connected',
      help: '1 while the bridge has a session with the WAMP router',
      registers,
      collect() {
        this.set(sources.connected() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'sisock_http_data_nodes',
      help: 'Data nodes online, as the hub lists them',
      registers,
      collect() {
        this.set(sources.nodes());
      },
    });
    new Gauge({
      name: 'sisock_http_fields',
      help: 'Fields offered to Grafana (node::field names)',
      registers,
      collect() {
        this.set(sources.fields());
      },
    });
    new Counter({
      name: 'sisock_http_coalesced_calls_total',
      help: 'Data requests that joined an identical call already in flight instead of calling again',
      registers,
      collect() {
        this.reset();
        this.inc(sources.coalesced());
      },
    });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'sisock_http_' });
  }

  /** Text exposition format for GET /metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  observeUpstream(procedure: string, node: string, outcome: string, seconds: number): void {
    this.upstreamCalls.inc({ procedure, node, outcome });
    this.upstreamDuration.observe({ procedure, node }, seconds);
  }
}

/** The same upstream, with every call counted and timed. */
export function instrumentUpstream(upstream: Upstream, metrics: BridgeMetrics): Upstream {
  async function timed<T>(procedure: string, node: string, call: () => Promise<T>): Promise<T> {
    const start = process.hrtime.bigint();
    let outcome = 'ok';
    try {
      return await call();
    } catch (err) {
      const kind = asUpstreamError(err).kind;
      outcome = kind === 'remote' ? 'error' : kind;
      throw err;
    } finally {
      metrics.observeUpstream(procedure, node, outcome, Number(process.hrtime.bigint() - start) / 1e9);
    }
  }
  return {
    get connected() {
      return upstream.connected;
    },
    get where() {
      return upstream.where;
    },
    listNodes: (o?: CallOptions) => timed('get_data_node', '', () => upstream.listNodes(o)),
    getFields: (node, start, end, o) => timed('get_fields', node, () => upstream.getFields(node, start, end, o)),
    getData: (node, fields, start, end, stride, o) =>
      timed('get_data', node, () => upstream.getData(node, fields, start, end, stride, o)),
    ...(upstream.hubStatus ? { hubStatus: (o?: CallOptions) => timed('get_hub_status', '', () => upstream.hubStatus!(o)) } : {}),
    subscribe: (l) => upstream.subscribe(l),
    close: () => upstream.close(),
  };
}
