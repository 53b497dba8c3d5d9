import type { EntityManager } from '@exactly/idempotency';
import { type Orm, runSql } from '@exactly/persistence';

/**
 * Opens a transaction on its own connection, runs `work` in it (take a row lock, say) and keeps
 * it open until `release` (tests only: it holds other transactions in flight on purpose).
 */
export async function inTransactionForTest(
  orm: Orm,
  work: (em: EntityManager) => Promise<void>,
): Promise<{ release(): Promise<void> }> {
  const ready = Promise.withResolvers<void>();
  const done = Promise.withResolvers<void>();
  const finished = orm.em
    .fork()
    .getKysely()
    .connection()
    .execute(async (connection) => {
      const em = orm.em.fork();
      em.setTransactionContext(
        connection as unknown as Parameters<EntityManager['setTransactionContext']>[0],
      );
      await runSql(em, 'BEGIN');
      try {
        await work(em);
        ready.resolve();
        await done.promise;
      } finally {
        await runSql(em, 'ROLLBACK');
        em.resetTransactionContext();
      }
    });
  finished.catch(ready.reject);
  await ready.promise;
  return {
    async release() {
      done.resolve();
      await finished;
    },
  };
}
