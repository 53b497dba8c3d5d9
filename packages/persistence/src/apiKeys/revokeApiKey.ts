import type { EntityManager } from '@mikro-orm/postgresql';
import { runSql } from '../runSql.js';

/** Revokes an API key; revoking twice keeps the first revocation time. */
export async function revokeApiKey(
  em: EntityManager,
  keyId: string,
): Promise<'revoked' | 'already_revoked' | 'not_found'> {
  const { rows } = await runSql<{ revoked_now: boolean }>(
    em,
    `WITH target AS (SELECT id, revoked_at FROM api_keys WHERE id = $1 FOR UPDATE),
          revoked AS (UPDATE api_keys SET revoked_at = now()
                       WHERE id = (SELECT id FROM target WHERE revoked_at IS NULL) RETURNING id)
     SELECT EXISTS (SELECT 1 FROM revoked) AS revoked_now FROM target`,
    [keyId],
  );
  const row = rows[0];
  if (row === undefined) return 'not_found';
  return row.revoked_now ? 'revoked' : 'already_revoked';
}
