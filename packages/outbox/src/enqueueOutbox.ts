import { runSql, type SqlStatement } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface OutboxEntry {
  topic: string;
  /** The Kafka record key: records with one key reach Kafka in the order they were committed. */
  kafkaKey: string;
  payload: unknown;
  headers: Record<string, string>;
}

/** The statement that adds records to the outbox (one multi-row insert); undefined when there are none. */
export function enqueueOutboxStatement(entries: readonly OutboxEntry[]): SqlStatement | undefined {
  if (entries.length === 0) return undefined;
  return {
    text: `INSERT INTO outbox (topic, kafka_key, payload, headers)
     SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::jsonb[])`,
    parameters: [
      entries.map((entry) => entry.topic),
      entries.map((entry) => entry.kafkaKey),
      entries.map((entry) => JSON.stringify(entry.payload)),
      entries.map((entry) => JSON.stringify(entry.headers)),
    ],
  };
}

/** Adds records to the outbox inside the caller's transaction (one multi-row insert). */
export async function enqueueOutbox(em: EntityManager, entries: readonly OutboxEntry[]): Promise<void> {
  const statement = enqueueOutboxStatement(entries);
  if (statement !== undefined) await runSql(em, statement.text, statement.parameters);
}
