import { duration, kafkaBrokers, postgresUrl, readConfig } from '@exactly/config';
import { defaultTopics } from '@exactly/contracts';
import { z } from 'zod';

/** A duration, or `forever`. */
const retention = z.union([z.literal('forever').transform(() => Number.POSITIVE_INFINITY), duration]);

/**
 * The command line's environment, with the local defaults of `npm start`: the same variables the
 * services read, so one shell configures both.
 */
export const CliConfig = z.object({
  DATABASE_URL: postgresUrl.default('postgres://postgres:exactly@127.0.0.1:54320/exactly'),
  KAFKA_BROKERS: kafkaBrokers.default(['127.0.0.1:19092']),
  /** The ingest API, for `send` and `status`. */
  EXACTLY_API_URL: z.url().default('http://127.0.0.1:3000'),
  /** An API key of the account to send as (or `--api-key`). */
  EXACTLY_API_KEY: z.string().optional(),
  COMMANDS_TOPIC: z.string().default(defaultTopics.commands),
  MESSAGE_EVENTS_TOPIC: z.string().default(defaultTopics.messageEvents),
  DEAD_LETTER_TOPIC: z.string().default(defaultTopics.deadLetters),
  /** The dispatcher's consumer group. */
  CONSUMER_GROUP: z.string().default('exactly-dispatcher'),
  /** As the dispatcher is configured: how long its inbox remembers a command (the replay horizon). */
  INBOX_RETENTION: retention.default(30 * 86_400_000),
  RELAY_MAX_LAG: duration.default(86_400_000),
  /**
   * The oldest record `exactly replay` may start from; unset, the inbox horizon (INBOX_RETENTION −
   * RELAY_MAX_LAG). The maintenance service refuses to start unless INBOX_RETENTION ≥ it + RELAY_MAX_LAG.
   */
  REPLAY_MAX_AGE: duration.optional(),
});
export type CliConfig = z.infer<typeof CliConfig>;

export function readCliConfig(env: Record<string, string | undefined> = process.env): CliConfig {
  return readConfig(CliConfig, env);
}
