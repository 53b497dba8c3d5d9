import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';
import { notRedrivableReason } from './redrivable.js';

export interface DeadLetterSummary {
  id: number;
  code: string;
  reason: string;
  messageId: string | null;
  source: { topic: string; partition: number; offset: number };
  key: string | null;
  createdAt: string;
  /** When it was re-published by a redrive; null if never. */
  redrivenAt: string | null;
  /** Why a redrive cannot help, when it cannot. */
  notRedrivable: string | null;
}

export interface DeadLetterFilter {
  code?: string;
  /** The topic the record came from. */
  topic?: string;
  /** Only dead letters never redriven. */
  pending?: boolean;
  /** Dead letters with a smaller id (newest first paging: pass the last id seen). */
  before?: number;
  limit?: number;
}

interface DeadLetterRow {
  id: string;
  code: string;
  reason: string;
  message_id: string | null;
  source_topic: string;
  source_partition: number;
  source_offset: string;
  kafka_key: string | null;
  value: Buffer | null;
  created_at: string;
  redriven_at: string | null;
}

/** Dead letters, newest first, with whether each was redriven and whether a redrive can help. */
export async function listDeadLetters(
  em: EntityManager,
  filter: DeadLetterFilter = {},
): Promise<DeadLetterSummary[]> {
  const { rows } = await runSql<DeadLetterRow>(
    em,
    `SELECT d.id, d.code, d.reason, d.message_id, d.source_topic, d.source_partition, d.source_offset,
            d.kafka_key, d.value, to_json(d.created_at) #>> '{}' AS created_at,
            to_json(r.redriven_at) #>> '{}' AS redriven_at
       FROM dead_letters d LEFT JOIN dead_letter_redrives r ON r.dead_letter_id = d.id
      WHERE ($1::text IS NULL OR d.code = $1) AND ($2::text IS NULL OR d.source_topic = $2)
        AND (NOT $3 OR r.dead_letter_id IS NULL) AND ($4::bigint IS NULL OR d.id < $4)
      ORDER BY d.id DESC LIMIT $5`,
    [
      filter.code ?? null,
      filter.topic ?? null,
      filter.pending ?? false,
      filter.before ?? null,
      filter.limit ?? 50,
    ],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    code: row.code,
    reason: row.reason,
    messageId: row.message_id,
    source: { topic: row.source_topic, partition: row.source_partition, offset: Number(row.source_offset) },
    key: row.kafka_key,
    createdAt: row.created_at,
    redrivenAt: row.redriven_at,
    notRedrivable: notRedrivableReason(row) ?? null,
  }));
}
