import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Deliveries waiting for a retry (pending, next attempt in the future), counted up to `limit`:
 * a range of the partial index on pending deliveries' `next_attempt_at`, never the whole table.
 * A first attempt is due at once, so a future attempt is a retry's.
 */
export async function countRetryingWebhookDeliveries(em: EntityManager, limit: number): Promise<number> {
  const { rows } = await runSql<{ count: number }>(
    em,
    `SELECT count(*)::int AS count FROM (
       SELECT 1 FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at > now() LIMIT $1
     ) retrying`,
    [limit],
  );
  return rows[0]?.count ?? 0;
}
