import { count, duration, perSecond, rate, recent } from './format.js';

describe('rates per second from counts per bucket', () => {
  it('divides full buckets by their length and the filling one by the time it has run', () => {
    expect(perSecond([10, 20, 3], [0, 5_000, 10_000], 5_000, 11_500)).toEqual([2, 4, 2]);
  });

  it('keeps unknown buckets unknown and never divides by less than a second', () => {
    expect(perSecond([null, 4], [0, 5_000], 5_000, 5_100)).toEqual([null, 4]);
  });
});

describe('figures as shown', () => {
  it('formats counts, rates and durations', () => {
    expect(count(12345)).toBe('12,345');
    expect(count(null)).toBe('–');
    expect(rate(0.25)).toBe('0.3');
    expect(rate(1234.4)).toBe('1,234');
    expect(duration(250)).toBe('250 ms');
    expect(duration(4_200)).toBe('4.2 s');
    expect(duration(125_000)).toBe('2 min 5 s');
  });

  it('sums the most recent buckets', () => {
    expect(recent([1, null, 2, 3], 3)).toBe(5);
  });
});
