// The ingest API's benchmark: `node test/bench/ingest.ts` (build first; PostgreSQL running).
//
// 1. Raw SQL ceiling: a `pg` script with 64 connections runs, for each command, the transaction
//    the API runs (lease, advisory try-lock, idempotency record, message, event v1, its outbox
//    row, the command's outbox row), one command per transaction: the same SQL without HTTP,
//    validation or the engine. Run before and after the API phases; the ceiling is their mean.
// 2. Ingest: autocannon, 64 connections, every request a new idempotency key; accepted commands
//    per second (2xx only) and latency p50/p99.
// 3. Replays: the same 64 connections re-sending 2,000 keys already accepted (same bodies); then
//    again on a fresh API process with the replay cache off (IDEMPOTENCY_REPLAY_CACHE=0), where
//    every replay reads its record from PostgreSQL.
// 4. For reference: the raw SQL with commands grouped per transaction as the API's group commit
//    grouped them (its mean batch size, 4 connections like WRITE_CONCURRENCY).
//
// Each run uses a database of its own (created, migrated, dropped). Variables: DATABASE_URL
// (server), BENCH_SECONDS (30), BENCH_CONNECTIONS (64), BENCH_PROFILE (default), BENCH_ENV (extra
// ingest API variables as JSON).

import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Account, issueApiKey, newId, openOrm, runMigrations } from '@exactly/persistence';
import { freePort, ServiceProcess, waitForHttp, withDatabase } from '@exactly/testkit';
import autocannon from 'autocannon';
import pg from 'pg';

const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres:exactly@127.0.0.1:54320/exactly';
const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const profile = process.env.BENCH_PROFILE ?? 'default';
const extraEnv = JSON.parse(process.env.BENCH_ENV ?? '{}') as Record<string, string>;
const replayKeys = 2_000;

const log = (...parts: unknown[]) => console.error('bench:', ...parts);
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The command every request sends: a small email, about 300 bytes of JSON. */
const command = {
  channel: 'email',
  to: 'ada@example.com',
  from: 'orders@acme.com',
  subject: 'Order confirmed',
  text: 'Your order 1042 is confirmed and will ship tomorrow. Thank you for shopping with Acme.',
  metadata: { order: '1042' },
};
const body = JSON.stringify(command);

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

// ---- the raw SQL: the statements of the API's write transaction, copied -----------------------

interface RawCommand {
  key: string;
  messageId: string;
}

