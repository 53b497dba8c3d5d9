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
}

/**
 * The statement that queues one provider call per new effect, due now, for the inbox stage's
 * batch transaction. The provider key is the message id.
 */
export function queueEffectsStatement(effects: readonly NewEffect[], maxAttempts: number): SqlStatement {
  return {
    text: `INSERT INTO effects (id, message_id, account_id, channel, provider, provider_key, request, max_attempts)
     SELECT id, message_id, account_id, channel, provider, message_id, request, $7
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
         AS v(id, message_id, account_id, channel, provider, request)`,
    parameters: [
      effects.map((effect) => effect.id),
      effects.map((effect) => effect.messageId),
      effects.map((effect) => effect.accountId),
      effects.map((effect) => effect.channel),
      effects.map((effect) => effect.provider),
      effects.map((effect) => JSON.stringify(effect.request)),
      maxAttempts,
    ],
  };
}
