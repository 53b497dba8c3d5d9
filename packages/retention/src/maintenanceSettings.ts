import { duration, flag, positiveInt } from '@exactly/config';
import { idempotencyProfileNames, resolveProfile } from '@exactly/idempotency';
import { z } from 'zod';
import type { RetentionWindows } from './retentionWindows.js';

const retention = z.union([z.literal('forever').transform(() => Number.POSITIVE_INFINITY), duration]);
const day = 86_400_000;

/**
 * The maintenance job's environment, to spread into the zod schema of the service that runs it.
 * INBOX_RETENTION (the inbox's days are dropped here), RELAY_MAX_LAG, RELAY_TOPIC_RETENTION,
 * REPLAY_MAX_AGE, IDEMPOTENCY_PROFILE and IDEMPOTENCY_RETENTION are the other services' own
 * variables (same names and defaults).
 */
export const maintenanceSettings = {
  MAINTENANCE: flag.default(true),
  MAINTENANCE_INTERVAL: duration.pipe(z.number().min(1_000)).default(60_000),
  MESSAGE_RETENTION: retention.default(30 * day),
  DEAD_LETTER_RETENTION: retention.default(14 * day),
  SET_ASIDE_RETENTION: retention.default(30 * day),
  WEBHOOK_DELIVERY_RETENTION: retention.default(30 * day),
  PARTITIONS_AHEAD: z.coerce.number().int().min(1).max(90).default(7),
  MAINTENANCE_DELETE_BATCH: positiveInt.default(1_000),
  MAINTENANCE_LOCK_TIMEOUT: duration.pipe(z.number().min(1)).default(1_000),
  INBOX_RETENTION: retention.default(30 * day),
  RELAY_MAX_LAG: duration.default(day),
  RELAY_TOPIC_RETENTION: duration.default(7 * day),
  /**
   * The oldest record `exactly replay` may start from (the CLI's setting; unset there, the inbox
   * horizon INBOX_RETENTION − RELAY_MAX_LAG, which fits by construction).
   */
  REPLAY_MAX_AGE: duration.optional(),
  IDEMPOTENCY_PROFILE: z.enum(idempotencyProfileNames).default('default'),
  IDEMPOTENCY_RETENTION: duration.optional(),
};

const MaintenanceSettings = z.object(maintenanceSettings);
export type MaintenanceSettings = z.infer<typeof MaintenanceSettings>;

/** The windows the settings describe, for assertRetentionWindows. */
export function retentionWindowsOf(settings: MaintenanceSettings): RetentionWindows {
  const keyTtlMs = resolveProfile(settings.IDEMPOTENCY_PROFILE, {
    retentionMs: settings.IDEMPOTENCY_RETENTION,
  }).retentionMs;
  return {
    messageRetentionMs: settings.MESSAGE_RETENTION,
    deadLetterRetentionMs: settings.DEAD_LETTER_RETENTION,
    webhookDeliveryRetentionMs: settings.WEBHOOK_DELIVERY_RETENTION,
    inboxRetentionMs: settings.INBOX_RETENTION,
    relayMaxLagMs: settings.RELAY_MAX_LAG,
    // The retention the relay gives the topics it creates; Kafka's default segment.ms (7 days) on
    // top. The live topic's own values are checked by the dispatcher at its start and by the
    // maintenance job before it drops any inbox day (commandsTopicProblem).
    commandsTopic: { retentionMs: settings.RELAY_TOPIC_RETENTION, segmentMs: 7 * day },
    longestReplayMs: settings.REPLAY_MAX_AGE,
    idempotencyKeyTtlMs: keyTtlMs,
    // Records are deleted at expires_at = created_at + the key's TTL: the same window by construction.
    idempotencyRecordRetentionMs: keyTtlMs,
  };
}
