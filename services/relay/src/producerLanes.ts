/**
 * Splits a claimed batch among `lanes` producers by shard (`shard % lanes`), each lane's rows in
 * the batch's order. Every key has one shard, so its rows always take the same producer and keep
 * their order; rows of different lanes may be in flight at once (kafkajs' idempotent producer
 * sends one request at a time per broker, so one producer cannot overlap two).
 */
export function splitByLane<T extends { shard: number }>(
  rows: readonly T[],
  lanes: number,
): Map<number, T[]> {
  const byLane = new Map<number, T[]>();
  for (const row of rows) {
    const lane = row.shard % lanes;
    const laneRows = byLane.get(lane);
    if (laneRows) laneRows.push(row);
    else byLane.set(lane, [row]);
  }
  return byLane;
}
