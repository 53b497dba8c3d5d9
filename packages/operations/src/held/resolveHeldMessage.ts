import type { MessageEvent, MessageStatus } from '@exactly/contracts';
import { projectionUpdateStatement, recordMessageEvents, statusAfter } from '@exactly/message-store';
import { notifyOutbox } from '@exactly/outbox';
import { inTransaction, type Orm, runSql } from '@exactly/persistence';

/** The operator's decision about a held message. */
export type HeldDecision = 'sent' | 'failed' | 'send_again';

export interface HeldResolution {
  messageId: string;
  decision: HeldDecision;
  /** Who decided (recorded in the event). */
  operator: string;
  note?: string;
}

export type HeldResolutionOutcome =
  | { messageId: string; outcome: 'resolved'; decision: HeldDecision; status: MessageStatus }
  | { messageId: string; outcome: 'not_held'; status: MessageStatus | undefined }
  | { messageId: string; outcome: 'not_found' };

type OperatorDecisionEvent = Extract<
  MessageEvent,
  { type: 'OperatorMarkedSent' | 'OperatorMarkedFailed' | 'OperatorRequestedResend' }
>;

function eventOf(decision: HeldDecision, data: OperatorDecisionEvent['data']): OperatorDecisionEvent {
  switch (decision) {
    case 'sent':
      return { type: 'OperatorMarkedSent', data };
    case 'failed':
      return { type: 'OperatorMarkedFailed', data };
    case 'send_again':
      return { type: 'OperatorRequestedResend', data };
  }
}

/** The effect's state after the decision; `pending` makes the dispatcher claim one more attempt. */
const effectStateOf: Record<HeldDecision, 'succeeded' | 'failed' | 'pending'> = {
  sent: 'succeeded',
  failed: 'failed',
  send_again: 'pending',
};

/**
 * Records an operator's decision about a held message, in one transaction: the decision as an
 * event on the message's stream (and the message-events topic), the status by the contracts'
 * rule, and the effect's state (settled, or due again for one more attempt with the same key).
 * Only a message that is held now is changed: one settled meanwhile (a late answer, another
 * operator) is reported as `not_held` and left alone. The effect row is locked first, the same
 * order the dispatcher's recording uses.
 */
export async function resolveHeldMessage(
  orm: Orm,
  resolution: HeldResolution,
  { eventsTopic }: { eventsTopic: string },
): Promise<HeldResolutionOutcome> {
  const { messageId, decision } = resolution;
  const outcome = await inTransaction(orm, async (tx): Promise<HeldResolutionOutcome> => {
    const { rows: effects } = await runSql<{ id: string; account_id: string; state: string }>(
      tx,
      'SELECT id, account_id, state FROM effects WHERE message_id = $1 FOR UPDATE',
      [messageId],
    );
    const { rows: messages } = await runSql<{ version: number; status: MessageStatus }>(
      tx,
      'SELECT version, status FROM messages WHERE id = $1 FOR UPDATE',
      [messageId],
    );
    const effect = effects[0];
    const message = messages[0];
    if (message === undefined) return { messageId, outcome: 'not_found' };
    if (effect === undefined || effect.state !== 'held' || message.status !== 'held') {
      return { messageId, outcome: 'not_held', status: message.status };
    }
    const event = eventOf(decision, {
      operator: resolution.operator,
      ...(resolution.note ? { note: resolution.note } : {}),
    });
    const status = statusAfter(message.status, event.type);
    await recordMessageEvents(
      tx,
      [
        {
          streamId: messageId,
          accountId: effect.account_id,
          expectedVersion: message.version,
          events: [event],
        },
      ],
      {
        topic: eventsTopic,
        also: [
          {
            text: `UPDATE effects SET state = $2, claim_token = NULL, due_at = now(),
                          finished_at = CASE WHEN $2 = 'pending' THEN NULL ELSE now() END,
                          last_error = CASE WHEN $2 = 'pending' THEN last_error ELSE $3 END
                    WHERE id = $1`,
            parameters: [effect.id, effectStateOf[decision], `operator ${resolution.operator}: ${decision}`],
          },
          projectionUpdateStatement([{ id: messageId, status, version: message.version + 1 }]),
        ],
      },
    );
    return { messageId, outcome: 'resolved', decision, status };
  });
  if (outcome.outcome === 'resolved') await notifyOutbox(orm.em.fork());
  return outcome;
}
