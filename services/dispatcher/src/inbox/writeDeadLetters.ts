import { type DeadLetterRecord, recordHeaders } from '@exactly/contracts';
import type { ErrorCode } from '@exactly/errors';
import { enqueueOutbox } from '@exactly/outbox';
import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ReceivedRecord } from './decodeRecord.js';

export interface DeadLetter {
  code: ErrorCode;
  reason: string;
  messageId?: string;
  topic: string;
  partition: number;
  record: ReceivedRecord;
}

export interface DeadLetterTarget {
  /** The dead-letter topic. */
  topic: string;
  consumerGroup: string;
  at?: Date;
}

/**
 * Stores dead letters and queues them for the dead-letter topic, inside the caller's transaction.
 * A record already dead-lettered (the topic consumed again) is neither stored nor queued twice.
 * Returns the dead letters that were new.
 */
export async function writeDeadLetters(
  em: EntityManager,
  deadLetters: readonly DeadLetter[],
  { topic, consumerGroup, at = new Date() }: DeadLetterTarget,
): Promise<DeadLetter[]> {
  if (deadLetters.length === 0) return [];
  // One statement for the batch; ON CONFLICT needs SQL the ORM's unit of work does not write.
  const { rows } = await runSql<{ source_offset: string }>(
    em,
    `INSERT INTO dead_letters
       (code, reason, message_id, source_topic, source_partition, source_offset, kafka_key, headers, value)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[],
                          $7::text[], $8::jsonb[], $9::bytea[])
     ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING
     RETURNING source_topic || '/' || source_partition || '/' || source_offset AS source_offset`,
    [
      deadLetters.map((letter) => letter.code),
      deadLetters.map((letter) => storableText(letter.reason)),
      deadLetters.map((letter) => letter.messageId ?? null),
      deadLetters.map((letter) => letter.topic),
      deadLetters.map((letter) => letter.partition),
      deadLetters.map((letter) => letter.record.offset),
      deadLetters.map((letter) => (letter.record.key === null ? null : textOrBase64(letter.record.key).text)),
      deadLetters.map((letter) => JSON.stringify(storableHeaders(letter.record.headers))),
      deadLetters.map((letter) => letter.record.value),
    ],
  );
  const inserted = new Set(rows.map((row) => row.source_offset));
  const fresh = deadLetters.filter((letter) =>
    inserted.has(`${letter.topic}/${letter.partition}/${letter.record.offset}`),
  );
  await enqueueOutbox(
    em,
    fresh.map((letter) => {
      const key = letter.record.key === null ? null : textOrBase64(letter.record.key).text;
      const value = letter.record.value === null ? null : textOrBase64(letter.record.value);
      const headers = storableHeaders(letter.record.headers);
      const payload: DeadLetterRecord = {
        type: 'DeadLetter',
        data: {
          code: letter.code,
          reason: storableText(letter.reason),
          ...(letter.messageId === undefined ? {} : { messageId: letter.messageId }),
          original: {
            topic: letter.topic,
            partition: letter.partition,
            offset: letter.record.offset,
            key,
            headers,
            value: value?.text ?? null,
            valueEncoding: value?.encoding ?? 'utf8',
          },
        },
        metadata: { at: at.toISOString(), consumerGroup },
      };
      return {
        topic,
        kafkaKey: key ?? `${letter.topic}/${letter.partition}/${letter.record.offset}`,
        payload,
        headers: {
          ...headers,
          [recordHeaders.deadLetterReason]: storableText(letter.reason).slice(0, 1_000),
          [recordHeaders.deadLetterCode]: letter.code,
          [recordHeaders.originalTopic]: letter.topic,
          [recordHeaders.originalPartition]: String(letter.partition),
          [recordHeaders.originalOffset]: letter.record.offset,
        },
      };
    }),
  );
  return fresh;
}

/** Bytes as UTF-8 text when PostgreSQL text and jsonb can hold them, else base64. */
function textOrBase64(bytes: Buffer): { text: string; encoding: 'utf8' | 'base64' } {
  const text = bytes.toString('utf8');
  const faithful = Buffer.from(text, 'utf8').equals(bytes) && !text.includes('\u0000');
  return faithful ? { text, encoding: 'utf8' } : { text: bytes.toString('base64'), encoding: 'base64' };
}

/** A reason may quote the bad input: keep it storable (no NUL, no lone surrogate). */
function storableText(text: string): string {
  return text.replaceAll('\u0000', '\\u0000').toWellFormed();
}

function storableHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [storableText(name), storableText(value)]),
  );
}
