import { ExactlyError } from '@exactly/errors';
import { retryKafkaErrors } from '@exactly/messaging';
import type { Kafka } from 'kafkajs';

export interface PartitionOffset {
  partition: number;
  offset: number;
}

export type OffsetCommitOutcome = { status: 'committed' } | { status: 'group_has_members' };

interface GroupCoordinator {
  offsetCommit(request: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }): Promise<unknown>;
}

interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(request: { groupId: string }): Promise<GroupCoordinator>;
}

/**
 * Sets a consumer group's committed offsets the way Kafka's own admin tools do
 * (`AdminClient.alterConsumerGroupOffsets`, `kafka-consumer-groups --reset-offsets`): one
 * OffsetCommit with generation -1 and no member id, which the broker accepts only while the group
 * has no members. That refusal is the fence a replay needs: a consumer that joins in between
 * makes the commit fail instead of racing it.
 *
 * kafkajs 2.2.4 sends this request only from its private cluster object; its public
 * `admin.setOffsets` joins the group as a member instead (about 5 s, and it can race a consumer
 * that joins at the same moment). kafkajs has had no release since 2023, so the private factory
 * is stable; a missing one fails loudly here.
 */
export async function commitGroupOffsets(
  kafka: Kafka,
  groupId: string,
  topic: string,
  offsets: readonly PartitionOffset[],
): Promise<OffsetCommitOutcome> {
  if (offsets.length === 0) return { status: 'committed' };
  const cluster = privateCluster(kafka);
  await cluster.connect();
  try {
    // The group's coordinator moved or is still loading the group (a broker just started or took
    // over): find it again, as Kafka's own admin client does.
    return await retryKafkaErrors(
      async () => {
        try {
          const coordinator = await cluster.findGroupCoordinator({ groupId });
          await coordinator.offsetCommit({
            groupId,
            groupGenerationId: -1,
            memberId: '',
            topics: [
              {
                topic,
                partitions: offsets.map(({ partition, offset }) => ({ partition, offset: String(offset) })),
              },
            ],
          });
          return { status: 'committed' } as const;
        } catch (error) {
          // The broker's answer to an admin commit while the group has members (classic groups).
          if (membersErrors.has((error as { type?: string }).type ?? '')) {
            return { status: 'group_has_members' } as const;
          }
          throw error;
        }
      },
      { retryable: coordinatorErrors, attempts: 6, delayMs: (failures) => 200 * failures },
    );
  } finally {
    await cluster.disconnect();
  }
}

/**
 * Kafka's error codes 14, 15 and 16 under kafkajs' names (`error.type`), which are not the Java
 * client's (COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR).
 */
const coordinatorErrors = new Set([
  'GROUP_LOAD_IN_PROGRESS',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
]);
const membersErrors = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS']);

function privateCluster(kafka: Kafka): Cluster {
  const factory = Object.getOwnPropertySymbols(kafka).find(
    (symbol) => symbol.description === 'private:Kafka:createCluster',
  );
  const create = factory === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[factory];
  if (typeof create !== 'function') {
    throw new ExactlyError(
      'internal',
      'this kafkajs version has no private cluster factory: commitGroupOffsets needs kafkajs 2.2.x',
    );
  }
  return create.call(kafka, { allowAutoTopicCreation: false }) as Cluster;
}
