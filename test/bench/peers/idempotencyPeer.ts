// The ingest benchmark's peer: `@node-idempotency/core` guarding a minimal Fastify route that
// writes the same rows as the ingest API (message, event v1, its outbox row, the command's outbox
// row: the SQL of lib/ingestSql.ts) in one transaction. Run as its own process by ingest.ts:
// DATABASE_URL, PORT, DATABASE_POOL_SIZE.
//
// The library keeps its records in a storage adapter; it ships memory and Redis adapters only,
// so this file gives it the smallest PostgreSQL adapter (one table, same database). What the
// library's design leaves out, and the report states: its record is written in a statement of
// its own before the work and completed in another after it (three commits per command, and a
// crash between them leaves the key "in progress" until its TTL); its cache key has no account
// (scoped here by putting the account in the path); its fingerprint is JSON.stringify of the
// body (key order matters).

import { SendMessage } from '@exactly/contracts';
import { newId } from '@exactly/persistence';
import { Idempotency, IdempotencyError } from '@node-idempotency/core';
import Fastify from 'fastify';
import pg from 'pg';
import { rawParameters, singleRequests, writeCommandRows } from '../lib/ingestSql.ts';
import { createAuthenticator } from './authenticate.ts';

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_SIZE ?? 16),
});

await pool.query(`CREATE TABLE IF NOT EXISTS peer_idempotency (
  key text PRIMARY KEY, value text NOT NULL, expires_at timestamptz NOT NULL)`);

/** The library's StorageAdapter on PostgreSQL: each call is one autocommitted statement. */
const storage = {
  async setIfNotExists(key: string, value: string, { ttl }: { ttl?: number } = {}): Promise<boolean> {
    const { rowCount } = await pool.query(
      `INSERT INTO peer_idempotency AS p (key, value, expires_at)
       VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
        WHERE p.expires_at <= now()`,
      [key, value, ttl ?? 86_400_000],
    );
    return rowCount === 1;
  },
  async set(key: string, value: string, { ttl }: { ttl?: number }): Promise<void> {
    await pool.query(
      `INSERT INTO peer_idempotency (key, value, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      [key, value, ttl ?? 86_400_000],
    );
  },
  async get(key: string): Promise<string | undefined> {
    const { rows } = await pool.query<{ value: string }>(
      'SELECT value FROM peer_idempotency WHERE key = $1 AND expires_at > now()',
      [key],
    );
    return rows[0]?.value;
  },
};

const idempotency = new Idempotency(storage, { enforceIdempotency: true, cacheTTLMS: 86_400_000 });

const authenticate = createAuthenticator(pool);

const app = Fastify({ logger: false });

app.get('/healthz', async () => ({ ok: true }));

app.post('/v1/messages', async (request, reply) => {
  const caller = await authenticate(request.headers.authorization);
  if (!caller) return reply.code(401).send({ code: 'unauthorized' });
  const parsed = SendMessage.safeParse(request.body);
  if (!parsed.success) return reply.code(400).send({ code: 'invalid_request' });
  const idempotent = {
    method: 'POST',
    path: `/${caller.accountId}/v1/messages`,
    headers: request.headers as Record<string, unknown>,
    body: request.body as Record<string, unknown>,
  };
  try {
    const stored = await idempotency.onRequest<Record<string, unknown>, unknown>(idempotent);
    if (stored) {
      return reply
        .code(Number(stored.additional?.status ?? 202))
        .header('idempotent-replayed', 'true')
        .send(stored.body);
    }
  } catch (error) {
    if (error instanceof IdempotencyError) return reply.code(409).send({ code: error.code });
    throw error;
  }
  const key = String(request.headers['idempotency-key']);
  const messageId = newId('msg');
  const p = rawParameters(caller.accountId, caller.keyId, singleRequests([{ key, messageId }]));
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await writeCommandRows(client, p);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    client.release();
    throw error;
  }
  client.release();
  const resource = {
    id: messageId,
    status: 'accepted',
    channel: parsed.data.channel,
    to: parsed.data.to,
    from: parsed.data.from,
    createdAt: p.now.toISOString(),
  };
  await idempotency.onResponse(idempotent, { body: resource, additional: { status: 202 } });
  return reply.code(202).header('location', `/v1/messages/${messageId}`).send(resource);
});

const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3100) });
console.log(`idempotency peer listening on ${address}`);

const stop = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
