import type { Orm } from './openOrm.js';
import { runSql } from './runSql.js';

type EntityManager = Orm['em'];

/** Settings for this transaction only (`SET LOCAL`): timeouts in milliseconds, planner switches. */
export interface TransactionSettings {
  transaction_timeout?: number;
  idle_in_transaction_session_timeout?: number;
  lock_timeout?: number;
  enable_hashjoin?: boolean;
  enable_mergejoin?: boolean;
  enable_seqscan?: boolean;
  /** Whether a prepared statement may run a plan kept from earlier executions (`auto`). */
  plan_cache_mode?: 'auto' | 'force_custom_plan';
}

function settingValue(value: number | boolean | string): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') return String(Math.max(1, Math.ceil(value)));
  return value;
}

/**
 * Runs `work` in one PostgreSQL transaction on one pooled connection, with an entity manager
 * whose `runSql` goes through it. Not `em.transactional`: in MikroORM 7.2 (kysely's controlled
 * transactions) a connection whose COMMIT or ROLLBACK fails because the server ended the session
 * (a lease that ran out, `pg_terminate_backend`, a restart) is never handed back to the pool, and
 * after `poolSize` of them every query waits forever. Here the connection is always released, and
 * pg-pool discards a dead one.
 */
export async function inTransaction<T>(
  orm: Orm,
  work: (em: EntityManager) => Promise<T>,
  settings: TransactionSettings = {},
): Promise<T> {
  // Sent with BEGIN in one round trip (a simple query may hold several statements).
  const begin = [
    'BEGIN',
    ...Object.entries(settings).map(
      ([name, value]: [string, number | boolean | string]) => `SET LOCAL ${name} = ${settingValue(value)}`,
    ),
  ];
  return orm.em
    .fork()
    .getKysely()
    .connection()
    .execute(async (connection) => {
      const em = orm.em.fork();
      em.setTransactionContext(
        connection as unknown as Parameters<EntityManager['setTransactionContext']>[0],
      );
      try {
        await runSql(em, begin.join('; '));
        const result = await work(em);
        await runSql(em, 'COMMIT');
        return result;
      } catch (error) {
        await runSql(em, 'ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        em.resetTransactionContext();
      }
    });
}
