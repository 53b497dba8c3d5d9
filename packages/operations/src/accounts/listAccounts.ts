import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

export interface AccountSummary {
  id: string;
  name: string;
  createdAt: string;
  /** Keys that authenticate now. */
  activeKeys: number;
  revokedKeys: number;
}

/** Accounts, oldest first (ids are time-ordered), a page at a time: pass the last id as `after`. */
export async function listAccounts(
  em: EntityManager,
  { after, limit = 100 }: { after?: string; limit?: number } = {},
): Promise<AccountSummary[]> {
  const { rows } = await runSql<AccountSummary>(
    em,
    `SELECT a.id, a.name, to_json(a.created_at) #>> '{}' AS "createdAt",
            count(k.id) FILTER (WHERE k.revoked_at IS NULL)::int AS "activeKeys",
            count(k.id) FILTER (WHERE k.revoked_at IS NOT NULL)::int AS "revokedKeys"
       FROM accounts a LEFT JOIN api_keys k ON k.account_id = a.id
      WHERE a.id > $1
      GROUP BY a.id ORDER BY a.id LIMIT $2`,
    [after ?? '', limit],
  );
  return rows;
}
