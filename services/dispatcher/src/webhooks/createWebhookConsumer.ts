import { recordHeaders } from '@exactly/contracts';
import { backoffDelay } from '@exactly/errors';
import type { Logger } from '@exactly/observability';
import type { Orm } from '@exactly/persistence';
import type { Kafka } from 'kafkajs';
import { delay } from '../delay.js';
import { createGroupConsumer } from '../inbox/createGroupConsumer.js';
import { createTopicIdentity } from '../inbox/topicIdentity.js';
import { type EventBatchResult, queueEventBatch } from './queueEventBatch.js';

export interface WebhookConsumerOptions {
  kafka: Kafka;
  orm: Orm;
  logger: Logger;
  groupId: string;
  /** The message-events topic. */
  topic: string;
  sessionTimeoutMs: number;
  /** How long a fetch waits for events to gather before it returns what there is; 0: it does not. */
  lingerMs: number;
  /** How long an empty fetch waits for the first event, without a linger. */
  maxWaitMs: number;
  batchRetryMaxDelayMs: number;
  /** Called after a batch that queued deliveries committed. */
  onQueued: () => void;
  onFatal: (error: Error) => void;
}

/** What a fetch gathers before it returns early: far more than a linger's events at a modest rate. */
const lingerBytes = 1024 * 1024;

/** The fetch's wait and least size: with a linger, wait that long unless 1 MiB gathers first. */
export function webhookFetchOptions(options: { lingerMs: number; maxWaitMs: number }): {
  maxWaitMs: number;
  minBytes?: number;
} {
  return options.lingerMs > 0
    ? { maxWaitMs: options.lingerMs, minBytes: lingerBytes }
    : { maxWaitMs: options.maxWaitMs };
}

export interface WebhookConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  problem(): string | undefined;
}

/**
 * The webhook consumer group on the message-events topic. Like the command consumer, each
 * partition batch is written to PostgreSQL at once (`queueEventBatch`: one transaction, or one
 * statement when no account of the batch has an endpoint), its offset is resolved in Kafka only
 * after that committed, and a failed batch is tried again, skipping nothing.
 */
export function createWebhookConsumer(options: WebhookConsumerOptions): WebhookConsumer {
  const { logger } = options;
  const topicId = createTopicIdentity(options.kafka, options.topic);
  const group = createGroupConsumer({
    kafka: options.kafka,
    logger,
    groupId: options.groupId,
    topic: options.topic,
    sessionTimeoutMs: options.sessionTimeoutMs,
    ...webhookFetchOptions(options),
    onFatal: options.onFatal,
    onJoin: () => topicId.refresh(),
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      if (batch.messages.length === 0) return;
      const records = batch.messages.map((message) => ({
        offset: message.offset,
        value: message.value,
        traceparent: message.headers?.[recordHeaders.traceparent]?.toString(),
      }));
      let result: EventBatchResult | undefined;
      for (let attempt = 1; result === undefined; attempt += 1) {
        if (!isRunning() || isStale() || group.stopping.aborted) return;
        try {
          const context = {
            groupId: options.groupId,
            topic: batch.topic,
            partition: batch.partition,
            topicId: await topicId.get(),
            transactionIdleTimeoutMs: options.sessionTimeoutMs,
          };
          result = await queueEventBatch(options.orm, context, records);
        } catch (error) {
          const wait = backoffDelay(attempt, {
            initialDelayMs: 100,
            maxDelayMs: options.batchRetryMaxDelayMs,
            jitter: 'equal',
          });
          logger.warn(
            { err: error, partition: batch.partition, attempt },
            'webhook batch failed; trying again',
          );
          await delay(wait, group.stopping);
          await heartbeat();
        }
      }
      resolveOffset((result.nextOffset - 1n).toString());
      if (result.unreadable > 0) {
        logger.warn(
          { partition: batch.partition, count: result.unreadable },
          'records that are not message events passed over',
        );
      }
      if (result.queued > 0) options.onQueued();
      await heartbeat();
    },
  });
  return { start: group.start, stop: group.stop, problem: group.problem };
}
