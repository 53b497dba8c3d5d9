import { inTransaction, type Orm, runSql } from '@exactly/persistence';

/**
 * Holds a key's advisory lock in a transaction of its own, as another process writing that key
 * would, until the returned function releases it.
 */
export async function holdLock(orm: Orm, lockKey: string): Promise<() => Promise<void>> {
  const locked = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  const holder = inTransaction(orm, async (em) => {
    await runSql(em, 'SELECT pg_advisory_xact_lock($1::bigint)', [lockKey]);
    locked.resolve();
    await release.promise;
  });
  await locked.promise;
  return async () => {
    release.resolve();
    await holder;
  };
}
