import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface InboxEntry {
  topic: string;
  partition: number;
  offset: number;
  receivedAt: string;
}

/** The dispatcher's inbox row that deduplicated a message's command, if it is still kept. */
export async function readInboxEntry(em: EntityManager, messageId: string): Promise<InboxEntry | undefined> {
  const { rows } = await runSql<{ topic: string; partition: number; offset: string; received_at: string }>(
    em,
    `SELECT topic, partition, "offset", to_json(received_at) #>> '{}' AS received_at FROM inbox WHERE message_id = $1`,
    [messageId],
  );
  const row = rows[0];
  return row === undefined
    ? undefined
    : { topic: row.topic, partition: row.partition, offset: Number(row.offset), receivedAt: row.received_at };
}
