import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface EffectAttempt {
  attempt: number;
  provider: string;
  outcome: string;
  replayed: boolean;
  providerMessageId: string | null;
  error: string | null;
  resumes: number;
  startedAt: string;
  finishedAt: string;
}

const iso = (column: string) => `to_json(${column}) #>> '{}'`;

/** Every provider call an effect made, in order. */
export async function listEffectAttempts(em: EntityManager, effectId: string): Promise<EffectAttempt[]> {
  const { rows } = await runSql<{
    attempt: number;
    provider: string;
    outcome: string;
    replayed: boolean;
    provider_message_id: string | null;
    error: string | null;
    resumes: number;
    started_at: string;
    finished_at: string;
  }>(
    em,
    `SELECT attempt, provider, outcome, replayed, provider_message_id, error, resumes,
            ${iso('started_at')} AS started_at, ${iso('finished_at')} AS finished_at
       FROM effect_attempts WHERE effect_id = $1 ORDER BY attempt`,
    [effectId],
  );
  return rows.map((row) => ({
    attempt: row.attempt,
    provider: row.provider,
    outcome: row.outcome,
    replayed: row.replayed,
    providerMessageId: row.provider_message_id,
    error: row.error,
    resumes: row.resumes,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  }));
}
