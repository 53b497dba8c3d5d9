import { duration, kafkaBrokers } from '@exactly/config';
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

/** The dashboard's variables, part of the ingest API's configuration (see the README's Dashboard section). */
export const DashboardConfig = z.object({
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
export type DashboardConfig = z.infer<typeof DashboardConfig>;