function rawParameters(accountId: string, keyId: string, commands: RawCommand[]) {
  const now = new Date();
  const requestId = newId('req');
  const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
  return {
    now,
    lockKeys: commands.map(() => BigInt.asIntN(64, randomBytes(8).readBigUInt64BE()).toString()),
    record: [
      commands.map((c) => `${accountId}|POST /v1/messages|${c.key}`),
      commands.map(() => accountId),
      commands.map(() => keyId),
      commands.map((c) => c.key),
      commands.map(() => 'POST'),
      commands.map(() => '/v1/messages'),
      commands.map(() => randomBytes(32).toString('hex')),
      commands.map(() => 202),
      commands.map((c) =>
        JSON.stringify({
          'content-type': 'application/json; charset=utf-8',
          location: `/v1/messages/${c.messageId}`,
        }),
      ),
      commands.map((c) =>
        JSON.stringify({
          id: c.messageId,
          status: 'accepted',
          channel: 'email',
          to: command.to,
          from: command.from,
          metadata: command.metadata,
          createdAt: now.toISOString(),
        }),
      ),
      commands.map((c) => JSON.stringify([c.messageId])),
      commands.map(() => requestId),
      commands.map(() => now.toISOString()),
      86_400_000,
    ],
    message: [
      commands.map((c) => c.messageId),
      commands.map(() => accountId),
      commands.map((c) => c.key),
      commands.map(() => null),
      commands.map(() => 'email'),
      commands.map(() => command.to),
      commands.map(() => command.from),
      commands.map(() => body),
      commands.map(() => now.toISOString()),
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
          metadata: { streamId: c.messageId, version: 1, accountId, at: now.toISOString() },
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
          data: { messageId: c.messageId, accountId, message: command, acceptedAt: now.toISOString() },
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

const sql = {
  lease: `SELECT set_config('transaction_timeout', $1, true), set_config('idle_in_transaction_session_timeout', $1, true)`,
  lock: `SELECT t.lock_key::text AS lock_key, pg_try_advisory_xact_lock(t.lock_key) AS locked
           FROM unnest($1::bigint[]) WITH ORDINALITY AS t(lock_key, position) ORDER BY t.position`,
  record: `INSERT INTO idempotency_records AS r
             (scope_key, account_id, api_key_id, idempotency_key, method, route, fingerprint,
              response_status, response_headers, response_body, resource_ids, request_id, created_at, expires_at)
           SELECT t.scope_key, t.account_id, t.api_key_id, t.idempotency_key, t.method, t.route,
                  decode(t.fingerprint, 'hex'), t.response_status, t.response_headers, t.response_body,
                  ARRAY(SELECT jsonb_array_elements_text(t.resource_ids)), t.request_id, t.created_at,
                  t.created_at + $14::bigint * interval '1 millisecond'
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                         $8::smallint[], $9::jsonb[], $10::text[], $11::jsonb[], $12::text[], $13::timestamptz[])
                  AS t(scope_key, account_id, api_key_id, idempotency_key, method, route, fingerprint,
                       response_status, response_headers, response_body, resource_ids, request_id, created_at)
           ON CONFLICT (scope_key) DO UPDATE SET
                  account_id = EXCLUDED.account_id, api_key_id = EXCLUDED.api_key_id,
                  idempotency_key = EXCLUDED.idempotency_key, method = EXCLUDED.method, route = EXCLUDED.route,
                  fingerprint = EXCLUDED.fingerprint, response_status = EXCLUDED.response_status,
                  response_headers = EXCLUDED.response_headers, response_body = EXCLUDED.response_body,
                  resource_ids = EXCLUDED.resource_ids, request_id = EXCLUDED.request_id,
                  created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
            WHERE r.expires_at <= now()
           RETURNING r.scope_key, extract(epoch FROM r.created_at) * 1000 AS created_ms`,
  message: `INSERT INTO messages (id, account_id, idempotency_key, batch_id, channel, recipient, sender, content,
                                 status, version, created_at, updated_at)
            SELECT t.id, t.account_id, t.idempotency_key, t.batch_id, t.channel, t.recipient, t.sender, t.content,
                   'accepted', 1, t.created_at, t.created_at
              FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                          $8::jsonb[], $9::timestamptz[])
                   AS t(id, account_id, idempotency_key, batch_id, channel, recipient, sender, content, created_at)`,
  event: `INSERT INTO message_events (stream_id, version, type, data, metadata)
          SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::jsonb[], $5::jsonb[])`,
  outbox: `INSERT INTO outbox (topic, kafka_key, payload, headers)
           SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::jsonb[])`,
};

async function rawTransaction(
  client: pg.PoolClient,
  accountId: string,
  keyId: string,
  commands: RawCommand[],
) {
  const p = rawParameters(accountId, keyId, commands);
  await client.query('BEGIN');
  try {
    await client.query(sql.lease, ['15000']);
    await client.query(sql.lock, [p.lockKeys]);
    await client.query(sql.record, p.record);
    await client.query(sql.message, p.message);
    await client.query(sql.event, p.event);
    await client.query(sql.outbox, p.eventOutbox);
    await client.query(sql.outbox, p.commandOutbox);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/** Runs the raw transaction on `workers` connections for `seconds`; commands per second and latency. */
async function rawCeiling(
  databaseUrl: string,
  accountId: string,
  keyId: string,
  workers: number,
  perTransaction: number,
) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: workers });
  const latencies: number[] = [];
  let committed = 0;
  const deadline = Date.now() + seconds * 1_000;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      const client = await pool.connect();
      try {
        while (Date.now() < deadline) {
          const commands = Array.from({ length: perTransaction }, () => ({
            key: randomUUID(),
            messageId: newId('msg'),
          }));
          const started = performance.now();
          await rawTransaction(client, accountId, keyId, commands);
          latencies.push(performance.now() - started);
          committed += perTransaction;
        }
      } finally {
        client.release();
      }
    }),
  );
  await pool.end();
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN, 2);
  return { perSecond: round(committed / seconds), p50: at(0.5), p99: at(0.99) };
}

// ---- the API -----------------------------------------------------------------------------------

