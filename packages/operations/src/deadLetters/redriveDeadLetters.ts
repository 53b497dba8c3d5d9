import { enqueueOutbox, notifyOutbox } from '@exactly/outbox';
import { inTransaction, type Orm, runSql } from '@exactly/persistence';
import { notRedrivableReason, redrivePayload } from './redrivable.js';

/** The header a redriven record carries: the dead letter it came from. */
export const redriveHeader = 'exactly-redrive-of';

export type RedriveOutcome =
  | { id: number; outcome: 'redriven'; topic: string }
  | { id: number; outcome: 'already_redriven'; topic: string }
  | { id: number; outcome: 'not_redrivable'; reason: string }
  | { id: number; outcome: 'not_found' };

export type RedriveSelection =
  | { ids: readonly number[] }
  /** Every dead letter not redriven yet (optionally of one code or source topic). */
  | { all: true; code?: string; topic?: string };

interface Candidate {
  id: string;
  code: string;
  source_topic: string;
  kafka_key: string | null;
  headers: Record<string, string>;
  value: Buffer | null;
}

const chunkSize = 500;

/**
 * Re-publishes dead letters to the topic they came from, after a fix, through the outbox: the
 * record (key, headers, value) goes back as it arrived, plus an `exactly-redrive-of` header. A
 * redrive is itself deduplicated: the transaction that queues the record also inserts its
 * `dead_letter_redrives` row, whose primary key lets only the first redrive of a dead letter
 * through, so running a redrive twice (or two at once) sends nothing twice. A redriven command is
 * deduplicated again by the dispatcher's inbox. Dead letters a redrive cannot cure (see
 * `notRedrivableReason`) are reported, not sent. The relays are woken after each commit.
 */
export async function redriveDeadLetters(
  { orm, onProgress }: { orm: Orm; onProgress?: (done: number) => void },
  selection: RedriveSelection,
): Promise<RedriveOutcome[]> {
  const outcomes: RedriveOutcome[] = [];
  if ('ids' in selection) {
    const ids = [...new Set(selection.ids)];
    for (let start = 0; start < ids.length; start += chunkSize) {
      outcomes.push(...(await redriveChunk(orm, ids.slice(start, start + chunkSize))));
      onProgress?.(outcomes.length);
    }
    return outcomes;
  }
  let after = 0;
  for (;;) {
    const { rows } = await runSql<{ id: string }>(
      orm.em.fork(),
      `SELECT d.id FROM dead_letters d
        WHERE d.id > $1 AND ($2::text IS NULL OR d.code = $2) AND ($3::text IS NULL OR d.source_topic = $3)
          AND NOT EXISTS (SELECT 1 FROM dead_letter_redrives r WHERE r.dead_letter_id = d.id)
        ORDER BY d.id LIMIT $4`,
      [after, selection.code ?? null, selection.topic ?? null, chunkSize],
    );
    if (rows.length === 0) return outcomes;
    const ids = rows.map((row) => Number(row.id));
    outcomes.push(...(await redriveChunk(orm, ids)));
    onProgress?.(outcomes.length);
    after = ids[ids.length - 1] ?? after;
  }
}

async function redriveChunk(orm: Orm, ids: readonly number[]): Promise<RedriveOutcome[]> {
  const outcomes = await inTransaction(orm, async (tx) => {
    const { rows } = await runSql<Candidate>(
      tx,
      `SELECT id, code, source_topic, kafka_key, headers, value FROM dead_letters WHERE id = ANY($1::bigint[])`,
      [ids],
    );
    const byId = new Map(rows.map((row) => [Number(row.id), row]));
    const results = new Map<number, RedriveOutcome>();
    const sendable: Candidate[] = [];
    for (const id of ids) {
      const row = byId.get(id);
      const reason = row === undefined ? undefined : notRedrivableReason(row);
      if (row === undefined) results.set(id, { id, outcome: 'not_found' });
      else if (reason !== undefined) results.set(id, { id, outcome: 'not_redrivable', reason });
      else sendable.push(row);
    }
    // The dedup: only dead letters whose redrive row this statement inserts are queued.
    const { rows: claimed } = await runSql<{ dead_letter_id: string }>(
      tx,
      `INSERT INTO dead_letter_redrives (dead_letter_id, topic)
       SELECT * FROM unnest($1::bigint[], $2::text[])
       ON CONFLICT (dead_letter_id) DO NOTHING RETURNING dead_letter_id`,
      [sendable.map((row) => row.id), sendable.map((row) => row.source_topic)],
    );
    const fresh = new Set(claimed.map((row) => Number(row.dead_letter_id)));
    const queued = sendable.filter((row) => fresh.has(Number(row.id)));
    await enqueueOutbox(
      tx,
      queued.map((row) => ({
        topic: row.source_topic,
        kafkaKey: row.kafka_key ?? '',
        payload: redrivePayload(row.value),
        headers: { ...row.headers, [redriveHeader]: String(row.id) },
      })),
    );
    for (const row of sendable) {
      const id = Number(row.id);
      results.set(id, {
        id,
        outcome: fresh.has(id) ? 'redriven' : 'already_redriven',
        topic: row.source_topic,
      });
    }
    return ids.map((id) => results.get(id) ?? { id, outcome: 'not_found' as const });
  });
  if (outcomes.some((outcome) => outcome.outcome === 'redriven')) await notifyOutbox(orm.em.fork());
  return outcomes;
}
