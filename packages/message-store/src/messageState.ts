import type { MessageEvent, MessageStatus } from '@exactly/contracts';
import { statusAfter } from './statusAfter.js';

/** What the deciders know of a message: its stream folded (the `messages` projection holds the same). */
export interface MessageState {
  /** The account that sent it; undefined until `MessageAccepted`. */
  accountId: string | undefined;
  /** The number of events in its stream. */
  version: number;
  status: MessageStatus | undefined;
}

export const initialMessageState = (): MessageState => ({
  accountId: undefined,
  version: 0,
  status: undefined,
});

/** One event applied to the state, with the projection's status rule. */
export function evolveMessage(state: MessageState, event: MessageEvent): MessageState {
  return {
    accountId: event.type === 'MessageAccepted' ? event.data.accountId : state.accountId,
    version: state.version + 1,
    status: statusAfter(state.status, event.type),
  };
}
