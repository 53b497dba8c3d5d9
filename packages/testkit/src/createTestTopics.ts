import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, ITopicConfig } from 'kafkajs';

/**
 * Creates topics and waits until every partition has a leader. kafkajs' own `waitForLeaders`
 * retries only "leader not available"; right after a create, a loaded broker also answers "does
 * not host this topic-partition" for a moment, which failed tests now and then. Bounded: 30 s.
 */
export async function createTestTopics(admin: Admin, topics: ITopicConfig[]): Promise<void> {
  await admin.createTopics({ topics });
  const names = topics.map((topic) => topic.topic);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await admin
      .fetchTopicMetadata({ topics: names })
      .then(({ topics: found }) =>
        found.every(
          (topic) =>
            topic.partitions.length > 0 && topic.partitions.every((partition) => partition.leader >= 0),
        ),
      )
      .catch(() => false);
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`topics ${names.join(', ')} have no leaders after 30 s`);
    await sleep(100);
  }
}
