import { inTransaction, type Orm, runSql } from '@exactly/persistence';

type EntityManager = Orm['em'];

/**
 * Runs the dashboard's reads in one read-only transaction whose statements each stop after
 * `timeoutMs` (`statement_timeout`, SQLSTATE 57014, which keeps the connection): an operator's
 * page never holds a connection or a snapshot for long, and never writes.
 */
export function readOnly<T>(
  orm: Orm,
  timeoutMs: number,
  work: (em: EntityManager) => Promise<T>,
): Promise<T> {
  return inTransaction(orm, async (em) => {
    await runSql(
      em,
      `SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = ${Math.max(1, Math.ceil(timeoutMs))}`,
    );
    return work(em);
  });
}

/** Whether an error is PostgreSQL's `statement_timeout` (query_canceled). */
export function isStatementTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '57014';
}
