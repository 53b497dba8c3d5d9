import { ExactlyError } from '@exactly/errors';
import type { EntityManager } from '@mikro-orm/postgresql';
import { runSql } from '../runSql.js';

export interface NewEvent {
  type: string;
  data: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

export interface StreamAppend {
  streamId: string;
  /** The stream's current version (0 for a new stream); the events get the versions after it. */
  expectedVersion: number;
  events: NewEvent[];
}

/**
 * Appends events to one or more streams in one statement, inside the caller's transaction.
 * Optimistic concurrency: if another writer already appended a version, the primary key
 * (stream_id, version) refuses it and this throws `concurrency_conflict` (retryable), so the
 * caller's transaction rolls back and nothing of it is kept.
 */
export async function appendToStreams(em: EntityManager, appends: readonly StreamAppend[]): Promise<void> {
  const streamIds: string[] = [];
  const versions: number[] = [];
  const types: string[] = [];
  const data: string[] = [];
  const metadata: string[] = [];
  for (const append of appends) {
    append.events.forEach((event, index) => {
      streamIds.push(append.streamId);
      versions.push(append.expectedVersion + index + 1);
      types.push(event.type);
      data.push(JSON.stringify(event.data));
      metadata.push(JSON.stringify(event.metadata ?? {}));
    });
  }
  if (streamIds.length === 0) return;
  try {
    await runSql(
      em,
      `INSERT INTO message_events (stream_id, version, type, data, metadata)
       SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::jsonb[], $5::jsonb[])`,
      [streamIds, versions, types, data, metadata],
    );
  } catch (error) {
    if ((error as { code?: string }).code === '23505') {
      throw new ExactlyError(
        'concurrency_conflict',
        'a stream was appended to concurrently; retry with its new version',
        {
          cause: error,
          details: { streams: [...new Set(streamIds)] },
        },
      );
    }
    throw error;
  }
}
