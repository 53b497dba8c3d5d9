import { createHash } from 'node:crypto';
import type { IdempotencyProfile } from './idempotencyProfiles.js';

/** Who sent a key, where, and the key itself. */
export interface KeyScope {
  accountId: string;
  apiKeyId: string;
  method: string;
  /** The route template (`/v1/messages`), never the URL with its query. */
  route: string;
  key: string;
}

/**
 * The identity of a key under a profile: owner (account or API key) | endpoint (or `*` when keys
 * are shared across endpoints) | the client's key. Owner ids and endpoints never contain `|`, and
 * the client's key comes last, so two different scopes never give the same text.
 */
export function scopeKeyOf(profile: IdempotencyProfile, scope: KeyScope): string {
  const owner = profile.scope === 'api_key' ? scope.apiKeyId : scope.accountId;
  const endpoint = profile.perEndpoint ? `${scope.method} ${scope.route}` : '*';
  return `${owner}|${endpoint}|${scope.key}`;
}

/**
 * The PostgreSQL advisory lock key (a signed bigint, as decimal text) of a scope key: the first
 * 8 bytes of its SHA-256. Two scope keys share a lock only with probability 2^-64, and then one
 * merely waits for the other; the record's primary key still tells them apart.
 */
export function advisoryLockKey(scopeKey: string): string {
  return createHash('sha256').update(scopeKey, 'utf8').digest().readBigInt64BE(0).toString();
}
