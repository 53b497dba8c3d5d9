import { randomUUID } from 'node:crypto';
import { createKafka, readTopicRetention } from './index.js';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');

describe("reading a topic's live retention", () => {
  const admin = createKafka({ brokers, clientId: 'topic-retention-test' }).admin();
  const created: string[] = [];
  const topic = async (configEntries: { name: string; value: string }[]) => {
    const name = `retention-${randomUUID()}`;
    created.push(name);
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: name, numPartitions: 1, configEntries }],
    });
    return name;
  };

  beforeAll(async () => {
    await admin.connect();
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: created }).catch(() => {});
    await admin.disconnect();
  });

  it('gives retention.ms and segment.ms as the broker has them', async () => {
    const name = await topic([
      { name: 'retention.ms', value: String(40 * 86_400_000) },
      { name: 'segment.ms', value: '3600000' },
    ]);
    expect(await readTopicRetention(admin, name)).toEqual({
      retentionMs: 40 * 86_400_000,
      segmentMs: 3_600_000,
    });
  });

  it('reads a compacted or unlimited topic as keeping records forever', async () => {
    const compacted = await topic([{ name: 'cleanup.policy', value: 'compact' }]);
    const unlimited = await topic([{ name: 'retention.ms', value: '-1' }]);
    expect((await readTopicRetention(admin, compacted)).retentionMs).toBe(Number.POSITIVE_INFINITY);
    expect((await readTopicRetention(admin, unlimited)).retentionMs).toBe(Number.POSITIVE_INFINITY);
  });
});
