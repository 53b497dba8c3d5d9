#!/usr/bin/env node
import { toExactlyError } from '@exactly/errors';
import { createLogger, createMetricsRegistry, stopOnSignals } from '@exactly/observability';
import { type Orm, openOrm } from '@exactly/persistence';
import { type ConsoleConfig, readConsoleConfig } from './config.js';
import { type ConsoleServer, createServer } from './createServer.js';

const bootLogger = createLogger('console');
let config: ConsoleConfig;
try {
  config = readConsoleConfig();
} catch (error) {
  bootLogger.fatal(toExactlyError(error).message);
  process.exit(1);
}

const logger = createLogger('console', config.LOG_LEVEL);
let orm: Orm;
let server: ConsoleServer;
try {
  orm = await openOrm({ databaseUrl: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
  server = await createServer({ config, orm, logger, registry: createMetricsRegistry('console') });
  const address = await server.listen();
  logger.info(
    { address, dashboard: config.OPERATOR_TOKEN !== undefined },
    `console listening on ${address}: the dashboard at ${address}/dashboard${config.OPERATOR_TOKEN === undefined ? ' (off: OPERATOR_TOKEN is not set)' : ''}; /healthz, /readyz, /metrics`,
  );
} catch (error) {
  logger.fatal({ err: error }, `console failed to start: ${toExactlyError(error).message}`);
  process.exit(1);
}

stopOnSignals({
  logger,
  timeoutMs: config.SHUTDOWN_TIMEOUT,
  message: 'shutting down',
  stop: async () => {
    await server.close();
    await orm.close();
  },
});
