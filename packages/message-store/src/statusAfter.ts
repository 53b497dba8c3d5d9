import type { MessageEventType, MessageStatus } from '@exactly/contracts';

/** The status a message has after an event: the one rule the live projection and a rebuild share. */
export function statusAfter(current: MessageStatus | undefined, eventType: MessageEventType): MessageStatus {
  // A cancelled message is never sent: nothing later reopens it.
  if (current === 'cancelled') return current;
  switch (eventType) {
    case 'MessageAccepted':
      return 'accepted';
    case 'DispatchRequested':
    case 'ProviderCallFailed':
    case 'RetryScheduled':
      // A late retry event never reopens a message that already reached its end.
      return current === 'sent' || current === 'failed' || current === 'held' ? current : 'dispatching';
    case 'ProviderAccepted':
      // Also a held message's late answer: it settles the message by itself.
      return 'sent';
    case 'MessageFailed':
      return current === 'sent' ? 'sent' : 'failed';
    case 'MessageHeld':
      return current === 'sent' || current === 'failed' ? current : 'held';
    // The operator's decisions apply to a held message only; anything else keeps its status.
    case 'OperatorMarkedSent':
      return current === 'held' ? 'sent' : (current ?? 'held');
    case 'OperatorMarkedFailed':
      return current === 'held' ? 'failed' : (current ?? 'held');
    case 'OperatorRequestedResend':
      return current === 'held' ? 'dispatching' : (current ?? 'held');
    case 'MessageScheduled':
      return current === undefined || current === 'accepted' ? 'scheduled' : current;
    // A change to a scheduled message keeps it scheduled.
    case 'MessageRescheduled':
    case 'MessageChanged':
      return current ?? 'scheduled';
    case 'MessageCancelled':
      return current === undefined || current === 'scheduled' ? 'cancelled' : current;
    // Released: its command is queued like any accepted message's.
    case 'ScheduledSendReleased':
      return current === undefined || current === 'scheduled' ? 'accepted' : current;
  }
}

/** Folds a stream's event types, oldest first, into the message's status. */
export function projectStatus(eventTypes: readonly MessageEventType[]): MessageStatus | undefined {
  return eventTypes.reduce<MessageStatus | undefined>((status, type) => statusAfter(status, type), undefined);
}
