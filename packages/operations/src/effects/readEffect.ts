import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface EffectSummary {
  id: string;
  provider: string;
  state: string;
  attempt: number;
  maxAttempts: number;
  resumes: number;
  dueAt: string;
  lastError: string | null;
  finishedAt: string | null;
}

const iso = (column: string) => `to_json(${column}) #>> '{}'`;

/** A provider effect of the dispatcher, by its id. */
export async function readEffect(em: EntityManager, effectId: string): Promise<EffectSummary | undefined> {
  const { rows } = await runSql<{
    id: string;
    provider: string;
    state: string;
    attempt: number;
    max_attempts: number;
    resumes: number;
    due_at: string;
    last_error: string | null;
    finished_at: string | null;
  }>(
    em,
    `SELECT id, provider, state, attempt, max_attempts, resumes, ${iso('due_at')} AS due_at, last_error,
            ${iso('finished_at')} AS finished_at
       FROM effects WHERE id = $1`,
    [effectId],
  );
  const row = rows[0];
  return row === undefined
    ? undefined
    : {
        id: row.id,
        provider: row.provider,
        state: row.state,
        attempt: row.attempt,
        maxAttempts: row.max_attempts,
        resumes: row.resumes,
        dueAt: row.due_at,
        lastError: row.last_error,
        finishedAt: row.finished_at,
      };
}
