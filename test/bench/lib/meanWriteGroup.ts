// The ingest API's group commit seen from its metrics: how many requests each write held, and how
// many write transactions were open on average.

import { metricValue } from '@exactly/testkit';
import { scrape } from './processes.ts';

/** Requests written, write transactions and their summed duration so far, from the API's `/metrics`. */
async function writeCounts(
  apiUrl: string,
): Promise<{ requests: number; writes: number; writeSeconds: number }> {
  const metrics = await scrape(`${apiUrl}/metrics`);
  return {
    requests: await metricValue(metrics, 'exactly_ingest_write_batch_size_sum'),
    writes: await metricValue(metrics, 'exactly_ingest_write_batch_size_count'),
    writeSeconds: await metricValue(metrics, 'exactly_ingest_write_batch_duration_seconds_sum'),
  };
}

/**
 * Runs `load` against the API: its result, how long it took (s), the mean requests per write
 * transaction over it, and the write transactions open on average (their summed duration over the load's; at most
 * `WRITE_CONCURRENCY`, lower when requests did not reach the queue fast enough to keep them busy).
 */
export async function withMeanWriteGroup<T>(
  apiUrl: string,
  load: () => Promise<T>,
): Promise<{ result: T; meanGroup: number; writesOpen: number; seconds: number }> {
  const before = await writeCounts(apiUrl);
  const started = performance.now();
  const result = await load();
  const seconds = (performance.now() - started) / 1_000;
  const after = await writeCounts(apiUrl);
  return {
    result,
    meanGroup: (after.requests - before.requests) / (after.writes - before.writes),
    writesOpen: (after.writeSeconds - before.writeSeconds) / seconds,
    seconds,
  };
}
