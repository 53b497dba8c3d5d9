import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

/** An accepted command that has not reached a terminal state in time, and where it stands. */
export interface StuckCommand {
  messageId: string;
  accountId: string;
  messageKey: string;
  status: string;
  ageMs: number;
  /** Where the command is in the pipeline, in words: why it is not done yet. */
  why: string;
}

/** Statuses a command may stay in only for a while: every other one is terminal. */
export const inFlightStatuses = ['accepted', 'dispatching'] as const;

interface StuckRow {
  id: string;
  account_id: string;
  message_key: string;
  status: string;
  age_ms: string;
  outbox: string | null;
  set_aside: string | null;
  inbox: string | null;
  effect: string | null;
}

/**
 * Commands still in flight (`accepted`, `dispatching`) longer than `olderThanMs` on the
 * database's clock, oldest first, each with where it stands: its outbox row (unpublished, or set
 * aside with the reason), the inbox, its effect with its last error (a retry's, or why the effect
 * was held while its message stayed in flight: the dispatcher's last resort when even MessageHeld
 * could not be written). An operator's audit: after a healthy run it is empty. Reads `messages`
 * by status, which no index serves (status updates stay HOT without one): meant for an operator
 * now and then, not for a dashboard's every sample.
 */
export async function findStuckCommands(
  em: EntityManager,
  { olderThanMs, limit = 100 }: { olderThanMs: number; limit?: number },
): Promise<StuckCommand[]> {
  const { rows } = await runSql<StuckRow>(
    em,
    `SELECT m.id, m.account_id, m.message_key, m.status,
            floor(extract(epoch FROM now() - COALESCE(r.released_at, m.created_at)) * 1000) AS age_ms,
            (SELECT 'outbox row ' || o.id || CASE WHEN o.published_at IS NULL
                      THEN ' not yet published (' || floor(extract(epoch FROM now() - o.created_at)) || ' s old)'
                      ELSE ' published' END
               FROM outbox o
              WHERE o.payload ->> 'type' = 'SendMessage' AND o.payload -> 'data' ->> 'messageId' = m.id
              ORDER BY o.id DESC LIMIT 1) AS outbox,
            (SELECT s.reason FROM outbox_set_aside s
              WHERE s.payload ->> 'type' = 'SendMessage' AND s.payload -> 'data' ->> 'messageId' = m.id
              LIMIT 1) AS set_aside,
            (SELECT 'partition ' || i.partition || ' offset ' || i."offset" FROM inbox i WHERE i.message_id = m.id) AS inbox,
            (SELECT 'effect ' || e.state || ', attempt ' || e.attempt || ' of ' || e.max_attempts ||
                    CASE WHEN e.resumes > 0 THEN ', resumed ' || e.resumes || ' times' ELSE '' END ||
                    CASE WHEN e.last_error IS NOT NULL THEN ', last error: ' || left(e.last_error, 500) ELSE '' END
               FROM effects e WHERE e.message_id = m.id LIMIT 1) AS effect
       FROM messages m
            -- A scheduled send is in flight from its release, not from its acceptance.
            LEFT JOIN scheduled_sends r ON r.message_id = m.id
      WHERE m.status = ANY($1::text[])
        AND COALESCE(r.released_at, m.created_at) < now() - $2 * interval '1 millisecond'
      ORDER BY COALESCE(r.released_at, m.created_at)
      LIMIT $3`,
    [[...inFlightStatuses], olderThanMs, limit],
  );
  return rows.map((row) => ({
    messageId: row.id,
    accountId: row.account_id,
    messageKey: row.message_key,
    status: row.status,
    ageMs: Number(row.age_ms),
    why: describe(row),
  }));
}

function describe(row: StuckRow): string {
  if (row.set_aside) return `set aside by the relay: ${row.set_aside}`;
  if (row.outbox) return row.outbox;
  if (!row.inbox) return 'published, not yet consumed by the dispatcher (no inbox row)';
  if (!row.effect) return `consumed (${row.inbox}) but no effect was written`;
  return `consumed (${row.inbox}); ${row.effect}`;
}
