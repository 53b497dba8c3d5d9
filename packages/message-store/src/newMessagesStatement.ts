import type { SqlStatement } from '@exactly/persistence';

/** A message just accepted: its `messages` row starts at status `accepted`, version 1. */
export interface NewMessage {
  id: string;
  accountId: string;
  messageKey: string;
  batchId?: string | undefined;
  channel: string;
  recipient: string;
  sender: string;
  /** The send command as the client posted it (stored as jsonb). */
  content: unknown;
  createdAt: Date;
}

/**
 * The statement that inserts new messages' rows (one multi-row insert for every message of a
 * batch of requests). Send it in the same transaction as their `MessageAccepted` (version 1).
 */
export function newMessagesStatement(messages: readonly NewMessage[]): SqlStatement {
  return {
    text: `INSERT INTO messages (id, account_id, message_key, batch_id, channel, recipient, sender, content,
                           status, version, created_at, updated_at)
     SELECT t.id, t.account_id, t.message_key, t.batch_id, t.channel, t.recipient, t.sender, t.content,
            'accepted', 1, t.created_at, t.created_at
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                   $8::jsonb[], $9::timestamptz[])
            AS t(id, account_id, message_key, batch_id, channel, recipient, sender, content, created_at)`,
    parameters: [
      messages.map((message) => message.id),
      messages.map((message) => message.accountId),
      messages.map((message) => message.messageKey),
      messages.map((message) => message.batchId ?? null),
      messages.map((message) => message.channel),
      messages.map((message) => message.recipient),
      messages.map((message) => message.sender),
      messages.map((message) => JSON.stringify(message.content)),
      messages.map((message) => message.createdAt.toISOString()),
    ],
  };
}
