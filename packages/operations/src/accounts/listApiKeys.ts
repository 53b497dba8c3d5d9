import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface ApiKeySummary {
  id: string;
  accountId: string;
  /** The first characters of the secret, to tell keys apart (the secret itself is never stored). */
  displayPrefix: string;
  createdAt: string;
  revokedAt: string | null;
}

/** API keys (of one account, or all), oldest first; pass the last id as `after` for the next page. */
export async function listApiKeys(
  em: EntityManager,
  { accountId, after, limit = 100 }: { accountId?: string; after?: string; limit?: number } = {},
): Promise<ApiKeySummary[]> {
  const { rows } = await runSql<ApiKeySummary>(
    em,
    `SELECT id, account_id AS "accountId", display_prefix AS "displayPrefix",
            to_json(created_at) #>> '{}' AS "createdAt", to_json(revoked_at) #>> '{}' AS "revokedAt"
       FROM api_keys
      WHERE ($1::text IS NULL OR account_id = $1) AND id > $2
      ORDER BY id LIMIT $3`,
    [accountId ?? null, after ?? '', limit],
  );
  return rows;
}
