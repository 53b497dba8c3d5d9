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

/**
 * `max.message.bytes` of the topics the relay creates (Kafka's own default), unless
 * `RELAY_TOPIC_MAX_MESSAGE_BYTES` says otherwise. The ingest API reads the same variable, so it
 * refuses at the door a command whose record the topic would never take.
 */
export const defaultMaxMessageBytes = 1_048_588;

// A record batch's fixed header, and a generous bound on one record's varints and attributes.
const batchOverhead = 61;
const recordOverhead = 40;
const headerOverhead = 10;

/**
 * An upper bound of the bytes one record takes alone in a record batch (what Kafka compares with
 * `max.message.bytes`): within ~100 bytes of the limit counts as too large.
 */
export function recordSizeBound(
  key: string,
  value: string,
  headers: Readonly<Record<string, string>>,
): number {
  let bytes = batchOverhead + recordOverhead + Buffer.byteLength(key) + Buffer.byteLength(value);
  for (const [name, headerValue] of Object.entries(headers)) {
    bytes += headerOverhead + Buffer.byteLength(name) + Buffer.byteLength(headerValue);
  }
  return bytes;
}

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
    /**
     * The message key (the client's idempotency key, `<key>/<i>` for a batch item, or the message
     * id). Named before the keys had names of their own; kept, as records in topics carry it.
     */
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
