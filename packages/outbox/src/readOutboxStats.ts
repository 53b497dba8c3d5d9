import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface OutboxTopicBacklog {
  topic: string;
  rows: number;
  oldestCreatedAt: string;
  oldestAgeMs: number;
}

export interface OutboxStats {
  /** The database's clock when read (ages are measured against it, not the caller's). */
  at: string;
  backlog: { rows: number; oldestCreatedAt: string | null; oldestAgeMs: number };
  topics: OutboxTopicBacklog[];
  /** Rows the relay could not publish (see the relay's README), by reason. */
  setAside: { rows: number; byReason: Record<string, number> };
  relays: {
    /** Relays whose heartbeat is current. */
    live: number;
    /** Shards with a current lease, of `shards`. */
    leasedShards: number;
    shards: number;
    /** Batches claimed and not yet marked published. */
    batchesInFlight: number;
  };
}

/** The outbox's backlog (unpublished rows) per topic with the age of the oldest, and the relays' state. */
export async function readOutboxStats(em: EntityManager): Promise<OutboxStats> {
  // The backlog query walks the partial index of unpublished rows only.
  const [backlog, setAside, relays] = await Promise.all([
    runSql<{ topic: string; rows: string; oldest: string; age_ms: string }>(
      em,
      `SELECT topic, count(*) AS rows, to_json(min(created_at)) #>> '{}' AS oldest,
              (extract(epoch FROM now() - min(created_at)) * 1000)::bigint AS age_ms
         FROM outbox WHERE published_at IS NULL GROUP BY topic ORDER BY topic`,
    ),
    runSql<{ reason: string; rows: string }>(
      em,
      'SELECT reason, count(*) AS rows FROM outbox_set_aside GROUP BY reason ORDER BY reason',
    ),
    runSql<{ now: string; live: string; leased: string; shards: string; claims: string }>(
      em,
      `SELECT to_json(now()) #>> '{}' AS now,
              (SELECT count(*) FROM outbox_relays WHERE alive_until > now()) AS live,
              (SELECT count(*) FROM outbox_shard_leases WHERE relay_id IS NOT NULL AND lease_until > now()) AS leased,
              (SELECT count(*) FROM outbox_shard_leases) AS shards,
              (SELECT count(*) FROM outbox_claims) AS claims`,
    ),
  ]);
  const topics = backlog.rows.map((row) => ({
    topic: row.topic,
    rows: Number(row.rows),
    oldestCreatedAt: row.oldest,
    oldestAgeMs: Math.max(0, Number(row.age_ms)),
  }));
  const oldest = topics.reduce<OutboxTopicBacklog | undefined>(
    (found, topic) => (found === undefined || topic.oldestAgeMs > found.oldestAgeMs ? topic : found),
    undefined,
  );
  const state = relays.rows[0];
  return {
    at: state?.now ?? new Date().toISOString(),
    backlog: {
      rows: topics.reduce((sum, topic) => sum + topic.rows, 0),
      oldestCreatedAt: oldest?.oldestCreatedAt ?? null,
      oldestAgeMs: oldest?.oldestAgeMs ?? 0,
    },
    topics,
    setAside: {
      rows: setAside.rows.reduce((sum, row) => sum + Number(row.rows), 0),
      byReason: Object.fromEntries(setAside.rows.map((row) => [row.reason, Number(row.rows)])),
    },
    relays: {
      live: Number(state?.live ?? 0),
      leasedShards: Number(state?.leased ?? 0),
      shards: Number(state?.shards ?? 0),
      batchesInFlight: Number(state?.claims ?? 0),
    },
  };
}
