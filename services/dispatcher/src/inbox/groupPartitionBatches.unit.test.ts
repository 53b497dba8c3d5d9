import { setImmediate as nextTurn } from 'node:timers/promises';
import type { DecodedRecord } from './decodeRecord.js';
import { groupPartitionBatches } from './groupPartitionBatches.js';
import type { PartitionBatch, PartitionBatchContext, PartitionBatchResult } from './processPartitionBatch.js';

function batch(partition: number, records: number): PartitionBatch {
  return {
    context: { partition } as PartitionBatchContext,
    records: Array.from({ length: records }, () => ({}) as DecodedRecord),
  };
}

function resultOf(item: PartitionBatch): PartitionBatchResult {
  return {
    nextOffset: BigInt(item.context.partition),
    dispatched: item.records.length,
    duplicates: { batch: 0, inbox: 0 },
    skipped: 0,
    deadLetters: [],
  };
}

/** `run` that records the partitions of each call and answers each batch with its own result. */
function recordingRun() {
  const calls: number[][] = [];
  const run = async (batches: readonly PartitionBatch[]) => {
    calls.push(batches.map((item) => item.context.partition));
    return batches.map(resultOf);
  };
  return { calls, run };
}

describe('partition batches grouped into transactions', () => {
  it('puts the batches handed over in one turn into one call, each getting its own result', async () => {
    const { calls, run } = recordingRun();
    const groups = groupPartitionBatches(run, { maxBatches: 12, maxRecords: 5_000 });
    const results = await Promise.all(
      [batch(0, 3), batch(1, 5), batch(2, 1)].map((item) => groups.process(item)),
    );
    expect(calls).toEqual([[0, 1, 2]]);
    expect(results.map((result) => [result.nextOffset, result.dispatched])).toEqual([
      [0n, 3],
      [1n, 5],
      [2n, 1],
    ]);
  });

  it('starts a new group for batches that arrive in a later turn, without waiting for the first', async () => {
    let release: () => void = () => {};
    const calls: number[][] = [];
    const groups = groupPartitionBatches(
      async (batches) => {
        calls.push(batches.map((item) => item.context.partition));
        if (calls.length === 1) await new Promise<void>((resolve) => (release = resolve));
        return batches.map(resultOf);
      },
      { maxBatches: 12, maxRecords: 5_000 },
    );
    const first = groups.process(batch(0, 1));
    await nextTurn();
    const second = groups.process(batch(1, 1));
    await nextTurn();
    await second;
    expect(calls).toEqual([[0], [1]]);
    release();
    await first;
  });

  it('keeps each group within the batch and record limits, a batch over the record limit alone', async () => {
    const { calls, run } = recordingRun();
    const groups = groupPartitionBatches(run, { maxBatches: 2, maxRecords: 10 });
    await Promise.all(
      [batch(0, 4), batch(1, 4), batch(2, 4), batch(3, 20), batch(4, 3), batch(5, 3)].map((item) =>
        groups.process(item),
      ),
    );
    expect(calls).toEqual([[0, 1], [2], [3], [4, 5]]);
  });

  it('never puts two batches of one partition in one group', async () => {
    const { calls, run } = recordingRun();
    const groups = groupPartitionBatches(run, { maxBatches: 12, maxRecords: 5_000 });
    await Promise.all(
      [batch(0, 1), batch(1, 1), batch(0, 1), batch(2, 1)].map((item) => groups.process(item)),
    );
    expect(calls).toEqual([
      [0, 1],
      [0, 2],
    ]);
  });

  it('with one batch a transaction, runs each alone', async () => {
    const { calls, run } = recordingRun();
    const groups = groupPartitionBatches(run, { maxBatches: 1, maxRecords: 5_000 });
    await Promise.all([batch(0, 1), batch(1, 1)].map((item) => groups.process(item)));
    expect(calls).toEqual([[0], [1]]);
  });

  it('fails every batch of a group whose transaction failed, and only those', async () => {
    const groups = groupPartitionBatches(
      async (batches) => {
        if (batches.some((item) => item.context.partition === 1)) throw new Error('serialization failure');
        return batches.map(resultOf);
      },
      { maxBatches: 2, maxRecords: 5_000 },
    );
    const settled = await Promise.allSettled(
      [batch(0, 1), batch(1, 1), batch(2, 1)].map((item) => groups.process(item)),
    );
    expect(settled.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
  });
});
