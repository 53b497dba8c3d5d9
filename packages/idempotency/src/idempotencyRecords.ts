import { type Orm, runSql, type SqlStatement, writesAsCtes } from '@exactly/persistence';

// Every statement here is raw SQL through `runSql`, inside the caller's transaction: the hot path
// needs multi-row `unnest` inserts, `ON CONFLICT ... WHERE`, advisory locks and `SKIP LOCKED`, in
// as few round trips as possible.

export type EntityManager = Orm['em'];

/** The reply stored with a key, replayed byte for byte. */
export interface StoredReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A key's record that has not expired. */
export interface LiveRecord {
  scopeKey: string;
  fingerprint: Buffer;
  reply: StoredReply;
  resourceIds: string[];
  requestId: string;
  createdAt: Date;
  expiresAt: Date;
  /** How much longer the record lives, by the database's clock when it was read. */
  remainingMs: number;
}

export interface NewRecord {
  scopeKey: string;
  accountId: string;
  apiKeyId: string;
  key: string;
  method: string;
  route: string;
  fingerprint: Buffer;
  reply: StoredReply;
  resourceIds: string[];
  requestId: string;
  /**
   * When the request was accepted, on the database's clock (read by the look-up that found no
   * record): the record's created_at, the reply's createdAt and Original-Request-Time on replays.
   */
  acceptedAt: Date;
}

interface RecordRow {
  scope_key: string;
  fingerprint: Buffer;
  response_status: number;
  response_headers: Record<string, string>;
  response_body: string;
  resource_ids: string[];
  request_id: string;
  created_ms: number;
  expires_ms: number;
  remaining_ms: number;
}

/** The live records among these scope keys (an expired record counts as none). */
export async function findLiveRecords(
  em: EntityManager,
  scopeKeys: readonly string[],
): Promise<Map<string, LiveRecord>> {
  return (await lookUpRecords(em, scopeKeys)).found;
}

/**
 * Session settings for connections that run only `lookUpRecords` (`IdempotencyEngineOptions.
 * lookupOrm`): each connection plans the look-up once and keeps that plan, where other sessions
 * plan every execution (`force_custom_plan`). Planning was most of the look-up's cost: with
 * `pg_stat_statements` at 500 commands/s, 0.15 ms of planning against 0.02 ms of execution per
 * call (2026-12-07). The plan kept must be the primary key's whatever the statistics were when
 * it was made (a new database's table is empty, and a sequential scan is then the cheapest):
 * sequential and bitmap scans are off, which leaves the index scan on `scope_key`.
 */
export const lookupSessionSettings = {
  plan_cache_mode: 'force_generic_plan',
  enable_seqscan: 'off',
  enable_bitmapscan: 'off',
} as const;

/**
 * Session settings for connections that run only write batches (`IdempotencyEngineOptions.
 * writeOrm`): a batch's one statement (`lockInsertAndWrite`) inserts from arrays and meets
 * existing rows only through unique indexes, so its plan does not depend on the tables' sizes and
 * the connection may keep it (PostgreSQL does after five executions). Planned on every batch, as
 * other sessions plan every execution (`force_custom_plan`), the statement cost PostgreSQL 0.29 ms
 * of CPU per command against 0.21 ms with the plan kept (ingest bench, 64 connections, 2026-12-07).
 */
export const writeSessionSettings = { plan_cache_mode: 'auto' } as const;

/** The look-up's statement: the live records among `$1` (scope keys) and the database's clock. */
export const lookupStatement = `SELECT extract(epoch FROM now()) * 1000 AS now_ms, r.*
       FROM (SELECT 1) AS one
       LEFT JOIN (
         SELECT scope_key, fingerprint, response_status, response_headers, response_body, resource_ids,
                request_id, extract(epoch FROM created_at) * 1000 AS created_ms,
                extract(epoch FROM expires_at) * 1000 AS expires_ms,
                extract(epoch FROM expires_at - now()) * 1000 AS remaining_ms
           FROM idempotency_records
          WHERE scope_key = ANY($1::text[]) AND expires_at > now()
       ) AS r ON true`;

/**
 * The live records among these scope keys, and the database's clock when they were read: the
 * time a request that finds no record is accepted at.
 */
export async function lookUpRecords(
  em: EntityManager,
  scopeKeys: readonly string[],
): Promise<{ found: Map<string, LiveRecord>; at: Date }> {
  // The outer LEFT JOIN yields one row even when no record is live, so the clock is always read.
  const { rows } = await runSql<{ now_ms: number } & (RecordRow | { [K in keyof RecordRow]: null })>(
    em,
    lookupStatement,
    [scopeKeys],
  );
  const found = new Map<string, LiveRecord>();
  for (const row of rows)
    if (row.scope_key !== null) found.set(row.scope_key, toLiveRecord(row as RecordRow));
  return { found, at: new Date(Number(rows[0]?.now_ms)) };
}

