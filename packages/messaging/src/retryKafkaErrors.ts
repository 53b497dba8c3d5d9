import { setTimeout as sleep } from 'node:timers/promises';

export interface KafkaErrorRetry {
  /** Broker error types (kafkajs' `error.type`) worth another try: the cluster is still settling. */
  retryable: ReadonlySet<string>;
  /** Tries in all, the first included. */
  attempts: number;
  /** The wait after the n-th failed try (n from 1). */
  delayMs: (failures: number) => number;
}

/**
 * Runs `action` again while it fails with a Kafka error of a retryable type, at most `attempts`
 * times; any other error, or the last one, is thrown as it is.
 */
export async function retryKafkaErrors<T>(
  action: () => Promise<T>,
  { retryable, attempts, delayMs }: KafkaErrorRetry,
): Promise<T> {
  for (let failures = 1; ; failures++) {
    try {
      return await action();
    } catch (error) {
      const type = (error as { type?: unknown }).type;
      if (typeof type !== 'string' || !retryable.has(type) || failures >= attempts) throw error;
      await sleep(delayMs(failures));
    }
  }
}
