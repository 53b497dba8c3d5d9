import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface MessageDeadLetter {
  id: number;
  code: string;
  reason: string;
  createdAt: string;
}

/** The dead letters of one message, oldest first. */
export async function listMessageDeadLetters(
  em: EntityManager,
  messageId: string,
): Promise<MessageDeadLetter[]> {
  const { rows } = await runSql<{ id: string; code: string; reason: string; created_at: string }>(
    em,
    `SELECT id, code, reason, to_json(created_at) #>> '{}' AS created_at FROM dead_letters
      WHERE message_id = $1 ORDER BY id`,
    [messageId],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    code: row.code,
    reason: row.reason,
    createdAt: row.created_at,
  }));
}
