import type { Channel } from '@exactly/contracts';
import { backoffDelay, isDeterministicFailure } from '@exactly/errors';
import type { Logger } from '@exactly/observability';
import type { Orm } from '@exactly/persistence';
import type { Batch, Kafka } from 'kafkajs';
import { delay } from '../delay.js';
import type { DispatcherMetrics } from '../dispatcherMetrics.js';
import type { EffectHandoff } from '../effects/effectHandoff.js';
import { createGroupConsumer } from './createGroupConsumer.js';
import { type DecodedRecord, decodeRecord, headersToStrings } from './decodeRecord.js';
import { groupPartitionBatches } from './groupPartitionBatches.js';
import {
  type PartitionBatchContext,
  type PartitionBatchResult,
  processPartitionBatch,
  processPartitionBatches,
} from './processPartitionBatch.js';
import { createTopicIdentity } from './topicIdentity.js';

/**
 * A group's transaction holds at most this many records (a larger partition batch goes alone): in
 * a burst each batch is large, and grouping those cost the consumer stage a fifth of its rate.
 */
const maxRecordsPerTransaction = 1_000;

export interface CommandConsumerOptions {
  kafka: Kafka;
  orm: Orm;
  logger: Logger;
  metrics: DispatcherMetrics;
  groupId: string;
  topic: string;
  eventsTopic: string;
  deadLetterTopic: string;
  partitionsConcurrently: number;
  /** Partition batches handed over together processed in one transaction, at most. */
  batchesPerTransaction: number;
  maxBytesPerPartition: number;
  sessionTimeoutMs: number;
  maxWaitMs: number;
  batchRetryMaxDelayMs: number;
  maxAttempts: number;
  providerFor: (channel: Channel) => string;
  /** This process's executor, which takes new effects claimed at creation (see `EffectHandoff`). */
  handoff?: EffectHandoff;
  /** Called after a batch that queued effects or outbox rows committed. */
  onCommitted: (result: PartitionBatchResult) => void;
  /** The consumer crashed and kafkajs will not restart it: the process should exit. */
  onFatal: (error: Error) => void;
}

export interface CommandConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Undefined when the consumer has joined its group and runs; else what it is waiting for. */
  problem(): string | undefined;
}

/**
 * The kafkajs consumer of the commands topic. The partition batches of one fetch are processed
 * together in one PostgreSQL transaction (`processPartitionBatches`, up to `batchesPerTransaction`);
 * a batch's offset is resolved (and committed to Kafka, for tooling and lag) only after that
 * transaction committed. When a group's transaction fails, each of its batches is tried again
 * alone (`processPartitionBatch`): a transient failure retries the batch with backoff and skips
 * nothing; a record that fails the same way every time is isolated and dead-lettered.
 */
