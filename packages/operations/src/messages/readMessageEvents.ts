import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface StoredMessageEvent {
  version: number;
  type: string;
  /** When it was appended (ISO 8601). */
  at: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** A message's event stream from the event store, in order. */
export async function readMessageEvents(em: EntityManager, messageId: string): Promise<StoredMessageEvent[]> {
  const { rows } = await runSql<StoredMessageEvent>(
    em,
    `SELECT version, type, to_json(created_at) #>> '{}' AS at, data, metadata
       FROM message_events WHERE stream_id = $1 ORDER BY version`,
    [messageId],
  );
  return rows.map((event) => ({ ...event, version: Number(event.version) }));
}
