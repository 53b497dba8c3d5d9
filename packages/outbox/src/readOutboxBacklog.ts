import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface OutboxBacklog {
  backlog: number;
  oldestUnpublishedAgeSeconds: number;
  setAside: number;
}

/** The whole outbox's backlog, its oldest unpublished row's age and the rows set aside (the relay's gauges). */
export async function readOutboxBacklog(em: EntityManager): Promise<OutboxBacklog> {
  // The oldest row per shard is the first of its (shard, id) index: 32 index probes, no scan.
  const { rows } = await runSql<{ backlog: string; oldest: number | null; set_aside: string }>(
    em,
    `SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL) AS backlog,
            (SELECT extract(epoch FROM now() - min(first.created_at))::float8
               FROM generate_series(0, 31) AS s(shard)
              CROSS JOIN LATERAL (
                    SELECT created_at FROM outbox
                     WHERE shard = s.shard AND published_at IS NULL
                     ORDER BY id LIMIT 1) first) AS oldest,
            (SELECT count(*) FROM outbox_set_aside) AS set_aside`,
  );
  const row = rows[0];
  return {
    backlog: Number(row?.backlog ?? 0),
    oldestUnpublishedAgeSeconds: Math.max(0, row?.oldest ?? 0),
    setAside: Number(row?.set_aside ?? 0),
  };
}
