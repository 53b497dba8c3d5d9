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

  it("takes the next batch to its first statement before the last batch's callers see their answers", async () => {
    const events: string[] = [];
    const firstHeld = Promise.withResolvers<void>();
    const batcher = new NaturalBatcher<number, number>({
      maxBatchSize: 10,
      maxConcurrent: 1,
      run: async (items) => {
        if (items[0] === 1) await firstHeld.promise;
        // The layers between a batch and its first statement (pool, driver): a few awaits.
        for (let step = 0; step < 10; step += 1) await Promise.resolve();
        events.push(`statement for ${items.join(',')}`);
        return items;
      },
    });
    const first = batcher.submit(1).then(() => events.push('reply to 1'));
    const second = batcher.submit(2).then(() => events.push('reply to 2'));
    firstHeld.resolve();
    await Promise.all([first, second]);
    expect(events).toEqual(['statement for 1', 'statement for 2', 'reply to 1', 'reply to 2']);
  });

  it('is drained only once every item has its answer', async () => {
    const gate = Promise.withResolvers<void>();
    // Two batches that finish in the same turn: the first one's answers must not drain the batcher.
    const batcher = new NaturalBatcher<number, number>({
      maxBatchSize: 1,
      maxConcurrent: 2,
      run: async (items) => {
        await gate.promise;
        return items.map((item) => item + 1);
      },
    });
    const answered: number[] = [];
    const answers = [1, 2].map((item) => batcher.submit(item).then((answer) => answered.push(answer)));
    const drained = batcher.drained().then(() => [...answered]);
    gate.resolve();
    expect(await drained).toEqual([2, 3]);
    await Promise.all(answers);
  });

  describe('with a linger', () => {
    /** A batcher that answers each item with itself, and the sizes of the batches it ran. */
    const recording = (options: { maxBatchSize: number; maxConcurrent: number; lingerMs: number }) => {
      const sizes: number[] = [];
      const batcher = new NaturalBatcher<number, number>({
        ...options,
        run: async (items) => {
          sizes.push(items.length);
          return items;
        },
      });
      return { batcher, sizes };
    };

    it('sends the first item at once: there is no stream to wait for', async () => {
      const { batcher, sizes } = recording({ maxBatchSize: 10, maxConcurrent: 2, lingerMs: 5_000 });
      const started = performance.now();
      expect(await batcher.submit(1)).toBe(1);
      expect(performance.now() - started).toBeLessThan(2_500);
      expect(sizes).toEqual([1]);
    });

    it('gathers a steady stream for up to its linger, from the first item of the batch', async () => {
      const { batcher, sizes } = recording({ maxBatchSize: 10, maxConcurrent: 2, lingerMs: 200 });
      await batcher.submit(1);
      await sleep(10);
      const submitted = performance.now();
      const second = batcher.submit(2);
      await sleep(10);
      const rest = [batcher.submit(3), batcher.submit(4)];
      expect(await Promise.all([second, ...rest])).toEqual([2, 3, 4]);
      expect(sizes).toEqual([1, 3]);
      // A timer may fire a millisecond early.
      expect(performance.now() - submitted).toBeGreaterThanOrEqual(199);
    });

    it('stops lingering once items come further apart than twice the linger', async () => {
      const { batcher, sizes } = recording({ maxBatchSize: 10, maxConcurrent: 2, lingerMs: 100 });
      await batcher.submit(1);
      await sleep(500);
      const started = performance.now();
      await batcher.submit(2);
      expect(sizes).toEqual([1, 1]);
      expect(performance.now() - started).toBeLessThan(50);
    });

    it('starts a full batch at once, without waiting', async () => {
      const { batcher, sizes } = recording({ maxBatchSize: 3, maxConcurrent: 1, lingerMs: 60_000 });
      await batcher.submit(0);
      await sleep(10);
      const results = await Promise.all([1, 2, 3].map((item) => batcher.submit(item)));
      expect(results).toEqual([1, 2, 3]);
      expect(sizes).toEqual([1, 3]);
    });

    it('sends items that queued behind a running batch once their linger is over', async () => {
      const sizes: number[] = [];
      const gate = Promise.withResolvers<void>();
      const batcher = new NaturalBatcher<number, number>({
        maxBatchSize: 10,
        maxConcurrent: 1,
        lingerMs: 40,
        run: async (items) => {
          sizes.push(items.length);
          if (items[0] === 1) await gate.promise;
          return items;
        },
      });
      const first = batcher.submit(1);
      await sleep(10);
      const queued = [batcher.submit(2), batcher.submit(3)];
      await sleep(60);
      // Their linger is over, but the only slot is taken: they wait for it, and leave together.
      expect(sizes).toEqual([1]);
      gate.resolve();
      expect(await Promise.all([first, ...queued])).toEqual([1, 2, 3]);
      expect(sizes).toEqual([1, 2]);
      await batcher.drained();
    });
  });
});
