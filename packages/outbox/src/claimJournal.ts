import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';
import { asynchronousCommit } from './asynchronousCommit.js';
import { idArray } from './idArray.js';

/**
 * The mark: $1 the acknowledged ids, $2 the relay id, $3 the batches this completes. Deletes the
 * rows (no retention) or sets their `published_at`, and the batches' journal entries, in one
 * statement. Exported for the test of its plan.
 */
export function markStatement(deleteOnPublish: boolean): string {
  const mark = deleteOnPublish
    ? `DELETE FROM outbox WHERE id = ANY($1::bigint[]) AND ${asynchronousCommit}`
    : `UPDATE outbox SET published_at = now()
        WHERE id = ANY($1::bigint[]) AND published_at IS NULL AND ${asynchronousCommit}`;
  return `WITH finished AS (DELETE FROM outbox_claims WHERE relay_id = $2 AND batch_no = ANY($3::bigint[])) ${mark}`;
}

/**
 * Marks rows Kafka acknowledged (or deletes them when there is no retention) and, in the same
 * statement, deletes the journal entries of the batches this completes. Commits without waiting
 * for the WAL flush (`asynchronousCommit`).
 */
export async function markOutboxPublished(
  em: EntityManager,
  ids: readonly string[],
  {
    deleteOnPublish,
    relayId,
    finished,
  }: { deleteOnPublish: boolean; relayId: string; finished: readonly number[] },
): Promise<void> {
  await runSql(em, markStatement(deleteOnPublish), [idArray(ids), relayId, finished]);
}

/** Removes a batch's journal entry, or only some of its rows (handed back unsent). */
export async function forgetOutboxClaim(
  em: EntityManager,
  relayId: string,
  batch: number,
  ids?: readonly string[],
): Promise<void> {
  await runSql(
    em,
    ids === undefined
      ? 'DELETE FROM outbox_claims WHERE relay_id = $1 AND batch_no = $2'
      : `UPDATE outbox_claims SET ids = ARRAY(SELECT unnest(ids) EXCEPT SELECT unnest($3::bigint[]))
          WHERE relay_id = $1 AND batch_no = $2`,
    ids === undefined ? [relayId, batch] : [relayId, batch, idArray(ids)],
  );
}

/**
 * The rows of these shards that other relays claimed and left unpublished: they may be on Kafka
 * already, so publishing them again is a re-publish.
 */
export async function readOrphanedClaims(
  em: EntityManager,
  relayId: string,
  shards: readonly number[],
): Promise<string[]> {
  const { rows } = await runSql<{ id: string }>(
    em,
    `SELECT o.id::text AS id
       FROM outbox_claims c
      CROSS JOIN unnest(c.ids) AS claimed(id)
       JOIN outbox o ON o.id = claimed.id AND o.published_at IS NULL
      WHERE c.relay_id <> $1 AND o.shard = ANY($2::smallint[])`,
    [relayId, shards],
  );
  return rows.map((row) => row.id);
}

/** Deletes other relays' journal entries whose rows are all published (or gone) by now. */
export async function deleteSettledClaims(em: EntityManager, relayId: string): Promise<number> {
  const { rowCount } = await runSql(
    em,
    `DELETE FROM outbox_claims c
      WHERE c.relay_id <> $1
        AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.id = ANY(c.ids) AND o.published_at IS NULL)`,
    [relayId],
  );
  return rowCount;
}

/** Deletes up to `limit` rows published more than `retentionMs` ago; returns how many. */
export async function deletePublishedOutboxRows(
  em: EntityManager,
  retentionMs: number,
  limit: number,
): Promise<number> {
  const { rowCount } = await runSql(
    em,
    `DELETE FROM outbox WHERE id IN (
       SELECT id FROM outbox
        WHERE published_at < now() - $1 * interval '1 millisecond'
        ORDER BY published_at
        LIMIT $2
        FOR UPDATE SKIP LOCKED)`,
    [retentionMs, limit],
  );
  return rowCount;
}
