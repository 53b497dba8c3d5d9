import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';
import { asynchronousCommit } from './asynchronousCommit.js';
import { idArray } from './idArray.js';

/** An outbox row claimed for publishing, as the relay needs it. */
export interface ClaimedRow {
  id: string;
  topic: string;
  key: string;
  /** The payload as JSON text (PostgreSQL's rendering of the jsonb): sent as the record value. */
  payload: string;
  headers: unknown;
  shard: number;
  /** The lease epoch of the row's shard when it was claimed. */
  epoch: string;
  /** The claiming relay's batch number (its claim journal entry). */
  batch: number;
  /** When the row was inserted, in ms since the epoch. */
  createdAt: number;
}

export interface ClaimRequest {
  relayId: string;
  /** This claim's batch number (its journal entry). */
  batch: number;
  shards: readonly number[];
  /** Rows at most from one shard (the cheaper the smaller; see the relay's OutboxRelay). */
  perShard: number;
  limit: number;
  /** Rows this relay holds already (claimed, not yet marked). */
  exclude: readonly string[];
  /**
   * Per shard, an id the claim starts after (the highest this relay holds of the shard). The scan
   * then skips the rows in hand by the index instead of visiting each one. Rows below it that
   * committed late are claimed by the next claim without it.
   */
  after?: ReadonlyMap<number, string>;
}

/**
 * Session settings the relay's connections need (`openOrm({ sessionSettings })`). An outbox is
 * usually empty when autovacuum analyses it, and with those statistics the planner misjudges
 * every statement of the relay once rows (live or dead) have piled up since:
 *
 * - No bitmap scans: a claim must take each shard's rows by walking `outbox_unpublished_idx` in id
 *   order and stop after `perShard`. The planner preferred a bitmap scan that read the whole
 *   backlog of every shard and sorted it, on every claim: with 20,000 rows waiting, 27 ms of
 *   PostgreSQL per claim of 500 instead of 1.7 ms. Since each shard's scan is a range on id
 *   (`after`), it walks the index with those statistics too (`outboxStore.int.test.ts`); the
 *   setting stays as a guard.
 * - No sequential scans: with bitmap scans off, the mark (`id = ANY(...)` of a batch) read every
 *   page of the table instead of the primary key, dead rows included: deleted rows stay until
 *   autovacuum's next visit, up to a minute later. At 500 commands/s that was 1.7 ms and 1,300
 *   pages per mark, more the longer since the last vacuum (2026-12-07).
 */
export const outboxSessionSettings = { enable_bitmapscan: 'off', enable_seqscan: 'off' } as const;

/**
 * The claim: $1 relay id, $2 batch number, $3 shards, $4 rows per shard, $5 limit, $6 ids to skip,
 * $7 and $8 the shards and the ids to start after. A shard without one starts at the lowest
 * bigint, not at 0: the identity starts at 1, but a row can be written with any id.
 * Exported for the test of its plan.
 */
export const claimStatement = `WITH picked AS (
     SELECT c.*, l.epoch
       FROM outbox_shard_leases l
       LEFT JOIN unnest($7::smallint[], $8::bigint[]) AS f(shard, after_id) ON f.shard = l.shard
      CROSS JOIN LATERAL (
            SELECT o.id, o.shard, o.topic, o.kafka_key, o.payload, o.headers, o.created_at
              FROM outbox o
             WHERE o.shard = l.shard AND o.published_at IS NULL AND o.id > coalesce(f.after_id, '-9223372036854775808'::bigint)
               AND o.id <> ALL($6::bigint[])
             ORDER BY o.id
             LIMIT $4) c
      WHERE l.shard = ANY($3::smallint[]) AND l.relay_id = $1 AND l.lease_until > now()
      ORDER BY c.id
      LIMIT $5),
   journal AS (
     INSERT INTO outbox_claims (relay_id, batch_no, ids)
     SELECT $1, $2, array_agg(id) FROM picked WHERE ${asynchronousCommit} HAVING count(*) > 0)
   SELECT picked.id::text AS id, topic, kafka_key, payload::text AS payload, headers, shard,
          epoch::text AS epoch, (extract(epoch FROM created_at) * 1000)::float8 AS created_ms
     FROM picked
    ORDER BY picked.id`;

// The relay's statements are single parameterised statements run in autocommit: they are its hot
// path (claims of hundreds of rows, array parameters, CROSS JOIN LATERAL, data-modifying CTEs),
// which the ORM's unit of work does not express, and one round trip each keeps the relay close
// to the raw producer's speed.

/**
 * Claims up to `limit` unpublished rows of the given shards, oldest first per shard, skipping
 * `exclude`. Fenced by the lease table: only shards this relay holds an unexpired lease on
 * yield rows, so no row locks are needed. The same statement journals the batch in
 * `outbox_claims`, committed before anything is sent, so whoever holds the shard after a
 * crash knows what may be on Kafka. It commits without waiting for the WAL flush
 * (`asynchronousCommit`).
 */
export async function claimOutboxRows(em: EntityManager, request: ClaimRequest): Promise<ClaimedRow[]> {
  const { rows } = await runSql<{
    id: string;
    topic: string;
    kafka_key: string;
    payload: string;
    headers: unknown;
    shard: number;
    epoch: string;
    created_ms: number;
  }>(em, claimStatement, [
    request.relayId,
    request.batch,
    request.shards,
    request.perShard,
    request.limit,
    idArray(request.exclude),
    [...(request.after?.keys() ?? [])],
    idArray([...(request.after?.values() ?? [])]),
  ]);
  return rows.map((row) => ({
    id: row.id,
    topic: row.topic,
    key: row.kafka_key,
    payload: row.payload,
    headers: row.headers,
    shard: Number(row.shard),
    epoch: row.epoch,
    batch: request.batch,
    createdAt: Number(row.created_ms),
  }));
}
