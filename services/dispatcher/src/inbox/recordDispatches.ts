import type { DispatchRequested, SendMessageCommand } from '@exactly/contracts';
import {
  evolveMessage,
  type MessageEventsAppend,
  type MessageState,
  projectionUpdateStatement,
  recordMessageEvents,
} from '@exactly/message-store';
import { runStatements, type SqlStatement } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';
import { queueEffectsStatement } from '../effects/queueEffectsStatement.js';

/** A command the decider dispatched: its message's state before, the effect to queue and the events. */
export interface Dispatch {
  command: SendMessageCommand;
  state: MessageState;
  effectId: string;
  events: [DispatchRequested];
}

/**
 * For each dispatch: its events appended (and queued for the events topic), the projection moved
 * with its stream, and its effect queued; with `also` (the stored offset), all in one round trip.
 */
export async function recordDispatches(
  tx: EntityManager,
  context: { eventsTopic: string; maxAttempts: number },
  dispatches: readonly Dispatch[],
  also: readonly SqlStatement[],
): Promise<void> {
  if (dispatches.length === 0) {
    await runStatements(tx, also);
    return;
  }
  const appends: MessageEventsAppend[] = dispatches.map(({ command, state, events }) => ({
    streamId: command.data.messageId,
    accountId: command.data.accountId,
    expectedVersion: state.version,
    events,
  }));
  const projection = projectionUpdateStatement(
    dispatches.map(({ command, state, events }) => {
      const after = events.reduce(evolveMessage, state);
      return { id: command.data.messageId, status: after.status ?? 'dispatching', version: after.version };
    }),
  );
  const effects = queueEffectsStatement(
    dispatches.map(({ command, effectId, events }) => ({
      id: effectId,
      messageId: command.data.messageId,
      accountId: command.data.accountId,
      channel: command.data.message.channel,
      provider: events[0].data.provider,
      request: command.data.message,
    })),
    context.maxAttempts,
  );
  await recordMessageEvents(tx, appends, {
    topic: context.eventsTopic,
    also: [projection, effects, ...also],
  });
}
