import type { MessageStatus } from '@exactly/contracts';
import { initialMessageState, projectionUpdateStatement, recordMessageEvents } from '@exactly/message-store';
import { notifyOutbox } from '@exactly/outbox';
import { inTransaction, type Orm, runSql } from '@exactly/persistence';
import { decideHeldResolution, type HeldDecision } from './decideHeldResolution.js';

export type { HeldDecision };

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
    const decided = decideHeldResolution(
      { type: 'ResolveHeldMessage', data: resolution },
      {
        message:
          message === undefined
            ? initialMessageState()
            : { accountId: effect?.account_id, version: message.version, status: message.status },
        effect: effect?.state,
      },
    );
    if (decided.outcome !== 'resolved') return { messageId, ...decided };
    // Resolved only when the effect is held, so both rows are there.
    if (effect === undefined || message === undefined) throw new TypeError(`held ${messageId} lost its rows`);
    await recordMessageEvents(
      tx,
      [
        {
          streamId: messageId,
          accountId: effect.account_id,
          expectedVersion: message.version,
          events: decided.events,
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
            parameters: [effect.id, decided.effectState, `operator ${resolution.operator}: ${decision}`],
          },
          projectionUpdateStatement([{ id: messageId, status: decided.status, version: decided.version }]),
        ],
      },
    );
    return { messageId, outcome: 'resolved', decision, status: decided.status };
  });
  if (outcome.outcome === 'resolved') await notifyOutbox(orm.em.fork());
  return outcome;
}
