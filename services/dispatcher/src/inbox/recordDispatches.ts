import { randomUUID } from 'node:crypto';
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
import type { ClaimedEffect } from '../effects/claimEffects.js';
import type { EffectHandoff } from '../effects/effectHandoff.js';
import { inJsonbKeyOrder } from '../effects/inJsonbKeyOrder.js';
import { type NewEffect, queueEffectsStatement } from '../effects/queueEffectsStatement.js';

/** A command the decider dispatched: its message's state before, the effect to queue and the events. */
export interface Dispatch {
  command: SendMessageCommand;
  state: MessageState;
  effectId: string;
  events: [DispatchRequested];
}

/** What an inbox transaction hands its executor once it commits. */
export interface EffectsHanding {
  /** Effects created claimed, in flight under this process's claim. */
  claimed: ClaimedEffect[];
  /** Providers of the effects created pending (no room), which the claim loop must take in turn. */
  queued: Set<string>;
}

/**
 * For each dispatch: its events appended (and queued for the events topic), the projection moved
 * with its stream, and its effect queued; with `also` (the stored offset), all in one round trip.
 * With a `handoff`, the effects its executor has room for are created claimed: they are pushed to
 * `handing.claimed` before the write (so that a failed transaction can give their room back), to be handed
 * over once it commits.
 */
export async function recordDispatches(
  tx: EntityManager,
  context: { eventsTopic: string; maxAttempts: number; handoff?: EffectHandoff | undefined },
  dispatches: readonly Dispatch[],
  also: readonly SqlStatement[],
  handing: EffectsHanding = { claimed: [], queued: new Set() },
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
  const newEffects: NewEffect[] = dispatches.map(({ command, effectId, events }) => ({
    id: effectId,
    messageId: command.data.messageId,
    accountId: command.data.accountId,
    channel: command.data.message.channel,
    provider: events[0].data.provider,
    request: command.data.message,
    claimed: false,
  }));
  const claim = claimAtCreation(context, newEffects, handing);
  const effects = queueEffectsStatement(newEffects, context.maxAttempts, claim);
  await recordMessageEvents(tx, appends, {
    topic: context.eventsTopic,
    also: [projection, effects, ...also],
  });
}

/**
 * Marks the new effects the handoff takes as claimed, and lists them as the executor will get
 * them; the providers of the others, queued pending, are listed too.
 */
function claimAtCreation(
  context: { maxAttempts: number; handoff?: EffectHandoff | undefined },
  effects: NewEffect[],
  { claimed, queued }: EffectsHanding,
): { claimToken: string; leaseMs: number } | undefined {
  const { handoff } = context;
  if (handoff === undefined) return undefined;
  const byProvider = new Map<string, NewEffect[]>();
  for (const effect of effects) {
    const group = byProvider.get(effect.provider);
    if (group === undefined) byProvider.set(effect.provider, [effect]);
    else group.push(effect);
  }
  const claimToken = randomUUID();
  const now = new Date();
  for (const [provider, group] of byProvider) {
    const granted = handoff.reserve(provider, group.length);
    if (granted < group.length) queued.add(provider);
    for (const effect of group.slice(0, granted)) {
      effect.claimed = true;
      claimed.push({
        id: effect.id,
        messageId: effect.messageId,
        accountId: effect.accountId,
        provider,
        providerKey: effect.messageId,
        // The bytes a later attempt sends, read from the row: the same key order.
        request: inJsonbKeyOrder(effect.request) as ClaimedEffect['request'],
        attempt: 1,
        maxAttempts: context.maxAttempts,
        claimToken,
        resumed: false,
        resumes: 0,
        createdAt: now,
        attemptStartedAt: now,
      });
    }
  }
  return claimed.length === 0 ? undefined : { claimToken, leaseMs: handoff.leaseMs };
}
