import {
  commandSchemaVersion,
  jsonContentType,
  recordHeaders,
  type SendMessage,
  type SendMessageCommand,
} from '@exactly/contracts';
import type { DueSend } from '@exactly/message-store';
import type { OutboxEntry } from '@exactly/outbox';

/**
 * The commands-topic record of a released scheduled send: the same record the ingest API writes
 * for a send accepted for now (same Kafka key `<account id>/<message key>`, same command id), with
 * the message's content as last changed.
 */
export function scheduledCommandRecord(topic: string, send: DueSend): OutboxEntry {
  const payload: SendMessageCommand = {
    type: 'SendMessage',
    data: {
      messageId: send.messageId,
      accountId: send.accountId,
      message: send.content as SendMessage,
      acceptedAt: send.createdAt.toISOString(),
    },
    metadata: {
      schemaVersion: commandSchemaVersion,
      idempotencyKey: send.messageKey,
      requestId: send.requestId,
      ...(send.batchId === undefined ? {} : { batchId: send.batchId }),
    },
  };
  return {
    topic,
    kafkaKey: `${send.accountId}/${send.messageKey}`,
    payload,
    headers: {
      [recordHeaders.messageId]: send.messageId,
      [recordHeaders.accountId]: send.accountId,
      [recordHeaders.schemaVersion]: String(commandSchemaVersion),
      [recordHeaders.contentType]: jsonContentType,
      [recordHeaders.traceparent]: send.traceparent,
    },
  };
}
