// The ingest API's write as raw SQL, copied from the API: the ceiling and baseline of the ingest
// benchmark (the same one statement per group, without HTTP, validation or the engine), and the
// rows the peers write for each command (`writeCommandRows`, one statement per table).

import { randomBytes } from 'node:crypto';
import { newId, writesAsCtes } from '@exactly/persistence';
import type pg from 'pg';

/** The command every request sends: a small email, about 300 bytes of JSON. */
export const command = {
  channel: 'email',
  to: 'ada@example.com',
  from: 'orders@acme.com',
  subject: 'Order confirmed',
  text: 'Your order 1042 is confirmed and will ship tomorrow. Thank you for shopping with Acme.',
  metadata: { order: '1042' },
};
export const body = JSON.stringify(command);

export interface RawCommand {
  key: string;
  messageId: string;
}

/**
 * One request's commands: a single POST (one command, its key the request's) or a batch of the
 * batch endpoint (its commands keyed `${key}/${index}`, one record for the whole batch).
 */
export interface RawRequest {
  key: string;
  commands: RawCommand[];
  batch: boolean;
}

/** Single POSTs, one request per command. */
export const singleRequests = (commands: RawCommand[]): RawRequest[] =>
  commands.map((c) => ({ key: c.key, commands: [c], batch: false }));

const resource = (messageId: string, createdAt: string) => ({
  id: messageId,
  status: 'accepted',
  channel: 'email',
  to: command.to,
  from: command.from,
  metadata: command.metadata,
  createdAt,
});

export function rawParameters(accountId: string, keyId: string, requests: RawRequest[]) {
  const now = new Date();
  const at = now.toISOString();
  const requestId = newId('req');
  const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
  const route = (r: RawRequest) => (r.batch ? '/v1/messages/batch' : '/v1/messages');
  const commands = requests.flatMap((r) => r.commands);
  const batchIds = requests.flatMap((r) => {
    const batchId = r.batch ? newId('bat') : null;
    return r.commands.map(() => batchId);
  });
  return {
    now,
    lockKeys: requests.map(() => BigInt.asIntN(64, randomBytes(8).readBigUInt64BE()).toString()),
    record: [
      requests.map((r) => `${accountId}|POST ${route(r)}|${r.key}`),
      requests.map(() => accountId),
      requests.map(() => keyId),
      requests.map((r) => r.key),
      requests.map(() => 'POST'),
      requests.map(route),
      requests.map(() => randomBytes(32).toString('hex')),
      requests.map(() => 202),
      requests.map((r) =>
        JSON.stringify({
          'content-type': 'application/json; charset=utf-8',
          ...(r.batch ? {} : { location: `/v1/messages/${r.commands[0]?.messageId}` }),
        }),
      ),
      requests.map((r) =>
        JSON.stringify(
          r.batch
            ? { messages: r.commands.map((c) => resource(c.messageId, at)) }
            : resource(r.commands[0]?.messageId ?? '', at),
        ),
      ),
      requests.map((r) => JSON.stringify(r.commands.map((c) => c.messageId))),
      requests.map(() => requestId),
      requests.map(() => at),
      86_400_000,
    ],
    message: [
      commands.map((c) => c.messageId),
      commands.map(() => accountId),
      commands.map((c) => c.key),
      batchIds,
      commands.map(() => 'email'),
      commands.map(() => command.to),
      commands.map(() => command.from),
      commands.map(() => body),
      commands.map(() => at),
    ],
    event: [
      commands.map((c) => c.messageId),
      commands.map(() => 1),
      commands.map(() => 'MessageAccepted'),
      commands.map((c) =>
        JSON.stringify({
          messageId: c.messageId,
          accountId,
          channel: 'email',
          to: command.to,
          from: command.from,
          idempotencyKey: c.key,
        }),
      ),
      commands.map(() => JSON.stringify({ requestId, traceparent })),
    ],
    eventOutbox: [
      commands.map(() => 'exactly.message-events'),
      commands.map((c) => c.messageId),
      commands.map((c) =>
        JSON.stringify({
          type: 'MessageAccepted',
          data: {
            messageId: c.messageId,
            accountId,
            channel: 'email',
            to: command.to,
            from: command.from,
            idempotencyKey: c.key,
          },
          metadata: { streamId: c.messageId, version: 1, accountId, at },
        }),
      ),
      commands.map((c) =>
        JSON.stringify({
          'exactly-message-id': c.messageId,
          'exactly-account-id': accountId,
          'exactly-schema-version': '1',
          'content-type': 'application/json',
        }),
      ),
    ],
    commandOutbox: [
      commands.map(() => 'exactly.send-commands'),
      commands.map((c) => `${accountId}/${c.key}`),
      commands.map((c) =>
        JSON.stringify({
          type: 'SendMessage',
          data: { messageId: c.messageId, accountId, message: command, acceptedAt: at },
          metadata: { schemaVersion: 1, idempotencyKey: c.key, requestId },
        }),
      ),
      commands.map((c) =>
        JSON.stringify({
          'exactly-message-id': c.messageId,
          'exactly-account-id': accountId,
          'exactly-schema-version': '1',
          'content-type': 'application/json',
          traceparent,
        }),
      ),
    ],
  };
}

