import { retryDelay } from './retryDelay.js';

const policy = { baseDelayMs: 1_000, maxDelayMs: 60_000 };

describe('the delay before another attempt', () => {
  it('doubles with each attempt, between half and all of the exponential value', () => {
    expect(retryDelay(1, policy, () => 0)).toBe(500);
    expect(retryDelay(1, policy, () => 1)).toBe(1_000);
    expect(retryDelay(3, policy, () => 0)).toBe(2_000);
    expect(retryDelay(3, policy, () => 1)).toBe(4_000);
  });

  it('is capped', () => {
    expect(retryDelay(30, policy, () => 1)).toBe(60_000);
    expect(retryDelay(30, policy, () => 0)).toBe(30_000);
  });

  it('spreads the retries of sends that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelay(4, policy)));
    expect(delays.size).toBeGreaterThan(40);
  });
});
