import { TokenBucket } from './tokenBucket.js';

describe('a provider rate limit', () => {
  it('lets a burst through, then spaces calls at the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 2, () => now);
    expect([bucket.reserve(), bucket.reserve()]).toEqual([0, 0]);
    expect(bucket.reserve()).toBeCloseTo(100);
    expect(bucket.reserve()).toBeCloseTo(200);
    now = 1_000;
    expect(bucket.reserve()).toBe(0);
  });

  it('says how many calls fit in a time window, so no more is claimed than can be sent', () => {
    let now = 0;
    const bucket = new TokenBucket(100, 100, () => now);
    expect(bucket.availableWithin(500)).toBe(150);
    for (let i = 0; i < 100; i += 1) bucket.reserve();
    expect(bucket.availableWithin(0)).toBe(0);
    now = 100;
    expect(bucket.availableWithin(0)).toBe(10);
  });

  it('is unlimited at rate 0', () => {
    const bucket = new TokenBucket(0);
    expect(bucket.reserve()).toBe(0);
    expect(bucket.availableWithin(1)).toBe(Number.POSITIVE_INFINITY);
  });
});
