import { toExactlyError } from '@exactly/errors';
import { createKafka } from '@exactly/messaging';
import { createLogger, createMetricsRegistry, startOpsServer, startTracing } from '@exactly/observability';
import { openOrm } from '@exactly/persistence';
import { readDispatcherConfig } from './config.js';
import { createDispatcher } from './createDispatcher.js';

const logger = createLogger('dispatcher');

try {
  const config = readDispatcherConfig();
  const tracing = startTracing('dispatcher', config);
  const registry = createMetricsRegistry('dispatcher');
  const orm = await openOrm({
    databaseUrl: config.DATABASE_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
  });
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID,
    logLevel: config.KAFKA_LOG_LEVEL,
    logger,
  });
  const dispatcher = createDispatcher({
    config,
    orm,
    kafka,
    logger,
    registry,
    onFatal: (error) => {
      logger.fatal(
        { err: error },
        'the consumer stopped for good; exiting so a supervisor restarts the process',
      );
      process.exit(1);
    },
  });
  const ops = await startOpsServer({
    host: config.HOST,
    port: config.PORT,
    logger,
    registry,
    readiness: () => dispatcher.readiness(),
  });
  const address = ops.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.PORT;
  logger.info(
    {
      url: `http://${config.HOST}:${port}`,
      topic: config.COMMANDS_TOPIC,
      group: config.CONSUMER_GROUP,
    },
    'dispatcher ops server listening (/healthz, /readyz, /metrics)',
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'dispatcher stopping');
    try {
      await dispatcher.stop();
      await ops.close();
      await orm.close();
      await tracing.shutdown();
      logger.info('dispatcher stopped');
    } catch (error) {
      logger.error({ err: error }, 'dispatcher did not stop cleanly');
      process.exitCode = 1;
    }
    process.exit();
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await dispatcher.start();
} catch (thrown) {
  const error = toExactlyError(thrown);
  logger.fatal({ err: error, code: error.code }, `dispatcher cannot run: ${error.message}`);
  process.exit(1);
}
