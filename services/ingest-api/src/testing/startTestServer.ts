import { connect, type Socket } from 'node:net';
import { createLogger, createMetricsRegistry } from '@exactly/observability';
import { Account, issueApiKey, newId, type Orm, openOrm, runSql } from '@exactly/persistence';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { readIngestConfig } from '../config.js';
import { createServer, type IngestServer, type ServerDependencies } from '../createServer.js';

export interface TestAccount {
  accountId: string;
  apiKey: string;
  keyId: string;
}

export interface TestServer {
  server: IngestServer;
  orm: Orm;
  /** Base URL when started with `listen: true`. */
  url: string;
  newAccount(): Promise<TestAccount>;
  newKey(accountId: string): Promise<TestAccount>;
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** An ingest API built in-process on the run's database, with its own accounts (tests only). */
export async function startTestServer(
  env: Record<string, string> = {},
  { listen = false, ...deps }: Partial<ServerDependencies> & { listen?: boolean } = {},
): Promise<TestServer> {
  const config = readIngestConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    LOG_LEVEL: process.env.EXACTLY_TEST_LOGS === '1' ? 'info' : 'silent',
    ...env,
  });
  const orm = await openOrm({ databaseUrl: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
  const server = await createServer({
    config,
    orm,
    logger: createLogger('ingest-api-test', config.LOG_LEVEL),
    registry: createMetricsRegistry('ingest-api-test'),
    ...deps,
  });
  const url = listen ? await server.listen({ host: '127.0.0.1', port: 0 }) : '';
  return {
    server,
    orm,
    url,
    async newAccount() {
      const em = orm.em.fork();
      const accountId = newId('acc');
      em.create(Account, { id: accountId, name: 'test account' });
      await em.flush();
      const issued = await issueApiKey(orm.em.fork(), accountId);
      return { accountId, apiKey: issued.apiKey, keyId: issued.keyId };
    },
    async newKey(accountId) {
      const issued = await issueApiKey(orm.em.fork(), accountId);
      return { accountId, apiKey: issued.apiKey, keyId: issued.keyId };
    },
    inject: (options) => server.app.inject(options),
    async close() {
      await server.close();
      await orm.close();
    },
  };
}

/** What the pipeline wrote for an account: records, messages, events and outbox rows. */
export async function storedFor(orm: Orm, accountId: string) {
  const em = orm.em.fork();
  const records = await runSql<{ idempotency_key: string; resource_ids: string[]; response_status: number }>(
    em,
    'SELECT idempotency_key, resource_ids, response_status FROM idempotency_records WHERE account_id = $1',
    [accountId],
  );
  const messages = await runSql<{ id: string; message_key: string; status: string; version: number }>(
    em,
    'SELECT id, message_key, status, version FROM messages WHERE account_id = $1 ORDER BY id',
    [accountId],
  );
  const ids = messages.rows.map((row) => row.id);
  const events = await runSql<{ stream_id: string; version: number; type: string }>(
    em,
    'SELECT stream_id, version, type FROM message_events WHERE stream_id = ANY($1::text[]) ORDER BY stream_id',
    [ids],
  );
  const outbox = await runSql<{
    topic: string;
    kafka_key: string;
    payload: Record<string, unknown>;
    headers: Record<string, string>;
  }>(
    em,
    `SELECT topic, kafka_key, payload, headers FROM outbox
      WHERE headers ->> 'exactly-account-id' = $1 ORDER BY id`,
    [accountId],
  );
  return { records: records.rows, messages: messages.rows, events: events.rows, outbox: outbox.rows };
}

export const email = (overrides: Record<string, unknown> = {}) => ({
  channel: 'email',
  to: 'ada@example.com',
  from: 'orders@acme.com',
  subject: 'Order confirmed',
  text: 'Your order is on its way.',
  ...overrides,
});

export const sms = (overrides: Record<string, unknown> = {}) => ({
  channel: 'sms',
  to: '+15551234567',
  from: 'Acme',
  text: 'Your code is 1234',
  ...overrides,
});

export interface PostedMessage {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: assertions read whatever JSON the API answered
  json: any;
}

/** POSTs one message as `who` with an idempotency key over real HTTP, and reads the whole answer. */
export async function postMessage(
  api: TestServer,
  who: TestAccount,
  key: string,
  body: unknown = email(),
  { signal }: { signal?: AbortSignal } = {},
): Promise<PostedMessage> {
  const response = await fetch(`${api.url}/v1/messages`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${who.apiKey}`,
      'content-type': 'application/json',
      'idempotency-key': key,
    },
    body: JSON.stringify(body),
    signal,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/**
 * Opens a socket that sends a POST's headers announcing a body of `bytes` (10 by default), and
 * never the body: a slow or hostile client.
 */
export async function stalledPost(
  api: TestServer,
  path: string,
  options: { apiKey?: string; bytes?: number; key?: string } = {},
): Promise<Socket> {
  const { hostname, port } = new URL(api.url);
  const socket = connect({ host: hostname, port: Number(port) });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  const auth = options.apiKey === undefined ? '' : `authorization: Bearer ${options.apiKey}\r\n`;
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\ncontent-type: application/json\r\n` +
      `content-length: ${options.bytes ?? 10}\r\n${auth}idempotency-key: ${options.key ?? 'stalled'}\r\n\r\n`,
  );
  return socket;
}
