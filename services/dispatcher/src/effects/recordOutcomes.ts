import type { MessageStatus } from '@exactly/contracts';
import {
  evolveMessage,
  type MessageEventsAppend,
  type MessageState,
  type ProjectionChange,
  projectionUpdateStatement,
  recordMessageEvents,
} from '@exactly/message-store';
import { inTransaction, type Orm, runSql, type SqlStatement } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';
import { decideOutcome, type EffectDecision, type OutcomeDecision } from '../decide/decideOutcome.js';
import { keyedBatchPlans } from '../keyedBatchPlans.js';
import type { SendOutcome, SendRequest } from '../providers/provider.js';
import type { SendsWithOutcome } from '../providers/sendsWithOutcome.js';
import type { ClaimedEffect } from './claimEffects.js';
import { type RetryPolicy, retryDelay } from './retryDelay.js';

export interface AttemptOutcome {
  effect: ClaimedEffect;
  outcome: SendOutcome;
  finishedAt: Date;
  /** The provider's policy after an ambiguous outcome (default retry). */
  onAmbiguous?: 'retry' | 'hold';
  /**
   * A send not made yet: it is made in the transaction that records this outcome (only if the
   * claim is still current), and `outcome` says accepted (a replay when the key was sent before).
   */
  sendWithOutcome?: { via: SendsWithOutcome; request: SendRequest };
}

export interface RecordedOutcome extends AttemptOutcome {
  decision: EffectDecision;
  /** When the next attempt is due (`retry_scheduled`), in ms from the commit; 0 otherwise. */
  delayMs: number;
}

export interface RecordOptions {
  eventsTopic: string;
  retry: RetryPolicy;
  random?: () => number;
}

/**
 * The effects' new states, fenced by claim token ($1 ids, $2 claim tokens, $3 states, $4 retry
 * delays in ms, $5 errors, $6 attempts, $7 whether the outcome settles a held effect). A token is
 * set only while the effect is in flight (the claim sets it, an outcome clears it), so no state
 * predicate on that path: one would let the planner read every queued effect through
 * effects_due_idx. The other path is the late answer of an attempt whose effect was held after
 * it was taken for dead: a definite answer (accepted, or refused) of that same attempt settles it.
 * due_at comes from the database's clock, not the process's: the claim compares it with now(),
 * and a process whose clock runs ahead would otherwise delay its retries by the skew.
 */
export const outcomeUpdate = `UPDATE effects e SET state = v.state, due_at = clock_timestamp() + v.delay_ms * interval '1 millisecond',
              last_error = v.error, claim_token = NULL,
              finished_at = CASE WHEN v.state = 'pending' THEN NULL ELSE now() END
         FROM unnest($1::text[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::int[], $7::bool[])
           AS v(id, claim_token, state, delay_ms, error, attempt, settles_held)
        WHERE e.id = v.id
          AND (e.claim_token = v.claim_token OR (v.settles_held AND e.state = 'held' AND e.attempt = v.attempt))
       RETURNING e.id, v.claim_token`;

/** An outcome with its decision; the retry's `delayMs` is added to the database's clock, which the claim compares due_at with. */
type Plan = AttemptOutcome & OutcomeDecision;

/**
 * Records attempt outcomes in ONE transaction: the effect's new state (fenced by its claim
 * token, so the outcome of an attempt that recovery already resumed elsewhere is dropped), the
 * attempt row, the message's events (`ProviderAccepted`; `ProviderCallFailed` + `RetryScheduled`;
 * `ProviderCallFailed` + `MessageFailed`) and its projection. Returns the outcomes it recorded.
 */
export async function recordOutcomes(
  orm: Orm,
  outcomes: readonly AttemptOutcome[],
  { eventsTopic, retry, random = Math.random }: RecordOptions,
): Promise<RecordedOutcome[]> {
  if (outcomes.length === 0) return [];
  const replan = (item: AttemptOutcome) => plan(item, retry, random);
  const plans = outcomes.map(replan);
  const afterCommit: (() => void)[] = [];
  // inTransaction: the connection goes back to the pool even when the server ended the session.
  const recorded = await inTransaction(
    orm,
    (tx) => writeOutcomes(tx, plans, eventsTopic, { replan, afterCommit }),
    keyedBatchPlans,
  );
  for (const then of afterCommit) then();
  return recorded;
}

