import type { MessageDetail, MessageMatch, SearchResult } from '@exactly/dashboard';
import { runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';

const messageIdPattern = /^msg_[0-9a-f]{32}$/;
/** A command's Kafka key, as dead letters show it: `<account id>/<idempotency key>`. */
const accountKeyPattern = /^(acc_[A-Za-z0-9_-]+)\/(.+)$/s;
const maxMatches = 20;

const iso = (column: string) => `to_json(${column}) #>> '{}'`;

interface MatchRow {
  id: string;
  account_id: string;
  idempotency_key: string;
  status: string;
  channel: string;
  created_at: string;
}

const matchColumns = `id, account_id, idempotency_key, status, channel, ${iso('created_at')} AS created_at`;

/**
 * Messages of any account by message id, by `<account>/<key>` (indexed), or by idempotency key
 * alone. A batch item's key is the batch's key with `/<index>` appended; searching the batch's key
 * finds its items too. The key alone is not indexed across accounts (the index leads with the
 * account), so that search scans `messages`; the caller bounds it with a timeout.
 */
export async function searchMessages(em: EntityManager, query: string): Promise<SearchResult> {
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
        AND (idempotency_key = $2 OR (starts_with(idempotency_key, $2 || '/')
             AND substr(idempotency_key, length($2) + 2) ~ '^[0-9]+$'))
      ORDER BY id DESC LIMIT $3`,
    [accountId, key, maxMatches],
  );
  return { query: text, kind: accountId === null ? 'key' : 'account_key', matches: rows.map(toMatch) };
}

function toMatch(row: MatchRow): MessageMatch {
  return {
    id: row.id,
    accountId: row.account_id,
    idempotencyKey: row.idempotency_key,
    status: row.status,
    channel: row.channel,
    createdAt: row.created_at,
  };
}

/**
 * A message with its event timeline (every event with its time and data), its provider effect and
 * attempts, the inbox row that deduplicated its command, and its dead letters.
 */
export async function inspectMessage(em: EntityManager, id: string): Promise<MessageDetail | undefined> {
  if (!messageIdPattern.test(id)) return undefined;
  const { rows } = await runSql<{
    id: string;
    account_id: string;
    idempotency_key: string;
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
    `SELECT id, account_id, idempotency_key, batch_id, channel, recipient, sender, status, version,
            ${iso('created_at')} AS created_at, ${iso('updated_at')} AS updated_at
       FROM messages WHERE id = $1`,
    [id],
  );
  const message = rows[0];
  if (message === undefined) return undefined;
  const { rows: events } = await runSql<{
    version: number;
    type: string;
    at: string;
    data: Record<string, unknown>;
    metadata: Record<string, unknown>;
  }>(
    em,
    `SELECT version, type, ${iso('created_at')} AS at, data, metadata
       FROM message_events WHERE stream_id = $1 ORDER BY version`,
    [id],
  );
  // The effect's id is in the DispatchRequested event: the dispatcher's own rule, read, not repeated.
  const effectId = events.map((event) => event.data.effectId).find((value) => typeof value === 'string');
  const [effect, attempts, inbox, deadLetters] = await Promise.all([
    effectId === undefined
      ? Promise.resolve(undefined)
      : runSql<{
          id: string;
          provider: string;
          state: string;
          attempt: number;
          max_attempts: number;
          resumes: number;
          due_at: string;
          last_error: string | null;
          finished_at: string | null;
        }>(
          em,
          `SELECT id, provider, state, attempt, max_attempts, resumes, ${iso('due_at')} AS due_at, last_error,
                  ${iso('finished_at')} AS finished_at
             FROM effects WHERE id = $1`,
          [effectId],
        ),
    effectId === undefined
      ? Promise.resolve(undefined)
      : runSql<{
          attempt: number;
          provider: string;
          outcome: string;
          replayed: boolean;
          provider_message_id: string | null;
          error: string | null;
          resumes: number;
          started_at: string;
          finished_at: string;
        }>(
          em,
          `SELECT attempt, provider, outcome, replayed, provider_message_id, error, resumes,
                  ${iso('started_at')} AS started_at, ${iso('finished_at')} AS finished_at
             FROM effect_attempts WHERE effect_id = $1 ORDER BY attempt`,
          [effectId],
        ),
    runSql<{ topic: string; partition: number; offset: string; received_at: string }>(
      em,
      `SELECT topic, partition, "offset", ${iso('received_at')} AS received_at FROM inbox WHERE message_id = $1`,
      [id],
    ),
    runSql<{ id: string; code: string; reason: string; created_at: string }>(
      em,
      `SELECT id, code, reason, ${iso('created_at')} AS created_at FROM dead_letters
        WHERE message_id = $1 ORDER BY id`,
      [id],
    ),
  ]);
  const effectRow = effect?.rows[0];
  const inboxRow = inbox.rows[0];
  return {
    id: message.id,
    accountId: message.account_id,
    idempotencyKey: message.idempotency_key,
    batchId: message.batch_id,
    channel: message.channel,
    to: message.recipient,
    from: message.sender,
    status: message.status,
    version: message.version,
    createdAt: message.created_at,
    updatedAt: message.updated_at,
    events: events.map((event) => ({ ...event, version: Number(event.version) })),
    effect:
      effectRow === undefined
        ? null
        : {
            id: effectRow.id,
            provider: effectRow.provider,
            state: effectRow.state,
            attempt: effectRow.attempt,
            maxAttempts: effectRow.max_attempts,
            resumes: effectRow.resumes,
            dueAt: effectRow.due_at,
            lastError: effectRow.last_error,
            finishedAt: effectRow.finished_at,
          },
    attempts: (attempts?.rows ?? []).map((row) => ({
      attempt: row.attempt,
      provider: row.provider,
      outcome: row.outcome,
      replayed: row.replayed,
      providerMessageId: row.provider_message_id,
      error: row.error,
      resumes: row.resumes,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
    })),
    inbox:
      inboxRow === undefined
        ? null
        : {
            topic: inboxRow.topic,
            partition: inboxRow.partition,
            offset: Number(inboxRow.offset),
            receivedAt: inboxRow.received_at,
          },
    deadLetters: deadLetters.rows.map((row) => ({
      id: Number(row.id),
      code: row.code,
      reason: row.reason,
      createdAt: row.created_at,
    })),
  };
}
