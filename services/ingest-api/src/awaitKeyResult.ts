import { setTimeout as sleep } from 'node:timers/promises';

export interface AwaitKeyResultOptions<T> {
  /** One look at the key: its answer so far, and whether waiting longer can change it. */
  check: () => Promise<{ settled: boolean; value: T }>;
  waitMs: number;
  /** Aborted when the client goes away or the server closes: the last look is returned at once. */
  signal: AbortSignal;
  /** The first pause between looks; each next one is 1.5 times longer, up to `maxIntervalMs`. */
  firstIntervalMs?: number;
  maxIntervalMs?: number;
  now?: () => number;
}

/**
 * Looks at a key until its answer is settled, the wait ends or the signal aborts, and returns
 * the last answer. Looks back off from 100 ms to 1 s: a command is usually done within the first
 * few, and a long wait costs one short query a second. No LISTEN/NOTIFY: a NOTIFY from every
 * status change would take PostgreSQL's global commit lock on the dispatcher's hot path.
 */
export async function awaitKeyResult<T>({
  check,
  waitMs,
  signal,
  firstIntervalMs = 100,
  maxIntervalMs = 1_000,
  now = Date.now,
}: AwaitKeyResultOptions<T>): Promise<T> {
  const deadline = now() + waitMs;
  let interval = firstIntervalMs;
  for (;;) {
    const { settled, value } = await check();
    const left = deadline - now();
    if (settled || left <= 0 || signal.aborted) return value;
    try {
      await sleep(Math.min(interval, left), undefined, { signal });
    } catch {
      return value;
    }
    interval = Math.min(interval * 1.5, maxIntervalMs);
  }
}