function toLiveRecord(row: RecordRow): LiveRecord {
  return {
    scopeKey: row.scope_key,
    fingerprint: row.fingerprint,
    reply: { status: row.response_status, headers: row.response_headers, body: row.response_body },
    resourceIds: row.resource_ids,
    requestId: row.request_id,
    createdAt: new Date(Number(row.created_ms)),
    expiresAt: new Date(Number(row.expires_ms)),
    remainingMs: Number(row.remaining_ms),
  };
}

/** What became of one record: written, already there (live), or its key locked by another transaction. */
export type RecordWrite =
  | { kind: 'written'; createdAt: Date; expiresAt?: Date; remainingMs: number }
  | { kind: 'existing' }
  | { kind: 'locked' };

/**
 * In one statement: tries each key's advisory lock, in the given order and without waiting (so
 * write batches never deadlock on each other; a lock lasts until the transaction ends), then
 * inserts the records whose lock it got, or replaces their expired records (an expired key runs
 * as new). A record that already exists and is live stays as it is and reads `existing`: ON
 * CONFLICT sees rows committed after this statement's snapshot, so none is missed.
 * Both times are on the database's clock (`created_at` = the record's `acceptedAt`, read from the
 * database by the look-up, never later than `now()`; `expires_at = created_at + retention`), the
 * clock that also decides whether a record has expired and when the clean-up deletes it: an API
 * process whose clock runs behind must not write records that are born expired (they would run
 * again on the next retry, and be purged inside their retention), and a key's reported lifetime
 * (`expiresAt - createdAt`) is exactly the retention.
 */
export async function lockAndInsertRecords(
  em: EntityManager,
  records: readonly (NewRecord & { lockKey: string })[],
  retentionMs: number,
): Promise<RecordWrite[]> {
  if (records.length === 0) return [];
  const { text, parameters } = lockAndInsertStatement(records, retentionMs);
  return toRecordWrites((await runSql<RecordWriteRow>(em, text, parameters)).rows);
}

/**
 * `lockAndInsertRecords` and the effects of the requests in one statement, so that a batch needs
 * one round trip and no BEGIN or COMMIT of its own (the statement is its transaction): the
 * effects' statements become CTEs of it, and a guard in it refuses the whole statement, effects
 * included, unless every record was written. Throws `WriteRefusedError` then (a key locked by
 * another transaction, or a live record written since the look-up), and nothing was written: the
 * caller writes the batch the long way, which leaves out the requests whose record it did not
 * write. `effects` must be independent writes (see `runStatements`).
 */
export async function lockInsertAndWrite(
  em: EntityManager,
  records: readonly (NewRecord & { lockKey: string })[],
  retentionMs: number,
  effects: readonly SqlStatement[],
): Promise<RecordWrite[]> {
  const { text, parameters } = lockAndInsertStatement(records, retentionMs, effects);
  try {
    return toRecordWrites((await runSql<RecordWriteRow>(em, text, parameters)).rows);
  } catch (error) {
    if ((error as { code?: string }).code === writeRefusedCode) throw new WriteRefusedError(error);
    throw error;
  }
}

/** SQLSTATE of `idempotency_require_written` (migration `Migration20261207000100RequireWritten`). */
const writeRefusedCode = 'XI001';

/** `lockInsertAndWrite` wrote nothing: not every record could be written (see there). */
export class WriteRefusedError extends Error {
  constructor(cause: unknown) {
    super('not every record of the batch could be written; nothing was', { cause });
    this.name = 'WriteRefusedError';
  }
}

interface RecordWriteRow {
  position: number;
  locked: boolean;
  created_ms: number | null;
  expires_ms: number | null;
  remaining_ms: number | null;
}

function toRecordWrites(rows: readonly RecordWriteRow[]): RecordWrite[] {
  return rows.map((row): RecordWrite => {
    if (!row.locked) return { kind: 'locked' };
    if (row.created_ms === null) return { kind: 'existing' };
    return {
      kind: 'written',
      createdAt: new Date(Number(row.created_ms)),
      expiresAt: new Date(Number(row.expires_ms)),
      remainingMs: Number(row.remaining_ms),
    };
  });
}

