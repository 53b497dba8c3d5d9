import { memorySlope } from './memorySlope.ts';

const series = (seconds: number, at: (second: number) => number): [number, number][] =>
  Array.from({ length: seconds + 1 }, (_, second) => [second, at(second)]);

describe('the memory verdict of a soak', () => {
  it('judges only the second half of the window: growth while warming up does not count', () => {
    // 100 → 160 MiB over the first 150 s, then flat at 160 with ±0.5 MiB of noise.
    const points = series(300, (s) => (s < 150 ? 100 + (s * 60) / 150 : 160 + (s % 2 === 0 ? 0.5 : -0.5)));
    const verdict = memorySlope(points, 0, 300, 1);
    expect(verdict.flat).toBe(true);
    expect(Math.abs(verdict.slopeMbPerMinute)).toBeLessThan(0.1);
    expect(verdict.samples).toBe(151);
  });

  it('reports a steady leak in MiB per minute and fails the bound', () => {
    const points = series(300, (s) => 100 + s / 30); // 2 MiB per minute
    const verdict = memorySlope(points, 0, 300, 1);
    expect(verdict.slopeMbPerMinute).toBeCloseTo(2, 5);
    expect(verdict.flat).toBe(false);
  });

  it('leaves out samples outside the load window', () => {
    const points = series(400, (s) => (s > 300 ? 500 : 100));
    expect(memorySlope(points, 0, 300, 1)).toMatchObject({ slopeMbPerMinute: 0, maxMb: 100, flat: true });
  });
});
