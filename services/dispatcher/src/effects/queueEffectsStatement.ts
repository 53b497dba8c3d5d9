import type { Channel } from '@exactly/contracts';
import type { SqlStatement } from '@exactly/persistence';

export interface NewEffect {
  id: string;
  messageId: string;
  accountId: string;
  channel: Channel;
  provider: string;
  /** What the provider is sent (the message as accepted). */
  request: unknown;
  /** Claimed at creation by this process's executor (see `EffectHandoff`): in flight under `claimToken`. */
  claimed: boolean;
}

/**
 * The statement that queues one provider call per new effect, for the inbox stage's batch
 * transaction. The provider key is the message id. An effect claimed at creation starts in flight
 * (attempt 1, the claim token, its lease in `due_at`, from the database's clock like every claim);
 * the others are pending, due now.
 */
export function queueEffectsStatement(
  effects: readonly NewEffect[],
  maxAttempts: number,
  claim?: { claimToken: string; leaseMs: number },
): SqlStatement {
  return {
    text: `INSERT INTO effects (id, message_id, account_id, channel, provider, provider_key, request, max_attempts,
                         state, attempt, claim_token, attempt_started_at, due_at)
     SELECT id, message_id, account_id, channel, provider, message_id, request, $7,
            CASE WHEN claimed THEN 'in_flight' ELSE 'pending' END,
            CASE WHEN claimed THEN 1 ELSE 0 END,
            CASE WHEN claimed THEN $8::uuid END,
            CASE WHEN claimed THEN clock_timestamp() END,
            CASE WHEN claimed THEN clock_timestamp() + $9::bigint * interval '1 millisecond' ELSE now() END
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $10::bool[])
         AS v(id, message_id, account_id, channel, provider, request, claimed)`,
    parameters: [
      effects.map((effect) => effect.id),
      effects.map((effect) => effect.messageId),
      effects.map((effect) => effect.accountId),
      effects.map((effect) => effect.channel),
      effects.map((effect) => effect.provider),
      effects.map((effect) => JSON.stringify(effect.request)),
      maxAttempts,
      claim?.claimToken ?? null,
      claim?.leaseMs ?? 0,
      effects.map((effect) => claim !== undefined && effect.claimed),
    ],
  };
}
