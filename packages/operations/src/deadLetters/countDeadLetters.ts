import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

/** Where counting stops: a dashboard sample reads this many rows at most, however many there are. */
export const deadLetterCountCap = 10_000;

/**
 * How many dead letters there are and how many of them were never redriven, counting the newest
 * `cap` only: `capped` says the table holds more (the figures are then lower bounds).
 */
export async function countDeadLetters(
  em: EntityManager,
  cap: number = deadLetterCountCap,
): Promise<{ total: number; pending: number; capped: boolean }> {
  const { rows } = await runSql<{ total: string; pending: string }>(
    em,
    `SELECT count(*) AS total,
            count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM dead_letter_redrives r WHERE r.dead_letter_id = d.id)) AS pending
       FROM (SELECT id FROM dead_letters ORDER BY id DESC LIMIT $1) AS d`,
    [cap + 1],
  );
  const total = Number(rows[0]?.total ?? 0);
  return {
    total: Math.min(total, cap),
    pending: Math.min(Number(rows[0]?.pending ?? 0), cap),
    capped: total > cap,
  };
}