async function writeOutcomes(
  tx: EntityManager,
  plans: readonly Plan[],
  eventsTopic: string,
  sending: { replan: (item: AttemptOutcome) => Plan; afterCommit: (() => void)[] },
): Promise<RecordedOutcome[]> {
  // The same effect can appear twice when its lease ended while its call was still running and
  // it was resumed: only the outcome carrying the current claim token counts.
  const { rows } = await runSql<{ id: string; claim_token: string }>(tx, outcomeUpdate, [
    plans.map((item) => item.effect.id),
    plans.map((item) => item.effect.claimToken),
    plans.map((item) => item.state),
    plans.map((item) => item.delayMs),
    plans.map((item) => (item.outcome.status === 'failed' ? item.outcome.error : null)),
    plans.map((item) => item.effect.attempt),
    plans.map((item) => item.outcome.status === 'accepted' || !item.outcome.retryable),
  ]);
  const current = new Set(rows.map((row) => `${row.id}/${row.claim_token}`));
  const fenced = plans.filter((item) => current.has(`${item.effect.id}/${item.effect.claimToken}`));
  if (fenced.length === 0) return [];
  const recorded = await sendWithOutcomes(tx, fenced, sending);

  // No row lock needed: the effect row locked by the UPDATE above is the only writer of these
  // streams now; the event store's primary key would still catch a concurrent append.
  const { rows: messages } = await runSql<{ id: string; version: number; status: MessageStatus }>(
    tx,
    'SELECT id, version, status FROM messages WHERE id = ANY($1::text[])',
    [recorded.map((item) => item.effect.messageId)],
  );
  const byId = new Map(messages.map((message) => [message.id, message]));
  const appends: MessageEventsAppend[] = [];
  const projections: ProjectionChange[] = [];
  for (const item of recorded) {
    const message = byId.get(item.effect.messageId);
    if (message === undefined) continue;
    appends.push({
      streamId: message.id,
      accountId: item.effect.accountId,
      expectedVersion: message.version,
      events: item.events,
    });
    const after = item.events.reduce<MessageState>(evolveMessage, {
      accountId: item.effect.accountId,
      version: message.version,
      status: message.status,
    });
    projections.push({ id: message.id, status: after.status ?? message.status, version: after.version });
  }
  // The attempts, the events with their outbox rows and the projection: one round trip.
  const firstSuccesses = recorded.filter(isFirstSuccess);
  const others = recorded.filter((item) => !isFirstSuccess(item));
  await recordMessageEvents(tx, appends, {
    topic: eventsTopic,
    also: [
      ...(others.length > 0 ? [attemptsInsert(others)] : []),
      ...(firstSuccesses.length > 0 ? [heldAttemptsSettled(firstSuccesses)] : []),
      projectionUpdateStatement(projections),
    ],
  });
  return recorded.map(
    ({ effect, outcome, finishedAt, decision, delayMs }): RecordedOutcome => ({
      effect,
      outcome,
      finishedAt,
      decision,
      delayMs,
    }),
  );
}

/**
 * The sends of providers that send in this transaction, made only for outcomes whose claim is
 * still current (so a send commits with its outcome or not at all); a key sent before is a replay.
 */
async function sendWithOutcomes(
  tx: EntityManager,
  plans: readonly Plan[],
  { replan, afterCommit }: { replan: (item: AttemptOutcome) => Plan; afterCommit: (() => void)[] },
): Promise<Plan[]> {
  const byProvider = new Map<SendsWithOutcome, SendRequest[]>();
  for (const { sendWithOutcome } of plans) {
    if (sendWithOutcome === undefined) continue;
    const requests = byProvider.get(sendWithOutcome.via) ?? [];
    requests.push(sendWithOutcome.request);
    byProvider.set(sendWithOutcome.via, requests);
  }
  if (byProvider.size === 0) return [...plans];
  const sentNow = new Set<string>();
  for (const [via, requests] of byProvider) {
    const sentAt = await via.write(tx, requests);
    for (const key of sentAt.keys()) sentNow.add(key);
    afterCommit.push(() => via.committed(requests, sentAt));
  }
  return plans.map((item) => {
    if (item.sendWithOutcome === undefined) return item;
    const key = item.sendWithOutcome.request.providerKey;
    return replan({
      ...item,
      outcome: { status: 'accepted', replayed: !sentNow.has(key), providerMessageId: key },
    });
  });
}

