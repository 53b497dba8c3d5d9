// The ingest API's group commit seen from its metrics: how many requests each write held.

import { metricValue } from '@exactly/testkit';
import { scrape } from './processes.ts';

/** Requests written and write transactions so far, from the API's `/metrics`. */
async function writeCounts(apiUrl: string): Promise<{ requests: number; writes: number }> {
  const metrics = await scrape(`${apiUrl}/metrics`);
  return {
    requests: await metricValue(metrics, 'exactly_ingest_write_batch_size_sum'),
    writes: await metricValue(metrics, 'exactly_ingest_write_batch_size_count'),
  };
}

/** Runs `load` against the API: its result and the mean requests per write transaction over it. */
export async function withMeanWriteGroup<T>(
  apiUrl: string,
  load: () => Promise<T>,
): Promise<{ result: T; meanGroup: number }> {
  const before = await writeCounts(apiUrl);
  const result = await load();
  const after = await writeCounts(apiUrl);
  return { result, meanGroup: (after.requests - before.requests) / (after.writes - before.writes) };
}
