import { summarizeLatencies } from './percentiles.js';

describe('summarizing latencies', () => {
  it('takes nearest-rank percentiles of the values in any order', () => {
    const values = Array.from({ length: 100 }, (_, index) => 100 - index);
    expect(summarizeLatencies(values)).toEqual({ p50: 50, p90: 90, p99: 99, max: 100, mean: 50.5 });
  });

  it('answers zeros when nothing succeeded', () => {
    expect(summarizeLatencies([])).toEqual({ p50: 0, p90: 0, p99: 0, max: 0, mean: 0 });
  });

  it('keeps one decimal', () => {
    expect(summarizeLatencies([1.234, 5.678]).max).toBe(5.7);
  });
});
