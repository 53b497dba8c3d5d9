import { ExactlyError } from '@exactly/errors';
import { type ActiveApiKey, findApiKey, hashApiKey, type Orm } from '@exactly/persistence';

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
 * remembered, so a new key works at once. With the cache on, requests that find a key missing or
 * expired while its lookup is under way wait for that lookup instead of starting their own: when
 * a busy key's entry expires, one query goes to PostgreSQL, not one per request in flight.
 */
export function createApiKeyAuthenticator({
  orm,
  cacheTtlMs,
  now = Date.now,
  findKey = (secret) => findApiKey(orm.em.fork(), secret),
}: {
  orm: Orm;
  cacheTtlMs: number;
  now?: () => number;
  /** Looks a key up in the database (replaced in unit tests to count the lookups). */
  findKey?: (secret: string) => Promise<ActiveApiKey | undefined>;
}): ApiKeyAuthenticator {
  const verified = new Map<string, { principal: Principal; until: number }>();
  const lookups = new Map<string, Promise<ActiveApiKey | undefined>>();
  const lookUpOnce = (cacheKey: string, secret: string) => {
    let lookup = lookups.get(cacheKey);
    if (lookup === undefined) {
      lookup = findKey(secret).finally(() => lookups.delete(cacheKey));
      lookups.set(cacheKey, lookup);
    }
    return lookup;
  };
  return {
    async authenticate(authorization) {
      const secret = authorization === undefined ? undefined : bearer.exec(authorization)?.[1];
      if (secret === undefined) {
        throw new ExactlyError('unauthenticated', 'send your API key as "Authorization: Bearer <api key>"');
      }
      const cacheKey = cacheTtlMs > 0 ? hashApiKey(secret).toString('base64') : '';
      const cached = cacheTtlMs > 0 ? verified.get(cacheKey) : undefined;
      if (cached && cached.until > now()) return cached.principal;
      const found = cacheTtlMs > 0 ? await lookUpOnce(cacheKey, secret) : await findKey(secret);
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
