import type { MessageStatus } from '@exactly/contracts';
import type { EntityManager } from '@exactly/idempotency';
import { runSql } from '@exactly/persistence';

/** The statuses after which nothing more happens to a message (`held` waits for an operator). */
export const terminalStatuses: ReadonlySet<string> = new Set(['sent', 'failed', 'cancelled']);

/** The account's messages' statuses, in the order of `ids` (another account's are absent). */
export async function readMessageStatuses(
  em: EntityManager,
  accountId: string,
  ids: readonly string[],
): Promise<{ id: string; status: MessageStatus }[]> {
  if (ids.length === 0) return [];
  const { rows } = await runSql<{ id: string; status: MessageStatus }>(
    em,
    'SELECT id, status FROM messages WHERE id = ANY($1::text[]) AND account_id = $2',
    [ids, accountId],
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}
