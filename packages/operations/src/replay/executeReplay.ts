import { ExactlyError } from '@exactly/errors';
import { inTransaction, type Orm, runSql } from '@exactly/persistence';
import type { Admin, Kafka } from 'kafkajs';
import { commitGroupOffsets } from '../kafka/commitGroupOffsets.js';
import type { ReplayPlan, ReplayRefusal } from './computeReplayPlan.js';

export type ReplayOutcome = { kind: 'applied'; plan: ReplayPlan } | ReplayRefusal;

/**
 * Moves the group's offsets to the plan's `to` in both stores: Kafka's committed offsets (for
 * the consumer's fetch position, tooling and lag) and the offsets PostgreSQL stores with the
 * work (which every dispatcher batch checks: moving only Kafka's would make the dispatcher re-read
 * and skip everything). In one PostgreSQL transaction that first locks the group's stored rows
 * (a zombie batch still holding one finishes first), then commits to Kafka as an admin, which the
 * broker refuses if a member joined since the plan, then writes the stored offsets. If the
 * PostgreSQL commit fails after Kafka's moved, the dispatcher re-reads and skips by the old stored
 * offsets: nothing runs twice, and running the same replay again completes it.
 */
export async function executeReplay(
  { kafka, admin, orm }: { kafka: Kafka; admin: Admin; orm: Orm },
  plan: ReplayPlan,
): Promise<ReplayOutcome> {
  const outcome = inTransaction(
    orm,
    async (tx) => {
      await runSql(tx, 'SELECT 1 FROM consumer_offsets WHERE group_id = $1 AND topic = $2 FOR UPDATE', [
        plan.group,
        plan.topic,
      ]);
      const { groups } = await admin.describeGroups([plan.group]);
      const members = groups[0]?.members.length ?? 0;
      const offsets = plan.partitions.map((partition) => ({
        partition: partition.partition,
        offset: partition.to,
      }));
      const committed =
        members > 0
          ? { status: 'group_has_members' as const }
          : await commitGroupOffsets(kafka, plan.group, plan.topic, offsets);
      if (committed.status === 'group_has_members') {
        return {
          kind: 'refused' as const,
          reason: 'live_members' as const,
          message: `a member joined group ${plan.group} after the plan was made: stop it and run the replay again`,
        };
      }
      await runSql(
        tx,
        `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)
         SELECT $1, $2, partition, next_offset FROM unnest($3::int[], $4::bigint[]) AS v(partition, next_offset)
         ON CONFLICT (group_id, topic, partition)
         DO UPDATE SET next_offset = excluded.next_offset, updated_at = now()`,
        [
          plan.group,
          plan.topic,
          offsets.map((entry) => entry.partition),
          offsets.map((entry) => entry.offset),
        ],
      );
      return { kind: 'applied' as const, plan };
    },
    // A batch of a stalled member may hold a partition's row; waiting longer than this is news.
    { lock_timeout: 15_000 },
  );
  return outcome.catch((error: unknown) => {
    if ((error as { code?: string }).code !== '55P03') throw error;
    throw new ExactlyError(
      'unavailable',
      `a batch of group ${plan.group} has held its stored offsets for over 15 s: is one of its consumers still running? Stop it and run the replay again`,
      { cause: error },
    );
  });
}
