import type { TransactionSettings } from '@exactly/persistence';

/**
 * For the dispatcher's transactions, which read and update rows by primary key for a batch given
 * as arrays (`FROM unnest(...)`): joins by key lookups (nested loops on the primary key), whatever
 * the statistics say. `effects` and `messages` are often analysed while their queues are short;
 * with those statistics the planner hash-joins a scan of every queued row (or of the whole table)
 * per batch, which grows with the backlog instead of with the batch.
 */
export const keyedBatchPlans: TransactionSettings = { enable_hashjoin: false, enable_mergejoin: false };
