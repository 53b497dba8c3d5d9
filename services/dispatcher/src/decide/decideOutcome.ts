import type {
  MessageFailed,
  MessageHeld,
  ProviderAccepted,
  ProviderCallFailed,
  RetryScheduled,
} from '@exactly/contracts';
import type { SendOutcome } from '../providers/provider.js';

/** The instruction the effects stage decides on: record what one provider call came to. */
export interface RecordOutcome {
  type: 'RecordOutcome';
  data: {
    provider: string;
    /** The attempt that finished (1 for the first). */
    attempt: number;
    maxAttempts: number;
    outcome: SendOutcome;
    finishedAt: Date;
    /** The backoff drawn for this attempt, used if another attempt follows. */
    retryDelayMs: number;
    /** The provider's policy after an ambiguous outcome (default retry). */
    onAmbiguous?: 'retry' | 'hold';
  };
}

export type EffectDecision = 'accepted' | 'retry_scheduled' | 'failed' | 'held';

export type OutcomeDecision =
  | { decision: 'accepted'; state: 'succeeded'; delayMs: 0; events: [ProviderAccepted] }
  | { decision: 'held'; state: 'held'; delayMs: 0; events: [MessageHeld] }
  | {
      decision: 'retry_scheduled';
      state: 'pending';
      delayMs: number;
      events: [ProviderCallFailed, RetryScheduled];
    }
  | { decision: 'failed'; state: 'failed'; delayMs: 0; events: [ProviderCallFailed, MessageFailed] };

/**
 * A provider call finished: the message's events and the effect's next state. Accepted →
 * `ProviderAccepted`; ambiguous where the provider does not drop a repeat → `MessageHeld`;
 * retryable with attempts left → `ProviderCallFailed` + `RetryScheduled`; otherwise
 * `ProviderCallFailed` + `MessageFailed`. The outcome and the effect (in the command) alone
 * decide, not the message's stream: a late answer to a held message settles it too, and the
 * projection's status rule keeps a settled message settled.
 */
export function decideOutcome(command: RecordOutcome): OutcomeDecision {
  const { provider, attempt, maxAttempts, outcome, finishedAt, retryDelayMs, onAmbiguous } = command.data;
  if (outcome.status === 'accepted') {
    return {
      decision: 'accepted',
      state: 'succeeded',
      delayMs: 0,
      events: [
        {
          type: 'ProviderAccepted',
          data: {
            provider,
            attempt,
            ...(outcome.providerMessageId === undefined
              ? {}
              : { providerMessageId: outcome.providerMessageId }),
            replayed: outcome.replayed,
          },
        },
      ],
    };
  }
  if (outcome.ambiguous && outcome.retryable && onAmbiguous === 'hold') {
    // The provider may have taken it and would not drop a repeat: held for a late answer or the operator.
    return {
      decision: 'held',
      state: 'held',
      delayMs: 0,
      events: [{ type: 'MessageHeld', data: { provider, attempt, reason: outcome.error } }],
    };
  }
  const another = outcome.retryable && attempt < maxAttempts;
  const failed: ProviderCallFailed = {
    type: 'ProviderCallFailed',
    data: { provider, attempt, error: outcome.error, retryable: another },
  };
  if (another) {
    const at = new Date(finishedAt.getTime() + retryDelayMs);
    return {
      decision: 'retry_scheduled',
      state: 'pending',
      delayMs: retryDelayMs,
      events: [failed, { type: 'RetryScheduled', data: { attempt: attempt + 1, at: at.toISOString() } }],
    };
  }
  const reason = outcome.retryable
    ? `gave up after ${attempt} attempts; last error: ${outcome.error}`
    : `the provider refused the send: ${outcome.error}`;
  return {
    decision: 'failed',
    state: 'failed',
    delayMs: 0,
    events: [failed, { type: 'MessageFailed', data: { reason, attempts: attempt } }],
  };
}
