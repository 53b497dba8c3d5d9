import {
  compareMessageProjections,
  type ProjectionMismatch,
  rebuildMessageProjections,
} from '@exactly/message-store';
import { inTransaction, type Orm, runSql } from '@exactly/persistence';

export interface ProjectionCheckOptions {
  /** Only this account's messages. */
  accountId?: string;
  /** Write the rebuilt status and version over live rows that differ. */
  repair?: boolean;
  /** Messages per page (default 1,000). */
  pageSize?: number;
  /** After each page: messages checked so far, and about how many there are. */
  onProgress?: (checked: number, total: number) => void;
}

export interface ProjectionCheck {
  checked: number;
  /** True when every live row equals the projection rebuilt from its event stream (after the repair, with `repair`). */
  equal: boolean;
  /** The differences found (with `repair`, the ones that could not be repaired). */
  mismatches: ProjectionMismatch[];
  repaired: string[];
}

/**
 * Rebuilds the `messages` read model from the event store, page by page, and compares it with
 * the live rows (`compareMessageProjections`); with `repair`, each page's fixable differences are
 * written in its own transaction (`rebuildMessageProjections`). Reports progress per page.
 */
export async function checkMessageProjections(
  orm: Orm,
  { accountId, repair = false, pageSize = 1_000, onProgress }: ProjectionCheckOptions = {},
): Promise<ProjectionCheck> {
  const { rows: counted } = await runSql<{ total: string }>(
    orm.em.fork(),
    'SELECT count(*) AS total FROM messages WHERE $1::text IS NULL OR account_id = $1',
    [accountId ?? null],
  );
  const total = Number(counted[0]?.total ?? 0);
  const result: ProjectionCheck = { checked: 0, equal: true, mismatches: [], repaired: [] };
  let after = '';
  for (;;) {
    // The ids of both sides, so a row without a stream and a stream without a row are both seen.
    const { rows } = await runSql<{ id: string }>(
      orm.em.fork(),
      `SELECT id FROM (
         SELECT id FROM messages WHERE id > $1 AND ($3::text IS NULL OR account_id = $3)
         UNION
         SELECT stream_id FROM message_events
          WHERE stream_id > $1 AND version = 1 AND ($3::text IS NULL OR data->>'accountId' = $3)
       ) AS ids ORDER BY id LIMIT $2`,
      [after, pageSize, accountId ?? null],
    );
    if (rows.length === 0) break;
    const messageIds = rows.map((row) => row.id);
    if (repair) {
      const page = await inTransaction(orm, (tx) => rebuildMessageProjections(tx, { messageIds }));
      result.checked += page.checked;
      result.repaired.push(...page.repaired);
      result.mismatches.push(...page.unrepairable);
    } else {
      const page = await compareMessageProjections(orm.em.fork(), { messageIds });
      result.checked += page.checked;
      result.mismatches.push(...page.mismatches);
    }
    onProgress?.(result.checked, Math.max(total, result.checked));
    after = messageIds[messageIds.length - 1] ?? after;
    if (rows.length < pageSize) break;
  }
  result.equal = result.mismatches.length === 0;
  return result;
}
