// The bench peers' API-key check: keys as the ingest API stores them (SHA-256), cached like its
// 2 s auth cache (forever here).

import { createHash } from 'node:crypto';
import type pg from 'pg';

export interface Caller {
  accountId: string;
  keyId: string;
}

/** `authenticate(authorization header)`: the caller of a live bearer key, or undefined. */
export function createAuthenticator(
  pool: pg.Pool,
): (header: string | undefined) => Promise<Caller | undefined> {
  const keys = new Map<string, Caller>();
  return async function authenticate(header) {
    const secret = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    if (!secret) return undefined;
    const cached = keys.get(secret);
    if (cached) return cached;
    const hash = createHash('sha256').update(secret, 'utf8').digest();
    const { rows } = await pool.query<{ id: string; account_id: string }>(
      'SELECT id, account_id FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL',
      [hash],
    );
    const row = rows[0];
    if (!row) return undefined;
    const caller = { accountId: row.account_id, keyId: row.id };
    keys.set(secret, caller);
    return caller;
  };
}