function lockAndInsertStatement(
  records: readonly (NewRecord & { lockKey: string })[],
  retentionMs: number,
  effects?: readonly SqlStatement[],
): SqlStatement {
  const parameters: unknown[] = [
    records.map((record) => record.lockKey),
    records.map((record) => record.scopeKey),
    records.map((record) => record.accountId),
    records.map((record) => record.apiKeyId),
    records.map((record) => record.key),
    records.map((record) => record.method),
    records.map((record) => record.route),
    records.map((record) => record.fingerprint.toString('hex')),
    records.map((record) => record.reply.status),
    records.map((record) => JSON.stringify(record.reply.headers)),
    records.map((record) => record.reply.body),
    records.map((record) => JSON.stringify(record.resourceIds)),
    records.map((record) => record.requestId),
    retentionMs,
    records.map((record) => record.acceptedAt.toISOString()),
  ];
  const writes = effects === undefined ? [] : writesAsCtes(effects, parameters);
  const text = `WITH locks AS MATERIALIZED (
       SELECT t.position, pg_try_advisory_xact_lock(t.lock_key) AS locked
         FROM unnest($1::bigint[]) WITH ORDINALITY AS t(lock_key, position)
        ORDER BY t.position
     ),
     inserted AS (
       INSERT INTO idempotency_records AS r
         (scope_key, account_id, api_key_id, idempotency_key, method, route, fingerprint,
          response_status, response_headers, response_body, resource_ids, request_id, created_at, expires_at)
       SELECT t.scope_key, t.account_id, t.api_key_id, t.idempotency_key, t.method, t.route,
              decode(t.fingerprint, 'hex'), t.response_status, t.response_headers, t.response_body,
              ARRAY(SELECT jsonb_array_elements_text(t.resource_ids)), t.request_id,
              least(t.accepted_at, now()),
              least(t.accepted_at, now()) + $14::bigint * interval '1 millisecond'
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                     $9::smallint[], $10::jsonb[], $11::text[], $12::jsonb[], $13::text[], $15::timestamptz[])
              WITH ORDINALITY
              AS t(scope_key, account_id, api_key_id, idempotency_key, method, route, fingerprint,
                   response_status, response_headers, response_body, resource_ids, request_id, accepted_at,
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
       RETURNING r.scope_key, extract(epoch FROM r.created_at) * 1000 AS created_ms,
                 extract(epoch FROM r.expires_at) * 1000 AS expires_ms,
                 extract(epoch FROM r.expires_at - now()) * 1000 AS remaining_ms
     )${writes.map((write) => `,\n     ${write}`).join('')}
     SELECT l.position::int AS position, l.locked, i.created_ms, i.expires_ms, i.remaining_ms
       FROM locks l
       JOIN unnest($2::text[]) WITH ORDINALITY AS s(scope_key, position) ON s.position = l.position
       LEFT JOIN inserted i ON i.scope_key = s.scope_key${
         effects === undefined
           ? ''
           : '\n      WHERE idempotency_require_written((SELECT count(*) FROM inserted)::int, cardinality($1::bigint[]))'
       }
      ORDER BY l.position`;
  return { text, parameters };
}

/** Waits for one key's advisory lock (the caller's transaction bounds the wait); false on timeout. */
export async function waitForScopeLock(em: EntityManager, lockKey: string): Promise<boolean> {
  try {
    await runSql(em, 'SELECT pg_advisory_xact_lock($1::bigint)', [lockKey]);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '55P03') return false;
    throw error;
  }
}

/**
 * The keys whose advisory lock some session holds right now, read from `pg_locks` (a bigint
 * lock key shows there as classid = high 32 bits, objid = low 32 bits, objsubid = 1). Reading
 * takes no lock, so asking never makes a request look in flight.
 */
export async function scopesInProgress(em: EntityManager, lockKeys: readonly string[]): Promise<Set<string>> {
  if (lockKeys.length === 0) return new Set();
  const halves = lockKeys.map((lockKey) => {
    const unsigned = BigInt.asUintN(64, BigInt(lockKey));
    return { lockKey, high: String(unsigned >> 32n), low: String(unsigned & 0xffffffffn) };
  });
  const { rows } = await runSql<{ high: string; low: string }>(
    em,
    `SELECT classid::text AS high, objid::text AS low
       FROM pg_locks
      WHERE locktype = 'advisory' AND objsubid = 1 AND granted
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND (classid::bigint, objid::bigint) IN (SELECT * FROM unnest($1::bigint[], $2::bigint[]))`,
    [halves.map((half) => half.high), halves.map((half) => half.low)],
  );
  const held = new Set(rows.map((row) => `${row.high}/${row.low}`));
  return new Set(halves.filter((half) => held.has(`${half.high}/${half.low}`)).map((half) => half.lockKey));
}

/**
 * Deletes up to `limit` expired records, oldest first, skipping rows another transaction holds
 * (a request replacing that expired key right now); returns how many it deleted.
 */
export async function deleteExpiredRecords(em: EntityManager, limit: number): Promise<number> {
  const { rowCount } = await runSql(
    em,
    `DELETE FROM idempotency_records
      WHERE scope_key IN (SELECT scope_key FROM idempotency_records
                           WHERE expires_at <= now()
                           ORDER BY expires_at
                           LIMIT $1
                           FOR UPDATE SKIP LOCKED)`,
    [limit],
  );
  return rowCount;
}
