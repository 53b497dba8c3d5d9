import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

export const messageIdPattern = /^msg_[0-9a-f]{32}$/;

export interface MessageRecord {
  id: string;
  accountId: string;
  messageKey: string;
  batchId: string | null;
  channel: string;
  to: string;
  from: string;
  status: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

const iso = (column: string) => `to_json(${column}) #>> '{}'`;

/** One message of any account from the read model, by id (undefined for an id that cannot be one). */
export async function readMessage(em: EntityManager, id: string): Promise<MessageRecord | undefined> {
  if (!messageIdPattern.test(id)) return undefined;
  const { rows } = await runSql<{
    id: string;
    account_id: string;
    message_key: string;
    batch_id: string | null;
    channel: string;
    recipient: string;
    sender: string;
    status: string;
    version: number;
    created_at: string;
    updated_at: string;
  }>(
    em,
    `SELECT id, account_id, message_key, batch_id, channel, recipient, sender, status, version,
            ${iso('created_at')} AS created_at, ${iso('updated_at')} AS updated_at
       FROM messages WHERE id = $1`,
    [id],
  );
  const row = rows[0];
  return row === undefined
    ? undefined
    : {
        id: row.id,
        accountId: row.account_id,
        messageKey: row.message_key,
        batchId: row.batch_id,
        channel: row.channel,
        to: row.recipient,
        from: row.sender,
        status: row.status,
        version: row.version,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      };
}
