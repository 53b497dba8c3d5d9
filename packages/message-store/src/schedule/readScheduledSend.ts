import type { MessageStatus } from '@exactly/contracts';
import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

export type ScheduledSendState = 'pending' | 'released' | 'cancelled';

/** A message and its place in the schedule (absent `schedule`: it was never scheduled). */
export interface ScheduledMessage {
  messageId: string;
  accountId: string;
  channel: string;
  recipient: string;
  sender: string;
  /** The send command as accepted or last changed. */
  content: Record<string, unknown>;
  status: MessageStatus;
  /** The message stream's version. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
  schedule?: { dueAt: Date; state: ScheduledSendState; version: number };
}

interface Row {
  id: string;
  account_id: string;
  channel: string;
  recipient: string;
  sender: string;
  content: Record<string, unknown>;
  status: MessageStatus;
  version: number;
  created_at: Date;
  updated_at: Date;
  due_at: Date | null;
  state: ScheduledSendState | null;
  schedule_version: number | null;
}

/**
 * A message of the account with its schedule. With `lock`, the schedule row is locked (`FOR
 * UPDATE`) first, so a change and the scheduler's release never both win: whichever locks it
 * second sees what the first did.
 */
export async function readScheduledSend(
  em: EntityManager,
  accountId: string,
  messageId: string,
  { lock = false }: { lock?: boolean } = {},
): Promise<ScheduledMessage | undefined> {
  if (lock) {
    await runSql(em, 'SELECT 1 FROM scheduled_sends WHERE message_id = $1 AND account_id = $2 FOR UPDATE', [
      messageId,
      accountId,
    ]);
  }
  // Read after the lock, in a statement of its own, so it sees the latest committed change.
  const { rows } = await runSql<Row>(
    em,
    `SELECT m.id, m.account_id, m.channel, m.recipient, m.sender, m.content, m.status, m.version,
            m.created_at, m.updated_at, s.due_at, s.state, s.version AS schedule_version
       FROM messages m LEFT JOIN scheduled_sends s ON s.message_id = m.id
      WHERE m.id = $1 AND m.account_id = $2`,
    [messageId, accountId],
  );
  const [row] = rows;
  if (row === undefined) return undefined;
  return {
    messageId: row.id,
    accountId: row.account_id,
    channel: row.channel,
    recipient: row.recipient,
    sender: row.sender,
    content: row.content,
    status: row.status,
    version: row.version,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    ...(row.due_at === null || row.state === null || row.schedule_version === null
      ? {}
      : { schedule: { dueAt: new Date(row.due_at), state: row.state, version: row.schedule_version } }),
  };
}
