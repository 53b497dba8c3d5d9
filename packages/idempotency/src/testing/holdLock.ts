import { inTransaction, type Orm, runSql } from '@exactly/persistence';

/**
 * Holds a key's advisory lock in a transaction of its own, as another process writing that key
 * would, until the returned function releases it.
 */
export async function holdLock(orm: Orm, lockKey: string): Promise<() => Promise<void>> {
  return await holdInTransaction(orm, 'SELECT pg_advisory_xact_lock($1::bigint)', [lockKey]);
}

/**
 * Runs `text` (a lock taken, say) in a transaction of its own and keeps that transaction open,
 * with what it holds, until the returned function ends it.
 */
export async function holdInTransaction(
  orm: Orm,
  text: string,
  parameters: unknown[] = [],
): Promise<() => Promise<void>> {
  const held = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  const holder = inTransaction(orm, async (em) => {
    await runSql(em, text, parameters);
    held.resolve();
    await release.promise;
  });
  await Promise.race([held.promise, holder]);
  return async () => {
    release.resolve();
    await holder;
  };
}
