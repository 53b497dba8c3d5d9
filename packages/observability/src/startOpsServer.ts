import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type OpsRoutesOptions, registerOpsRoutes } from './opsRoutes.js';

export interface OpsServerOptions extends OpsRoutesOptions {
  host: string;
  port: number;
  logger: Logger;
}

/** A small HTTP server with only the ops routes, for services that serve no API (relay, dispatcher). */
export async function startOpsServer({
  host,
  port,
  logger,
  ...routes
}: OpsServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger });
  registerOpsRoutes(app, routes);
  await app.listen({ host, port });
  return app;
}
