import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * A table counted by time bucket and category: rows are found by an ever-growing position (an
 * identity column with a unique index), bucketed by their creation time.
 */
export interface CountedTable {
  table: string;
  position: string;
  createdAt: string;
  /** SQL giving each row's category (a series name). */
  category: string;
  /** Rows counted at all (SQL condition). */
  where: string;
}

/** Counts per bucket start (epoch ms) and category. */
export type BucketCounts = Map<number, Map<string, number>>;

/** Rows with a position in (after, upTo] (upTo null: no bound), counted per bucket and category. */
export async function countRange(
  em: EntityManager,
  source: CountedTable,
  bucketMs: number,
  after: number,
  upTo: number | null,
): Promise<BucketCounts> {
  // The unique index on the position makes this a range scan of the new rows only.
  const { rows } = await runSql<{ bucket: string; category: string; n: string }>(
    em,
    `SELECT floor(extract(epoch FROM ${source.createdAt}) * 1000 / $1)::bigint * $1 AS bucket,
            ${source.category} AS category, count(*) AS n
       FROM ${source.table}
      WHERE ${source.position} > $2 AND ($3::bigint IS NULL OR ${source.position} <= $3) AND (${source.where})
      GROUP BY 1, 2`,
    [bucketMs, after, upTo],
  );
  const counts: BucketCounts = new Map();
  for (const row of rows) addCount(counts, Number(row.bucket), row.category, Number(row.n));
  return counts;
}

/** The highest position now visible (0 for an empty table). */
export async function maxPosition(em: EntityManager, source: CountedTable): Promise<number> {
  const { rows } = await runSql<{ max: string | null }>(
    em,
    `SELECT max(${source.position}) AS max FROM ${source.table}`,
  );
  return Number(rows[0]?.max ?? 0);
}

/**
 * The first position whose row was created at or after `atMs` (the end when none was), by binary
 * search over the position index: a few dozen index probes, never a scan. Creation times follow
 * positions closely but not exactly (a transaction's time is its start), which is close enough
 * to place the edge of a chart's window.
 */
export async function positionAt(em: EntityManager, source: CountedTable, atMs: number): Promise<number> {
  const probe = async (position: number) => {
    const { rows } = await runSql<{ position: string; at: string }>(
      em,
      `SELECT ${source.position} AS position, extract(epoch FROM ${source.createdAt}) * 1000 AS at
         FROM ${source.table} WHERE ${source.position} >= $1 ORDER BY ${source.position} LIMIT 1`,
      [position],
    );
    const row = rows[0];
    return row === undefined ? undefined : { position: Number(row.position), at: Number(row.at) };
  };
  // The smallest position m whose first row at or after it is recent (no row: recent too).
  let low = 1;
  let high = (await maxPosition(em, source)) + 1;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    const found = await probe(middle);
    if (found === undefined || found.at >= atMs) high = middle;
    else low = Math.min(found.position + 1, high);
  }
  return low - 1;
}

export function addCount(counts: BucketCounts, bucket: number, category: string, n: number): void {
  let byCategory = counts.get(bucket);
  if (byCategory === undefined) {
    byCategory = new Map();
    counts.set(bucket, byCategory);
  }
  byCategory.set(category, (byCategory.get(category) ?? 0) + n);
}

export function mergeCounts(into: BucketCounts, from: BucketCounts): void {
  for (const [bucket, byCategory] of from)
    for (const [category, n] of byCategory) addCount(into, bucket, category, n);
}
