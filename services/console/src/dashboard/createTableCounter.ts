import {
  type BucketCounts,
  type CountedTable,
  countRange,
  maxPosition,
  mergeCounts,
  positionAt,
} from '@exactly/operations';
import type { Orm } from '@exactly/persistence';

type EntityManager = Orm['em'];

export interface TableCounter {
  /**
   * Reads what is new and returns the counts of every bucket from `fromMs` on. `nowMs` is the
   * database's clock, read in the same round of queries.
   */
  read(em: EntityManager, nowMs: number, fromMs: number): Promise<BucketCounts>;
}

/**
 * Counts a table's rows per time bucket without reading a row twice once it is settled.
 *
 * Positions are taken at insert but become visible at commit, so a row can appear below positions
 * already read. A position P that was the highest visible `settleMs` ago is settled: every row at
 * or below P belongs to a transaction that started before then and, transactions being shorter
 * than `settleMs` (the ingest API's lease bounds its own; the dispatcher's last milliseconds), has
 * ended. Rows up to P are counted once and kept; rows above it are counted again at every read.
 */
export function createTableCounter(
  source: CountedTable,
  { bucketMs, settleMs }: { bucketMs: number; settleMs: number },
): TableCounter {
  let settled: number | undefined;
  const settledCounts: BucketCounts = new Map();
  const seen: { at: number; max: number }[] = [];

  return {
    async read(em, nowMs, fromMs) {
      const max = await maxPosition(em, source);
      if (settled === undefined) {
        // First read: the window's rows up to about `settleMs` ago, found by time.
        const start = await positionAt(em, source, fromMs);
        const upTo = Math.max(start, await positionAt(em, source, nowMs - settleMs));
        mergeCounts(settledCounts, await countRange(em, source, bucketMs, start, upTo));
        settled = upTo;
      }
      seen.push({ at: nowMs, max });
      let horizon: number | undefined;
      while (seen.length > 0 && (seen[0]?.at ?? nowMs) <= nowMs - settleMs) horizon = seen.shift()?.max;
      if (horizon !== undefined && horizon > settled) {
        mergeCounts(settledCounts, await countRange(em, source, bucketMs, settled, horizon));
        settled = horizon;
      }
      for (const bucket of settledCounts.keys()) if (bucket < fromMs) settledCounts.delete(bucket);
      const counts: BucketCounts = new Map();
      mergeCounts(counts, settledCounts);
      if (max > settled) mergeCounts(counts, await countRange(em, source, bucketMs, settled, null));
      return counts;
    },
  };
}
