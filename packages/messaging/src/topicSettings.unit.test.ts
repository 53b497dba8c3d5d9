import { type TopicSettings, weakerSettings } from './index.js';

const actual: TopicSettings = {
  name: 'orders',
  partitions: 12,
  replicationFactor: 3,
  retentionMs: 604_800_000,
  maxMessageBytes: 1_048_588,
  minInsyncReplicas: 2,
};

describe('comparing an existing topic with its spec', () => {
  it('finds nothing weaker when every setting is equal or stronger', () => {
    expect(
      weakerSettings(
        {
          name: 'orders',
          partitions: 6,
          replicationFactor: 3,
          retentionMs: 86_400_000,
          maxMessageBytes: 1_000,
        },
        actual,
      ),
    ).toEqual([]);
  });

  it('names each weaker setting with the configured and the actual value', () => {
    expect(
      weakerSettings(
        {
          name: 'orders',
          partitions: 24,
          replicationFactor: 3,
          retentionMs: 1_209_600_000,
          maxMessageBytes: 2_097_152,
          minInsyncReplicas: 3,
        },
        actual,
      ),
    ).toEqual([
      { topic: 'orders', setting: 'partitions', configured: 24, actual: 12 },
      { topic: 'orders', setting: 'retention.ms', configured: 1_209_600_000, actual: 604_800_000 },
      { topic: 'orders', setting: 'max.message.bytes', configured: 2_097_152, actual: 1_048_588 },
      { topic: 'orders', setting: 'min.insync.replicas', configured: 3, actual: 2 },
    ]);
  });

  it('treats unlimited retention as stronger than any configured retention', () => {
    expect(
      weakerSettings(
        { name: 'orders', partitions: 12, retentionMs: 1_209_600_000 },
        { ...actual, retentionMs: Number.POSITIVE_INFINITY },
      ),
    ).toEqual([]);
  });

  it('compares only the settings the spec names', () => {
    expect(weakerSettings({ name: 'orders', partitions: 1 }, { ...actual, replicationFactor: 1 })).toEqual(
      [],
    );
  });
});
