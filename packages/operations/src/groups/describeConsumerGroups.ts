import type { EntityManager } from '@mikro-orm/postgresql';
import kafkajs, { type Admin, type GroupDescription } from 'kafkajs';
import {
  assertTopicExists,
  type PartitionRange,
  readTopicOffsets,
  toOffset,
} from '../kafka/readTopicOffsets.js';
import { readStoredOffsets, type StoredOffsets } from './readStoredOffsets.js';

// kafkajs is CommonJS and Node cannot see this export by name: take it from the module object.
const { AssignerProtocol } = kafkajs;

export interface GroupMember {
  memberId: string;
  clientId: string;
  host: string;
  /** Partitions assigned to this member, by topic. */
  assignment: Record<string, number[]>;
}

export interface PartitionLag {
  partition: number;
  /** The member consuming it now, if any. */
  memberId: string | null;
  /** Kafka's committed offset for the group (what lag-based autoscalers see); null when none. */
  committed: number | null;
  /** The offset stored in PostgreSQL with the processed work (the dispatcher's truth); null when none. */
  stored: number | null;
  low: number;
  high: number;
  /** Records still to process: the end minus the furthest known position (the start when none). */
  lag: number;
}

export interface GroupTopic {
  topic: string;
  partitions: PartitionLag[];
  lag: number;
}

export interface ConsumerGroupReport {
  groupId: string;
  /** Kafka's group state: `Stable`, `PreparingRebalance`, `CompletingRebalance`, `Empty` or `Dead`. */
  state: string;
  members: GroupMember[];
  topics: GroupTopic[];
}

export interface DescribeGroupsOptions {
  /** These groups only (default: every consumer group on the cluster). */
  groupIds?: readonly string[];
  /** Only this topic's partitions. */
  topic?: string;
}

/**
 * Consumer groups with their members, partition assignment and lag per partition. The lag counts
 * from the furthest of Kafka's committed offset and the offset PostgreSQL stores (pass `em`; the
 * dispatcher stores its offsets there first), so it is what the group really has left to do.
 */
export async function describeConsumerGroups(
  { admin, em }: { admin: Admin; em?: EntityManager },
  options: DescribeGroupsOptions = {},
): Promise<ConsumerGroupReport[]> {
  if (options.topic !== undefined) await assertTopicExists(admin, options.topic);
  const groupIds = options.groupIds
    ? [...options.groupIds]
    : (await admin.listGroups()).groups
        .filter((group) => group.protocolType === 'consumer' || group.protocolType === '')
        .map((group) => group.groupId)
        .sort();
  if (groupIds.length === 0) return [];
  const [{ groups }, stored] = await Promise.all([
    admin.describeGroups(groupIds),
    em ? readStoredOffsets(em, groupIds, options.topic) : Promise.resolve<StoredOffsets>(new Map()),
  ]);
  const ranges = new Map<string, Promise<PartitionRange[] | undefined>>();
  const rangesOf = (topic: string) => {
    let found = ranges.get(topic);
    if (!found) {
      found = readTopicOffsets(admin, topic).catch(() => undefined);
      ranges.set(topic, found);
    }
    return found;
  };

  const reports: ConsumerGroupReport[] = [];
  for (const groupId of groupIds) {
    const description = groups.find((group) => group.groupId === groupId);
    const members = description ? describeMembers(description) : [];
    const committed = await admin.fetchOffsets({
      groupId,
      ...(options.topic ? { topics: [options.topic] } : {}),
    });
    const topicNames = new Set<string>([
      ...committed.map((entry) => entry.topic),
      ...members.flatMap((member) => Object.keys(member.assignment)),
      ...(stored.get(groupId)?.keys() ?? []),
    ]);
    const topics: GroupTopic[] = [];
    for (const topic of [...topicNames].sort()) {
      if (options.topic !== undefined && topic !== options.topic) continue;
      const partitionRanges = await rangesOf(topic);
      if (partitionRanges === undefined) continue;
      const committedOffsets = new Map(
        (committed.find((entry) => entry.topic === topic)?.partitions ?? [])
          .filter((entry) => Number(entry.offset) >= 0)
          .map((entry) => [entry.partition, toOffset(entry.offset)]),
      );
      const storedOffsets = stored.get(groupId)?.get(topic) ?? new Map<number, number>();
      const partitions = partitionRanges.map((range): PartitionLag => {
        const committedOffset = committedOffsets.get(range.partition) ?? null;
        const storedOffset = storedOffsets.get(range.partition) ?? null;
        const position = Math.max(committedOffset ?? range.low, storedOffset ?? range.low, range.low);
        return {
          partition: range.partition,
          memberId:
            members.find((member) => member.assignment[topic]?.includes(range.partition))?.memberId ?? null,
          committed: committedOffset,
          stored: storedOffset,
          low: range.low,
          high: range.high,
          lag: Math.max(0, range.high - position),
        };
      });
      topics.push({ topic, partitions, lag: partitions.reduce((sum, partition) => sum + partition.lag, 0) });
    }
    reports.push({ groupId, state: description?.state ?? 'Dead', members, topics });
  }
  return reports;
}

function describeMembers(description: GroupDescription): GroupMember[] {
  return description.members
    .map((member) => {
      const decoded =
        member.memberAssignment.length > 0
          ? AssignerProtocol.MemberAssignment.decode(member.memberAssignment)
          : null;
      const assignment: Record<string, number[]> = {};
      for (const [topic, partitions] of Object.entries(decoded?.assignment ?? {}))
        assignment[topic] = [...partitions].sort((a, b) => a - b);
      return { memberId: member.memberId, clientId: member.clientId, host: member.clientHost, assignment };
    })
    .sort((a, b) => a.memberId.localeCompare(b.memberId));
}
