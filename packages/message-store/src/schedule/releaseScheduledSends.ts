import type { ScheduledSendReleased } from '@exactly/contracts';
import type { OutboxEntry } from '@exactly/outbox';
import { enqueueOutboxStatement } from '@exactly/outbox';
import type { EntityManager } from '@mikro-orm/postgresql';
import { projectionUpdateStatement } from '../projectionUpdate.js';
import { recordMessageEvents } from '../recordMessageEvents.js';
import type { DueSend } from './claimDueSends.js';

/**
 * Releases claimed sends, inside the transaction that claimed them: `ScheduledSendReleased` on
 * each stream (queued for the events topic), the send commands in the outbox (`commands`, one per
 * send, built by the caller), the schedule rows `released` and the messages back to `accepted`,
 * in one round trip. The relay, the inbox and the effect take the command from there, as they do
 * any other, so a released send goes out once.
 */
export async function releaseScheduledSends(
  em: EntityManager,
  sends: readonly DueSend[],
  commands: readonly OutboxEntry[],
  options: { topic: string; at: Date },
): Promise<void> {
  if (sends.length === 0) return;
  const queued = enqueueOutboxStatement(commands);
  await recordMessageEvents<ScheduledSendReleased>(
    em,
    sends.map((send) => ({
      streamId: send.messageId,
      accountId: send.accountId,
      expectedVersion: send.version,
      events: [
        {
          type: 'ScheduledSendReleased',
          data: { sendAt: send.dueAt.toISOString() },
          metadata: { requestId: send.requestId, traceparent: send.traceparent },
        },
      ],
    })),
    {
      topic: options.topic,
      at: options.at,
      also: [
        ...(queued === undefined ? [] : [queued]),
        projectionUpdateStatement(
          sends.map((send) => ({ id: send.messageId, status: 'accepted', version: send.version + 1 })),
        ),
        {
          text: `UPDATE scheduled_sends SET state = 'released', released_at = now(), version = version + 1,
                  updated_at = now()
            WHERE message_id = ANY($1::text[])`,
          parameters: [sends.map((send) => send.messageId)],
        },
      ],
    },
  );
}
