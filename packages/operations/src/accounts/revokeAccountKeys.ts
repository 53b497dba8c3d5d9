import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

export type AccountRevocation = { state: 'not_found' } | { state: 'revoked'; keyIds: string[] };

/**
 * Revokes every active API key of an account in one statement: the account can no longer
 * authenticate (within each ingest API's AUTH_CACHE_TTL), while its messages and history stay.
 * Revoking again revokes nothing more.
 */
export async function revokeAccountKeys(em: EntityManager, accountId: string): Promise<AccountRevocation> {
  const { rows } = await runSql<{ found: boolean; key_ids: string[] }>(
    em,
    `WITH revoked AS (
       UPDATE api_keys SET revoked_at = now()
        WHERE account_id = $1 AND revoked_at IS NULL RETURNING id)
     SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1) AS found,
            coalesce((SELECT array_agg(id ORDER BY id) FROM revoked), '{}') AS key_ids`,
    [accountId],
  );
  const row = rows[0];
  if (!row?.found) return { state: 'not_found' };
  return { state: 'revoked', keyIds: row.key_ids };
}
