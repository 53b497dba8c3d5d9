#!/usr/bin/env node
import { toExactlyError } from '@exactly/errors';
import { createKafka, readTopicRetention } from '@exactly/messaging';
import { createLogger, createMetricsRegistry, startOpsServer, stopOnSignals } from '@exactly/observability';
import { openOrm, runSql } from '@exactly/persistence';
import { assertRetentionWindows, createMaintenanceJob, retentionWindowsOf } from '@exactly/retention';
import { readMaintenanceConfig } from './config.js';

const bootLogger = createLogger('maintenance');
let config: ReturnType<typeof readMaintenanceConfig>;
try {
  config = readMaintenanceConfig();
  assertRetentionWindows(retentionWindowsOf(config));
} catch (error) {
  bootLogger.fatal(toExactlyError(error).message);
  process.exit(1);
}

const logger = createLogger('maintenance', config.LOG_LEVEL);
try {
  const orm = await openOrm({ databaseUrl: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
  const registry = createMetricsRegistry('maintenance');
  const admin = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID,
    logger,
  }).admin();
  let connected: Promise<void> | undefined;
  const job = createMaintenanceJob({
    orm,
    logger,
    registry,
    settings: config,
    // Read again before every drop of inbox days: the topic's retention can change while we run.
    readCommandsTopic: async () => {
      connected ??= admin.connect().catch((error: unknown) => {
        connected = undefined;
        throw error;
      });
      await connected;
      return readTopicRetention(admin, config.COMMANDS_TOPIC);
    },
  });
  const ops = await startOpsServer({
    host: config.HOST,
    port: config.PORT,
    logger,
    registry,
    readiness: async () => {
      await runSql(orm.em.fork(), 'SELECT 1');
      return undefined;
    },
  });
  if (config.MAINTENANCE) job.start();
  logger.info(
    { maintenance: config.MAINTENANCE, every: config.MAINTENANCE_INTERVAL },
    `maintenance ${config.MAINTENANCE ? 'running' : 'off (MAINTENANCE=false)'}; /healthz, /readyz, /metrics on port ${config.PORT}`,
  );
  stopOnSignals({
    logger,
    timeoutMs: config.SHUTDOWN_TIMEOUT,
    message: 'shutting down',
    stop: async () => {
      await job.stop();
      await admin.disconnect();
      await ops.close();
      await orm.close();
    },
  });
} catch (error) {
  logger.fatal({ err: error }, `maintenance failed to start: ${toExactlyError(error).message}`);
  process.exit(1);
}