/**
 * A first attempt, not resumed, that succeeded: its `effect_attempts` row would say nothing the
 * effect row (provider, attempt, resumes, attempt_started_at, finished_at) and its
 * `ProviderAccepted` event (replayed, provider message id) do not, so none is written
 * (`listEffectAttempts` of `@exactly/operations` reads it from those). One row write less per
 * command on the usual path.
 */
function isFirstSuccess(item: Plan): boolean {
  return item.outcome.status === 'accepted' && item.effect.attempt === 1 && item.effect.resumes === 0;
}

/**
 * The late answer of a first attempt that was held: its row (outcome `ambiguous`) exists and
 * becomes `accepted`. Where no row exists (the usual first success) this writes nothing.
 */
function heldAttemptsSettled(recorded: readonly Plan[]): SqlStatement {
  return {
    text: `UPDATE effect_attempts a SET outcome = 'accepted', replayed = v.replayed,
              provider_message_id = v.provider_message_id, error = NULL, finished_at = v.finished_at
         FROM unnest($1::text[], $2::int[], $3::bool[], $4::text[], $5::timestamptz[])
           AS v(effect_id, attempt, replayed, provider_message_id, finished_at)
        WHERE a.effect_id = v.effect_id AND a.attempt = v.attempt`,
    parameters: [
      recorded.map((item) => item.effect.id),
      recorded.map((item) => item.effect.attempt),
      recorded.map((item) => item.outcome.status === 'accepted' && item.outcome.replayed),
      recorded.map((item) =>
        item.outcome.status === 'accepted' ? (item.outcome.providerMessageId ?? null) : null,
      ),
      recorded.map((item) => item.finishedAt),
    ],
  };
}

/** One `effect_attempts` row per recorded outcome. */
function attemptsInsert(recorded: readonly Plan[]): SqlStatement {
  return {
    text: `INSERT INTO effect_attempts
         (effect_id, attempt, provider, outcome, replayed, provider_message_id, error, resumes, started_at, finished_at)
       SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::bool[], $6::text[], $7::text[],
                            $8::int[], $9::timestamptz[], $10::timestamptz[])
       ON CONFLICT (effect_id, attempt) DO UPDATE SET
         outcome = excluded.outcome, replayed = excluded.replayed,
         provider_message_id = excluded.provider_message_id, error = excluded.error,
         finished_at = excluded.finished_at`,
    parameters: [
      recorded.map((item) => item.effect.id),
      recorded.map((item) => item.effect.attempt),
      recorded.map((item) => item.effect.provider),
      recorded.map((item) => attemptOutcome(item.outcome)),
      recorded.map((item) => item.outcome.status === 'accepted' && item.outcome.replayed),
      recorded.map((item) =>
        item.outcome.status === 'accepted' ? (item.outcome.providerMessageId ?? null) : null,
      ),
      recorded.map((item) => (item.outcome.status === 'failed' ? item.outcome.error : null)),
      recorded.map((item) => item.effect.resumes),
      recorded.map((item) => item.effect.attemptStartedAt),
      recorded.map((item) => item.finishedAt),
    ],
  };
}

function attemptOutcome(outcome: SendOutcome): 'accepted' | 'retryable' | 'permanent' | 'ambiguous' {
  if (outcome.status === 'accepted') return 'accepted';
  if (outcome.ambiguous && outcome.retryable) return 'ambiguous';
  return outcome.retryable ? 'retryable' : 'permanent';
}

function plan(item: AttemptOutcome, retry: RetryPolicy, random: () => number): Plan {
  const { effect, outcome, finishedAt, onAmbiguous } = item;
  const decided = decideOutcome({
    type: 'RecordOutcome',
    data: {
      provider: effect.provider,
      attempt: effect.attempt,
      maxAttempts: effect.maxAttempts,
      outcome,
      finishedAt,
      retryDelayMs: retryDelay(effect.attempt, retry, random),
      ...(onAmbiguous === undefined ? {} : { onAmbiguous }),
    },
  });
  return { ...item, ...decided };
}
