// The ingest benchmark's second peer: the textbook idempotent POST on Fastify and pg, the way a
// team would write it without a library. One transaction per request: INSERT the key with its
// response into an idempotency table, ON CONFLICT DO NOTHING; if the key was new, the same rows
// as the ingest API (message, event v1, its outbox row, the command's outbox row: the SQL of
// lib/ingestSql.ts), then COMMIT; if it was not, the stored response is replayed (or 409 when
// the body differs). A concurrent request with the same key waits on the unique index until the
// first commits or rolls back, so no key is ever done twice. Run as its own process by
// ingest.ts: DATABASE_URL, PORT, DATABASE_POOL_SIZE.
//
// What it leaves out, next to the ingest API: no group commit (one commit per command), no
// replay cache, no lease on the transaction.

import { createHash } from 'node:crypto';
import { SendMessage } from '@exactly/contracts';
import { newId } from '@exactly/persistence';
import Fastify from 'fastify';
import pg from 'pg';
import { rawParameters, singleRequests, writeCommandRows } from '../lib/ingestSql.ts';
import { createAuthenticator } from './authenticate.ts';

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_SIZE ?? 16),
});

await pool.query(`CREATE TABLE IF NOT EXISTS textbook_idempotency (
  account_id text NOT NULL, idempotency_key text NOT NULL, fingerprint bytea NOT NULL,
  response_status smallint NOT NULL, response_body jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, idempotency_key))`);

const authenticate = createAuthenticator(pool);

const app = Fastify({ logger: false });

app.get('/healthz', async () => ({ ok: true }));

app.post('/v1/messages', async (request, reply) => {
  const caller = await authenticate(request.headers.authorization);
  if (!caller) return reply.code(401).send({ code: 'unauthorized' });
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string' || key.length === 0) return reply.code(400).send({ code: 'missing_key' });
  const parsed = SendMessage.safeParse(request.body);
  if (!parsed.success) return reply.code(400).send({ code: 'invalid_request' });
  const fingerprint = createHash('sha256').update(JSON.stringify(request.body)).digest();
  const messageId = newId('msg');
  const p = rawParameters(caller.accountId, caller.keyId, singleRequests([{ key, messageId }]));
  const resource = {
    id: messageId,
    status: 'accepted',
    channel: parsed.data.channel,
    to: parsed.data.to,
    from: parsed.data.from,
    createdAt: p.now.toISOString(),
  };
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rowCount } = await client.query(
      `INSERT INTO textbook_idempotency (account_id, idempotency_key, fingerprint, response_status, response_body)
       VALUES ($1, $2, $3, 202, $4) ON CONFLICT DO NOTHING`,
      [caller.accountId, key, fingerprint, JSON.stringify(resource)],
    );
    if (rowCount === 1) {
      await writeCommandRows(client, p);
      await client.query('COMMIT');
      return reply.code(202).header('location', `/v1/messages/${messageId}`).send(resource);
    }
    await client.query('ROLLBACK');
    const { rows } = await client.query<{
      fingerprint: Buffer;
      response_status: number;
      response_body: unknown;
    }>(
      `SELECT fingerprint, response_status, response_body FROM textbook_idempotency
        WHERE account_id = $1 AND idempotency_key = $2`,
      [caller.accountId, key],
    );
    const stored = rows[0];
    if (!stored) return reply.code(409).send({ code: 'in_progress' });
    if (!stored.fingerprint.equals(fingerprint)) return reply.code(422).send({ code: 'key_reused' });
    return reply
      .code(stored.response_status)
      .header('idempotent-replayed', 'true')
      .send(stored.response_body);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
});

const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3100) });
console.log(`textbook idempotency peer listening on ${address}`);

const stop = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
