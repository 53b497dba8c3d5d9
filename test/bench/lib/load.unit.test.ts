import { setTimeout as sleep } from 'node:timers/promises';
import { paced } from './load.ts';

// A server that takes 50 ms per request, asked for 100 requests/s for 0.3 s (30 requests).
const slow = async () => {
  await sleep(50);
};

describe('open-loop load', () => {
  it('measures each latency from the scheduled time, so a cap that delays starts shows in the latency and in `late`', async () => {
    const result = await paced(100, 0.3, slow, { maxInFlight: 1 });
    expect(result).toMatchObject({ offeredPerSecond: 100, scheduled: 30, ok: 30, failed: 0, maxInFlight: 1 });
    // One at a time, the 30th starts at least 29 × 50 ms after the first, though it was due at 290 ms.
    expect(result.latencyMs.max).toBeGreaterThanOrEqual(29 * 50 - 290);
    expect(result.latencyMs.p50).toBeGreaterThan(50 * 10);
    expect(result.late).toBeGreaterThanOrEqual(25);
  });

  it('has no in-flight cap unless asked: a slow server does not lower the offered rate', async () => {
    const result = await paced(100, 0.3, slow);
    expect(result.maxInFlight).toBeGreaterThan(1);
    expect(result.ok).toBe(30);
    expect(result.latencyMs.count).toBe(30);
  });

  it('counts work that answers false or throws as failed, and passes each request its scheduled time', async () => {
    const due: number[] = [];
    const result = await paced(100, 0.1, async (i, scheduledAt) => {
      due.push(scheduledAt);
      if (i === 3) throw new Error('refused');
      return i !== 5;
    });
    expect(result).toMatchObject({ scheduled: 10, ok: 8, failed: 2 });
    expect(Math.round((due[9] as number) - (due[0] as number))).toBe(90);
  });
});
