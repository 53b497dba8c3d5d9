import { type Orm, runSql } from '@exactly/persistence';
import { timeOfIdBound } from './idBoundAt.js';
import type { PartitionedTable } from './partitionedTables.js';

type EntityManager = Orm['em'];

/** One range partition, with the times its bounds stand for. */
export interface RangePartition {
  name: string;
  /** The lowest key it holds, '' for MINVALUE. */
  from: string;
  to: string;
  /** Undefined for MINVALUE or for a bound that is not a time. */
  fromMs: number | undefined;
  toMs: number | undefined;
}

/** The range partitions of a table (its DEFAULT partition left out), oldest first. */
export async function listPartitions(em: EntityManager, spec: PartitionedTable): Promise<RangePartition[]> {
  const { rows } = await runSql<{ name: string; bound: string }>(
    em,
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = to_regclass($1)`,
    [spec.table],
  );
  const partitions: RangePartition[] = [];
  for (const { name, bound } of rows) {
    const match = /^FOR VALUES FROM \((MINVALUE|'[^']*')\) TO \('([^']*)'\)$/.exec(bound);
    if (!match) continue;
    const from = match[1] === 'MINVALUE' ? '' : (match[1] ?? '').slice(1, -1);
    const to = match[2] ?? '';
    partitions.push({
      name,
      from,
      to,
      fromMs: timeOfIdBound(spec.idPrefix, from),
      toMs: timeOfIdBound(spec.idPrefix, to),
    });
  }
  return partitions.sort((a, b) => (a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
}
