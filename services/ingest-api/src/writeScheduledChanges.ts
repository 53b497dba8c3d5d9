import { ExactlyError } from '@exactly/errors';
import type { EntityManager } from '@exactly/idempotency';
import { changeScheduledSend, readScheduledSend } from '@exactly/message-store';
import { runSql } from '@exactly/persistence';
import { assertChangeable, type ScheduledChange } from './scheduledChange.js';

/**
 * Writes clients' changes to scheduled sends inside the idempotency transaction: each locks its
 * schedule row (`FOR UPDATE`; the scheduler's claim skips a locked row), checks it is still
 * pending and unchanged since the change was decided, then appends the events and moves the rows.
 * A send the scheduler released meanwhile answers 409 `send_started`; nothing is written.
 */
export function writeScheduledChanges(eventsTopic: string) {
  return async (em: EntityManager, changes: ScheduledChange[]): Promise<void> => {
    for (const change of changes) {
      const message = await readScheduledSend(em, change.accountId, change.messageId, { lock: true });
      assertChangeable(message, change.messageId, change.kind);
      if (message.schedule.version !== change.scheduleVersion) {
        throw new ExactlyError('concurrency_conflict', `message ${change.messageId} changed concurrently`, {
          details: { streams: [change.messageId] },
        });
      }
      if (change.events.length === 0) continue;
      await changeScheduledSend(
        em,
        {
          message,
          events: change.events,
          ...(change.content === undefined ? {} : { content: change.content }),
          ...(change.dueAt === undefined ? {} : { dueAt: change.dueAt }),
          cancel: change.kind === 'cancel',
        },
        { topic: eventsTopic, at: new Date() },
      );
    }
  };
}

/** Which changes are already written: their request's events are in the stream (a lost COMMIT answer). */
export async function scheduledChangesStored(
  em: EntityManager,
  changes: readonly ScheduledChange[],
): Promise<boolean[]> {
  const { rows } = await runSql<{ stream_id: string; request_id: string }>(
    em,
    `SELECT stream_id, metadata ->> 'requestId' AS request_id FROM message_events
      WHERE stream_id = ANY($1::text[]) AND type IN ('MessageRescheduled', 'MessageChanged', 'MessageCancelled')`,
    [changes.map((change) => change.messageId)],
  );
  const stored = new Set(rows.map((row) => `${row.stream_id} ${row.request_id}`));
  return changes.map(
    (change) => change.events.length === 0 || stored.has(`${change.messageId} ${change.requestId}`),
  );
}
