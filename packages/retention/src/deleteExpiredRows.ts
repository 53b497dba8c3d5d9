import { inTransaction, type Orm, runSql } from '@exactly/persistence';
import type { BoundedTable } from './boundedTables.js';
import { tryMaintenanceLock } from './maintenanceLock.js';

export interface DeleteOptions {
  /** Infinity keeps everything. */
  retentionMs: number;
  batchSize: number;
  maxBatches: number;
  lockTimeoutMs: number;
}

/**
 * Deletes rows older than the retention (on the database's clock), oldest first, one short
 * transaction per batch. Returns how many, or 'busy' when another instance holds the lock.
 */
export async function deleteExpiredRows(
  orm: Orm,
  spec: Pick<BoundedTable, 'table' | 'key' | 'timeColumn' | 'keep'>,
  { retentionMs, batchSize, maxBatches, lockTimeoutMs }: DeleteOptions,
): Promise<number | 'busy'> {
  if (!Number.isFinite(retentionMs)) return 0;
  let deleted = 0;
  for (let batch = 0; batch < maxBatches; batch += 1) {
    const count = await inTransaction(
      orm,
      async (em) => {
        if (!(await tryMaintenanceLock(em))) return 'busy' as const;
        const { rowCount } = await runSql(
          em,
          `DELETE FROM ${spec.table} WHERE ${spec.key} IN (
             SELECT ${spec.key} FROM ${spec.table}
              WHERE ${spec.timeColumn} < now() - $1::bigint * interval '1 millisecond'
                    ${spec.keep === undefined ? '' : `AND NOT (${spec.keep})`}
              ORDER BY ${spec.timeColumn} LIMIT $2)`,
          [retentionMs, batchSize],
        );
        return rowCount;
      },
      { lock_timeout: lockTimeoutMs },
    );
    if (count === 'busy') return deleted === 0 ? 'busy' : deleted;
    deleted += count;
    if (count < batchSize) break;
  }
  return deleted;
}
