import { randomUUID } from 'node:crypto';
import type { SendMessage } from '@exactly/contracts';
import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

/** An effect claimed for one attempt. */
export interface ClaimedEffect {
  id: string;
  messageId: string;
  accountId: string;
  provider: string;
  idempotencyKey: string;
  request: SendMessage;
  attempt: number;
  maxAttempts: number;
  /** Fences the outcome: only the holder of the current token may record it. */
  claimToken: string;
  /** This attempt was left without outcome by a crash (its lease expired) and is run again. */
  resumed: boolean;
  resumes: number;
  createdAt: Date;
  attemptStartedAt: Date;
}

interface Row {
  id: string;
  message_id: string;
  account_id: string;
  provider: string;
  idempotency_key: string;
  request: SendMessage;
  attempt: number;
  max_attempts: number;
  resumes: number;
  resumed: boolean;
  // Timestamps come back as text through this driver set-up.
  created_at: string | Date;
  attempt_started_at: string | Date;
}

/**
 * Claims up to `limit` due effects of one provider and records the attempt BEFORE the call: a
 * pending effect starts its next attempt; an in-flight one whose lease expired (its process
 * crashed or stalled) is resumed as the same attempt, with the same idempotency key. The lease
 * (`due_at`) says when recovery may take it again. One statement, committed on return.
 */
export async function claimEffects(
  em: EntityManager,
  { provider, limit, leaseMs }: { provider: string; limit: number; leaseMs: number },
): Promise<ClaimedEffect[]> {
  const claimToken = randomUUID();
  // SKIP LOCKED lets several executors (and processes) claim side by side without waiting.
  const { rows } = await runSql<Row>(
    em,
    `WITH due AS (
       SELECT id, state AS previous_state FROM effects
        WHERE state IN ('pending', 'in_flight') AND due_at <= now() AND provider = $1
        ORDER BY due_at LIMIT $2
        FOR UPDATE SKIP LOCKED)
     UPDATE effects e SET
       state = 'in_flight',
       attempt = CASE WHEN due.previous_state = 'pending' THEN e.attempt + 1 ELSE e.attempt END,
       resumes = CASE WHEN due.previous_state = 'in_flight' THEN e.resumes + 1 ELSE e.resumes END,
       attempt_started_at = clock_timestamp(),
       due_at = clock_timestamp() + $3 * interval '1 millisecond',
       claim_token = $4
     FROM due WHERE e.id = due.id
     RETURNING e.id, e.message_id, e.account_id, e.provider, e.idempotency_key, e.request, e.attempt,
               e.max_attempts, e.resumes, due.previous_state = 'in_flight' AS resumed, e.created_at,
               e.attempt_started_at`,
    [provider, limit, leaseMs, claimToken],
  );
  return rows.map((row) => ({
    id: row.id,
    messageId: row.message_id,
    accountId: row.account_id,
    provider: row.provider,
    idempotencyKey: row.idempotency_key,
    request: row.request,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    claimToken,
    resumed: row.resumed,
    resumes: row.resumes,
    createdAt: new Date(row.created_at),
    attemptStartedAt: new Date(row.attempt_started_at),
  }));
}
