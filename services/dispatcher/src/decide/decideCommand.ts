import type { DispatchRequested, EventMetadata } from '@exactly/contracts';
import type { ErrorCode } from '@exactly/errors';
import type { MessageState } from '@exactly/message-store';

/** The instruction the inbox stage decides on: dispatch one message through its provider. */
export interface DispatchMessage {
  type: 'DispatchMessage';
  data: {
    messageId: string;
    accountId: string;
    /** The provider of the message's channel. */
    provider: string;
    /**
     * What the inbox knew of the command: its first delivery, a repeat of the same payload, or
     * the same id with another payload. Absent for a command that was never accepted: it is set
     * aside before the inbox, so a forged or misrouted copy never takes a real command's id.
     */
    delivery?: 'first' | 'repeat' | 'conflicting';
  };
  metadata: EventMetadata;
}

export type CommandDecision =
  | { outcome: 'dispatch'; effectId: string; events: [DispatchRequested] }
  | { outcome: 'duplicate' }
  | { outcome: 'dead_letter'; code: ErrorCode; reason: string };

/** The id of a message's effect: derived from the message id, so there is one per message. */
export function effectIdFor(messageId: string): string {
  return `eff_${messageId}`;
}

/** Whether the message exists for the command's account, that is, the command was accepted. */
export function wasAccepted(state: MessageState, accountId: string): boolean {
  return state.accountId === accountId;
}

/**
 * A command arrived: dispatch it (`DispatchRequested` and one effect), drop it as a duplicate,
 * or set it aside as a dead letter, from the message's stream and what the inbox knew of it.
 */
export function decideCommand(command: DispatchMessage, state: MessageState): CommandDecision {
  const { messageId, accountId, provider, delivery } = command.data;
  if (!wasAccepted(state, accountId)) {
    return {
      outcome: 'dead_letter',
      code: 'command_not_accepted',
      reason: `no message ${messageId} for account ${accountId}: the command was never accepted`,
    };
  }
  if (delivery === undefined) throw new TypeError(`command ${messageId} is decided before the inbox saw it`);
  if (delivery === 'repeat') return { outcome: 'duplicate' };
  if (delivery === 'conflicting') {
    return {
      outcome: 'dead_letter',
      code: 'payload_conflict',
      reason: `command ${messageId} was handled before with another payload`,
    };
  }
  if (state.status === 'scheduled' || state.status === 'cancelled') {
    // Only the scheduler queues a scheduled message's command, and only as it releases it.
    return {
      outcome: 'dead_letter',
      code: 'command_not_accepted',
      reason: `message ${messageId} is ${state.status}: its send was never released`,
    };
  }
  // Accepted and not dispatched yet: version 1, or later once a scheduled send was released.
  if (state.status !== 'accepted') {
    // The stream already has dispatcher events, yet the inbox did not know the command: its inbox
    // row was cleaned up, so this delivery reaches past the deduplication horizon. Never run it again.
    return {
      outcome: 'dead_letter',
      code: 'replay_beyond_horizon',
      reason: `message ${messageId} was dispatched before (stream version ${state.version}) and its inbox record has expired`,
    };
  }
  const effectId = effectIdFor(messageId);
  return {
    outcome: 'dispatch',
    effectId,
    events: [{ type: 'DispatchRequested', data: { provider, effectId }, metadata: command.metadata }],
  };
}
