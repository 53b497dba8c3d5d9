import type { MessageResource, Metadata } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import type { NewEvent, ScheduleChangeEvent, ScheduledMessage } from '@exactly/message-store';

/** A client's change to a scheduled send, decided before its transaction and re-checked in it. */
export interface ScheduledChange {
  kind: 'patch' | 'put' | 'cancel';
  accountId: string;
  messageId: string;
  requestId: string;
  /** The schedule row's version the change was decided from; another one means a concurrent change. */
  scheduleVersion: number;
  events: NewEvent<ScheduleChangeEvent>[];
  content?: { channel: string; to: string; from: string } & Record<string, unknown>;
  dueAt?: Date;
}

/**
 * Refuses a change to a message that is not (or no longer) a pending scheduled send: 404 when
 * there is no such message, 409 `send_started` once the scheduler released it, 409
 * `message_cancelled` after a cancel, 409 `not_scheduled` for a message sent right away.
 */
export function assertChangeable(
  message: ScheduledMessage | undefined,
  messageId: string,
  kind: ScheduledChange['kind'],
): asserts message is ScheduledMessage & { schedule: NonNullable<ScheduledMessage['schedule']> } {
  if (message === undefined) throw new ExactlyError('not_found', `no message ${messageId}`);
  const { schedule } = message;
  if (schedule === undefined) {
    throw new ExactlyError('not_scheduled', `message ${messageId} was sent right away, not scheduled`, {
      details: { status: message.status },
    });
  }
  if (schedule.state === 'released') {
    throw new ExactlyError(
      'send_started',
      `message ${messageId} was due at ${schedule.dueAt.toISOString()} and its send has started; it can no longer be changed or cancelled`,
      { details: { status: message.status, sendAt: schedule.dueAt.toISOString() } },
    );
  }
  if (schedule.state === 'cancelled' && kind !== 'cancel') {
    throw new ExactlyError(
      'message_cancelled',
      `message ${messageId} was cancelled; it can no longer be changed`,
      {
        details: { status: message.status },
      },
    );
  }
}

/** The fields whose values differ between two send commands. */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key])).sort();
}

/** The message as the API shows it after the change. */
export function changedResource(message: ScheduledMessage, change: ScheduledChange): MessageResource {
  const content = (change.content ?? message.content) as {
    channel: MessageResource['channel'];
    to: string;
    from: string;
    metadata?: Metadata;
  };
  const cancelled = change.kind === 'cancel';
  return {
    id: message.messageId,
    status: cancelled ? 'cancelled' : message.status,
    channel: content.channel,
    to: content.to,
    from: content.from,
    ...(content.metadata === undefined ? {} : { metadata: content.metadata }),
    createdAt: message.createdAt.toISOString(),
    sendAt: (change.dueAt ?? message.schedule?.dueAt ?? message.createdAt).toISOString(),
  };
}
