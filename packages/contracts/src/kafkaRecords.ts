import { z } from 'zod';
import { SendMessage } from './sendMessage.js';

/** Default topic names; each service reads its own from configuration. */
export const defaultTopics = {
  commands: 'exactly.send-commands',
  messageEvents: 'exactly.message-events',
  deadLetters: 'exactly.dead-letters',
} as const;

/** Headers every record the relay publishes carries. */
export const recordHeaders = {
  messageId: 'exactly-message-id',
  accountId: 'exactly-account-id',
  schemaVersion: 'exactly-schema-version',
  contentType: 'content-type',
  traceparent: 'traceparent',
  /** On dead letters: why the record was set aside, and where it came from. */
  deadLetterReason: 'exactly-dead-letter-reason',
  deadLetterCode: 'exactly-dead-letter-code',
  originalTopic: 'exactly-original-topic',
  originalPartition: 'exactly-original-partition',
  originalOffset: 'exactly-original-offset',
} as const;

export const commandSchemaVersion = 1;
export const jsonContentType = 'application/json';

/**
 * The value of a record on the commands topic: one accepted send command. `messageId` is the
 * command's id, which the dispatcher's inbox deduplicates on.
 */
export const SendMessageCommand = z.object({
  type: z.literal('SendMessage'),
  data: z.object({
    messageId: z.string().min(1),
    accountId: z.string().min(1),
    message: SendMessage,
    acceptedAt: z.iso.datetime({ offset: true }),
  }),
  metadata: z.object({
    schemaVersion: z.literal(commandSchemaVersion),
    idempotencyKey: z.string(),
    requestId: z.string().optional(),
    batchId: z.string().optional(),
  }),
});
export type SendMessageCommand = z.infer<typeof SendMessageCommand>;

/** The value of a record on the message-events topic: one event of a message's stream. */
export const MessageEventRecord = z.object({
  type: z.string(),
  data: z.record(z.string(), z.unknown()),
  metadata: z.object({
    streamId: z.string(),
    version: z.number().int().positive(),
    accountId: z.string(),
    at: z.iso.datetime({ offset: true }),
  }),
});
export type MessageEventRecord = z.infer<typeof MessageEventRecord>;
