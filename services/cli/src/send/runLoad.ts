import { setTimeout as sleep } from 'node:timers/promises';

export interface LoadOptions {
  count: number;
  /** Starts per second; absent: as fast as `concurrency` allows. */
  ratePerSecond?: number;
  /** Tasks in flight at most. */
  concurrency: number;
  task: (index: number) => Promise<void>;
  /** After each finished task, with how many finished. */
  onSettled?: (finished: number) => void;
  /** Stops starting new tasks (those in flight finish). */
  signal?: AbortSignal;
  now?: () => number;
}

/**
 * Runs `count` tasks, starting task i no earlier than i / rate seconds after the first (an open
 * schedule: a slow answer does not delay the next start, up to `concurrency` in flight), and
 * resolves when every started task has settled. Returns how many were started.
 */
export async function runLoad(options: LoadOptions): Promise<number> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const inFlight = new Set<Promise<void>>();
  let finished = 0;
  let launched = 0;
  for (let index = 0; index < options.count; index += 1) {
    if (options.signal?.aborted) break;
    if (options.ratePerSecond !== undefined) {
      const due = started + (index * 1_000) / options.ratePerSecond;
      const wait = due - now();
      if (wait > 0) await sleep(wait);
    }
    while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    const running: Promise<void> = options
      .task(index)
      .catch(() => undefined)
      .finally(() => {
        inFlight.delete(running);
        finished += 1;
        options.onSettled?.(finished);
      });
    inFlight.add(running);
    launched += 1;
  }
  await Promise.all(inFlight);
  return launched;
}
