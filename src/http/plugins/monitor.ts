// The web monitor's built files (a folder of static files), under /monitor/.
import type { FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';

export const monitorPlugin: FastifyPluginAsync<{ root: string }> = async (app, opts) => {
  await app.register(fastifyStatic, { root: opts.root, prefix: '/monitor/', index: false, redirect: false });
  // The server ignores trailing slashes (for Grafana), so `/monitor` and
  // `/monitor/` reach this one route. The page needs the slash for its
  // relative links: redirect when it is missing, else serve index.html.
  app.get('/monitor', (request, reply) => {
    // collapse `//`: a redirect to `//host/...` would leave this server
    const path = (request.url.split('?')[0] ?? '').replace(/\/{2,}/g, '/');
    if (!path.endsWith('/')) return reply.redirect(`${path}/`, 301);
    return reply.sendFile('index.html');
  });
};
