import { runLoad } from './runLoad.js';

describe('running a load', () => {
  it('runs every task once and never more than the concurrency at a time', async () => {
    const seen: number[] = [];
    let inFlight = 0;
    let most = 0;
    const started = await runLoad({
      count: 40,
      concurrency: 4,
      task: async (index) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 2));
        seen.push(index);
        inFlight -= 1;
      },
    });
    expect(started).toBe(40);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, index) => index));
    expect(most).toBe(4);
  });

  it('paces the starts at the rate', async () => {
    const startedAt: number[] = [];
    const begin = performance.now();
    await runLoad({
      count: 11,
      ratePerSecond: 100,
      concurrency: 100,
      task: async () => {
        startedAt.push(performance.now() - begin);
      },
    });
    // Ten intervals of 10 ms: the last start is due at 100 ms.
    expect(startedAt[10]).toBeGreaterThanOrEqual(99);
  });

  it('starts nothing more once aborted, and a failing task does not stop the others', async () => {
    const stop = new AbortController();
    let ran = 0;
    const settled: number[] = [];
    const started = await runLoad({
      count: 100,
      concurrency: 1,
      signal: stop.signal,
      onSettled: (finished) => settled.push(finished),
      task: async (index) => {
        ran += 1;
        if (index === 2) stop.abort();
        if (index === 1) throw new Error('one bad send');
      },
    });
    expect(started).toBe(3);
    expect(ran).toBe(3);
    expect(settled).toEqual([1, 2, 3]);
  });
});
