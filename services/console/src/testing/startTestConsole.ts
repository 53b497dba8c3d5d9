import { createLogger, createMetricsRegistry } from '@exactly/observability';
import { type Orm, openOrm } from '@exactly/persistence';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { readConsoleConfig } from '../config.js';
import { type ConsoleServer, createServer } from '../createServer.js';

export interface TestConsole {
  server: ConsoleServer;
  orm: Orm;
  /** Base URL when started with `listen: true`. */
  url: string;
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** A console built in-process on the run's database (tests only). */
export async function startTestConsole(
  env: Record<string, string> = {},
  { listen = false }: { listen?: boolean } = {},
): Promise<TestConsole> {
  const config = readConsoleConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    LOG_LEVEL: process.env.EXACTLY_TEST_LOGS === '1' ? 'info' : 'silent',
    ...env,
  });
  const orm = await openOrm({ databaseUrl: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
  const server = await createServer({
    config,
    orm,
    logger: createLogger('console-test', config.LOG_LEVEL),
    registry: createMetricsRegistry('console-test'),
  });
  const url = listen ? await server.listen({ host: '127.0.0.1', port: 0 }) : '';
  return {
    server,
    orm,
    url,
    inject: (options) => server.app.inject(options),
    async close() {
      await server.close();
      await orm.close();
    },
  };
}
