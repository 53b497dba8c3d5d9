import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

/** How many dead letters there are, and how many of them were never redriven. */
export async function countDeadLetters(em: EntityManager): Promise<{ total: number; pending: number }> {
  const { rows } = await runSql<{ total: string; pending: string }>(
    em,
    `SELECT count(*) AS total,
            count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM dead_letter_redrives r WHERE r.dead_letter_id = d.id)) AS pending
       FROM dead_letters d`,
  );
  return { total: Number(rows[0]?.total ?? 0), pending: Number(rows[0]?.pending ?? 0) };
}
