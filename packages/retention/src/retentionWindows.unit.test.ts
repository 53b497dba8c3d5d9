import { ExactlyError } from '@exactly/errors';
import {
  assertRetentionWindows,
  type RetentionWindows,
  retentionWindowProblems,
} from './retentionWindows.js';

const day = 86_400_000;
const safe: RetentionWindows = {
  messageRetentionMs: 30 * day,
  deadLetterRetentionMs: 14 * day,
  inboxRetentionMs: 30 * day,
  webhookDeliveryRetentionMs: 30 * day,
  relayMaxLagMs: day,
  idempotencyKeyTtlMs: day,
  idempotencyRecordRetentionMs: day,
  commandsTopic: { retentionMs: 7 * day, segmentMs: 7 * day },
  longestReplayMs: 7 * day,
};
const rules = (windows: RetentionWindows) => retentionWindowProblems(windows).map((problem) => problem.rule);

describe('checking the retention windows against each other', () => {
  it('accepts the defaults', () => {
    expect(retentionWindowProblems(safe)).toEqual([]);
    expect(() => assertRetentionWindows(safe)).not.toThrow();
  });

  it('refuses an inbox that forgets commands the topic can still redeliver', () => {
    expect(rules({ ...safe, inboxRetentionMs: 14 * day })).toEqual([
      'INBOX_RETENTION >= topic retention.ms + segment.ms + RELAY_MAX_LAG',
    ]);
    expect(
      rules({ ...safe, commandsTopic: { retentionMs: Number.POSITIVE_INFINITY, segmentMs: day } }),
    ).toEqual([
      'INBOX_RETENTION >= topic retention.ms + segment.ms + RELAY_MAX_LAG',
      'WEBHOOK_DELIVERY_RETENTION >= topic retention.ms + segment.ms + RELAY_MAX_LAG',
      'MESSAGE_RETENTION >= topic retention.ms + segment.ms + RELAY_MAX_LAG',
    ]);
  });

  it('refuses webhook deliveries forgotten while the events topic can still redeliver their event', () => {
    expect(rules({ ...safe, webhookDeliveryRetentionMs: 14 * day })).toEqual([
      'WEBHOOK_DELIVERY_RETENTION >= topic retention.ms + segment.ms + RELAY_MAX_LAG',
    ]);
  });

  it('refuses messages that expire while their command can still be in the topic', () => {
    expect(rules({ ...safe, messageRetentionMs: 14 * day })).toEqual([
      'MESSAGE_RETENTION >= topic retention.ms + segment.ms + RELAY_MAX_LAG',
    ]);
  });

  it('refuses an inbox shorter than the longest replay allowed', () => {
    expect(rules({ ...safe, commandsTopic: undefined, longestReplayMs: 30 * day })).toEqual([
      'INBOX_RETENTION >= longest replay + RELAY_MAX_LAG',
    ]);
  });

  it('accepts an inbox, webhook deliveries and messages kept forever whatever the topic keeps', () => {
    const forever = Number.POSITIVE_INFINITY;
    expect(
      rules({
        ...safe,
        inboxRetentionMs: forever,
        webhookDeliveryRetentionMs: forever,
        messageRetentionMs: forever,
        commandsTopic: { retentionMs: forever, segmentMs: day },
      }),
    ).toEqual([]);
  });

  it('refuses idempotency records that end before the key does', () => {
    expect(rules({ ...safe, idempotencyRecordRetentionMs: day - 1 })).toEqual([
      'idempotency record retention >= idempotency key TTL',
    ]);
  });

  it('refuses messages that end before a key, a dead letter or another reference can still name them', () => {
    expect(rules({ ...safe, commandsTopic: undefined, messageRetentionMs: 12 * 3_600_000 })).toEqual([
      'MESSAGE_RETENTION >= idempotency key TTL',
      'MESSAGE_RETENTION >= DEAD_LETTER_RETENTION',
    ]);
    expect(rules({ ...safe, messageReferences: [{ setting: 'SCHEDULE_MAX_AHEAD', ms: 60 * day }] })).toEqual([
      'MESSAGE_RETENTION >= SCHEDULE_MAX_AHEAD',
    ]);
  });

  it('throws config_invalid naming each window', () => {
    const windows = { ...safe, messageRetentionMs: day, deadLetterRetentionMs: 2 * day };
    expect(() => assertRetentionWindows(windows)).toThrow(ExactlyError);
    expect(() => assertRetentionWindows(windows)).toThrow(
      expect.objectContaining({
        code: 'config_invalid',
        message: expect.stringContaining(
          'MESSAGE_RETENTION >= DEAD_LETTER_RETENTION: 86400000 ms (1.00 days)',
        ),
      }),
    );
  });
});
