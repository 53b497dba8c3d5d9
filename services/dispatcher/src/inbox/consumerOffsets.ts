import { runSql, type SqlStatement } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface PartitionKey {
  groupId: string;
  topic: string;
  partition: number;
}

export interface StoredOffset {
  nextOffset: bigint;
  /** The id of the topic (the log) the offset was stored for; null before ids were stored. */
  topicId: string | null;
}

/**
 * The partition's stored offset, locked. FOR UPDATE: a member that lost the partition in a
 * rebalance but still runs a batch waits here for the new owner's transaction, then sees its
 * offset and skips what it did.
 */
export async function lockStoredOffset(
  tx: EntityManager,
  key: PartitionKey,
): Promise<StoredOffset | undefined> {
  return (await lockStoredOffsets(tx, key, [key.partition])).get(key.partition);
}

/**
 * The stored offsets of several partitions of one topic, locked in partition order (so two
 * transactions that lock some of the same partitions never wait on each other in a cycle). Keyed
 * by partition; a partition without a stored offset is absent.
 */
export async function lockStoredOffsets(
  tx: EntityManager,
  key: { groupId: string; topic: string },
  partitions: readonly number[],
): Promise<Map<number, StoredOffset>> {
  const { rows } = await runSql<{ partition: number; next_offset: string; topic_id: string | null }>(
    tx,
    `SELECT partition, next_offset, topic_id FROM consumer_offsets
      WHERE group_id = $1 AND topic = $2 AND partition = ANY($3::int[])
      ORDER BY partition FOR UPDATE`,
    [key.groupId, key.topic, [...partitions]],
  );
  return new Map(
    rows.map((row) => [row.partition, { nextOffset: BigInt(row.next_offset), topicId: row.topic_id }]),
  );
}

// Never lower within one log, whoever writes (a batch of a member that lost the partition
// included); another log's offset replaces it.
const keepHighestOffset = `ON CONFLICT (group_id, topic, partition)
     DO UPDATE SET next_offset = excluded.next_offset, topic_id = excluded.topic_id, updated_at = now()
      WHERE consumer_offsets.topic_id IS DISTINCT FROM excluded.topic_id
         OR consumer_offsets.next_offset <= excluded.next_offset`;

/** The statement that stores the partition's next offset, for the batch's last round trip. */
export function storeOffsetStatement(key: PartitionKey, nextOffset: bigint, topicId: string): SqlStatement {
  return {
    text: `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, topic_id) VALUES ($1, $2, $3, $4, $5)
     ${keepHighestOffset}`,
    parameters: offsetParameters(key, nextOffset, topicId),
  };
}

/**
 * Stores the partition's next offset only while `condition` holds, in one statement without a
 * transaction of its own, and returns whether it held: when it did not, nothing was written and
 * the caller takes the locked way. The condition is evaluated once (a CTE), so the answer and the
 * write agree. Its placeholders are numbered from $1; the offset's come after them.
 */
export async function storeOffsetWhile(
  em: EntityManager,
  key: PartitionKey,
  nextOffset: bigint,
  topicId: string,
  condition: SqlStatement,
): Promise<boolean> {
  const at = (index: number) => `$${condition.parameters.length + index}`;
  const { rows } = await runSql<{ held: boolean }>(
    em,
    `WITH condition AS (SELECT (${condition.text}) AS held),
     stored AS (
       INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, topic_id)
       SELECT ${at(1)}::text, ${at(2)}::text, ${at(3)}::int, ${at(4)}::bigint, ${at(5)}::text
         FROM condition WHERE condition.held
       ${keepHighestOffset}
     )
     SELECT held FROM condition`,
    [...condition.parameters, ...offsetParameters(key, nextOffset, topicId)],
  );
  return rows[0]?.held === true;
}

const offsetParameters = (key: PartitionKey, nextOffset: bigint, topicId: string) => [
  key.groupId,
  key.topic,
  key.partition,
  nextOffset.toString(),
  topicId,
];
