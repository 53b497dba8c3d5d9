import { type Logger, registerOpsRoutes } from '@exactly/observability';
import { type Orm, runSql } from '@exactly/persistence';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { ConsoleConfig } from './config.js';
import { registerDashboard } from './dashboard/registerDashboard.js';
import { registerProblemDetails } from './registerProblemDetails.js';

export interface ConsoleDependencies {
  config: ConsoleConfig;
  orm: Orm;
  logger: Logger;
  registry: Registry;
  /** Where the built page is (default: the `@exactly/dashboard` package's `dist/`). */
  assetsDir?: string;
}

export interface ConsoleServer {
  app: FastifyInstance;
  /** Listens on HOST:PORT; returns the address. */
  listen(address?: { host: string; port: number }): Promise<string>;
  /** Stops taking requests, ends the event streams and the sampler (the ORM stays open). */
  close(): Promise<void>;
}

/** Builds the console from explicit dependencies; `main.ts` reads the configuration and listens. */
export async function createServer(deps: ConsoleDependencies): Promise<ConsoleServer> {
  const { config, orm, logger, registry } = deps;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // The console takes small bodies only (a sign-in, an empty redrive).
    bodyLimit: 64 * 1024,
    ...(config.TRUST_PROXY === undefined ? {} : { trustProxy: config.TRUST_PROXY }),
    requestTimeout: 30_000,
    return503OnClosing: true,
  });
  registerProblemDetails(app);
  registerOpsRoutes(app, {
    registry,
    // What is wrong goes to the log; callers learn only that the database does not answer.
    readiness: async () => {
      try {
        await runSql(orm.em.fork(), 'SELECT 1');
        return undefined;
      } catch (error) {
        logger.warn({ err: error }, 'not ready: the database does not answer');
        return 'database unavailable';
      }
    },
  });
  const dashboard = await registerDashboard(app, {
    config,
    orm,
    logger,
    registry,
    ...(deps.assetsDir === undefined ? {} : { assetsDir: deps.assetsDir }),
  });
  return {
    app,
    listen: (address = { host: config.HOST, port: config.PORT }) => app.listen(address),
    async close() {
      await app.close();
      await dashboard.close();
    },
  };
}
