import type { Logger } from '@exactly/observability';
import type { Consumer, ConsumerGroupJoinEvent, EachBatchPayload, Kafka } from 'kafkajs';

export interface GroupConsumerOptions {
  kafka: Kafka;
  logger: Logger;
  groupId: string;
  topic: string;
  sessionTimeoutMs: number;
  maxWaitMs: number;
  /** The least a fetch returns before `maxWaitMs` has passed (kafkajs `minBytes`; default 1). */
  minBytes?: number;
  maxBytesPerPartition?: number;
  partitionsConcurrently?: number;
  /** The member joined the group (again): partitions may have moved, or come from another log. */
  onJoin: (payload: ConsumerGroupJoinEvent['payload']) => void;
  /** The consumer crashed and kafkajs will not restart it: the process should exit. */
  onFatal: (error: Error) => void;
  /** One partition's batch; resolves its offsets itself, only after its work committed. */
  eachBatch: (payload: EachBatchPayload) => Promise<void>;
}

export interface GroupConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Undefined when the consumer has joined its group and runs; else what it is waiting for. */
  problem(): string | undefined;
  /** Aborted when `stop` is called: batch retries stop waiting. */
  readonly stopping: AbortSignal;
}

/**
 * A kafkajs consumer group member as the dispatcher's consumers run one: from the beginning of the
 * topic for a new group (nothing is skipped because the group is new), batches resolved by hand,
 * and a crash kafkajs will not restart reported as fatal.
 */
export function createGroupConsumer(options: GroupConsumerOptions): GroupConsumer {
  const { logger } = options;
  let consumer: Consumer | undefined;
  let problem: string | undefined = 'not started';
  const stopping = new AbortController();
  return {
    async start() {
      consumer = options.kafka.consumer({
        groupId: options.groupId,
        sessionTimeout: options.sessionTimeoutMs,
        heartbeatInterval: Math.max(1_000, Math.floor(options.sessionTimeoutMs / 10)),
        ...(options.maxBytesPerPartition === undefined
          ? {}
          : { maxBytesPerPartition: options.maxBytesPerPartition }),
        maxWaitTimeInMs: options.maxWaitMs,
        ...(options.minBytes === undefined ? {} : { minBytes: options.minBytes }),
        allowAutoTopicCreation: false,
      });
      const { GROUP_JOIN, CRASH } = consumer.events;
      consumer.on(GROUP_JOIN, ({ payload }) => {
        problem = undefined;
        options.onJoin(payload);
      });
      consumer.on(CRASH, ({ payload }) => {
        problem = `consumer crashed: ${payload.error.message}`;
        logger.error(
          { err: payload.error, restart: payload.restart, groupId: options.groupId },
          'consumer crashed',
        );
        if (!payload.restart) options.onFatal(payload.error);
      });
      await consumer.connect();
      await consumer.subscribe({ topic: options.topic, fromBeginning: true });
      problem = 'joining the consumer group';
      await consumer.run({
        ...(options.partitionsConcurrently === undefined
          ? {}
          : { partitionsConsumedConcurrently: options.partitionsConcurrently }),
        eachBatchAutoResolve: false,
        autoCommit: true,
        eachBatch: options.eachBatch,
      });
    },
    async stop() {
      stopping.abort();
      problem = 'stopping';
      await consumer?.disconnect();
    },
    problem: () => problem,
    stopping: stopping.signal,
  };
}
