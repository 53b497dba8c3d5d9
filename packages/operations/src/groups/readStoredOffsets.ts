import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

/** `consumer_offsets` of some groups: group → topic → partition → next offset. */
export type StoredOffsets = Map<string, Map<string, Map<number, number>>>;

/**
 * The offsets the dispatcher stores in PostgreSQL with the work they cover (its source of truth:
 * each batch skips records below them). Kafka's committed offsets only follow them.
 */
export async function readStoredOffsets(
  em: EntityManager,
  groupIds: readonly string[],
  topic?: string,
): Promise<StoredOffsets> {
  const stored: StoredOffsets = new Map();
  if (groupIds.length === 0) return stored;
  const { rows } = await runSql<{ group_id: string; topic: string; partition: number; next_offset: string }>(
    em,
    `SELECT group_id, topic, partition, next_offset FROM consumer_offsets
      WHERE group_id = ANY($1::text[]) AND ($2::text IS NULL OR topic = $2)`,
    [groupIds, topic ?? null],
  );
  for (const row of rows) {
    const byTopic = stored.get(row.group_id) ?? new Map<string, Map<number, number>>();
    const byPartition = byTopic.get(row.topic) ?? new Map<number, number>();
    byPartition.set(row.partition, Number(row.next_offset));
    byTopic.set(row.topic, byPartition);
    stored.set(row.group_id, byTopic);
  }
  return stored;
}
