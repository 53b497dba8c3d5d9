import type { ClaimedEffect } from './claimEffects.js';

/**
 * How the inbox stage claims the effects it creates for this process's executor: the effect is
 * inserted already claimed (`in_flight`, attempt 1, a claim token and a lease) in the inbox
 * transaction, and handed over in memory once that commits, instead of a claim statement and its
 * commit. Only as many as the executor has room for are claimed so; the rest are queued pending.
 * While effects of a provider wait pending, none of its new ones are claimed so: they queue behind
 * the waiting ones, which the claim loop takes in the order they came due (new effects would
 * otherwise take every freed slot under sustained load, and the queue would wait until the load
 * stops).
 * If the process dies before the call, the lease runs out and any executor takes the attempt
 * over as not started, with the same provider key.
 */
export interface EffectHandoff {
  /** The lease an effect claimed at creation gets. */
  readonly leaseMs: number;
  /** How many of `wanted` new effects of `provider` this process takes now (0 when it cannot). */
  reserve(provider: string, wanted: number): number;
  /** The transaction that would have created them did not commit: their room is free again. */
  cancel(effects: readonly ClaimedEffect[]): void;
  /**
   * Created and committed: the executor calls them. `queued` names the providers of effects the
   * same transaction created pending: the executor's claim loop takes them, oldest first, before
   * it claims new effects at creation again.
   */
  hand(
    effects: readonly ClaimedEffect[],
    traceparents: ReadonlyMap<string, string>,
    queued: ReadonlySet<string>,
  ): void;
}
