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

/**
 * Every provider call an effect made, in order. A first attempt that succeeded (not resumed) has
 * no `effect_attempts` row (the dispatcher writes none: nothing in it would be new): it is read
 * from the effect (its provider, start, finish and resumes) and its `ProviderAccepted` event
 * (replayed, the provider's message id).
 */
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
       FROM effect_attempts WHERE effect_id = $1
     UNION ALL
     SELECT e.attempt, e.provider, 'accepted', coalesce((v.data ->> 'replayed')::boolean, false),
            v.data ->> 'providerMessageId', NULL, e.resumes,
            ${iso('e.attempt_started_at')}, ${iso('e.finished_at')}
       FROM effects e
       JOIN LATERAL (SELECT data FROM message_events
                      WHERE stream_id = e.message_id AND type = 'ProviderAccepted'
                        AND (data ->> 'attempt')::int = e.attempt
                      ORDER BY version DESC LIMIT 1) v ON true
      WHERE e.id = $1 AND e.state = 'succeeded'
        AND NOT EXISTS (SELECT 1 FROM effect_attempts a WHERE a.effect_id = e.id AND a.attempt = e.attempt)
     ORDER BY attempt`,
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
