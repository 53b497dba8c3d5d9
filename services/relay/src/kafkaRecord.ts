import type { Message } from 'kafkajs';

/** An outbox row as a Kafka record, or why it cannot be one (the row is then set aside). */
export type RecordCheck = { ok: true; message: Message; bytes: number } | { ok: false; reason: string };

export interface OutboxRecordFields {
  topic: string;
  key: string;
  /** The payload's JSON text. */
  payload: string;
  headers: unknown;
}

// A record batch's fixed header, and a generous bound on one record's varints and attributes.
const batchOverhead = 61;
const recordOverhead = 40;
const headerOverhead = 10;

/**
 * Builds the record for an outbox row: key = `kafka_key`, value = the payload's JSON, headers as
 * stored. `maxMessageBytes` is the topic's `max.message.bytes`, or undefined when the topic is not
 * one of the relay's. The size is an upper bound of the row alone in a record batch, so a row
 * within ~100 bytes of the limit counts as too large.
 */
export function toKafkaMessage(row: OutboxRecordFields, maxMessageBytes: number | undefined): RecordCheck {
  if (maxMessageBytes === undefined) {
    return { ok: false, reason: `unknown_topic: "${row.topic}" is not one of the relay's configured topics` };
  }
  if (row.key.length === 0) return { ok: false, reason: 'invalid_key: the Kafka key is empty' };
  const headers = row.headers;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    return { ok: false, reason: 'invalid_headers: headers must be a JSON object' };
  }
  let bytes = batchOverhead + recordOverhead + Buffer.byteLength(row.key) + Buffer.byteLength(row.payload);
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') {
      return { ok: false, reason: `invalid_headers: header "${name}" is not a string` };
    }
    bytes += headerOverhead + Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  if (bytes > maxMessageBytes) {
    return {
      ok: false,
      reason: `too_large: about ${bytes} bytes, above the topic's max.message.bytes of ${maxMessageBytes}`,
    };
  }
  return {
    ok: true,
    message: { key: row.key, value: row.payload, headers: headers as Record<string, string> },
    bytes,
  };
}

/** The stable part of a set-aside reason (before the colon), for metric labels. */
export function reasonCode(reason: string): string {
  return reason.split(':', 1)[0] ?? 'unknown';
}
