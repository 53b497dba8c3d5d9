// The live JS heap of running services, read from their /metrics (prom-client's default metrics):
// V8's old space right after each full collection. Resident memory also counts garbage not yet
// collected and heap pages V8 keeps for later, so a process whose heap has not settled shows RSS
// growing while the objects it keeps do not; the old space after a full collection is what it
// keeps, and is the series a leak makes grow.

import { metricValue } from '@exactly/testkit';
import { round } from './stats.ts';

const mib = 1_024 * 1_024;

export interface HeapSeries {
  /** [seconds, MiB] of V8's old space used at each sample. */
  oldSpace: [number, number][];
  /** [seconds, MiB] of the old space at the first sample after each full (major) collection. */
  afterFullCollection: [number, number][];
  /** Full collections seen (samples in which prom-client's major GC count rose). */
  fullCollections: number;
  /** [seconds, MiB] of the V8 heap's committed size (every space, what V8 holds from the OS). */
  heapCommitted: [number, number][];
  /** [seconds, MiB] of memory outside the V8 heap that JavaScript objects hold (Buffers). */
  external: [number, number][];
}

async function readHeap(url: string) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const snapshot = { metrics: () => text };
  return {
    oldSpaceMb: (await metricValue(snapshot, 'nodejs_heap_space_size_used_bytes', { space: 'old' })) / mib,
    majorCollections: await metricValue(snapshot, 'nodejs_gc_duration_seconds_count', { kind: 'major' }),
    heapCommittedMb: (await metricValue(snapshot, 'nodejs_heap_size_total_bytes')) / mib,
    externalMb: (await metricValue(snapshot, 'nodejs_external_memory_bytes')) / mib,
  };
}

/**
 * Samples each service's old space every `intervalMs`, timed by `now` (seconds, the clock of the
 * memory sampler beside it), until stopped. A sample that fails (a service restarting) is skipped.
 */
export function heapSampler(urls: Record<string, string>, now: () => number, intervalMs = 1_000) {
  const series: Record<string, HeapSeries & { lastMajor?: number }> = Object.fromEntries(
    Object.keys(urls).map((name) => [
      name,
      { oldSpace: [], afterFullCollection: [], fullCollections: 0, heapCommitted: [], external: [] },
    ]),
  );
  let pending: Promise<unknown> | undefined;
  const sample = () => {
    // A slow answer delays the next sample rather than overlapping it.
    if (pending) return;
    pending = Promise.all(
      Object.entries(urls).map(async ([name, url]) => {
        const into = series[name];
        if (!into) return;
        try {
          const heap = await readHeap(url);
          const at = now();
          into.oldSpace.push([at, round(heap.oldSpaceMb, 1)]);
          into.heapCommitted.push([at, round(heap.heapCommittedMb, 1)]);
          into.external.push([at, round(heap.externalMb, 1)]);
          if (into.lastMajor !== undefined && heap.majorCollections > into.lastMajor) {
            into.afterFullCollection.push([at, round(heap.oldSpaceMb, 1)]);
            into.fullCollections += 1;
          }
          into.lastMajor = heap.majorCollections;
        } catch {
          // The service did not answer this time.
        }
      }),
    ).finally(() => {
      pending = undefined;
    });
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    async stop(): Promise<Record<string, HeapSeries>> {
      clearInterval(timer);
      await pending;
      return Object.fromEntries(
        Object.entries(series).map(([name, { lastMajor: _lastMajor, ...heap }]) => [name, heap]),
      );
    },
  };
}
