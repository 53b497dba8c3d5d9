import {
  jsonContentType,
  type MessageEvent,
  type MessageEventRecord,
  recordHeaders,
} from '@exactly/contracts';
import { enqueueOutboxStatement } from '@exactly/outbox';
import { runStatements, type SqlStatement } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';
import { appendToStreamsStatement, asConcurrencyConflict, type StreamAppend } from './appendToStreams.js';

export interface MessageEventsAppend<E extends MessageEvent = MessageEvent> extends StreamAppend<E> {
  accountId: string;
}

/**
 * Appends events to message streams and, in the same transaction and the same round trip, queues
 * each of them for the message-events topic (keyed by message id, so one message's events keep
 * their order). `also`: more independent writes of the caller's, sent in that round trip too.
 * A stream appended to concurrently throws `concurrency_conflict` (retryable).
 */
export async function recordMessageEvents<E extends MessageEvent>(
  em: EntityManager,
  appends: readonly MessageEventsAppend<E>[],
  options: { topic: string; at?: Date; also?: readonly SqlStatement[] },
): Promise<void> {
  const statements = [...messageEventsStatements(appends, options), ...(options.also ?? [])];
  try {
    await runStatements(em, statements);
  } catch (error) {
    throw asConcurrencyConflict(error, appends);
  }
}

/** The writes of `recordMessageEvents` as statements, for a caller that sends them with others of its own. */
export function messageEventsStatements<E extends MessageEvent>(
  appends: readonly MessageEventsAppend<E>[],
  { topic, at = new Date() }: { topic: string; at?: Date },
): SqlStatement[] {
  const append = appendToStreamsStatement(appends);
  const outbox = enqueueOutboxStatement(
    appends.flatMap((append) =>
      append.events.map((event, index) => {
        const payload: MessageEventRecord = {
          type: event.type,
          data: event.data,
          metadata: {
            streamId: append.streamId,
            version: append.expectedVersion + index + 1,
            accountId: append.accountId,
            at: at.toISOString(),
          },
        };
        return {
          topic,
          kafkaKey: append.streamId,
          payload,
          headers: {
            [recordHeaders.messageId]: append.streamId,
            [recordHeaders.accountId]: append.accountId,
            [recordHeaders.schemaVersion]: '1',
            [recordHeaders.contentType]: jsonContentType,
            // The relay's publish span continues the trace the event was decided in.
            ...(event.metadata?.traceparent === undefined
              ? {}
              : { [recordHeaders.traceparent]: event.metadata.traceparent }),
          },
        };
      }),
    ),
  );
  return [append, outbox].filter((statement) => statement !== undefined);
}