export const sql = {
  record: `INSERT INTO idempotency_records AS r
             (scope_key, account_id, api_key_id, idempotency_key, method, route, fingerprint,
              response_status, response_headers, response_body, resource_ids, request_id, created_at, expires_at)
           SELECT t.scope_key, t.account_id, t.api_key_id, t.idempotency_key, t.method, t.route,
                  decode(t.fingerprint, 'hex'), t.response_status, t.response_headers, t.response_body,
                  ARRAY(SELECT jsonb_array_elements_text(t.resource_ids)), t.request_id, t.created_at,
                  t.created_at + $15::bigint * interval '1 millisecond'
             FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                         $9::smallint[], $10::jsonb[], $11::text[], $12::jsonb[], $13::text[], $14::timestamptz[])
                  WITH ORDINALITY
                  AS t(scope_key, account_id, api_key_id, idempotency_key, method, route, fingerprint,
                       response_status, response_headers, response_body, resource_ids, request_id, created_at,
                       position)
             JOIN locks ON locks.position = t.position AND locks.locked
           ON CONFLICT (scope_key, account_id) DO UPDATE SET
                  account_id = EXCLUDED.account_id, api_key_id = EXCLUDED.api_key_id,
                  idempotency_key = EXCLUDED.idempotency_key, method = EXCLUDED.method, route = EXCLUDED.route,
                  fingerprint = EXCLUDED.fingerprint, response_status = EXCLUDED.response_status,
                  response_headers = EXCLUDED.response_headers, response_body = EXCLUDED.response_body,
                  resource_ids = EXCLUDED.resource_ids, request_id = EXCLUDED.request_id,
                  created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
            WHERE r.expires_at <= now()
           RETURNING r.scope_key`,
  message: `INSERT INTO messages (id, account_id, message_key, batch_id, channel, recipient, sender, content,
                                 status, version, created_at, updated_at)
            SELECT t.id, t.account_id, t.message_key, t.batch_id, t.channel, t.recipient, t.sender, t.content,
                   'accepted', 1, t.created_at, t.created_at
              FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                          $8::jsonb[], $9::timestamptz[])
                   AS t(id, account_id, message_key, batch_id, channel, recipient, sender, content, created_at)`,
  event: `INSERT INTO message_events (stream_id, version, type, data, metadata)
          SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::jsonb[], $5::jsonb[])`,
  outbox: `INSERT INTO outbox (topic, kafka_key, payload, headers)
           SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::jsonb[])`,
};

/**
 * The API's write for `requests` as raw SQL, shaped as the API sends a group: one statement, its
 * own transaction, that takes the keys' locks, inserts the records and writes the rows as CTEs.
 * Prepared once per connection, so its plan is kept as on the API's write pool. Without the API's
 * guard (every record here is new): an upper bound on the API's write.
 */
export async function rawWrite(
  client: pg.ClientBase,
  accountId: string,
  keyId: string,
  requests: RawRequest[],
): Promise<void> {
  const p = rawParameters(accountId, keyId, requests);
  const parameters: unknown[] = [p.lockKeys, ...p.record];
  const rows = writesAsCtes(
    [
      { text: sql.message, parameters: p.message },
      { text: sql.event, parameters: p.event },
      { text: sql.outbox, parameters: p.eventOutbox },
      { text: sql.outbox, parameters: p.commandOutbox },
    ],
    parameters,
  );
  const text = `WITH locks AS MATERIALIZED (
      SELECT t.position, pg_try_advisory_xact_lock(t.lock_key) AS locked
        FROM unnest($1::bigint[]) WITH ORDINALITY AS t(lock_key, position)
       ORDER BY t.position),
    records AS (${sql.record}),
    ${rows.join(',\n    ')}
    SELECT count(*)::int AS written FROM records`;
  await client.query({ name: 'bench-ingest-write', text, values: parameters });
}

/** The outbox rows one accepted command writes (`writeCommandRows`): its first event's and the command's. */
export const outboxRowsPerCommand = 2;

/** The rows of the commands (message, event v1, its outbox row, the command's outbox row). */
export async function writeCommandRows(
  client: pg.ClientBase,
  p: ReturnType<typeof rawParameters>,
): Promise<void> {
  await client.query(sql.message, p.message);
  await client.query(sql.event, p.event);
  await client.query(sql.outbox, p.eventOutbox);
  await client.query(sql.outbox, p.commandOutbox);
}
