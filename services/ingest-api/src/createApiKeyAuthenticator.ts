import { ExactlyError } from '@exactly/errors';
import { findApiKey, hashApiKey, type Orm } from '@exactly/persistence';

/** Who is calling: the account and the API key it used. */
export interface Principal {
  accountId: string;
  apiKeyId: string;
}

export interface ApiKeyAuthenticator {
  /** The caller of an `Authorization: Bearer <api key>` header; throws `unauthenticated` (401). */
  authenticate(authorization: string | undefined): Promise<Principal>;
}

const bearer = /^Bearer +([\x21-\x7e]{1,256})$/i;
const maxCachedKeys = 10_000;

/**
 * Checks API keys against their stored SHA-256. A verified key is remembered for `cacheTtlMs`
 * (0 turns this off), so a revoked key stops working within that time; unknown keys are never
 * remembered, so a new key works at once.
 */
export function createApiKeyAuthenticator({
  orm,
  cacheTtlMs,
  now = Date.now,
}: {
  orm: Orm;
  cacheTtlMs: number;
  now?: () => number;
}): ApiKeyAuthenticator {
  const verified = new Map<string, { principal: Principal; until: number }>();
  return {
    async authenticate(authorization) {
      const secret = authorization === undefined ? undefined : bearer.exec(authorization)?.[1];
      if (secret === undefined) {
        throw new ExactlyError('unauthenticated', 'send your API key as "Authorization: Bearer <api key>"');
      }
      const cacheKey = cacheTtlMs > 0 ? hashApiKey(secret).toString('base64') : '';
      const cached = cacheTtlMs > 0 ? verified.get(cacheKey) : undefined;
      if (cached && cached.until > now()) return cached.principal;
      const found = await findApiKey(orm.em.fork(), secret);
      if (found === undefined) throw new ExactlyError('unauthenticated', 'the API key is unknown or revoked');
      const principal = { accountId: found.accountId, apiKeyId: found.keyId };
      if (cacheTtlMs > 0) {
        if (verified.size >= maxCachedKeys) verified.clear();
        verified.set(cacheKey, { principal, until: now() + cacheTtlMs });
      }
      return principal;
    },
  };
}
