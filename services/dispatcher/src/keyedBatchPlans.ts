import type { TransactionSettings } from '@exactly/persistence';

/**
 * For the dispatcher's transactions, which read and update rows by primary key for a batch given
 * as arrays (`FROM unnest(...)`): joins by key lookups (nested loops on the primary key), whatever
 * the statistics say. `effects` and `messages` are often analysed while their queues are short;
 * with those statistics the planner hash-joins a scan of every queued row (or of the whole table)
 * per batch, which grows with the backlog instead of with the batch.
 *
 * These transactions also let PostgreSQL keep the plan of each prepared statement (`plan_cache_mode
 * = auto`; every other statement is planned afresh, see `@exactly/persistence`'s
 * `preparedStatements`), which saves planning the same statements batch after batch. A plan kept
 * from a short table must not scan it: with sequential scans allowed, the outcome update's plan
 * made while `effects` held 20 rows read all 20,520 of them for 500 outcomes once the queue had
 * grown (`keyedBatchPlans.int.test.ts`), so sequential scans are off too and a kept plan is made of
 * key lookups, which do not depend on a table's size.
 */
export const keyedBatchPlans: TransactionSettings = {
  enable_hashjoin: false,
  enable_mergejoin: false,
  enable_seqscan: false,
  plan_cache_mode: 'auto',
};
