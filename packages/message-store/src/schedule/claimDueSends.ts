import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

/** A scheduled send that fell due, claimed (row-locked) by this transaction. */
export interface DueSend {
  messageId: string;
  accountId: string;
  messageKey: string;
  batchId: string | undefined;
  /** The send command as accepted or last changed. */
  content: unknown;
  createdAt: Date;
  dueAt: Date;
  /** The message stream's version. */
  version: number;
  requestId: string;
  traceparent: string;
}

interface Row {
  message_id: string;
  account_id: string;
  message_key: string;
  batch_id: string | null;
  content: unknown;
  created_at: Date;
  due_at: Date;
  version: number;
  request_id: string;
  traceparent: string;
}

/**
 * Claims up to `limit` pending sends due by the database's clock, oldest first. `SKIP LOCKED`:
 * schedulers running side by side claim different rows, and a row a client is changing right
 * now waits for the next round. Run inside the transaction that releases them.
 */
export async function claimDueSends(em: EntityManager, limit: number): Promise<DueSend[]> {
  const { rows: claimed } = await runSql<{ message_id: string }>(
    em,
    `SELECT message_id FROM scheduled_sends
      WHERE state = 'pending' AND due_at <= now()
      ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  if (claimed.length === 0) return [];
  // Read after the lock, so the content and version are the latest a client committed.
  const { rows } = await runSql<Row>(
    em,
    `SELECT s.message_id, s.account_id, m.message_key, m.batch_id, m.content, m.created_at, s.due_at,
            m.version, s.request_id, s.traceparent
       FROM scheduled_sends s JOIN messages m ON m.id = s.message_id
      WHERE s.message_id = ANY($1::text[]) AND s.state = 'pending'
      ORDER BY s.due_at`,
    [claimed.map((row) => row.message_id)],
  );
  return rows.map((row) => ({
    messageId: row.message_id,
    accountId: row.account_id,
    messageKey: row.message_key,
    batchId: row.batch_id ?? undefined,
    content: row.content,
    createdAt: new Date(row.created_at),
    dueAt: new Date(row.due_at),
    version: row.version,
    requestId: row.request_id,
    traceparent: row.traceparent,
  }));
}
