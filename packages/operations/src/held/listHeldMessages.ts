import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

/** A message held because its provider call's outcome is unknown. */
export interface HeldMessage {
  messageId: string;
  accountId: string;
  channel: string;
  recipient: string;
  provider: string;
  /** The attempt whose outcome is unknown. */
  attempt: number;
  /** Times an earlier run of that attempt was taken over after its process stopped. */
  resumes: number;
  /** Why it is held (the ambiguous attempt's error). */
  reason: string;
  callStartedAt: string | null;
  heldAt: string;
}

interface Row {
  message_id: string;
  account_id: string;
  channel: string;
  recipient: string;
  provider: string;
  attempt: number;
  resumes: number;
  last_error: string | null;
  call_started_at: Date | string | null;
  finished_at: Date | string;
}

const iso = (value: Date | string) => new Date(value).toISOString();

/**
 * Held messages, longest held first (what `exactly held list` and the dashboard show). Read from
 * the effects, whose `held` rows the dispatcher writes; `count` is every held message.
 */
export async function listHeldMessages(
  em: EntityManager,
  { limit = 50 }: { limit?: number } = {},
): Promise<{ count: number; messages: HeldMessage[] }> {
  const [{ rows }, total] = await Promise.all([
    runSql<Row>(
      em,
      `SELECT e.message_id, e.account_id, e.channel, e.request->>'to' AS recipient, e.provider, e.attempt,
              e.resumes, e.last_error, e.call_started_at, e.finished_at
         FROM effects e WHERE e.state = 'held' ORDER BY e.finished_at, e.id LIMIT $1`,
      [limit],
    ),
    countHeldMessages(em),
  ]);
  return {
    count: total,
    messages: rows.map((row) => ({
      messageId: row.message_id,
      accountId: row.account_id,
      channel: row.channel,
      recipient: row.recipient,
      provider: row.provider,
      attempt: row.attempt,
      resumes: row.resumes,
      reason: row.last_error ?? '',
      callStartedAt: row.call_started_at === null ? null : iso(row.call_started_at),
      heldAt: iso(row.finished_at),
    })),
  };
}

/** How many messages are held now (for a dashboard tile). */
export async function countHeldMessages(em: EntityManager): Promise<number> {
  const { rows } = await runSql<{ count: string }>(
    em.fork(),
    "SELECT count(*) AS count FROM effects WHERE state = 'held'",
  );
  return Number(rows[0]?.count ?? 0);
}
