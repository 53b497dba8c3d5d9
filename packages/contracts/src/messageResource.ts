import { z } from 'zod';
import { Channel, Metadata } from './sendMessage.js';
import { TemplateRef } from './templateRef.js';

export const MessageStatus = z.enum([
  'accepted',
  'dispatching',
  'sent',
  'failed',
  'held',
  'scheduled',
  'cancelled',
]);
export type MessageStatus = z.infer<typeof MessageStatus>;

export const MessageEventView = z.object({
  type: z.string(),
  at: z.iso.datetime({ offset: true }),
  data: z.record(z.string(), z.unknown()),
});
export type MessageEventView = z.infer<typeof MessageEventView>;

/** A message as the API shows it. */
export const MessageResource = z.object({
  id: z.string(),
  status: MessageStatus,
  channel: Channel,
  to: z.string(),
  from: z.string(),
  metadata: Metadata.optional(),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }).optional(),
  /** When a scheduled message is (or was) due. */
  sendAt: z.iso.datetime({ offset: true }).optional(),
  events: z.array(MessageEventView).optional(),
  template: TemplateRef.describe(
    'The template version the message was rendered from (a send that named a template); a later edit of the template leaves it unchanged',
  ).optional(),
});
export type MessageResource = z.infer<typeof MessageResource>;

export const MessageBatchResource = z.object({
  messages: z.array(MessageResource),
});
export type MessageBatchResource = z.infer<typeof MessageBatchResource>;

export const MessagePage = z.object({
  data: z.array(MessageResource),
  /** Pass as `cursor` to get the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
});
export type MessagePage = z.infer<typeof MessagePage>;

const KeyLifeState = z.enum(['in_progress', 'completed', 'unknown']);

/** A key's state at one endpoint, under a profile that scopes keys per endpoint. */
export const EndpointKeyState = z.object({
  endpoint: z.string(),
  state: KeyLifeState,
  messageIds: z.array(z.string()).optional(),
  /** Every id the key created: messages, a template, a webhook endpoint. */
  resourceIds: z.array(z.string()).optional(),
  createdAt: z.iso.datetime({ offset: true }).optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type EndpointKeyState = z.infer<typeof EndpointKeyState>;

export const IdempotencyKeyState = z.object({
  key: z.string(),
  state: KeyLifeState,
  messageIds: z.array(z.string()).optional(),
  /** Every id the key created: messages, a template, a webhook endpoint. */
  resourceIds: z.array(z.string()).optional(),
  /** When one record answers for the key; per-endpoint records are in `endpoints`. */
  createdAt: z.iso.datetime({ offset: true }).optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  endpoints: z.array(EndpointKeyState).optional(),
  /** With `?wait=`: the key's messages and their statuses when the wait ended. */
  messages: z.array(z.object({ id: z.string(), status: MessageStatus })).optional(),
  /** With `?wait=`: true when every message of the key is terminal (sent, failed, cancelled). */
  done: z.boolean().optional(),
});
export type IdempotencyKeyState = z.infer<typeof IdempotencyKeyState>;
