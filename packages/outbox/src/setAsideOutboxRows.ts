import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

/** A command whose outbox row was set aside: its message will never be dispatched. */
export interface SetAsideCommand {
  messageId: string;
  reason: string;
}

/**
 * Moves unpublishable rows to `outbox_set_aside` with their reason, inside the caller's
 * transaction, and returns the send commands among them, so the caller can end their messages
 * in the same transaction (a command that never reaches Kafka would otherwise leave its message
 * `accepted` for ever).
 */
export async function setAsideOutboxRows(
  em: EntityManager,
  rows: readonly { id: string; reason: string }[],
): Promise<SetAsideCommand[]> {
  const { rows: commands } = await runSql<{ message_id: string; reason: string }>(
    em,
    `WITH reasons AS (SELECT * FROM unnest($1::bigint[], $2::text[]) AS r(id, reason)),
          moved AS (
            DELETE FROM outbox o USING reasons r WHERE o.id = r.id
            RETURNING o.id, o.topic, o.kafka_key, o.payload, o.headers, o.created_at, r.reason),
          kept AS (
            INSERT INTO outbox_set_aside (id, topic, kafka_key, payload, headers, created_at, reason)
            SELECT id, topic, kafka_key, payload, headers, created_at, reason FROM moved
            ON CONFLICT (id) DO NOTHING)
     SELECT payload->'data'->>'messageId' AS message_id, reason FROM moved
      WHERE payload->>'type' = 'SendMessage' AND payload->'data'->>'messageId' IS NOT NULL`,
    [rows.map((row) => row.id), rows.map((row) => row.reason)],
  );
  return commands.map((command) => ({ messageId: command.message_id, reason: command.reason }));
}
