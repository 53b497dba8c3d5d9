import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface StoredEvent {
  streamId: string;
  version: number;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

/** A stream's events, oldest first. */
export async function readStream(em: EntityManager, streamId: string): Promise<StoredEvent[]> {
  const { rows } = await runSql<StoredEvent>(
    em,
    `SELECT stream_id AS "streamId", version, type, data, metadata, created_at AS "createdAt"
       FROM message_events WHERE stream_id = $1 ORDER BY version`,
    [streamId],
  );
  return rows;
}
