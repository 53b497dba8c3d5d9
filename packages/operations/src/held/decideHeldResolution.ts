import type {
  MessageEvent,
  MessageStatus,
  OperatorMarkedFailed,
  OperatorMarkedSent,
  OperatorRequestedResend,
} from '@exactly/contracts';
import { evolveMessage, initialMessageState, type MessageState } from '@exactly/message-store';

/** The operator's decision about a held message. */
export type HeldDecision = 'sent' | 'failed' | 'send_again';

/** The operator's instruction: settle a held message. */
export interface ResolveHeldMessage {
  type: 'ResolveHeldMessage';
  data: {
    messageId: string;
    decision: HeldDecision;
    /** Who decided (recorded in the event). */
    operator: string;
    note?: string;
  };
}

/** What the decision needs: the message's stream and the state of its effect (undefined: none). */
export interface HeldMessageState {
  message: MessageState;
  effect: string | undefined;
}

type OperatorEvent = OperatorMarkedSent | OperatorMarkedFailed | OperatorRequestedResend;

export type HeldResolutionDecision =
  | {
      outcome: 'resolved';
      events: [OperatorEvent];
      /** The effect's next state; `pending` makes the dispatcher claim one more attempt. */
      effectState: 'succeeded' | 'failed' | 'pending';
      status: MessageStatus;
      version: number;
    }
  | { outcome: 'not_held'; status: MessageStatus | undefined }
  | { outcome: 'not_found' };

const eventOf = {
  sent: 'OperatorMarkedSent',
  failed: 'OperatorMarkedFailed',
  send_again: 'OperatorRequestedResend',
} as const satisfies Record<HeldDecision, OperatorEvent['type']>;

const effectStateOf = {
  sent: 'succeeded',
  failed: 'failed',
  send_again: 'pending',
} as const satisfies Record<HeldDecision, string>;

/**
 * An operator settles a held message: the decision as an event, the message's status by the
 * contracts' rule and the effect's next state. Only a message that is held now, with its effect
 * held, is changed: one settled meanwhile (a late answer, another operator) is `not_held`.
 */
export function decideHeldResolution(
  command: ResolveHeldMessage,
  state: HeldMessageState,
): HeldResolutionDecision {
  const { decision, operator, note } = command.data;
  if (state.message.version === 0) return { outcome: 'not_found' };
  if (state.effect !== 'held' || state.message.status !== 'held') {
    return { outcome: 'not_held', status: state.message.status };
  }
  const event: OperatorEvent = { type: eventOf[decision], data: { operator, ...(note ? { note } : {}) } };
  const after = evolveMessage(state.message, event);
  return {
    outcome: 'resolved',
    events: [event],
    effectState: effectStateOf[decision],
    status: after.status ?? 'held',
    version: after.version,
  };
}

export const initialHeldMessageState = (): HeldMessageState => ({
  message: initialMessageState(),
  effect: undefined,
});

/**
 * One event applied: the message's stream, and its effect's state as the dispatcher's and the
 * operator's writes leave it with that event (the effect row is what the live decision reads).
 */
export function evolveHeldMessage(state: HeldMessageState, event: MessageEvent): HeldMessageState {
  return { message: evolveMessage(state.message, event), effect: effectAfter(state.effect, event) };
}

function effectAfter(effect: string | undefined, event: MessageEvent): string | undefined {
  switch (event.type) {
    case 'DispatchRequested':
    case 'RetryScheduled':
    case 'OperatorRequestedResend':
      return 'pending';
    case 'ProviderAccepted':
    case 'OperatorMarkedSent':
      return 'succeeded';
    case 'MessageFailed':
    case 'OperatorMarkedFailed':
      return 'failed';
    case 'MessageHeld':
      return 'held';
    default:
      return effect;
  }
}
