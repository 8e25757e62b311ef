// GET|HEAD|POST / : the "Save & Test" of both Grafana plugins and a health
// check for load balancers. 200 only with a router session and a hub that
// answers; otherwise 503 with the reason in both forms Grafana reads
// (`message`, and `error.code` / `error.message` for simpod).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Catalog } from '../catalog.js';
import type { PluginDeps } from '../server.js';
import { asUpstreamError, type Upstream } from '../upstream.js';

export type HealthState =
  | { ok: true; nodes: number; fields: number }
  | { ok: false; code: 'no_session' | 'hub_unreachable'; message: string };

export class HealthCheck {
  private cached: { at: number; state: HealthState } | null = null;
  private running: Promise<HealthState> | null = null;

  constructor(
    private readonly upstream: Upstream,
    private readonly catalog: Catalog,
    private readonly hubTimeoutMs = 3000,
    /** answers younger than this are reused (health checks come often) */
    private readonly cacheMs = 1000,
  ) {}

  private get noSession(): HealthState {
    const where = this.upstream.where;
    return { ok: false, code: 'no_session', message: `not connected to the WAMP router${where ? ` at ${where}` : ''}` };
  }

  async check(): Promise<HealthState> {
    if (!this.upstream.connected) return this.noSession;
    if (this.cached && Date.now() - this.cached.at < this.cacheMs) return this.cached.state;
    if (!this.running) {
      this.running = this.probe().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async probe(): Promise<HealthState> {
    let state: HealthState;
    try {
      const nodes = await this.upstream.listNodes({ timeoutMs: this.hubTimeoutMs });
      state = { ok: true, nodes: nodes.length, fields: this.catalog.names().length };
    } catch (err) {
      const e = asUpstreamError(err);
      state =
        e.kind === 'unavailable'
          ? this.noSession
          : { ok: false, code: 'hub_unreachable', message: `the sisock hub does not answer: ${e.message}` };
    }
    this.cached = { at: Date.now(), state };
    return state;
  }
}

export const healthPlugin: FastifyPluginAsync<PluginDeps & { monitorPath: string | null }> = async (app, deps) => {
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    // a person opening the bridge in a browser gets the monitor, Grafana (Accept: application/json) the health
    if (deps.monitorPath && request.method === 'GET' && /^\s*text\/html/.test(request.headers.accept ?? '')) {
      return reply.redirect(deps.monitorPath, 302);
    }
    const state = await deps.health.check();
    reply.type('application/json; charset=utf-8');
    if (state.ok) {
      return reply.code(200).send(
        JSON.stringify({ status: 'ok', message: 'sisock HTTP bridge is working', nodes: state.nodes, fields: state.fields }),
      );
    }
    deps.log.warn({ code: state.code, reason: state.message }, 'health check failed');
    return reply.code(503).send(
      JSON.stringify({
        status: 'unavailable',
        message: state.message,
        error: { code: state.code, message: state.message },
        statusCode: 503,
      }),
    );
  };
  app.route({ method: ['GET', 'HEAD', 'POST'], url: '/', handler });
};
