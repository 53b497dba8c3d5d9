import type { PartitionBatch, PartitionBatchResult } from './processPartitionBatch.js';

export interface PartitionBatchGroups {
  /** The batch's result once the transaction it was grouped into committed; rejects if it did not. */
  process(batch: PartitionBatch): Promise<PartitionBatchResult>;
}

export interface GroupLimits {
  /** Batches in one transaction at most; 1 processes each alone. */
  maxBatches: number;
  /** Records in one transaction at most (a batch larger than this goes alone). */
  maxRecords: number;
}

interface Waiting {
  batch: PartitionBatch;
  resolve: (result: PartitionBatchResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Groups the partition batches handed over in the same turn of the event loop (kafkajs starts the
 * batches of one fetch together) and runs each group as one call of `run`, which returns the
 * results in the order of its batches. Nothing waits for a batch that has not arrived: a group
 * starts on the next turn, so grouping adds no delay.
 */
export function groupPartitionBatches(
  run: (batches: readonly PartitionBatch[]) => Promise<PartitionBatchResult[]>,
  limits: GroupLimits,
): PartitionBatchGroups {
  let waiting: Waiting[] = [];
  let scheduled = false;

  function startGroups(): void {
    scheduled = false;
    const taken = waiting;
    waiting = [];
    for (const group of splitIntoGroups(taken, limits)) {
      run(group.map((entry) => entry.batch)).then(
        (results) => {
          group.forEach((entry, index) => {
            const result = results[index];
            if (result === undefined) entry.reject(new TypeError('a grouped batch got no result'));
            else entry.resolve(result);
          });
        },
        (error: unknown) => {
          for (const entry of group) entry.reject(error);
        },
      );
    }
  }

  return {
    process(batch) {
      return new Promise((resolve, reject) => {
        waiting.push({ batch, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(startGroups);
        }
      });
    },
  };
}

/** In arrival order, as few groups as the limits allow; never two batches of one partition in a group. */
function splitIntoGroups(entries: readonly Waiting[], limits: GroupLimits): Waiting[][] {
  const groups: Waiting[][] = [];
  let current: Waiting[] = [];
  let records = 0;
  for (const entry of entries) {
    const size = entry.batch.records.length;
    const { partition } = entry.batch.context;
    if (
      current.length > 0 &&
      (current.length >= limits.maxBatches ||
        records + size > limits.maxRecords ||
        current.some((other) => other.batch.context.partition === partition))
    ) {
      groups.push(current);
      current = [];
      records = 0;
    }
    current.push(entry);
    records += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
