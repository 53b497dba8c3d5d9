import {
  duration,
  flag,
  kafkaBrokers,
  otelSettings,
  port,
  positiveInt,
  postgresUrl,
  preparedStatements,
  readConfig,
} from '@exactly/config';
import { defaultTopics } from '@exactly/contracts';
import { z } from 'zod';

const providerName = z.enum(['log', 'http', 'smtp']);
export type ProviderName = z.infer<typeof providerName>;

const nonNegativeInt = z.coerce.number().int().nonnegative();
/** What follows an attempt whose outcome is unknown: call again with the same key, or hold. */
const onAmbiguous = z.enum(['retry', 'hold']);
export type OnAmbiguous = z.infer<typeof onAmbiguous>;
/** A duration, or `forever` (no clean-up). */
const retention = z.union([z.literal('forever').transform(() => Number.POSITIVE_INFINITY), duration]);

export const DispatcherConfig = z
  .object({
    DATABASE_URL: postgresUrl,
    /** Connections; more than PARTITIONS_CONCURRENTLY (each partition batch holds one for its transaction). */
    DATABASE_POOL_SIZE: positiveInt.default(16),
    DATABASE_PREPARED_STATEMENTS: preparedStatements.default(256),
    KAFKA_BROKERS: kafkaBrokers,
    KAFKA_CLIENT_ID: z.string().default('exactly-dispatcher'),
    KAFKA_LOG_LEVEL: z.enum(['nothing', 'error', 'warn', 'info', 'debug']).default('error'),
    HOST: z.string().default('127.0.0.1'),
    PORT: port.default(3002),

    COMMANDS_TOPIC: z.string().default(defaultTopics.commands),
    MESSAGE_EVENTS_TOPIC: z.string().default(defaultTopics.messageEvents),
    DEAD_LETTER_TOPIC: z.string().default(defaultTopics.deadLetters),
    CONSUMER_GROUP: z.string().default('exactly-dispatcher'),
    /**
     * Partitions whose batches this process works on at the same time. The default takes every
     * partition of a default topic at once: kafkajs fetches again only when the batches of the last
     * fetch are done, so fewer slots than partitions with records make a record wait for waves of
     * other partitions' transactions.
     */
    PARTITIONS_CONCURRENTLY: positiveInt.default(12),
    /**
     * Partition batches handed over together (one fetch) processed in one transaction, at most;
     * 1 processes each alone. A transaction costs PostgreSQL about as much for a few records as
     * for many, and at a modest rate each partition's batch holds a few.
     */
    PARTITION_BATCHES_PER_TRANSACTION: positiveInt.default(12),
    CONSUMER_MAX_BYTES_PER_PARTITION: positiveInt.default(1_048_576),
    CONSUMER_SESSION_TIMEOUT: duration.default(30_000),
    /** How long a fetch waits for records on an idle partition (also bounds how long stopping waits). */
    CONSUMER_MAX_WAIT: duration.default(1_000),
    /** Longest wait between tries of a batch that failed on a transient error. */
    BATCH_RETRY_MAX_DELAY: duration.default(10_000),

    INBOX_RETENTION: retention.default(30 * 86_400_000),
    /** The longest a command can wait in the outbox before the relay publishes it (again). */
    RELAY_MAX_LAG: duration.default(86_400_000),

    /** Effects claimed per statement at most. */
    EFFECT_CLAIM_BATCH: positiveInt.default(500),
    /** How long a claimed attempt may run before recovery resumes it (longer than PROVIDER_TIMEOUT). */
    EFFECT_LEASE: duration.default(60_000),
    EFFECT_POLL_INTERVAL: duration.default(1_000),
    EFFECT_MAX_ATTEMPTS: positiveInt.default(5),
    RETRY_BASE_DELAY: duration.default(1_000),
    RETRY_MAX_DELAY: duration.default(300_000),
    PROVIDER_TIMEOUT: duration.default(10_000),
    /**
     * Times an attempt whose call was under way when its process died is called again (under the
     * retry policy); past it the message fails. A call that crashes the process every time stops.
     */
    EFFECT_MAX_RESUMES: nonNegativeInt.default(3),

    /** How often the scheduler looks for scheduled sends that fell due (a send goes out up to this late). */
    SCHEDULE_POLL_INTERVAL: duration.default(1_000),
    /** Scheduled sends released per transaction at most. */
    SCHEDULE_RELEASE_BATCH: positiveInt.default(500),

    PROVIDER_EMAIL: providerName.default('log'),
    PROVIDER_SMS: providerName.default('log'),
    PROVIDER_VOICE: providerName.default('log'),
    LOG_PROVIDER_FILE: z.string().default('.exactly/dispatcher/sends.log'),
    LOG_PROVIDER_RATE_LIMIT: nonNegativeInt.default(0),
    LOG_PROVIDER_CONCURRENCY: positiveInt.default(1_000),
    HTTP_PROVIDER_URL: z.url().optional(),
    HTTP_PROVIDER_KEY_HEADER: z.string().default('Idempotency-Key'),
    HTTP_PROVIDER_RATE_LIMIT: nonNegativeInt.default(0),
    HTTP_PROVIDER_CONCURRENCY: positiveInt.default(64),
    /** Whether the HTTP provider drops a repeated provider key (then an ambiguous attempt is retried). */
    HTTP_PROVIDER_HONOURS_KEY: flag.default(false),
    /** Overrides of the policy after an ambiguous attempt (default: retry if the provider honours keys, else hold). */
    LOG_ON_AMBIGUOUS: onAmbiguous.optional(),
    HTTP_ON_AMBIGUOUS: onAmbiguous.optional(),
    SMTP_ON_AMBIGUOUS: onAmbiguous.optional(),
    SMTP_HOST: z.string().default('127.0.0.1'),
    SMTP_PORT: port.default(25),
    SMTP_SECURE: flag.default(false),
    SMTP_USER: z.string().optional(),
    SMTP_PASSWORD: z.string().optional(),
    /** The domain part of the Message-ID derived from the message id. */
    SMTP_MESSAGE_ID_DOMAIN: z.string().default('exactly.local'),
    SMTP_RATE_LIMIT: nonNegativeInt.default(0),
    SMTP_CONCURRENCY: positiveInt.default(5),
    ...otelSettings,

    /** Whether this process also delivers webhooks (its own consumer group on MESSAGE_EVENTS_TOPIC). */
    WEBHOOKS_ENABLED: flag.default(true),
    WEBHOOKS_CONSUMER_GROUP: z.string().default('exactly-webhooks'),
    /**
     * How long the webhook consumer's fetch waits for events to gather (up to 1 MiB) before it takes
     * what there is: fewer, larger batches, for at most that much more delay before a delivery is queued.
     * 0: none (a fetch returns as soon as there are events).
     */
    WEBHOOKS_CONSUMER_LINGER: duration.default(250),
    /** Lets endpoints on private, loopback and link-local addresses be called (tests, closed networks). */
    WEBHOOKS_ALLOW_PRIVATE_URLS: flag.default(false),
    WEBHOOK_TIMEOUT: duration.default(10_000),
    /** How long a delivery is retried (from its first attempt or its replay) before the endpoint is disabled. */
    WEBHOOK_RETRY_PERIOD: duration.default(86_400_000),
    WEBHOOK_RETRY_BASE_DELAY: duration.default(5_000),
    WEBHOOK_RETRY_MAX_DELAY: duration.default(3_600_000),
    /** How long a claimed attempt may run before another claim sends it again (longer than WEBHOOK_TIMEOUT). */
    WEBHOOK_LEASE: duration.default(60_000),
    WEBHOOK_POLL_INTERVAL: duration.default(1_000),
    WEBHOOK_CLAIM_BATCH: positiveInt.default(50),
  })
  .superRefine((config, context) => {
    for (const channel of ['SMS', 'VOICE'] as const) {
      if (config[`PROVIDER_${channel}`] === 'smtp') {
        context.addIssue({
          code: 'custom',
          path: [`PROVIDER_${channel}`],
          message: 'smtp sends email only; use log or http',
        });
      }
    }
    const usesHttp = [config.PROVIDER_EMAIL, config.PROVIDER_SMS, config.PROVIDER_VOICE].includes('http');
    if (usesHttp && config.HTTP_PROVIDER_URL === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['HTTP_PROVIDER_URL'],
        message: 'required when a channel uses the http provider',
      });
    }
    if (config.DATABASE_POOL_SIZE <= config.PARTITIONS_CONCURRENTLY) {
      context.addIssue({
        code: 'custom',
        path: ['DATABASE_POOL_SIZE'],
        message: `must be more than PARTITIONS_CONCURRENTLY (${config.PARTITIONS_CONCURRENTLY}): each partition batch holds a connection for its transaction, and the effect executor needs its own`,
      });
    }
    for (const wait of ['CONSUMER_MAX_WAIT', 'WEBHOOKS_CONSUMER_LINGER'] as const) {
      if (config[wait] * 2 > config.CONSUMER_SESSION_TIMEOUT) {
        context.addIssue({
          code: 'custom',
          path: [wait],
          message: `must be at most half of CONSUMER_SESSION_TIMEOUT (${config.CONSUMER_SESSION_TIMEOUT} ms): a consumer sends no heartbeat while its fetch waits, and the group would evict it`,
        });
      }
    }
    if (config.WEBHOOK_LEASE <= config.WEBHOOK_TIMEOUT) {
      context.addIssue({
        code: 'custom',
        path: ['WEBHOOK_LEASE'],
        message: `must be longer than WEBHOOK_TIMEOUT (${config.WEBHOOK_TIMEOUT} ms), or a slow attempt is sent again while it runs`,
      });
    }
    if (config.EFFECT_LEASE <= config.PROVIDER_TIMEOUT) {
      context.addIssue({
        code: 'custom',
        path: ['EFFECT_LEASE'],
        message: `must be longer than PROVIDER_TIMEOUT (${config.PROVIDER_TIMEOUT} ms), or a slow call is resumed while it still runs`,
      });
    }
  });
export type DispatcherConfig = z.infer<typeof DispatcherConfig>;

/** Reads and validates the dispatcher's environment once; a bad value names the variable. */
export function readDispatcherConfig(
  env: Record<string, string | undefined> = process.env,
): DispatcherConfig {
  return readConfig(DispatcherConfig, env);
}
