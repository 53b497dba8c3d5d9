import { createKafka } from '@exactly/messaging';
import { createLogger, createMetricsRegistry, startTracing } from '@exactly/observability';
import { outboxSessionSettings } from '@exactly/outbox';
import { openOrm } from '@exactly/persistence';
import pg from 'pg';
import { readRelayConfig } from './config.js';
import { createRelay } from './createRelay.js';

const logger = createLogger('relay');

async function main(): Promise<void> {
  const config = readRelayConfig();
  const tracing = startTracing('relay', config);
  const orm = await openOrm({
    databaseUrl: config.DATABASE_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
    sessionSettings: outboxSessionSettings,
  });
  const relay = createRelay({
    config,
    orm,
    newKafka: (socketFactory) =>
      createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'exactly-relay', socketFactory, logger }),
    newListenClient: () => new pg.Client({ connectionString: config.DATABASE_URL }),
    logger,
    registry: createMetricsRegistry('relay'),
  });
  const { opsUrl } = await relay.start();
  logger.info({ opsUrl, relayId: relay.relayId }, `relay ops server listening on ${opsUrl}`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    try {
      await relay.stop();
      await orm.close();
      await tracing.shutdown();
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'stopping failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, 'the relay cannot start');
  process.exit(1);
});
