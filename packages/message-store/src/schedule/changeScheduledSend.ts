import type { MessageCancelled, MessageChanged, MessageRescheduled } from '@exactly/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { NewEvent } from '../appendToStreams.js';
import { recordMessageEvents } from '../recordMessageEvents.js';
import { statusAfter } from '../statusAfter.js';
import type { ScheduledMessage } from './readScheduledSend.js';

export type ScheduleChangeEvent = MessageRescheduled | MessageChanged | MessageCancelled;

export interface ScheduledSendChange {
  /** The message as read under the schedule row's lock, in this transaction. */
  message: ScheduledMessage;
  events: readonly NewEvent<ScheduleChangeEvent>[];
  /** The new send command, when the content changed. */
  content?: { channel: string; to: string; from: string } & Record<string, unknown>;
  dueAt?: Date;
  cancel?: boolean;
}

/**
 * Applies a client's change to a pending scheduled send, inside the caller's transaction that
 * locked it (`readScheduledSend` with `lock`): appends the events (queued for the events topic),
 * moves the `messages` row (content, status, version) and the schedule row, in one round trip.
 */
export async function changeScheduledSend(
  em: EntityManager,
  change: ScheduledSendChange,
  options: { topic: string; at: Date },
): Promise<void> {
  const { message, content } = change;
  const status = change.events.reduce((current, event) => statusAfter(current, event.type), message.status);
  const version = message.version + change.events.length;
  await recordMessageEvents(
    em,
    [
      {
        streamId: message.messageId,
        accountId: message.accountId,
        expectedVersion: message.version,
        events: change.events,
      },
    ],
    {
      topic: options.topic,
      at: options.at,
      also: [
        {
          text: `UPDATE messages SET content = COALESCE($2::jsonb, content), channel = COALESCE($3, channel),
                  recipient = COALESCE($4, recipient), sender = COALESCE($5, sender),
                  status = $6, version = $7, updated_at = now()
            WHERE id = $1`,
          parameters: [
            message.messageId,
            content === undefined ? null : JSON.stringify(content),
            content?.channel ?? null,
            content?.to ?? null,
            content?.from ?? null,
            status,
            version,
          ],
        },
        {
          text: `UPDATE scheduled_sends SET due_at = COALESCE($2::timestamptz, due_at),
                  state = CASE WHEN $3::boolean THEN 'cancelled' ELSE state END,
                  version = version + 1, updated_at = now()
            WHERE message_id = $1`,
          parameters: [message.messageId, change.dueAt?.toISOString() ?? null, change.cancel === true],
        },
      ],
    },
  );
}
