// The web monitor's built files (a folder of static files), under /monitor/.
import type { FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';

export const monitorPlugin: FastifyPluginAsync<{ root: string }> = async (app, opts) => {
  await app.register(fastifyStatic, { root: opts.root, index: ['index.html'], redirect: true, wildcard: true });
};
