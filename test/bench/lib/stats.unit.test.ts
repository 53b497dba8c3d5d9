import { largest, median, medianRound, spread } from './stats.ts';

describe('the median and spread of benchmark rounds', () => {
  it('takes the mean of the two middle rounds when there is an even number of them', () => {
    expect(median([10, 20])).toBe(15);
    expect(median([40, 10, 30, 20])).toBe(25);
  });

  it('takes the middle round of an odd number, whatever their order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([7])).toBe(7);
  });

  it('is NaN without rounds', () => {
    expect(median([])).toBeNaN();
  });

  it('reports the median with the smallest and largest round and every round in order of running', () => {
    expect(spread([900, 1_100, 1_000])).toEqual({
      median: 1_000,
      min: 900,
      max: 1_100,
      rounds: [900, 1_100, 1_000],
    });
  });

  it('spreads a ratio of two figures taken round by round, not of their medians', () => {
    const ratios = [
      [100, 200],
      [300, 300],
      [100, 400],
    ].map(([value, baseline]) => (value as number) / (baseline as number));
    expect(spread(ratios)).toMatchObject({ median: 0.5, min: 0.25, max: 1 });
  });
});

describe('the round shown in full', () => {
  it('is the one with the median figure', () => {
    const rounds = [{ p99: 30 }, { p99: 10 }, { p99: 20 }];
    expect(medianRound(rounds, (r) => r.p99)).toEqual({ p99: 20 });
  });
});

describe('the largest of many values', () => {
  it('takes the largest of more values than a function call can take as arguments', () => {
    const receipts = Array.from({ length: 500_000 }, (_, index) => (index * 7_919) % 500_000);
    expect(largest(receipts)).toBe(499_999);
    expect(largest([3, -1, 2])).toBe(3);
    expect(largest([])).toBeNaN();
  });
});
