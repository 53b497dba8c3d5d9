import { z } from 'zod';
import { Channel } from './sendMessage.js';
import { TemplateRef } from './templateRef.js';

/**
 * What an event carries besides its data, stored in `message_events.metadata` (not on the events
 * topic): where it came from, so a stream can be followed back to its request and its trace.
 */
export const EventMetadata = z.object({
  /** The id of the API request that accepted the message. */
  requestId: z.string().optional(),
  /** The W3C trace context of the request or the command record the event was decided from. */
  traceparent: z.string().optional(),
});
export type EventMetadata = z.infer<typeof EventMetadata>;

/** The first event of every message stream, appended by the ingest API in the accepting transaction. */
export const MessageAccepted = z.object({
  type: z.literal('MessageAccepted'),
  data: z.object({
    messageId: z.string(),
    accountId: z.string(),
    channel: Channel,
    to: z.string(),
    from: z.string(),
    /**
     * The message key (the client's idempotency key, `<key>/<i>` for a batch item, or the message
     * id). Named before the keys had names of their own; kept, as stored events carry it.
     */
    idempotencyKey: z.string(),
    batchId: z.string().optional(),
    /** The template version the message was rendered from, when it named one. */
    template: TemplateRef.optional(),
  }),
  metadata: EventMetadata.optional(),
});
export type MessageAccepted = z.infer<typeof MessageAccepted>;

/** The dispatcher took the command from Kafka and queued the provider call. */
export const DispatchRequested = z.object({
  type: z.literal('DispatchRequested'),
  data: z.object({ provider: z.string(), effectId: z.string() }),
  metadata: EventMetadata.optional(),
});
export type DispatchRequested = z.infer<typeof DispatchRequested>;

/** The provider took the send. */
export const ProviderAccepted = z.object({
  type: z.literal('ProviderAccepted'),
  data: z.object({
    provider: z.string(),
    attempt: z.number().int().positive(),
    providerMessageId: z.string().optional(),
    replayed: z.boolean().optional(),
  }),
  metadata: EventMetadata.optional(),
});
export type ProviderAccepted = z.infer<typeof ProviderAccepted>;

/** One provider call failed; `retryable` says whether another attempt follows. */
export const ProviderCallFailed = z.object({
  type: z.literal('ProviderCallFailed'),
  data: z.object({
    provider: z.string(),
    attempt: z.number().int().positive(),
    error: z.string(),
    retryable: z.boolean(),
  }),
  metadata: EventMetadata.optional(),
});
export type ProviderCallFailed = z.infer<typeof ProviderCallFailed>;

/** Another attempt is due at `at`. */
export const RetryScheduled = z.object({
  type: z.literal('RetryScheduled'),
  data: z.object({ attempt: z.number().int().positive(), at: z.iso.datetime({ offset: true }) }),
  metadata: EventMetadata.optional(),
});
export type RetryScheduled = z.infer<typeof RetryScheduled>;

/** The message will not be sent: the provider refused it or every attempt failed. */
export const MessageFailed = z.object({
  type: z.literal('MessageFailed'),
  data: z.object({ reason: z.string(), attempts: z.number().int().nonnegative() }),
  metadata: EventMetadata.optional(),
});
export type MessageFailed = z.infer<typeof MessageFailed>;

/**
 * The outcome of a provider call is unknown (the process died during it, or the request went out
 * and no answer came) and the provider does not honour keys: the message is not sent again until
 * a late answer or an operator settles it.
 */
export const MessageHeld = z.object({
  type: z.literal('MessageHeld'),
  data: z.object({ provider: z.string(), attempt: z.number().int().positive(), reason: z.string() }),
  metadata: EventMetadata.optional(),
});
export type MessageHeld = z.infer<typeof MessageHeld>;

const OperatorDecision = z.object({ operator: z.string(), note: z.string().optional() });

/** An operator settled a held message as sent (checked with the provider or the recipient). */
export const OperatorMarkedSent = z.object({
  type: z.literal('OperatorMarkedSent'),
  data: OperatorDecision,
  metadata: EventMetadata.optional(),
});
export type OperatorMarkedSent = z.infer<typeof OperatorMarkedSent>;

/** An operator settled a held message as not sent, and not to be sent. */
export const OperatorMarkedFailed = z.object({
  type: z.literal('OperatorMarkedFailed'),
  data: OperatorDecision,
  metadata: EventMetadata.optional(),
});
export type OperatorMarkedFailed = z.infer<typeof OperatorMarkedFailed>;

/** An operator decided a held message is to be sent once more (accepting a possible repeat). */
export const OperatorRequestedResend = z.object({
  type: z.literal('OperatorRequestedResend'),
  data: OperatorDecision,
  metadata: EventMetadata.optional(),
});
export type OperatorRequestedResend = z.infer<typeof OperatorRequestedResend>;

/** The message is to be sent at `sendAt`, not now: no command is queued until it is due. */
export const MessageScheduled = z.object({
  type: z.literal('MessageScheduled'),
  data: z.object({ sendAt: z.iso.datetime({ offset: true }) }),
  metadata: EventMetadata.optional(),
});
export type MessageScheduled = z.infer<typeof MessageScheduled>;

/** A scheduled message's time was changed before it was due. */
export const MessageRescheduled = z.object({
  type: z.literal('MessageRescheduled'),
  data: z.object({
    sendAt: z.iso.datetime({ offset: true }),
    previousSendAt: z.iso.datetime({ offset: true }),
  }),
  metadata: EventMetadata.optional(),
});
export type MessageRescheduled = z.infer<typeof MessageRescheduled>;

/** A scheduled message's content was changed (PATCH) or replaced (PUT) before it was due. */
export const MessageChanged = z.object({
  type: z.literal('MessageChanged'),
  data: z.object({
    /** The fields of the send command that changed. */
    fields: z.array(z.string()),
    replaced: z.boolean(),
  }),
  metadata: EventMetadata.optional(),
});
export type MessageChanged = z.infer<typeof MessageChanged>;

/** A scheduled message was cancelled before it was due: it is never sent (terminal). */
export const MessageCancelled = z.object({
  type: z.literal('MessageCancelled'),
  data: z.object({ sendAt: z.iso.datetime({ offset: true }) }),
  metadata: EventMetadata.optional(),
});
export type MessageCancelled = z.infer<typeof MessageCancelled>;

/** A scheduled message fell due: its send command was queued, and from now on it cannot change. */
export const ScheduledSendReleased = z.object({
  type: z.literal('ScheduledSendReleased'),
  data: z.object({ sendAt: z.iso.datetime({ offset: true }) }),
  metadata: EventMetadata.optional(),
});
export type ScheduledSendReleased = z.infer<typeof ScheduledSendReleased>;

export const MessageEvent = z.discriminatedUnion('type', [
  MessageAccepted,
  DispatchRequested,
  ProviderAccepted,
  ProviderCallFailed,
  RetryScheduled,
  MessageFailed,
  MessageHeld,
  OperatorMarkedSent,
  OperatorMarkedFailed,
  OperatorRequestedResend,
  MessageScheduled,
  MessageRescheduled,
  MessageChanged,
  MessageCancelled,
  ScheduledSendReleased,
]);
export type MessageEvent = z.infer<typeof MessageEvent>;
export type MessageEventType = MessageEvent['type'];
/** The member of the union with this type. */
export type MessageEventOf<T extends MessageEventType> = Extract<MessageEvent, { type: T }>;
