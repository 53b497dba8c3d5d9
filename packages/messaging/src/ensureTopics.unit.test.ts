import type { Admin } from 'kafkajs';
import { ensureTopics } from './ensureTopics.js';

/** An admin for a topic another process just created: its metadata fails `failures` times first. */
function adminOfJustCreatedTopic(failures: number, type = 'UNKNOWN_TOPIC_OR_PARTITION') {
  let metadataCalls = 0;
  const admin = {
    listTopics: async () => [],
    createTopics: async () => false,
    fetchTopicMetadata: async () => {
      metadataCalls += 1;
      if (metadataCalls <= failures) throw Object.assign(new Error(type), { type });
      return { topics: [{ name: 't', partitions: [{ partitionId: 0, replicas: [1], isr: [1] }] }] };
    },
    describeConfigs: async () => ({ resources: [{ resourceName: 't', configEntries: [] }] }),
  };
  return { admin: admin as unknown as Admin, metadataCalls: () => metadataCalls };
}

describe('ensuring a topic another process just created', () => {
  it('asks for its settings again until it has leaders', async () => {
    const { admin, metadataCalls } = adminOfJustCreatedTopic(2);
    const ensured = await ensureTopics(admin, [{ name: 't', partitions: 1 }]);
    expect(ensured.created).toEqual([]);
    expect(ensured.settings.map((topic) => topic.partitions)).toEqual([1]);
    expect(metadataCalls()).toBe(3);
  });

  it('gives up after 10 tries, and at once on any other error', async () => {
    await expect(
      ensureTopics(adminOfJustCreatedTopic(20).admin, [{ name: 't', partitions: 1 }]),
    ).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    const other = adminOfJustCreatedTopic(1, 'TOPIC_AUTHORIZATION_FAILED');
    await expect(ensureTopics(other.admin, [{ name: 't', partitions: 1 }])).rejects.toMatchObject({
      type: 'TOPIC_AUTHORIZATION_FAILED',
    });
    expect(other.metadataCalls()).toBe(1);
  });
});
