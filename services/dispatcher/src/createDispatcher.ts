import { ExactlyError } from '@exactly/errors';
import { readTopicRetention } from '@exactly/messaging';
import type { Logger } from '@exactly/observability';
import { createOutboxNotifier } from '@exactly/outbox';
import { type Orm, runSql } from '@exactly/persistence';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { DispatcherConfig } from './config.js';
import { delay } from './delay.js';
import { createDispatcherMetrics } from './dispatcherMetrics.js';
import { createEffectExecutor } from './effects/createEffectExecutor.js';
import { createCommandConsumer } from './inbox/createCommandConsumer.js';
import { inboxRetentionProblem } from './inbox/topicRetention.js';
import { createProviders, type ProviderSet } from './providers/createProviders.js';
import { createScheduler } from './schedule/createScheduler.js';
import { createWebhookDelivery } from './webhooks/createWebhookDelivery.js';

export interface DispatcherDependencies {
  config: DispatcherConfig;
  orm: Orm;
  kafka: Kafka;
  logger: Logger;
  registry: Registry;
  /** The channel providers; built from the configuration when not given. */
  providers?: ProviderSet;
  /** How long `start` waits for the commands topic to exist (default 60 s). */
  topicWaitMs?: number;
  /** The consumer stopped for good (kafkajs will not restart it); default: log it. */
  onFatal?: (error: Error) => void;
}

export interface Dispatcher {
  /**
   * Checks replay safety, then starts the effect executor and the consumer. The inbox's old days
   * are dropped by the maintenance service (@exactly/retention), not here.
   */
  start(): Promise<void>;
  /** Stops consuming, lets provider calls in flight finish and record, and closes the providers. */
  stop(): Promise<void>;
  /** For /readyz: undefined when ready, else what it waits for. */
  readiness(): Promise<string | undefined>;
}

/** Builds the dispatcher from explicit dependencies; `main.ts` supplies them from the environment. */
export function createDispatcher(deps: DispatcherDependencies): Dispatcher {
  const { config, orm, kafka, logger, registry } = deps;
  const metrics = createDispatcherMetrics(registry);
  const providers = deps.providers ?? createProviders(config, orm);
  const admin = kafka.admin();
  const outbox = createOutboxNotifier(orm, logger, { intervalMs: 25 });
  const retry = { baseDelayMs: config.RETRY_BASE_DELAY, maxDelayMs: config.RETRY_MAX_DELAY };

  const executor = createEffectExecutor({
    orm,
    lanes: providers.lanes,
    logger,
    metrics,
    claimBatch: config.EFFECT_CLAIM_BATCH,
    leaseMs: config.EFFECT_LEASE,
    pollIntervalMs: config.EFFECT_POLL_INTERVAL,
    providerTimeoutMs: config.PROVIDER_TIMEOUT,
    maxResumes: config.EFFECT_MAX_RESUMES,
    retry,
    eventsTopic: config.MESSAGE_EVENTS_TOPIC,
    onRecorded: () => outbox.notify(),
  });

  const consumer = createCommandConsumer({
    kafka,
    orm,
    logger,
    metrics,
    groupId: config.CONSUMER_GROUP,
    topic: config.COMMANDS_TOPIC,
    eventsTopic: config.MESSAGE_EVENTS_TOPIC,
    deadLetterTopic: config.DEAD_LETTER_TOPIC,
    partitionsConcurrently: config.PARTITIONS_CONCURRENTLY,
    batchesPerTransaction: config.PARTITION_BATCHES_PER_TRANSACTION,
    maxBytesPerPartition: config.CONSUMER_MAX_BYTES_PER_PARTITION,
    sessionTimeoutMs: config.CONSUMER_SESSION_TIMEOUT,
    maxWaitMs: config.CONSUMER_MAX_WAIT,
    batchRetryMaxDelayMs: config.BATCH_RETRY_MAX_DELAY,
    maxAttempts: config.EFFECT_MAX_ATTEMPTS,
    providerFor: providers.providerFor,
    handoff: executor.handoff,
    onFatal: deps.onFatal ?? ((error) => logger.fatal({ err: error }, 'consumer stopped for good')),
    onCommitted: (result) => {
      if (result.dispatched > 0) executor.wake();
      if (result.dispatched > 0 || result.deadLetters.length > 0) outbox.notify();
    },
  });

  const webhooks = config.WEBHOOKS_ENABLED
    ? createWebhookDelivery({
        config,
        orm,
        kafka,
        logger,
        registry,
        onFatal:
          deps.onFatal ?? ((error) => logger.fatal({ err: error }, 'webhook consumer stopped for good')),
      })
    : undefined;
  const scheduler = createScheduler({
    orm,
    logger,
    commandsTopic: config.COMMANDS_TOPIC,
    eventsTopic: config.MESSAGE_EVENTS_TOPIC,
    batchSize: config.SCHEDULE_RELEASE_BATCH,
    pollIntervalMs: config.SCHEDULE_POLL_INTERVAL,
    onReleased: () => outbox.notify(),
  });

  async function checkReplaySafety(): Promise<void> {
    const deadline = Date.now() + (deps.topicWaitMs ?? 60_000);
    for (;;) {
      const topics = await admin.listTopics();
      if (topics.includes(config.COMMANDS_TOPIC)) break;
      if (Date.now() > deadline) {
        throw new ExactlyError('unavailable', `topic ${config.COMMANDS_TOPIC} does not exist`, {
          details: { topic: config.COMMANDS_TOPIC },
        });
      }
      logger.info({ topic: config.COMMANDS_TOPIC }, 'waiting for the commands topic to exist');
      await delay(1_000);
    }
    const retention = await readTopicRetention(admin, config.COMMANDS_TOPIC);
    const problem = inboxRetentionProblem(
      config.INBOX_RETENTION,
      config.RELAY_MAX_LAG,
      config.COMMANDS_TOPIC,
      retention,
    );
    if (problem !== undefined)
      throw new ExactlyError('config_invalid', problem, { details: { ...retention } });
  }

  async function stop() {
    await scheduler.stop();
    await consumer.stop();
    await webhooks?.stop();
    await executor.stop();
    await providers.close();
    await outbox.close();
    await admin.disconnect();
  }

  return {
    async start() {
      try {
        await admin.connect();
        await checkReplaySafety();
        executor.start();
        await consumer.start();
        await webhooks?.start();
        scheduler.start();
      } catch (error) {
        // Leave nothing running behind a failed start.
        await stop().catch(() => {});
        throw error;
      }
    },
    stop,
    async readiness() {
      const problem = consumer.problem();
      if (problem !== undefined) return problem;
      await runSql(orm.em.fork(), 'SELECT 1');
      return undefined;
    },
  };
}