export function createCommandConsumer(options: CommandConsumerOptions): CommandConsumer {
  const { logger, metrics } = options;
  const topicId = createTopicIdentity(options.kafka, options.topic);
  /** Per partition, the next offset this process stored: a batch below it means the log changed. */
  const storedHere = new Map<number, bigint>();
  const groups = groupPartitionBatches((batches) => processPartitionBatches(options.orm, batches), {
    maxBatches: options.batchesPerTransaction,
    maxRecords: maxRecordsPerTransaction,
  });

  const contextFor = (batch: Batch): Omit<PartitionBatchContext, 'topicId'> => ({
    groupId: options.groupId,
    topic: batch.topic,
    partition: batch.partition,
    eventsTopic: options.eventsTopic,
    deadLetterTopic: options.deadLetterTopic,
    providerFor: options.providerFor,
    maxAttempts: options.maxAttempts,
    transactionIdleTimeoutMs: options.sessionTimeoutMs,
    handoff: options.handoff,
  });

  /**
   * Tries a batch until it commits, first grouped with the batches handed over with it (when
   * `grouped`), then alone; undefined when the consumer stops or loses the partition first.
   */
  async function processWithRetries(
    context: Omit<PartitionBatchContext, 'topicId'>,
    records: readonly DecodedRecord[],
    control: { heartbeat: () => Promise<void>; isRunning: () => boolean; isStale: () => boolean },
    grouped = false,
  ): Promise<PartitionBatchResult | undefined> {
    for (let attempt = 1; ; attempt += 1) {
      if (!control.isRunning() || control.isStale() || group.stopping.aborted) return undefined;
      const together = grouped && attempt === 1;
      try {
        const batch = { context: { ...context, topicId: await topicId.get() }, records };
        const timer = metrics.batchSeconds.startTimer();
        const result = together
          ? await groups.process(batch)
          : await processPartitionBatch(options.orm, batch.context, records);
        timer();
        return result;
      } catch (error) {
        if (together) {
          // Whichever batch of the group failed it, each is tried again alone, at once.
          metrics.batchRetries.inc();
          logger.warn(
            { err: error, topic: context.topic, partition: context.partition, attempt },
            'batch failed; trying it again',
          );
          continue;
        }
        if (isDeterministicFailure(error)) {
          if (records.length > 1) return isolate(context, records, control);
          const [only] = records;
          if (only !== undefined && only.kind === 'command') {
            logger.error(
              { err: error, topic: context.topic, partition: context.partition, offset: only.record.offset },
              'a record fails the same way on every try; dead-lettering it',
            );
            return processWithRetries(
              context,
              [{ kind: 'invalid', record: only.record, code: 'processing_failed', reason: String(error) }],
              control,
            );
          }
        }
        metrics.batchRetries.inc();
        const wait = backoffDelay(attempt, {
          initialDelayMs: 100,
          maxDelayMs: options.batchRetryMaxDelayMs,
          jitter: 'equal',
        });
        logger.warn(
          { err: error, topic: context.topic, partition: context.partition, attempt, retryInMs: wait },
          'batch failed; trying it again',
        );
        await delay(wait, group.stopping);
        await control.heartbeat();
      }
    }
  }

  /** Record by record, each in its own transaction, so the one that fails is found and set aside. */
  async function isolate(
    context: Omit<PartitionBatchContext, 'topicId'>,
    records: readonly DecodedRecord[],
    control: { heartbeat: () => Promise<void>; isRunning: () => boolean; isStale: () => boolean },
  ): Promise<PartitionBatchResult | undefined> {
    let merged: PartitionBatchResult | undefined;
    for (const record of records) {
      const result = await processWithRetries(context, [record], control);
      if (result === undefined) return undefined;
      merged = merged === undefined ? result : mergeResults(merged, result);
    }
    return merged;
  }

  const group = createGroupConsumer({
    kafka: options.kafka,
    logger,
    groupId: options.groupId,
    topic: options.topic,
    sessionTimeoutMs: options.sessionTimeoutMs,
    maxWaitMs: options.maxWaitMs,
    maxBytesPerPartition: options.maxBytesPerPartition,
    partitionsConcurrently: options.partitionsConcurrently,
    onFatal: options.onFatal,
    onJoin: (payload) => {
      // Partitions may come from another log than before (a topic created again): ask again.
      topicId.refresh();
      storedHere.clear();
      const assigned = payload.memberAssignment[options.topic] ?? [];
      metrics.consumerLag.reset();
      logger.info(
        { groupId: options.groupId, topic: options.topic, partitions: assigned },
        'dispatcher consuming',
      );
    },
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      if (batch.messages.length === 0) return;
      const records = batch.messages.map((message) =>
        decodeRecord({
          offset: message.offset,
          key: message.key ?? null,
          value: message.value ?? null,
          headers: headersToStrings(message.headers),
        }),
      );
      metrics.batchRecords.observe(records.length);
      // Kafka handed out records below what this process stored: the topic may be a new one.
      const before = storedHere.get(batch.partition);
      if (before !== undefined && BigInt(batch.firstOffset() ?? before) < before) topicId.refresh();
      const context = contextFor(batch);
      const result = await processWithRetries(context, records, { heartbeat, isRunning, isStale }, true);
      if (result === undefined) return;
      // Only now, with the transaction committed: Kafka's offset follows PostgreSQL's.
      resolveOffset((result.nextOffset - 1n).toString());
      storedHere.set(batch.partition, result.nextOffset);
      metrics.commandsProcessed.inc(result.dispatched);
      if (result.duplicates.batch > 0)
        metrics.duplicatesDropped.inc({ where: 'batch' }, result.duplicates.batch);
      if (result.duplicates.inbox > 0)
        metrics.duplicatesDropped.inc({ where: 'inbox' }, result.duplicates.inbox);
      if (result.skipped > 0) metrics.recordsSkipped.inc(result.skipped);
      for (const letter of result.deadLetters) metrics.deadLettered.inc({ code: letter.code });
      const lag = BigInt(batch.highWatermark) - result.nextOffset;
      metrics.consumerLag.set(
        { topic: batch.topic, partition: String(batch.partition) },
        Number(lag > 0n ? lag : 0n),
      );
      options.onCommitted(result);
      await heartbeat();
    },
  });
  return { start: group.start, stop: group.stop, problem: group.problem };
}

/** `b` came from the records after `a`'s, so its next offset is the one to keep. */
function mergeResults(a: PartitionBatchResult, b: PartitionBatchResult): PartitionBatchResult {
  return {
    nextOffset: b.nextOffset,
    dispatched: a.dispatched + b.dispatched,
    duplicates: {
      batch: a.duplicates.batch + b.duplicates.batch,
      inbox: a.duplicates.inbox + b.duplicates.inbox,
    },
    skipped: a.skipped + b.skipped,
    deadLetters: [...a.deadLetters, ...b.deadLetters],
  };
}
