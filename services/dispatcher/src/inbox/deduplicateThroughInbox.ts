import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { DispatchMessage } from '../decide/decideCommand.js';

export type Delivery = NonNullable<DispatchMessage['data']['delivery']>;

export interface InboxEntry {
  messageId: string;
  fingerprint: Buffer;
  partition: number;
  offset: string;
}

/**
 * Records each command in the inbox and says what the inbox knew of it: `first` (recorded now),
 * `repeat` (recorded before with the same fingerprint) or `conflicting` (another fingerprint).
 * The ids must be unique within the call.
 */
export async function deduplicateThroughInbox(
  tx: EntityManager,
  source: { topic: string },
  entries: readonly InboxEntry[],
): Promise<Map<string, Delivery>> {
  const deliveries = new Map<string, Delivery>();
  if (entries.length === 0) return deliveries;
  // The dedup itself: one multi-row insert; RETURNING gives exactly the ids not seen before.
  const { rows } = await runSql<{ message_id: string }>(
    tx,
    `INSERT INTO inbox (message_id, fingerprint, topic, partition, "offset")
     SELECT id, fingerprint, $3, partition, "offset" FROM unnest($1::text[], $2::bytea[], $4::int[], $5::bigint[])
       AS v(id, fingerprint, partition, "offset")
     ON CONFLICT (message_id) DO NOTHING
     RETURNING message_id`,
    [
      entries.map((entry) => entry.messageId),
      entries.map((entry) => entry.fingerprint),
      source.topic,
      entries.map((entry) => entry.partition),
      entries.map((entry) => entry.offset),
    ],
  );
  for (const row of rows) deliveries.set(row.message_id, 'first');
  const seenBefore = entries.filter((entry) => !deliveries.has(entry.messageId));
  if (seenBefore.length === 0) return deliveries;
  const { rows: stored } = await runSql<{ message_id: string; fingerprint: Buffer }>(
    tx,
    'SELECT message_id, fingerprint FROM inbox WHERE message_id = ANY($1::text[])',
    [seenBefore.map((entry) => entry.messageId)],
  );
  const fingerprints = new Map(stored.map((row) => [row.message_id, row.fingerprint]));
  for (const entry of seenBefore) {
    const same = fingerprints.get(entry.messageId)?.equals(entry.fingerprint) ?? false;
    deliveries.set(entry.messageId, same ? 'repeat' : 'conflicting');
  }
  return deliveries;
}
