import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

export type ScheduledSendState = 'pending' | 'released' | 'cancelled';

export interface ScheduledSendSummary {
  messageId: string;
  accountId: string;
  channel: string;
  recipient: string;
  state: ScheduledSendState;
  dueAt: string;
  /** When it last changed (accepted, rescheduled, changed, cancelled or released). */
  updatedAt: string;
}

export interface ScheduledSends {
  /** Rows of the schedule by state. */
  counts: Record<ScheduledSendState, number>;
  /** The earliest time a pending send is due, if any. */
  nextDueAt: string | null;
  /** Pending: soonest due first; released and cancelled: latest change first. */
  latest: ScheduledSendSummary[];
}

interface Row {
  message_id: string;
  account_id: string;
  channel: string;
  recipient: string;
  state: ScheduledSendState;
  due_at: string;
  updated_at: string;
}

/**
 * The schedule of sends asked for later, read for operators: counts by state (pending,
 * released, cancelled), the next one due, and the rows of one state (or of pending and cancelled
 * together when no state is given: what is still to come and what will never go out).
 */
export async function listScheduledSends(
  em: EntityManager,
  { state, limit = 20 }: { state?: ScheduledSendState; limit?: number } = {},
): Promise<ScheduledSends> {
  const [counts, latest] = await Promise.all([
    runSql<{ state: ScheduledSendState; count: string; next_due_at: string | null }>(
      em.fork(),
      `SELECT state, count(*) AS count,
              to_json(min(due_at) FILTER (WHERE state = 'pending')) #>> '{}' AS next_due_at
         FROM scheduled_sends GROUP BY state`,
    ),
    runSql<Row>(
      em.fork(),
      `(SELECT s.message_id, s.account_id, m.channel, m.recipient, s.state,
               to_json(s.due_at) #>> '{}' AS due_at, to_json(s.updated_at) #>> '{}' AS updated_at
          FROM scheduled_sends s JOIN messages m ON m.id = s.message_id
         WHERE s.state = 'pending' AND ($1::text IS NULL OR $1 = 'pending')
         ORDER BY s.due_at LIMIT $2)
       UNION ALL
       (SELECT s.message_id, s.account_id, m.channel, m.recipient, s.state,
               to_json(s.due_at) #>> '{}', to_json(s.updated_at) #>> '{}'
          FROM scheduled_sends s JOIN messages m ON m.id = s.message_id
         WHERE ($1::text IS NULL AND s.state = 'cancelled') OR (s.state = $1 AND $1 <> 'pending')
         ORDER BY s.updated_at DESC LIMIT $2)`,
      [state ?? null, limit],
    ),
  ]);
  const byState: Record<ScheduledSendState, number> = { pending: 0, released: 0, cancelled: 0 };
  for (const row of counts.rows) byState[row.state] = Number(row.count);
  return {
    counts: byState,
    nextDueAt: counts.rows.find((row) => row.state === 'pending')?.next_due_at ?? null,
    latest: latest.rows.map((row) => ({
      messageId: row.message_id,
      accountId: row.account_id,
      channel: row.channel,
      recipient: row.recipient,
      state: row.state,
      dueAt: row.due_at,
      updatedAt: row.updated_at,
    })),
  };
}
