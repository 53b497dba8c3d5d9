import { backoffDelay } from './backoff.js';

describe('the retry backoff', () => {
  it('doubles from the minimum with each attempt', () => {
    const top = () => 1;
    expect([0, 1, 2, 3].map((attempt) => backoffDelay(attempt, 100, 10_000, top))).toEqual([
      100, 200, 400, 800,
    ]);
  });

  it('never exceeds the maximum, however many attempts failed', () => {
    expect(backoffDelay(1_000, 100, 10_000, () => 1)).toBe(10_000);
  });

  it('waits at least half the current step', () => {
    expect(backoffDelay(3, 100, 10_000, () => 0)).toBe(400);
  });
});
