import { duration, kafkaBrokers, port, positiveInt, postgresUrl, readConfig } from '@exactly/config';
import { defaultTopics } from '@exactly/contracts';
import { apiKeyPrefix } from '@exactly/persistence';
import { z } from 'zod';

const metricsUrls = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((url) => url.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.url({ protocol: /^https?$/ })));

/** The console's environment; every variable and its default is listed in the README. */
export const ConsoleConfig = z.object({
  DATABASE_URL: postgresUrl,
  DATABASE_POOL_SIZE: positiveInt.default(4),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(3003),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Fastify's trustProxy: the proxies whose X-Forwarded-For / -Proto are believed (a comma list of
   * addresses or CIDRs, or `true` for any). Behind a TLS-terminating proxy this makes the session
   * cookie `Secure` and the sign-in throttle see the client's address.
   */
  TRUST_PROXY: z
    .string()
    .min(1)
    .transform((value): boolean | string[] =>
      value === 'true' ? true : value.split(',').map((part) => part.trim()),
    )
    .optional(),
  SHUTDOWN_TIMEOUT: duration.default(10_000),
  /** The topic whose consumer lag the dashboard shows. */
  COMMANDS_TOPIC: z.string().min(1).default(defaultTopics.commands),
  OPERATOR_TOKEN: z
    .string()
    .min(16, 'the operator token must be at least 16 characters')
    .max(256)
    .regex(/^[\x21-\x7e]+$/, 'the operator token must be printable ASCII without spaces')
    .refine((token) => !token.startsWith(apiKeyPrefix), 'the operator token must not be an API key')
    .optional(),
  KAFKA_BROKERS: kafkaBrokers.optional(),
  CONSUMER_GROUP: z.string().min(1).default('exactly-dispatcher'),
  DASHBOARD_METRICS_URLS: metricsUrls.default([]),
  DASHBOARD_WINDOW: duration
    .pipe(
      z
        .number()
        .min(60_000)
        .max(6 * 3_600_000),
    )
    .default(15 * 60_000),
  DASHBOARD_BUCKET: duration.pipe(z.number().min(1_000).max(300_000)).default(5_000),
  DASHBOARD_SAMPLE_INTERVAL: duration.pipe(z.number().min(250).max(60_000)).default(2_000),
  DASHBOARD_SESSION_TTL: duration.pipe(z.number().min(60_000)).default(12 * 3_600_000),
  /** Failed sign-ins per client address in DASHBOARD_SIGN_IN_WINDOW; past it, 429 until the window ends. */
  DASHBOARD_SIGN_IN_ATTEMPTS: z.coerce.number().int().positive().default(5),
  DASHBOARD_SIGN_IN_WINDOW: duration.pipe(z.number().min(1_000)).default(60_000),
  DASHBOARD_SETTLE: duration.pipe(z.number().min(0)).default(30_000),
  DASHBOARD_QUERY_TIMEOUT: duration.pipe(z.number().min(100)).default(5_000),
});
export type ConsoleConfig = z.infer<typeof ConsoleConfig>;

/** Reads the configuration once; a bad value throws `config_invalid` naming the variable. */
export function readConsoleConfig(env: Record<string, string | undefined> = process.env): ConsoleConfig {
  return readConfig(ConsoleConfig, env);
}
