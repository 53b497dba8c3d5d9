import type { MessageEvent } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import { runSql, type SqlStatement } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * An event to append: a member of the contracts' `MessageEvent` union (so a misspelt type or a
 * wrong payload is a type error), with the metadata that travels with it (request id, trace).
 */
export type NewEvent<E extends MessageEvent = MessageEvent> = E & { metadata?: Record<string, unknown> };

export interface StreamAppend<E extends MessageEvent = MessageEvent> {
  streamId: string;
  /** The stream's current version (0 for a new stream); the events get the versions after it. */
  expectedVersion: number;
  events: readonly NewEvent<E>[];
}

/**
 * The statement that appends events to one or more streams (undefined when there are none). Run
 * it inside the caller's transaction, and pass a failure through `asConcurrencyConflict`.
 */
export function appendToStreamsStatement<E extends MessageEvent>(
  appends: readonly StreamAppend<E>[],
): SqlStatement | undefined {
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
  if (streamIds.length === 0) return undefined;
  return {
    text: `INSERT INTO message_events (stream_id, version, type, data, metadata)
       SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::jsonb[], $5::jsonb[])`,
    parameters: [streamIds, versions, types, data, metadata],
  };
}

/**
 * A duplicate (stream_id, version) means another writer appended first: `concurrency_conflict`
 * (retryable). Any other error is returned as it is.
 */
export function asConcurrencyConflict(error: unknown, appends: readonly { streamId: string }[]): unknown {
  const { code, table } = error as { code?: string; table?: string };
  // The table named is the partition that refused the row (message_events_p20261205, ...).
  if (code !== '23505' || !/^message_events(_\w+)?$/.test(table ?? '')) return error;
  return new ExactlyError(
    'concurrency_conflict',
    'a stream was appended to concurrently; retry with its new version',
    {
      cause: error,
      details: { streams: [...new Set(appends.map((append) => append.streamId))] },
    },
  );
}

/**
 * Appends events to one or more streams in one statement, inside the caller's transaction.
 * Optimistic concurrency: if another writer already appended a version, the primary key
 * (stream_id, version) refuses it and this throws `concurrency_conflict` (retryable), so the
 * caller's transaction rolls back and nothing of it is kept.
 */
export async function appendToStreams<E extends MessageEvent>(
  em: EntityManager,
  appends: readonly StreamAppend<E>[],
): Promise<void> {
  const statement = appendToStreamsStatement(appends);
  if (statement === undefined) return;
  try {
    await runSql(em, statement.text, statement.parameters);
  } catch (error) {
    throw asConcurrencyConflict(error, appends);
  }
}
