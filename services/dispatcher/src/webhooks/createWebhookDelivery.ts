import type { Logger } from '@exactly/observability';
import type { Orm } from '@exactly/persistence';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { DispatcherConfig } from '../config.js';
import { delay } from '../delay.js';
import { createWebhookConsumer } from './createWebhookConsumer.js';
import { createWebhookMetrics } from './createWebhookMetrics.js';
import { createWebhookSender } from './createWebhookSender.js';

export interface WebhookDelivery {
  start(): Promise<void>;
  stop(): Promise<void>;
  problem(): string | undefined;
}

/**
 * The webhook consumer and its sender, started with the dispatcher unless WEBHOOKS_ENABLED is off.
 * Not part of the dispatcher's readiness: webhooks never hold up sends.
 */
export function createWebhookDelivery(deps: {
  config: DispatcherConfig;
  orm: Orm;
  kafka: Kafka;
  logger: Logger;
  registry: Registry;
  onFatal: (error: Error) => void;
}): WebhookDelivery {
  const { config, orm, logger } = deps;
  const sender = createWebhookSender({
    orm,
    logger,
    claimBatch: config.WEBHOOK_CLAIM_BATCH,
    leaseMs: config.WEBHOOK_LEASE,
    pollIntervalMs: config.WEBHOOK_POLL_INTERVAL,
    timeoutMs: config.WEBHOOK_TIMEOUT,
    retryBaseDelayMs: config.WEBHOOK_RETRY_BASE_DELAY,
    retryMaxDelayMs: config.WEBHOOK_RETRY_MAX_DELAY,
    retryPeriodMs: config.WEBHOOK_RETRY_PERIOD,
    allowPrivateAddresses: config.WEBHOOKS_ALLOW_PRIVATE_URLS,
    metrics: createWebhookMetrics(deps.registry, { orm, logger }),
  });
  const consumer = createWebhookConsumer({
    kafka: deps.kafka,
    orm,
    logger,
    groupId: config.WEBHOOKS_CONSUMER_GROUP,
    topic: config.MESSAGE_EVENTS_TOPIC,
    sessionTimeoutMs: config.CONSUMER_SESSION_TIMEOUT,
    lingerMs: config.WEBHOOKS_CONSUMER_LINGER,
    maxWaitMs: config.CONSUMER_MAX_WAIT,
    batchRetryMaxDelayMs: config.BATCH_RETRY_MAX_DELAY,
    onQueued: () => sender.wake(),
    onFatal: deps.onFatal,
  });
  const stopping = new AbortController();
  let starting: Promise<void> | undefined;

  /** The events topic is made by the relay: wait for it without holding up the command consumer. */
  async function startWhenTopicExists(): Promise<void> {
    const admin = deps.kafka.admin();
    try {
      await admin.connect();
      while (!stopping.signal.aborted) {
        const topics = await admin.listTopics().catch(() => [] as string[]);
        if (topics.includes(config.MESSAGE_EVENTS_TOPIC)) break;
        await delay(1_000, stopping.signal);
      }
    } finally {
      await admin.disconnect().catch(() => {});
    }
    if (!stopping.signal.aborted) await consumer.start();
  }

  return {
    async start() {
      sender.start();
      starting = startWhenTopicExists().catch((error: unknown) => {
        logger.error({ err: error }, 'the webhook consumer did not start');
        deps.onFatal(error instanceof Error ? error : new Error(String(error)));
      });
    },
    async stop() {
      stopping.abort();
      await starting;
      await consumer.stop();
      await sender.stop();
    },
    problem: consumer.problem,
  };
}
