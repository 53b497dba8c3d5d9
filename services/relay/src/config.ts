import {
  duration,
  kafkaBrokers,
  otelSettings,
  port,
  positiveInt,
  postgresUrl,
  preparedStatements,
  readConfig,
} from '@exactly/config';
import { defaultMaxMessageBytes, defaultTopics } from '@exactly/contracts';
import { z } from 'zod';

/** Every variable the relay reads, with its default (see README.md). */
export const RelayConfig = z.object({
  DATABASE_URL: postgresUrl,
  KAFKA_BROKERS: kafkaBrokers,
  HOST: z.string().default('127.0.0.1'),
  PORT: port.default(3001),
  /** Names this relay in leases and logs; unique per process (the default adds the pid and a random part). */
  RELAY_ID: z.string().min(1).max(200).optional(),
  COMMANDS_TOPIC: z.string().default(defaultTopics.commands),
  MESSAGE_EVENTS_TOPIC: z.string().default(defaultTopics.messageEvents),
  DEAD_LETTER_TOPIC: z.string().default(defaultTopics.deadLetters),
  RELAY_TOPIC_PARTITIONS: positiveInt.default(12),
  /** Unset: the cluster's default.replication.factor (and no comparison with existing topics). */
  RELAY_TOPIC_REPLICATION_FACTOR: positiveInt.optional(),
  RELAY_TOPIC_RETENTION: duration.default(604_800_000),
  RELAY_TOPIC_MAX_MESSAGE_BYTES: positiveInt.default(defaultMaxMessageBytes),
  /** Unset: the cluster's min.insync.replicas (and no comparison). */
  RELAY_TOPIC_MIN_INSYNC_REPLICAS: positiveInt.optional(),
  RELAY_BATCH_SIZE: positiveInt.max(10_000).default(500),
  /** Idempotent producers, each publishing a fixed set of shards (kafkajs sends one request at a time per producer and broker). */
  RELAY_PRODUCERS: positiveInt.max(8).default(1),
  RELAY_LEASE_TTL: duration.pipe(z.number().min(500)).default(10_000),
  RELAY_POLL_MIN: duration.default(10),
  RELAY_POLL_MAX: duration.default(1_000),
  RELAY_RETRY_MIN: duration.default(100),
  RELAY_RETRY_MAX: duration.default(10_000),
  RELAY_PUBLISHED_RETENTION: duration.default(0),
  RELAY_CLEANUP_INTERVAL: duration.default(60_000),
  RELAY_CLEANUP_BATCH_SIZE: positiveInt.default(5_000),
  DATABASE_POOL_SIZE: positiveInt.default(5),
  DATABASE_PREPARED_STATEMENTS: preparedStatements.default(256),
  ...otelSettings,
});
export type RelayConfig = z.infer<typeof RelayConfig>;

export function readRelayConfig(env: Record<string, string | undefined> = process.env): RelayConfig {
  return readConfig(RelayConfig, env);
}
