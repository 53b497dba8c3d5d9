import { inTransaction, type Orm, runSql } from '@exactly/persistence';
import { idBoundAt } from './idBoundAt.js';
import { listPartitions, type RangePartition } from './listPartitions.js';
import { tryMaintenanceLock } from './maintenanceLock.js';
import type { PartitionedGroup } from './partitionedTables.js';

export interface ExpireOptions {
  /** The database's clock. */
  nowMs: number;
  /** Infinity keeps everything. */
  retentionMs: number;
  lockTimeoutMs: number;
}

export interface ExpireResult {
  dropped: { table: string; partition: string }[];
  /** Partitions past retention kept because something still refers to their rows. */
  blocked: { table: string; partition: string; reference: string }[];
  busy: boolean;
}

/**
 * Drops every partition of the group whose newest possible row is older than the retention
 * (detach, then drop: no row-by-row delete), unless one of the group's references still needs
 * it. The check and the drop share one transaction under the maintenance lock, with a lock
 * timeout so a long reader of the table delays the drop to the next run instead of queueing every
 * writer behind it.
 */
export async function expirePartitions(
  orm: Orm,
  group: PartitionedGroup,
  { nowMs, retentionMs, lockTimeoutMs }: ExpireOptions,
): Promise<ExpireResult> {
  const result: ExpireResult = { dropped: [], blocked: [], busy: false };
  if (!Number.isFinite(retentionMs)) return result;
  for (const spec of group.tables) {
    const expired = (await listPartitions(orm.em.fork(), spec)).filter(
      (partition) => partition.toMs !== undefined && partition.toMs <= nowMs - retentionMs,
    );
    for (const partition of expired) {
      const outcome = await inTransaction(
        orm,
        async (em) => {
          if (!(await tryMaintenanceLock(em))) return 'busy' as const;
          const reference = await liveReference(em, group, partition, nowMs - retentionMs);
          if (reference !== undefined) return { reference };
          await runSql(em, `ALTER TABLE ${spec.table} DETACH PARTITION ${partition.name}`);
          await runSql(em, `DROP TABLE ${partition.name}`);
          return 'dropped' as const;
        },
        { lock_timeout: lockTimeoutMs },
      );
      if (outcome === 'busy') return { ...result, busy: true };
      if (outcome === 'dropped') result.dropped.push({ table: spec.table, partition: partition.name });
      else result.blocked.push({ table: spec.table, partition: partition.name, ...outcome });
    }
  }
  return result;
}

/** The first reference that still needs the partition's messages, if any. */
async function liveReference(
  em: Orm['em'],
  group: PartitionedGroup,
  partition: RangePartition,
  cutoffMs: number,
): Promise<string | undefined> {
  const lo = partition.fromMs === undefined ? '' : idBoundAt('msg_', partition.fromMs);
  const hi = idBoundAt('msg_', partition.toMs ?? 0);
  for (const reference of group.references) {
    const { rows } = await runSql<{ found: boolean }>(
      em,
      `SELECT EXISTS (SELECT 1 FROM (VALUES ($1::text, $2::text, $3::timestamptz, $4::timestamptz))
                              AS b (lo, hi, until, cutoff)
                       WHERE EXISTS (${reference.sql})) AS found`,
      [lo, hi, new Date(partition.toMs ?? 0), new Date(cutoffMs)],
    );
    if (rows[0]?.found) return reference.name;
  }
  return undefined;
}
