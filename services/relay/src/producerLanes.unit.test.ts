import { splitByLane } from './producerLanes.js';

const row = (shard: number, n: number) => ({ shard, n });

describe('splitting a batch among producers', () => {
  it('gives every shard one lane and keeps the batch order within each lane', () => {
    const rows = [row(0, 0), row(3, 1), row(2, 2), row(0, 3), row(5, 4), row(3, 5)];
    const lanes = splitByLane(rows, 2);
    expect([...lanes.keys()].sort()).toEqual([0, 1]);
    expect(lanes.get(0)?.map((r) => r.n)).toEqual([0, 2, 3]);
    expect(lanes.get(1)?.map((r) => r.n)).toEqual([1, 4, 5]);
  });

  it('keeps the whole batch in one lane with one producer', () => {
    const rows = [row(7, 0), row(1, 1), row(7, 2)];
    expect([...splitByLane(rows, 1)]).toEqual([[0, rows]]);
  });
});
