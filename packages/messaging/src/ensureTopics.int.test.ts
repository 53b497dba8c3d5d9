import { randomUUID } from 'node:crypto';
import { createKafka, ensureTopics, type TopicSpec } from './index.js';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');

describe('ensuring topics exist', () => {
  const admin = createKafka({ brokers, clientId: 'ensure-topics-test' }).admin();
  const created: string[] = [];
  const spec = (overrides: Partial<TopicSpec> = {}): TopicSpec => {
    const name = `ensure-${randomUUID()}`;
    created.push(name);
    return { name, partitions: 3, retentionMs: 3_600_000, maxMessageBytes: 200_000, ...overrides };
  };

  beforeAll(async () => {
    await admin.connect();
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: created }).catch(() => {});
    await admin.disconnect();
  });

  it('creates a missing topic with its partitions, retention and maximum message size', async () => {
    const topic = spec();
    const result = await ensureTopics(admin, [topic]);
    expect(result.created).toEqual([topic.name]);
    expect(result.weaker).toEqual([]);
    expect(result.settings).toEqual([
      {
        name: topic.name,
        partitions: 3,
        replicationFactor: 1,
        retentionMs: 3_600_000,
        maxMessageBytes: 200_000,
        minInsyncReplicas: expect.any(Number),
      },
    ]);
  });

  it('leaves an existing topic as it is and reports the settings weaker than configured', async () => {
    const topic = spec();
    await ensureTopics(admin, [topic]);
    const stronger = { ...topic, partitions: 6, retentionMs: 7_200_000, maxMessageBytes: 100_000 };
    const result = await ensureTopics(admin, [stronger]);
    expect(result.created).toEqual([]);
    expect(result.weaker).toEqual([
      { topic: topic.name, setting: 'partitions', configured: 6, actual: 3 },
      { topic: topic.name, setting: 'retention.ms', configured: 7_200_000, actual: 3_600_000 },
    ]);
    expect(result.settings[0]?.partitions).toBe(3);
  });

  it('creates each topic once when several processes ensure it at the same time', async () => {
    const topic = spec();
    const results = await Promise.all([ensureTopics(admin, [topic]), ensureTopics(admin, [topic])]);
    expect(results.flatMap((result) => result.created)).toEqual([topic.name]);
  });
});
