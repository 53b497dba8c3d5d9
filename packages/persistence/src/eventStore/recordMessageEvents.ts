import { jsonContentType, type MessageEventRecord, recordHeaders } from '@exactly/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { enqueueOutbox } from '../outbox/enqueueOutbox.js';
import { appendToStreams, type StreamAppend } from './appendToStreams.js';

export interface MessageEventsAppend extends StreamAppend {
  accountId: string;
}

/**
 * Appends events to message streams and, in the same transaction, queues each of them for the
 * message-events topic (keyed by message id, so one message's events keep their order).
 */
export async function recordMessageEvents(
  em: EntityManager,
  appends: readonly MessageEventsAppend[],
  { topic, at = new Date() }: { topic: string; at?: Date },
): Promise<void> {
  await appendToStreams(em, appends);
  await enqueueOutbox(
    em,
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
          },
        };
      }),
    ),
  );
}
