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
  providerKey: string;
  request: SendMessage;
  attempt: number;
  maxAttempts: number;
  /** Fences the outcome: only the holder of the current token may record it. */
  claimToken: string;
  /**
   * This attempt's call was under way when its lease ended without an outcome (its process died,
   * or stalled past the lease): the provider may have taken it. Ambiguous, so the provider's
   * policy decides whether it is called again.
   */
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
  provider_key: string;
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
 * Claims up to `limit` due effects of one provider: a pending effect starts its next attempt; an
 * in-flight one whose lease expired is taken again as the same attempt. If its call had started
 * (`call_started_at`, see `startCalls`), the attempt is ambiguous and counted in `resumes`;
 * otherwise its process never called the provider and it is simply taken over. The lease
 * (`due_at`) says when recovery may take it again. One statement, committed on return. A claim
 * alone does not allow a call: `startCalls` does, under the same token.
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
       SELECT id, state AS previous_state,
              state = 'in_flight' AND call_started_at IS NOT NULL AS call_started
         FROM effects
        WHERE state IN ('pending', 'in_flight') AND due_at <= now() AND provider = $1
        ORDER BY due_at LIMIT $2
        FOR UPDATE SKIP LOCKED)
     UPDATE effects e SET
       state = 'in_flight',
       attempt = CASE WHEN due.previous_state = 'pending' THEN e.attempt + 1 ELSE e.attempt END,
       resumes = CASE WHEN due.call_started THEN e.resumes + 1 ELSE e.resumes END,
       attempt_started_at = clock_timestamp(),
       call_started_at = NULL,
       due_at = clock_timestamp() + $3 * interval '1 millisecond',
       claim_token = $4
     FROM due WHERE e.id = due.id
     RETURNING e.id, e.message_id, e.account_id, e.provider, e.provider_key, e.request, e.attempt,
               e.max_attempts, e.resumes, due.call_started AS resumed, e.created_at,
               e.attempt_started_at`,
    [provider, limit, leaseMs, claimToken],
  );
  return rows.map((row) => ({
    id: row.id,
    messageId: row.message_id,
    accountId: row.account_id,
    provider: row.provider,
    providerKey: row.provider_key,
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

/** An effect this process claimed, by its claim token. */
export interface HeldClaim {
  id: string;
  claimToken: string;
}

/**
 * The write-ahead record of provider calls, and their fence: marks each claimed effect's call as
 * started and renews its lease, only where the claim is still this one's (its token) and its lease
 * has not run out (a process paused past its lease may have been taken over). Committed before the
 * call; returns the ids allowed to call. An effect left out must not be called.
 */
export async function startCalls(
  em: EntityManager,
  claims: readonly HeldClaim[],
  leaseMs: number,
): Promise<Set<string>> {
  if (claims.length === 0) return new Set();
  const { rows } = await runSql<{ id: string }>(
    em,
    `UPDATE effects e SET call_started_at = clock_timestamp(),
                          due_at = clock_timestamp() + $3 * interval '1 millisecond'
       FROM unnest($1::text[], $2::uuid[]) AS v(id, claim_token)
      WHERE e.id = v.id AND e.claim_token = v.claim_token AND e.state = 'in_flight'
        AND e.due_at > clock_timestamp()
     RETURNING e.id`,
    [claims.map((claim) => claim.id), claims.map((claim) => claim.claimToken), leaseMs],
  );
  return new Set(rows.map((row) => row.id));
}

/**
 * Takes back a recorded call start that was never followed by a call (the worker found, after the
 * record came back, that its lease might end before the call could), fenced by the claim token: a
 * claim taken over meanwhile is left alone (its taker already judged it). Without this, the next
 * claim would take a call that never went out for an ambiguous one, and hold its message.
 */
export async function withdrawCallStart(em: EntityManager, claim: HeldClaim): Promise<boolean> {
  const { rows } = await runSql<{ id: string }>(
    em,
    `UPDATE effects SET call_started_at = NULL
      WHERE id = $1 AND claim_token = $2 AND state = 'in_flight' AND call_started_at IS NOT NULL
     RETURNING id`,
    [claim.id, claim.claimToken],
  );
  return rows.length > 0;
}

/**
 * Holds one claimed effect with a reason and nothing else (no event, no attempt row), fenced by its
 * claim token: the last resort for an effect whose outcome and hold both fail to be recorded, so
 * that recovery stops claiming it. The operator finds it among held effects.
 */
export async function holdEffectAlone(em: EntityManager, claim: HeldClaim, reason: string): Promise<boolean> {
  const { rows } = await runSql<{ id: string }>(
    em,
    `UPDATE effects SET state = 'held', claim_token = NULL, last_error = $3, finished_at = now()
      WHERE id = $1 AND claim_token = $2 AND state = 'in_flight'
     RETURNING id`,
    [claim.id, claim.claimToken, reason],
  );
  return rows.length > 0;
}

/**
 * Extends the lease of effects this process still holds (waiting for a rate limit, in a call, or
 * with an outcome waiting to be recorded), so that none of these waits lets recovery take an
 * attempt that is alive. A paused process renews nothing.
 */
export async function renewLeases(
  em: EntityManager,
  claims: readonly HeldClaim[],
  leaseMs: number,
): Promise<void> {
  if (claims.length === 0) return;
  // SKIP LOCKED: a row locked now is being recorded (by this process's own recording transaction)
  // or claimed; waiting for it would hold up the renewal of all the others.
  await runSql(
    em,
    `WITH mine AS (
       SELECT e.id FROM effects e JOIN unnest($1::text[], $2::uuid[]) AS v(id, claim_token)
           ON e.id = v.id AND e.claim_token = v.claim_token
        WHERE e.state = 'in_flight'
          FOR UPDATE OF e SKIP LOCKED)
     UPDATE effects e SET due_at = clock_timestamp() + $3 * interval '1 millisecond'
       FROM mine WHERE e.id = mine.id`,
    [claims.map((claim) => claim.id), claims.map((claim) => claim.claimToken), leaseMs],
  );
}
