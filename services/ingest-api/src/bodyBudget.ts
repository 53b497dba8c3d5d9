import { ExactlyError } from '@exactly/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from './createApiKeyAuthenticator.js';
import { onceClosed } from './onceClosed.js';

export interface BodyBudgetOptions {
  /** Body bytes this process holds at most at once, over every request (0: no bound). */
  totalBytes: number;
  /** Body bytes one account holds at most at once (0: no bound). */
  accountBytes: number;
  /** The largest body a request may have (a larger one is refused 413 before this counts). */
  bodyLimit: number;
  principalOf: (request: FastifyRequest) => Principal;
  onShed?: () => void;
  onLimited?: (reason: 'body_bytes') => void;
}

/**
 * Memory for request bodies is bounded by bytes, not by a count of requests: each request with a
 * body reserves the bytes it announces (`Content-Length`, or the body limit when it streams
 * chunks) before the body is read, and gives them back when its response is done or its
 * connection is gone. An account over its share gets `429` (its own sends wait, others are
 * served); the process over its total gets `503 overloaded`. Both come with `Retry-After`, before
 * anything is read or stored, so a retry with the same key is safe. Returns a reader of the bytes
 * held now (for a gauge), or undefined when both bounds are off and nothing is counted.
 */
export function registerBodyBudget(
  app: FastifyInstance,
  options: BodyBudgetOptions,
): (() => number) | undefined {
  if (options.totalBytes <= 0 && options.accountBytes <= 0) return undefined;
  let total = 0;
  const byAccount = new Map<string, number>();

  app.addHook('onRequest', async (request, reply) => {
    const bytes = announcedBytes(request, options.bodyLimit);
    if (bytes === 0) return;
    const { accountId } = options.principalOf(request);
    const accountHeld = byAccount.get(accountId) ?? 0;
    if (options.accountBytes > 0 && accountHeld + bytes > options.accountBytes) {
      options.onLimited?.('body_bytes');
      throw new ExactlyError(
        'rate_limited',
        `this account already has ${accountHeld} body bytes in flight; ${bytes} more would pass its ${options.accountBytes} (ACCOUNT_BODY_BYTES_IN_FLIGHT); retry when a request has finished`,
        { details: { retryAfterSeconds: 1, accountBodyBytesInFlight: options.accountBytes } },
      );
    }
    if (options.totalBytes > 0 && total + bytes > options.totalBytes) {
      options.onShed?.();
      throw new ExactlyError(
        'overloaded',
        `${total} body bytes are in flight; ${bytes} more would pass ${options.totalBytes} (BODY_BYTES_IN_FLIGHT); retry later with the same idempotency key`,
        { details: { retryAfterSeconds: 1 } },
      );
    }
    total += bytes;
    byAccount.set(accountId, accountHeld + bytes);
    onceClosed(reply.raw, () => {
      total -= bytes;
      const left = (byAccount.get(accountId) ?? bytes) - bytes;
      if (left <= 0) byAccount.delete(accountId);
      else byAccount.set(accountId, left);
    });
  });
  return () => total;
}

/** The bytes a request's body will take at most: what it announces, capped at the body limit. */
export function announcedBytes(request: Pick<FastifyRequest, 'headers'>, bodyLimit: number): number {
  const length = request.headers['content-length'];
  if (length !== undefined) {
    const bytes = Number(length);
    return Number.isSafeInteger(bytes) && bytes >= 0 ? Math.min(bytes, bodyLimit) : 0;
  }
  return request.headers['transfer-encoding'] === undefined ? 0 : bodyLimit;
}
