import { eventually } from '@exactly/testkit';
import type { Admin } from 'kafkajs';

interface Placement {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
}

/**
 * Moves the leadership of the chosen partitions without stopping any process: the leader is
 * taken out of each partition's replicas (the controller elects one of the others, as it would
 * for a broker shutting down), then put back as the last replica, a follower. Resolves when both
 * reassignments are complete; returns the partitions moved, as `topic/partition`.
 */
export async function moveLeaders(
  admin: Admin,
  topics: readonly string[],
  choose: (placement: Placement) => boolean,
): Promise<string[]> {
  const chosen = (await placements(admin, topics)).filter(
    (placement) =>
      placement.replicas.length > 1 && placement.replicas.includes(placement.leader) && choose(placement),
  );
  if (chosen.length === 0) return [];
  const without = chosen.map((placement) => ({
    ...placement,
    replicas: placement.replicas.filter((node) => node !== placement.leader),
  }));
  await reassign(admin, without);
  await reassign(
    admin,
    without.map((placement) => ({ ...placement, replicas: [...placement.replicas, placement.leader] })),
  );
  return chosen.map(({ topic, partition }) => `${topic}/${partition}`);
}

/** Where each partition of `topics` is now: its leader and its replicas, in order. */
async function placements(admin: Admin, topics: readonly string[]): Promise<Placement[]> {
  const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
  return metadata.topics.flatMap(({ name, partitions }) =>
    partitions.map((partition) => ({
      topic: name,
      partition: partition.partitionId,
      leader: partition.leader,
      replicas: partition.replicas,
    })),
  );
}

/** Asks the controller for these replica sets and waits until no reassignment of them is left. */
async function reassign(admin: Admin, wanted: readonly Placement[], timeoutMs = 60_000): Promise<void> {
  const byTopic = new Map<string, { partition: number; replicas: number[] }[]>();
  for (const { topic, partition, replicas } of wanted) {
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partition, replicas }]);
  }
  const topics = [...byTopic].map(([topic, partitionAssignment]) => ({ topic, partitionAssignment }));
  await admin.alterPartitionReassignments({ topics });
  const partitions = topics.map(({ topic, partitionAssignment }) => ({
    topic,
    partitions: partitionAssignment.map(({ partition }) => partition),
  }));
  await eventually(
    `the reassignment of ${wanted.length} partitions`,
    async () =>
      (await admin.listPartitionReassignments({ topics: partitions })).topics.every(
        (ongoing) => ongoing.partitions.length === 0,
      ),
    timeoutMs,
    100,
  );
}
