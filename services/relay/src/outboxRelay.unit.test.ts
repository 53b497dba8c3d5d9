import { chunkByBytes } from './outboxRelay.js';

const item = (topic: string, bytes: number, n: number) => ({ topic, bytes, n });

describe('splitting a batch into sends', () => {
  it('keeps the order and stays within the topic limit', () => {
    const items = [item('a', 400, 0), item('a', 400, 1), item('a', 400, 2), item('a', 100, 3)];
    expect(chunkByBytes(items, () => 1_000).map((chunk) => chunk.map((i) => i.n))).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it('uses the smallest limit among the topics of a send', () => {
    const limits: Record<string, number> = { big: 10_000, small: 500 };
    const items = [item('big', 300, 0), item('small', 300, 1), item('big', 300, 2)];
    expect(chunkByBytes(items, (topic) => limits[topic] ?? 0).map((chunk) => chunk.map((i) => i.n))).toEqual([
      [0],
      [1],
      [2],
    ]);
  });

  it('sends one row alone when it fills a send by itself', () => {
    expect(chunkByBytes([item('a', 900, 0), item('a', 900, 1)], () => 1_000)).toHaveLength(2);
  });
});
