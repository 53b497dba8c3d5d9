import { ExactlyError } from '@exactly/errors';
import { assertRetentionWindows, retentionWindowsOf } from '@exactly/retention';
import { readMaintenanceConfig } from './config.js';

const required = { DATABASE_URL: 'postgres://localhost/exactly', KAFKA_BROKERS: '127.0.0.1:9092' };
const day = 86_400_000;

describe('the maintenance configuration', () => {
  it('bounds every table by default, with windows that fit each other', () => {
    const config = readMaintenanceConfig(required);
    expect(config).toMatchObject({
      MAINTENANCE: true,
      MESSAGE_RETENTION: 30 * day,
      DEAD_LETTER_RETENTION: 14 * day,
      SET_ASIDE_RETENTION: 30 * day,
      WEBHOOK_DELIVERY_RETENTION: 30 * day,
      PARTITIONS_AHEAD: 7,
      INBOX_RETENTION: 30 * day,
      COMMANDS_TOPIC: 'exactly.send-commands',
    });
    expect(config.REPLAY_MAX_AGE).toBeUndefined();
    expect(() => assertRetentionWindows(retentionWindowsOf(config))).not.toThrow();
  });

  it('reads forever as no expiry', () => {
    expect(readMaintenanceConfig({ ...required, MESSAGE_RETENTION: 'forever' }).MESSAGE_RETENTION).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it('is refused at start-up when messages would expire before the idempotency key that names them', () => {
    const config = readMaintenanceConfig({
      ...required,
      MESSAGE_RETENTION: '3d',
      IDEMPOTENCY_RETENTION: '7d',
    });
    expect(() => assertRetentionWindows(retentionWindowsOf(config))).toThrow(ExactlyError);
    expect(() => assertRetentionWindows(retentionWindowsOf(config))).toThrow(
      /MESSAGE_RETENTION >= idempotency key TTL.*MESSAGE_RETENTION >= DEAD_LETTER_RETENTION/,
    );
  });

  it('is refused at start-up when a replay allowed that far back would reach commands the inbox has forgotten', () => {
    const config = readMaintenanceConfig({ ...required, REPLAY_MAX_AGE: '30d' });
    expect(() => assertRetentionWindows(retentionWindowsOf(config))).toThrow(
      expect.objectContaining({
        code: 'config_invalid',
        message: expect.stringMatching(/INBOX_RETENTION >= longest replay \+ RELAY_MAX_LAG/),
      }),
    );
    expect(() =>
      assertRetentionWindows(retentionWindowsOf({ ...config, INBOX_RETENTION: 31 * day })),
    ).not.toThrow();
  });

  it('needs the Kafka brokers: the live commands topic is read before inbox days are dropped', () => {
    expect(() => readMaintenanceConfig({ DATABASE_URL: required.DATABASE_URL })).toThrow(/KAFKA_BROKERS/);
  });

  it('names the variable of a bad value', () => {
    expect(() => readMaintenanceConfig({ ...required, PARTITIONS_AHEAD: '0' })).toThrow(/PARTITIONS_AHEAD/);
  });
});
