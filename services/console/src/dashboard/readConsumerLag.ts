import type { ConsumerLagView } from '@exactly/dashboard';
import { describeConsumerGroups, readStoredOffsets, readTopicOffsets } from '@exactly/operations';
import type { Orm } from '@exactly/persistence';
import type { Admin } from 'kafkajs';

/**
 * The consumer group's position per partition of the commands topic: with Kafka, the lag from the
 * high watermarks (`describeConsumerGroups` of @exactly/operations, which counts from the furthest
 * of Kafka's committed offset and the stored one); without, the stored offsets only.
 */
export async function readConsumerLag(
  { em, admin }: { em: Orm['em']; admin: Admin | undefined },
  { group, topic }: { group: string; topic: string },
): Promise<ConsumerLagView> {
  if (admin === undefined) {
    const stored = [...((await readStoredOffsets(em, [group], topic)).get(group)?.get(topic) ?? new Map())]
      .map(([partition, nextOffset]) => ({ partition, nextOffset }))
      .sort((a, b) => a.partition - b.partition);
    return {
      group,
      topic,
      source: 'database',
      state: null,
      members: null,
      partitions: stored.map((row) => ({
        partition: row.partition,
        memberId: null,
        stored: row.nextOffset,
        committed: null,
        high: null,
        lag: null,
      })),
      total: null,
    };
  }
  const [report] = await describeConsumerGroups({ admin, em }, { groupIds: [group], topic });
  // A group that has not consumed the topic yet has all of it still to do.
  const partitions =
    report?.topics.find((entry) => entry.topic === topic)?.partitions ??
    (await readTopicOffsets(admin, topic)).map((range) => ({
      partition: range.partition,
      memberId: null,
      stored: null,
      committed: null,
      high: range.high,
      lag: range.high - range.low,
    }));
  return {
    group,
    topic,
    source: 'kafka',
    state: report?.state ?? null,
    members: report?.members.length ?? 0,
    partitions: partitions.map((partition) => ({
      partition: partition.partition,
      memberId: partition.memberId,
      stored: partition.stored,
      committed: partition.committed,
      high: partition.high,
      lag: partition.lag,
    })),
    total: partitions.reduce((sum, partition) => sum + partition.lag, 0),
  };
}
