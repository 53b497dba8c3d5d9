import { setTimeout as sleep } from 'node:timers/promises';
import { NaturalBatcher } from './naturalBatcher.js';

describe('natural batching (group commit)', () => {
  it('runs a lone item at once, in a batch of one', async () => {
    const sizes: number[] = [];
    const batcher = new NaturalBatcher<number, number>({
      maxBatchSize: 10,
      maxConcurrent: 1,
      run: async (items) => {
        sizes.push(items.length);
        return items.map((item) => item * 2);
      },
    });
    expect(await batcher.submit(21)).toBe(42);
    expect(sizes).toEqual([1]);
  });

  it('gathers items that arrive while batches run, up to the size limit, and answers each its own result', async () => {
    const sizes: number[] = [];
    const batcher = new NaturalBatcher<number, string>({
      maxBatchSize: 4,
      maxConcurrent: 1,
      run: async (items) => {
        sizes.push(items.length);
        await sleep(5);
        return items.map(String);
      },
    });
    const results = await Promise.all(Array.from({ length: 9 }, (_, index) => batcher.submit(index)));
    expect(results).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8']);
    expect(sizes).toEqual([1, 4, 4]);
  });

  it('fails every item of a batch that throws, and goes on with the next batch', async () => {
    let calls = 0;
    const batcher = new NaturalBatcher<number, number>({
      maxBatchSize: 10,
      maxConcurrent: 1,
      run: async (items) => {
        calls += 1;
        if (calls === 1) throw new Error('boom');
        return items;
      },
    });
    await expect(batcher.submit(1)).rejects.toThrow('boom');
    expect(await batcher.submit(2)).toBe(2);
    await batcher.drained();
  });
});
