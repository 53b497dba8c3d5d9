import { ExactlyError } from '@exactly/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from './createApiKeyAuthenticator.js';
import { onceClosed } from './onceClosed.js';

export interface TenantQuotaOptions {
  /** Requests per window for one account, and for one API key (0: no limit). */
  accountRate: number;
  apiKeyRate: number;
  windowMs: number;
  /** Requests in progress at once for one account, and for one API key (0: no limit). */
  accountConcurrency: number;
  apiKeyConcurrency: number;
  principalOf: (request: FastifyRequest) => Principal;
  onLimited?: (reason: 'rate' | 'concurrency') => void;
  now?: () => number;
}

interface Policy {
  name: 'account' | 'key';
  limit: number;
  idOf: (principal: Principal) => string;
}

/**
 * Fair admission between tenants: each account and each API key has a fixed-window request
 * rate and a number of requests in progress at once. A tenant over either gets `429
 * rate_limited` with `Retry-After` in `onRequest`, after authentication and before its body is
 * read, so one tenant's flood or stalled sockets use up its own quota, never another's. Every
 * answer carries the IETF `RateLimit-Policy` and `RateLimit` fields
 * (draft-ietf-httpapi-ratelimit-headers). @fastify/rate-limit keys one dimension per
 * registration and has no concurrency quota, hence this small module; its memory is one counter
 * per tenant seen in the current window.
 */
export function registerTenantQuota(app: FastifyInstance, options: TenantQuotaOptions): void {
  const now = options.now ?? Date.now;
  const windowSeconds = Math.ceil(options.windowMs / 1_000);
  const rates: Policy[] = [
    { name: 'account' as const, limit: options.accountRate, idOf: (p: Principal) => p.accountId },
    { name: 'key' as const, limit: options.apiKeyRate, idOf: (p: Principal) => p.apiKeyId },
  ].filter((policy) => policy.limit > 0);
  const concurrency: Policy[] = [
    { name: 'account' as const, limit: options.accountConcurrency, idOf: (p: Principal) => p.accountId },
    { name: 'key' as const, limit: options.apiKeyConcurrency, idOf: (p: Principal) => p.apiKeyId },
  ].filter((policy) => policy.limit > 0);
  const policyField = rates
    .map((policy) => `"${policy.name}";q=${policy.limit};w=${windowSeconds}`)
    .join(', ');
  let windowIndex = -1;
  const counts = new Map<string, number>();
  const inProgress = new Map<string, number>();

  app.addHook('onRequest', async (request, reply) => {
    const principal = options.principalOf(request);
    const at = now();
    const index = Math.floor(at / options.windowMs);
    if (index !== windowIndex) {
      // A new window: every tenant starts again, and the counters of the last one are freed.
      windowIndex = index;
      counts.clear();
    }
    const resetSeconds = Math.max(1, Math.ceil(((index + 1) * options.windowMs - at) / 1_000));
    if (rates.length > 0) {
      let tightest: { policy: Policy; remaining: number } | undefined;
      for (const policy of rates) {
        const used = counts.get(`${policy.name}:${policy.idOf(principal)}`) ?? 0;
        const remaining = Math.max(0, policy.limit - used);
        if (tightest === undefined || remaining < tightest.remaining) tightest = { policy, remaining };
      }
      const { policy, remaining } = tightest as { policy: Policy; remaining: number };
      reply.header('ratelimit-policy', policyField);
      if (remaining <= 0) {
        reply.header('ratelimit', `"${policy.name}";r=0;t=${resetSeconds}`);
        options.onLimited?.('rate');
        throw new ExactlyError(
          'rate_limited',
          `this ${policy.name === 'key' ? 'API key' : 'account'} sent more than ${policy.limit} requests in ${windowSeconds} s; retry after ${resetSeconds} s`,
          { details: { retryAfterSeconds: resetSeconds, limit: policy.limit, windowSeconds } },
        );
      }
      reply.header('ratelimit', `"${policy.name}";r=${remaining - 1};t=${resetSeconds}`);
      for (const each of rates) {
        const id = `${each.name}:${each.idOf(principal)}`;
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    }
    if (concurrency.length === 0) return;
    for (const policy of concurrency) {
      if ((inProgress.get(`${policy.name}:${policy.idOf(principal)}`) ?? 0) >= policy.limit) {
        options.onLimited?.('concurrency');
        throw new ExactlyError(
          'rate_limited',
          `this ${policy.name === 'key' ? 'API key' : 'account'} already has ${policy.limit} requests in progress; retry when one has finished`,
          { details: { retryAfterSeconds: 1, concurrencyLimit: policy.limit } },
        );
      }
    }
    const held = concurrency.map((policy) => `${policy.name}:${policy.idOf(principal)}`);
    for (const id of held) inProgress.set(id, (inProgress.get(id) ?? 0) + 1);
    onceClosed(reply.raw, () => {
      for (const id of held) {
        const left = (inProgress.get(id) ?? 1) - 1;
        if (left <= 0) inProgress.delete(id);
        else inProgress.set(id, left);
      }
    });
  });
}