async function cannon(url: string, apiKey: string, nextKey: () => string) {
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/v1/messages',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body,
        setupRequest: (request) => ({
          ...request,
          headers: { ...request.headers, 'idempotency-key': nextKey() },
        }),
      },
    ],
  });
  return {
    perSecond: round(result['2xx'] / seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((candidate) => candidate.startsWith(`${name}{`) || candidate.startsWith(`${name} `));
  return Number(line?.split(' ').at(-1) ?? Number.NaN);
}

async function main(): Promise<void> {
  const database = `exactly_bench_${randomBytes(4).toString('hex')}`;
  const databaseUrl = withDatabase(serverUrl, database);
  log(`database ${database}; ${connections} connections, ${seconds} s per phase, profile ${profile}`);
  await admin(`CREATE DATABASE ${database}`);
  let service: ServiceProcess | undefined;
  try {
    await runMigrations(databaseUrl);
    const orm = await openOrm({ databaseUrl, poolSize: 2 });
    const accountId = newId('acc');
    const em = orm.em.fork();
    em.create(Account, { id: accountId, name: 'bench' });
    await em.flush();
    const { apiKey, keyId } = await issueApiKey(orm.em.fork(), accountId);
    await orm.close();

    log('raw SQL ceiling (before)...');
    const rawBefore = await rawCeiling(databaseUrl, accountId, keyId, connections, 1);
    log('raw SQL ceiling (before):', rawBefore);

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    service = new ServiceProcess({
      entry: 'services/ingest-api/dist/main.js',
      name: 'ingest-api',
      env: {
        DATABASE_URL: databaseUrl,
        PORT: String(port),
        LOG_LEVEL: 'warn',
        IDEMPOTENCY_PROFILE: profile,
        ...extraEnv,
      },
    });
    service.start();
    await waitForHttp(`${url}/readyz`);

    const accepted: string[] = [];
    let counter = 0;
    const uniqueKey = () => {
      const key = `bench-${++counter}-${randomUUID()}`;
      if (accepted.length < replayKeys) accepted.push(key);
      return key;
    };
    log('warm-up...');
    await autocannon({
      url,
      connections,
      duration: 3,
      requests: [
        {
          method: 'POST',
          path: '/v1/messages',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          body,
          setupRequest: (request) => ({
            ...request,
            headers: { ...request.headers, 'idempotency-key': `warm-${randomUUID()}` },
          }),
        },
      ],
    });
    const batchesBefore = await metric(url, 'exactly_ingest_write_batch_size_count');
    const requestsBefore = await metric(url, 'exactly_ingest_write_batch_size_sum');

    log('ingest (a new key per request)...');
    const ingest = await cannon(url, apiKey, uniqueKey);
    const meanBatch = round(
      ((await metric(url, 'exactly_ingest_write_batch_size_sum')) - requestsBefore) /
        ((await metric(url, 'exactly_ingest_write_batch_size_count')) - batchesBefore),
    );
    log('ingest:', ingest, 'mean batch', meanBatch);

    log(`replays (${accepted.length} accepted keys, cycled)...`);
    let replayIndex = 0;
    const replay = await cannon(url, apiKey, () => accepted[replayIndex++ % accepted.length] as string);
    const replayed = await metric(url, 'exactly_idempotency_replays_total');
    log('replays:', replay, 'replays counted', replayed);
    await service.stop();

    log('replays with the replay cache off (a fresh process; every replay reads PostgreSQL)...');
    service.start({ IDEMPOTENCY_REPLAY_CACHE: '0' });
    await waitForHttp(`${url}/readyz`);
    replayIndex = 0;
    const uncachedReplay = await cannon(
      url,
      apiKey,
      () => accepted[replayIndex++ % accepted.length] as string,
    );
    log('replays (cache off):', uncachedReplay);
    await service.stop();
    service = undefined;

    log('raw SQL ceiling (after)...');
    const rawAfter = await rawCeiling(databaseUrl, accountId, keyId, connections, 1);
    log('raw SQL ceiling (after):', rawAfter);
    log(
      `raw SQL grouped like the API (4 connections x ${Math.max(1, Math.round(meanBatch))} commands per transaction)...`,
    );
    const rawGrouped = await rawCeiling(databaseUrl, accountId, keyId, 4, Math.max(1, Math.round(meanBatch)));
    log('raw SQL grouped:', rawGrouped);

    const ceiling = round((rawBefore.perSecond + rawAfter.perSecond) / 2);
    const results = {
      profile,
      connections,
      seconds,
      ingest: {
        commandsPerSecond: ingest.perSecond,
        p50Ms: ingest.p50,
        p99Ms: ingest.p99,
        accepted: ingest.ok,
        failed: ingest.failed,
        meanBatchSize: meanBatch,
      },
      replays: { perSecond: replay.perSecond, p50Ms: replay.p50, p99Ms: replay.p99, failed: replay.failed },
      replaysWithoutCache: {
        perSecond: uncachedReplay.perSecond,
        p50Ms: uncachedReplay.p50,
        p99Ms: uncachedReplay.p99,
        failed: uncachedReplay.failed,
      },
      rawSql: {
        before: rawBefore,
        after: rawAfter,
        ceilingPerSecond: ceiling,
        groupedLikeTheApi: rawGrouped,
      },
      ratios: {
        ingestToRawCeiling: round(ingest.perSecond / ceiling, 2),
        ingestToRawGrouped: round(ingest.perSecond / rawGrouped.perSecond, 2),
        replaysToIngest: round(replay.perSecond / ingest.perSecond, 2),
        replaysWithoutCacheToIngest: round(uncachedReplay.perSecond / ingest.perSecond, 2),
      },
    };
    console.log(JSON.stringify(results, null, 2));
    await sleep(0);
  } finally {
    await service?.stop();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

await main();
