import { timingSafeEqual } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { runSql } from '../runSql.js';
import { hashApiKey } from './apiKeySecret.js';

export interface ActiveApiKey {
  keyId: string;
  accountId: string;
}

/**
 * The active (not revoked) API key whose secret this is, or undefined. Looked up by its SHA-256
 * (the only form stored), then compared in constant time, so neither the lookup nor the
 * comparison tells an attacker how much of a guess was right.
 */
export async function findApiKey(em: EntityManager, secret: string): Promise<ActiveApiKey | undefined> {
  const hash = hashApiKey(secret);
  const { rows } = await runSql<{ id: string; account_id: string; secret_hash: Buffer }>(
    em,
    'SELECT id, account_id, secret_hash FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL',
    [hash],
  );
  const row = rows[0];
  if (row === undefined || row.secret_hash.length !== hash.length || !timingSafeEqual(row.secret_hash, hash))
    return undefined;
  return { keyId: row.id, accountId: row.account_id };
}
