import type { MessageEvent } from '@exactly/contracts';
import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';
import { projectionUpdateStatement } from './projectionUpdate.js';
import { type MessageEventsAppend, recordMessageEvents } from './recordMessageEvents.js';
import { statusAfter } from './statusAfter.js';

/**
 * Ends with `MessageFailed` (reason `unpublishable: ...`) each of these messages that is still
 * `accepted`, inside the caller's transaction: its event, its events-topic row and its
 * projection. For commands that will never reach Kafka (the relay set their outbox rows aside).
 * Returns how many messages it ended.
 */
export async function failUnpublishedMessages(
  tx: EntityManager,
  commands: readonly { messageId: string; reason: string }[],
  { topic }: { topic: string },
): Promise<number> {
  if (commands.length === 0) return 0;
  // Locked: the ingest API and the dispatcher append to these streams with expected versions too.
  const { rows: messages } = await runSql<{ id: string; account_id: string; version: number }>(
    tx,
    `SELECT id, account_id, version FROM messages
      WHERE id = ANY($1::text[]) AND status = 'accepted' ORDER BY id FOR UPDATE`,
    [commands.map((command) => command.messageId)],
  );
  if (messages.length === 0) return 0;
  const reasonOf = new Map(commands.map((command) => [command.messageId, command.reason]));
  const appends: MessageEventsAppend<Extract<MessageEvent, { type: 'MessageFailed' }>>[] = messages.map(
    (message) => ({
      streamId: message.id,
      accountId: message.account_id,
      expectedVersion: message.version,
      events: [
        {
          type: 'MessageFailed',
          data: { reason: `unpublishable: ${reasonOf.get(message.id) ?? 'unknown'}`, attempts: 0 },
        },
      ],
    }),
  );
  const status = statusAfter('accepted', 'MessageFailed');
  const projection = projectionUpdateStatement(
    messages.map((message) => ({ id: message.id, status, version: message.version + 1 })),
  );
  await recordMessageEvents(tx, appends, { topic, also: [projection] });
  return messages.length;
}
