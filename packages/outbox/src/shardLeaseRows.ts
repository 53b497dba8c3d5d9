import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

// The rows of `outbox_relays` (one heartbeat per live relay) and `outbox_shard_leases` (one
// holder per shard, with an epoch that grows at every take-over). The relay's ShardLeases decides
// when to call these; this package is the only writer of the tables.

/** A shard lease as read back after a write. */
export interface ShardLeaseRow {
  shard: number;
  epoch: string;
}

/** Records this relay's heartbeat; returns how many relays are live, this one included. */
export async function beatRelayHeartbeat(em: EntityManager, relayId: string, ttlMs: number): Promise<number> {
  const { rows } = await runSql<{ live: string }>(
    em,
    `WITH beat AS (
       INSERT INTO outbox_relays (relay_id, alive_until) VALUES ($1, now() + $2 * interval '1 millisecond')
       ON CONFLICT (relay_id) DO UPDATE SET alive_until = EXCLUDED.alive_until)
     SELECT count(*) + 1 AS live FROM outbox_relays WHERE alive_until > now() AND relay_id <> $1`,
    [relayId, ttlMs],
  );
  return Number(rows[0]?.live ?? 1);
}

/** Renews the leases this relay still holds (one another relay took after it expired is not returned). */
export async function renewShardLeases(
  em: EntityManager,
  relayId: string,
  ttlMs: number,
): Promise<ShardLeaseRow[]> {
  const { rows } = await runSql<{ shard: number; epoch: string }>(
    em,
    `UPDATE outbox_shard_leases SET lease_until = now() + $2 * interval '1 millisecond'
      WHERE relay_id = $1
     RETURNING shard, epoch::text AS epoch`,
    [relayId, ttlMs],
  );
  return rows.map((row) => ({ shard: Number(row.shard), epoch: row.epoch }));
}

/** Takes up to `wanted` free or expired shards, each with a new epoch. */
export async function takeFreeShardLeases(
  em: EntityManager,
  relayId: string,
  ttlMs: number,
  wanted: number,
): Promise<ShardLeaseRow[]> {
  const { rows } = await runSql<{ shard: number; epoch: string }>(
    em,
    `UPDATE outbox_shard_leases l
        SET relay_id = $1, lease_until = now() + $2 * interval '1 millisecond', epoch = l.epoch + 1
       FROM (SELECT shard FROM outbox_shard_leases
              WHERE relay_id IS NULL OR lease_until < now()
              ORDER BY shard
              LIMIT $3
              FOR UPDATE SKIP LOCKED) free
      WHERE l.shard = free.shard
     RETURNING l.shard, l.epoch::text AS epoch`,
    [relayId, ttlMs, wanted],
  );
  return rows.map((row) => ({ shard: Number(row.shard), epoch: row.epoch }));
}

/** Hands back these shards of this relay, or all of them. */
export async function releaseShardLeases(
  em: EntityManager,
  relayId: string,
  shards?: readonly number[],
): Promise<void> {
  if (shards === undefined) {
    await runSql(
      em,
      `UPDATE outbox_shard_leases SET relay_id = NULL, lease_until = '-infinity' WHERE relay_id = $1`,
      [relayId],
    );
    return;
  }
  await runSql(
    em,
    `UPDATE outbox_shard_leases SET relay_id = NULL, lease_until = '-infinity'
      WHERE relay_id = $1 AND shard = ANY($2::smallint[])`,
    [relayId, shards],
  );
}

/** Removes this relay's heartbeat (it leaves the group). */
export async function removeRelayHeartbeat(em: EntityManager, relayId: string): Promise<void> {
  await runSql(em, 'DELETE FROM outbox_relays WHERE relay_id = $1', [relayId]);
}

/** Forgets relays whose heartbeat ended more than `afterMs` ago. */
export async function forgetDeadRelays(em: EntityManager, afterMs: number): Promise<void> {
  await runSql(em, `DELETE FROM outbox_relays WHERE alive_until < now() - $1 * interval '1 millisecond'`, [
    afterMs,
  ]);
}
