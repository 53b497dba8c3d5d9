import { Counter, Gauge, type Registry } from 'prom-client';

/** How a `?wait=` on a key ended. */
export type KeyWaitOutcome = 'done' | 'unknown_key' | 'timeout' | 'disconnected' | 'closing' | 'error';

export interface KeyWaitMetrics {
  started(): void;
  ended(outcome: KeyWaitOutcome): void;
}

/** The waits held by `GET /v1/idempotency-keys/{key}?wait=`: how many now, and how each ended. */
export function createKeyWaitMetrics(registry: Registry): KeyWaitMetrics {
  const waiting = new Gauge({
    name: 'exactly_key_waits_in_progress',
    help: 'Requests held by GET /v1/idempotency-keys/{key}?wait= now',
    registers: [registry],
  });
  const ended = new Counter({
    name: 'exactly_key_waits_total',
    help: 'Key waits by how they ended: done, unknown_key, timeout, disconnected, closing, error',
    labelNames: ['outcome'],
    registers: [registry],
  });
  return {
    started: () => waiting.inc(),
    ended: (outcome) => {
      waiting.dec();
      ended.inc({ outcome });
    },
  };
}
