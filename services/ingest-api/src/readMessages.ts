import { type MessageResource, type MessageStatus, type Metadata, TemplateRef } from '@exactly/contracts';
import type { EntityManager } from '@exactly/idempotency';
import { readStream } from '@exactly/message-store';
import { runSql } from '@exactly/persistence';

interface MessageRow {
  id: string;
  status: MessageStatus;
  channel: MessageResource['channel'];
  recipient: string;
  sender: string;
  metadata: Metadata | null;
  created_ms: number;
  updated_ms: number;
  send_at_ms: number | null;
  template: unknown;
}

const columns = `id, status, channel, recipient, sender, content -> 'metadata' AS metadata,
                 extract(epoch FROM created_at) * 1000 AS created_ms,
                 extract(epoch FROM updated_at) * 1000 AS updated_ms,
                 (SELECT extract(epoch FROM s.due_at) * 1000 FROM scheduled_sends s
                   WHERE s.message_id = messages.id) AS send_at_ms,
                 (SELECT e.data -> 'template' FROM message_events e
                   WHERE e.stream_id = messages.id AND e.version = 1
                     AND e.type = 'MessageAccepted') AS template`;

/** A message row as the API shows it; its template version is the one event v1 (MessageAccepted) recorded, if any. */
function toResource(row: MessageRow): MessageResource {
  const template = TemplateRef.safeParse(row.template);
  return {
    id: row.id,
    status: row.status,
    channel: row.channel,
    to: row.recipient,
    from: row.sender,
    ...(row.metadata === null ? {} : { metadata: row.metadata }),
    createdAt: new Date(Number(row.created_ms)).toISOString(),
    updatedAt: new Date(Number(row.updated_ms)).toISOString(),
    ...(row.send_at_ms === null ? {} : { sendAt: new Date(Number(row.send_at_ms)).toISOString() }),
    ...(template.success ? { template: template.data } : {}),
  };
}

/** The account's message with its event timeline, or undefined (also for another account's message). */
export async function findMessage(
  em: EntityManager,
  accountId: string,
  id: string,
): Promise<MessageResource | undefined> {
  const { rows } = await runSql<MessageRow>(
    em,
    `SELECT ${columns} FROM messages WHERE id = $1 AND account_id = $2`,
    [id, accountId],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const events = await readStream(em, id);
  return {
    ...toResource(row),
    events: events.map((event) => ({
      type: event.type,
      at: new Date(event.createdAt).toISOString(),
      data: event.data,
    })),
  };
}

/** A page of the account's messages, newest first; `before` is the last id of the previous page. */
export async function listMessages(
  em: EntityManager,
  accountId: string,
  { status, limit, before }: { status?: MessageStatus; limit: number; before?: string },
): Promise<{ data: MessageResource[]; lastId: string | undefined; more: boolean }> {
  // Ids are UUIDv7 (time-ordered), so `id < before ORDER BY id DESC` walks from newest to oldest.
  const { rows } = await runSql<MessageRow>(
    em,
    `SELECT ${columns} FROM messages
      WHERE account_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR id < $3)
      ORDER BY id DESC
      LIMIT $4`,
    [accountId, status ?? null, before ?? null, limit + 1],
  );
  const page = rows.slice(0, limit).map(toResource);
  return { data: page, lastId: page.at(-1)?.id, more: rows.length > limit };
}

/**
 * For each accepted command set, whether its messages are already stored (all of them are
 * written in one transaction, so the first message's presence tells).
 */
export async function acceptedMessagesStored(
  em: EntityManager,
  accepted: readonly { messages: readonly { id: string }[] }[],
): Promise<boolean[]> {
  const firstIds = accepted.map((set) => set.messages[0]?.id ?? '');
  const { rows } = await runSql<{ id: string }>(em, 'SELECT id FROM messages WHERE id = ANY($1::text[])', [
    firstIds,
  ]);
  const stored = new Set(rows.map((row) => row.id));
  return firstIds.map((id) => stored.has(id));
}
