import type { MessageStatus } from '@exactly/contracts';
import type { MessageState } from '@exactly/message-store';
import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

/** The messages' states as the `messages` projection holds them (absent: no such message). */
export async function readMessageStates(
  tx: EntityManager,
  messageIds: readonly string[],
): Promise<Map<string, MessageState>> {
  if (messageIds.length === 0) return new Map();
  // No row lock: until this transaction commits no effect exists for a new command's message,
  // so nothing else appends to its stream; a concurrent writer would still be caught by the
  // event store's primary key (concurrency_conflict, retried).
  const { rows } = await runSql<{ id: string; account_id: string; version: number; status: MessageStatus }>(
    tx,
    'SELECT id, account_id, version, status FROM messages WHERE id = ANY($1::text[])',
    [[...new Set(messageIds)]],
  );
  return new Map(
    rows.map((row) => [row.id, { accountId: row.account_id, version: row.version, status: row.status }]),
  );
}
