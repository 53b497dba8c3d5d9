#!/usr/bin/env node
import { toExactlyError } from '@exactly/errors';
import { lookupSessionSettings, writeSessionSettings } from '@exactly/idempotency';
import { createLogger, createMetricsRegistry, startTracing, stopOnSignals } from '@exactly/observability';
import { type Orm, openOrm } from '@exactly/persistence';
import { profileFromConfig, readIngestConfig } from './config.js';
import { createServer, type IngestServer } from './createServer.js';
import { checkRecordedProfile, keySchemeOf } from './recordedProfile.js';

const bootLogger = createLogger('ingest-api');
let config: ReturnType<typeof readIngestConfig>;
try {
  config = readIngestConfig();
} catch (error) {
  bootLogger.fatal(toExactlyError(error).message);
  process.exit(1);
}

const logger = createLogger('ingest-api', config.LOG_LEVEL);
const tracing = startTracing('ingest-api', config);
let orm: Orm;
let lookupOrm: Orm | undefined;
let writeOrm: Orm | undefined;
let server: IngestServer;
try {
  orm = await openOrm({
    databaseUrl: config.DATABASE_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
  });
  // The key look-ups keep their plan on connections of their own; without prepared statements
  // (a pooler in transaction mode) there is no plan to keep, and they share the pool.
  if (config.DATABASE_LOOKUP_POOL_SIZE > 0 && config.DATABASE_PREPARED_STATEMENTS > 0) {
    lookupOrm = await openOrm({
      databaseUrl: config.DATABASE_URL,
      poolSize: config.DATABASE_LOOKUP_POOL_SIZE,
      preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
      sessionSettings: lookupSessionSettings,
    });
  }
  // The write batches keep the plan of their one statement, on a connection per batch at once.
  if (config.DATABASE_PREPARED_STATEMENTS > 0) {
    writeOrm = await openOrm({
      databaseUrl: config.DATABASE_URL,
      poolSize: config.WRITE_CONCURRENCY,
      preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
      sessionSettings: writeSessionSettings,
    });
  }
  const recorded = await checkRecordedProfile(
    orm,
    profileFromConfig(config),
    config.IDEMPOTENCY_PROFILE_SWITCH,
  );
  if (recorded.kind === 'switched') {
    logger.warn(
      { from: recorded.from, to: keySchemeOf(profileFromConfig(config)) },
      `idempotency profile switched from ${recorded.from} (IDEMPOTENCY_PROFILE_SWITCH=true): keys stored before may run again`,
    );
  }
  server = await createServer({
    config,
    orm,
    lookupOrm,
    writeOrm,
    logger,
    registry: createMetricsRegistry('ingest-api'),
  });
  const address = await server.listen();
  const profile = profileFromConfig(config);
  logger.info(
    { address, opsAddress: server.opsUrl, profile },
    `ingest API listening on ${address} (idempotency profile ${profile.name}); /healthz, /readyz, /metrics on ${server.opsUrl ?? `${address} for local callers only`}`,
  );
} catch (error) {
  logger.fatal({ err: error }, `ingest API failed to start: ${toExactlyError(error).message}`);
  process.exit(1);
}

stopOnSignals({
  logger,
  timeoutMs: config.SHUTDOWN_TIMEOUT,
  message: 'shutting down: finishing requests in flight',
  stop: async () => {
    await server.close();
    await orm.close();
    await lookupOrm?.close();
    await writeOrm?.close();
    await tracing.shutdown();
  },
});
