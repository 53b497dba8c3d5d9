import { inTransaction, type Orm, runSql } from '@exactly/persistence';
import { dayMs, idBoundAt, partitionName, utcDayStart } from './idBoundAt.js';
import { listPartitions } from './listPartitions.js';
import { tryMaintenanceLock } from './maintenanceLock.js';
import type { PartitionedTable } from './partitionedTables.js';

export interface EnsureOptions {
  /** The database's clock. */
  nowMs: number;
  /** Whole days after today to have partitions for. */
  aheadDays: number;
  lockTimeoutMs: number;
}

/**
 * Creates the daily partitions of `spec` from the end of its newest one up to `aheadDays` after
 * today, so rows never land in the DEFAULT partition while the job runs. Rows that did (the job
 * was down longer than that) are moved into the day's new partition when it is created. Returns
 * the partitions created, or 'busy' when another instance holds the maintenance lock.
 */
export async function ensurePartitions(
  orm: Orm,
  spec: PartitionedTable,
  { nowMs, aheadDays, lockTimeoutMs }: EnsureOptions,
): Promise<string[] | 'busy'> {
  const partitions = await listPartitions(orm.em.fork(), spec);
  const until = utcDayStart(nowMs) + (aheadDays + 1) * dayMs;
  const created: string[] = [];
  for (let day = partitions.at(-1)?.toMs ?? utcDayStart(nowMs); day < until; day += dayMs) {
    const outcome = await inTransaction(
      orm,
      async (em) => {
        if (!(await tryMaintenanceLock(em))) return 'busy' as const;
        return createDay(em, spec, day);
      },
      { lock_timeout: lockTimeoutMs },
    );
    if (outcome === 'busy') return 'busy';
    if (outcome !== undefined) created.push(outcome);
  }
  return created;
}

async function createDay(em: Orm['em'], spec: PartitionedTable, day: number): Promise<string | undefined> {
  const name = partitionName(spec.table, day);
  const { rows: existing } = await runSql<{ found: boolean }>(
    em,
    'SELECT to_regclass($1) IS NOT NULL AS found',
    [name],
  );
  if (existing[0]?.found) return undefined;
  // Bounds are hex digits made here, never input: safe to inline (DDL takes no parameters).
  const from = idBoundAt(spec.idPrefix, day);
  const to = idBoundAt(spec.idPrefix, day + dayMs);
  const storage = spec.storage === undefined ? '' : ` WITH (${spec.storage})`;
  const stranded = `FROM ${spec.table}_default WHERE ${spec.column} >= '${from}' AND ${spec.column} < '${to}'`;
  const { rows } = await runSql<{ found: boolean }>(em, `SELECT EXISTS (SELECT 1 ${stranded}) AS found`);
  if (rows[0]?.found) {
    await runSql(
      em,
      `CREATE TABLE ${name} (LIKE ${spec.table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)${storage}`,
    );
    await runSql(em, `INSERT INTO ${name} SELECT * ${stranded}`);
    await runSql(em, `DELETE ${stranded}`);
    await runSql(
      em,
      `ALTER TABLE ${spec.table} ATTACH PARTITION ${name} FOR VALUES FROM ('${from}') TO ('${to}')`,
    );
  } else {
    await runSql(
      em,
      `CREATE TABLE ${name} PARTITION OF ${spec.table} FOR VALUES FROM ('${from}') TO ('${to}')${storage}`,
    );
  }
  return name;
}
