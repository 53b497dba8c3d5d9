import type { TransactionSettings } from '@exactly/persistence';

/**
 * For the dispatcher's transactions, which read and update rows by primary key for a batch given
 * as arrays (`FROM unnest(...)`): joins by key lookups (nested loops on the primary key), whatever
 * the statistics say. `effects` and `messages` are often analysed while their queues are short;
 * with those statistics the planner hash-joins a scan of every queued row (or of the whole table)
 * per batch, which grows with the backlog instead of with the batch.
 *
 * With key lookups the only joins, a plan does not depend on how many rows a table holds, so these
 * transactions let PostgreSQL keep the plan of each prepared statement (`plan_cache_mode = auto`;
 * every other statement is planned afresh, see `@exactly/persistence`'s `preparedStatements`):
 * planning was about a sixth of the dispatcher's PostgreSQL time.
 */
export const keyedBatchPlans: TransactionSettings = {
  enable_hashjoin: false,
  enable_mergejoin: false,
  plan_cache_mode: 'auto',
};
