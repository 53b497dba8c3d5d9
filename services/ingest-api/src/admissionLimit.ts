import { ExactlyError } from '@exactly/errors';
import type { FastifyInstance } from 'fastify';
import { onceClosed } from './onceClosed.js';

/**
 * Load shedding for the create routes: at most `limit` POST requests are in flight in this
 * process; one more is answered `503 overloaded` with `Retry-After: 1` before anything is
 * stored, so a shed command was never accepted and a retry with the same key is safe. A request
 * counts from `preHandler`, once its body is in: a client that announces a body and never sends
 * it holds no slot (only its own tenant's quota, until REQUEST_TIMEOUT). Without a bound, excess
 * requests queue in memory until clients time out and retry, which adds load exactly when there
 * is too much (0: no limit).
 */
export function registerAdmissionLimit(
  app: FastifyInstance,
  { limit, onShed }: { limit: number; onShed?: () => void },
): void {
  if (limit <= 0) return;
  let inFlight = 0;
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST') return;
    if (inFlight >= limit) {
      onShed?.();
      throw new ExactlyError(
        'overloaded',
        `more than ${limit} create requests are in flight; retry later with the same idempotency key`,
        { details: { retryAfterSeconds: 1 } },
      );
    }
    inFlight += 1;
    onceClosed(reply.raw, () => {
      inFlight -= 1;
    });
  });
}
