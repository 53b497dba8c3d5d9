import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';
import { messageIdPattern } from './readMessage.js';

/** A command's Kafka key, as dead letters show it: `<account id>/<message key>`. */
const accountKeyPattern = /^(acc_[A-Za-z0-9_-]+)\/(.+)$/s;
const maxMatches = 20;

export interface MessageMatch {
  id: string;
  accountId: string;
  messageKey: string;
  status: string;
  channel: string;
  createdAt: string;
}

export interface MessageSearch {
  query: string;
  /** How the query was read. */
  kind: 'message_id' | 'account_key' | 'key';
  matches: MessageMatch[];
}

interface MatchRow {
  id: string;
  account_id: string;
  message_key: string;
  status: string;
  channel: string;
  created_at: string;
}

const matchColumns = `id, account_id, message_key, status, channel, to_json(created_at) #>> '{}' AS created_at`;

/**
 * Messages of any account by message id, by its Kafka key `<account>/<message key>` (indexed),
 * or by message key alone. A batch item's key is the batch's key with `/<index>` appended; searching the batch's key
 * finds its items too. The key alone is not indexed across accounts (the index leads with the
 * account), so that search scans `messages`; the caller bounds it with a timeout.
 */
export async function searchMessages(em: EntityManager, query: string): Promise<MessageSearch> {
  const text = query.trim();
  if (messageIdPattern.test(text)) {
    const { rows } = await runSql<MatchRow>(em, `SELECT ${matchColumns} FROM messages WHERE id = $1`, [text]);
    return { query: text, kind: 'message_id', matches: rows.map(toMatch) };
  }
  const scoped = accountKeyPattern.exec(text);
  const [accountId, key] = scoped === null ? [null, text] : [scoped[1] ?? '', scoped[2] ?? ''];
  const { rows } = await runSql<MatchRow>(
    em,
    `SELECT ${matchColumns} FROM messages
      WHERE ($1::text IS NULL OR account_id = $1)
        AND (message_key = $2 OR (starts_with(message_key, $2 || '/')
             AND substr(message_key, length($2) + 2) ~ '^[0-9]+$'))
      ORDER BY id DESC LIMIT $3`,
    [accountId, key, maxMatches],
  );
  return { query: text, kind: accountId === null ? 'key' : 'account_key', matches: rows.map(toMatch) };
}

function toMatch(row: MatchRow): MessageMatch {
  return {
    id: row.id,
    accountId: row.account_id,
    messageKey: row.message_key,
    status: row.status,
    channel: row.channel,
    createdAt: row.created_at,
  };
}
