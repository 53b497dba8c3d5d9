import { z } from 'zod';
import { Channel } from './sendMessage.js';

/** The first event of every message stream, appended by the ingest API in the accepting transaction. */
export const MessageAccepted = z.object({
  type: z.literal('MessageAccepted'),
  data: z.object({
    messageId: z.string(),
    accountId: z.string(),
    channel: Channel,
    to: z.string(),
    from: z.string(),
    idempotencyKey: z.string(),
    batchId: z.string().optional(),
  }),
});

/** The dispatcher took the command from Kafka and queued the provider call. */
export const DispatchRequested = z.object({
  type: z.literal('DispatchRequested'),
  data: z.object({ provider: z.string(), effectId: z.string() }),
});

/** The provider took the send. */
export const ProviderAccepted = z.object({
  type: z.literal('ProviderAccepted'),
  data: z.object({
    provider: z.string(),
    attempt: z.number().int().positive(),
    providerMessageId: z.string().optional(),
    replayed: z.boolean().optional(),
  }),
});

/** One provider call failed; `retryable` says whether another attempt follows. */
export const ProviderCallFailed = z.object({
  type: z.literal('ProviderCallFailed'),
  data: z.object({
    provider: z.string(),
    attempt: z.number().int().positive(),
    error: z.string(),
    retryable: z.boolean(),
  }),
});

/** Another attempt is due at `at`. */
export const RetryScheduled = z.object({
  type: z.literal('RetryScheduled'),
  data: z.object({ attempt: z.number().int().positive(), at: z.iso.datetime({ offset: true }) }),
});

/** The message will not be sent: the provider refused it or every attempt failed. */
export const MessageFailed = z.object({
  type: z.literal('MessageFailed'),
  data: z.object({ reason: z.string(), attempts: z.number().int().nonnegative() }),
});

/**
 * The outcome of a provider call is unknown (the process died during it, or the request went out
 * and no answer came) and the provider does not honour keys: the message is not sent again until
 * a late answer or an operator settles it.
 */
export const MessageHeld = z.object({
  type: z.literal('MessageHeld'),
  data: z.object({ provider: z.string(), attempt: z.number().int().positive(), reason: z.string() }),
});

const OperatorDecision = z.object({ operator: z.string(), note: z.string().optional() });

/** An operator settled a held message as sent (checked with the provider or the recipient). */
export const OperatorMarkedSent = z.object({ type: z.literal('OperatorMarkedSent'), data: OperatorDecision });

/** An operator settled a held message as not sent, and not to be sent. */
export const OperatorMarkedFailed = z.object({
  type: z.literal('OperatorMarkedFailed'),
  data: OperatorDecision,
});

/** An operator decided a held message is to be sent once more (accepting a possible repeat). */
export const OperatorRequestedResend = z.object({
  type: z.literal('OperatorRequestedResend'),
  data: OperatorDecision,
});

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
]);
export type MessageEvent = z.infer<typeof MessageEvent>;
export type MessageEventType = MessageEvent['type'];
