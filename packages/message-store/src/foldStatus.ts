import type { MessageEventType, MessageStatus } from '@exactly/contracts';
import { statusAfter } from './statusAfter.js';

// Every event type the projection folds (a Record, so a new type cannot be left out).
const folded: Record<MessageEventType, true> = {
  MessageAccepted: true,
  DispatchRequested: true,
  ProviderAccepted: true,
  ProviderCallFailed: true,
  RetryScheduled: true,
  MessageFailed: true,
  MessageHeld: true,
  OperatorMarkedSent: true,
  OperatorMarkedFailed: true,
  OperatorRequestedResend: true,
  MessageScheduled: true,
  MessageRescheduled: true,
  MessageChanged: true,
  MessageCancelled: true,
  ScheduledSendReleased: true,
};

/** Whether a stored event's type is one of the contracts' `MessageEvent` types. */
export function isMessageEventType(type: string): type is MessageEventType {
  return Object.hasOwn(folded, type);
}

/**
 * The status after a stored event, by the `statusAfter` rule: the one fold the live
 * writers, the rebuild and the replay share. An event of a type this version does not know
 * (written by a newer one) leaves the status as it is.
 */
export function foldStatus(current: MessageStatus | undefined, type: string): MessageStatus | undefined {
  return isMessageEventType(type) ? statusAfter(current, type) : current;
}
