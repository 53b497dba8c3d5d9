import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createMetricsRegistry } from '@exactly/observability';
import { runMigrations } from '@exactly/persistence';
import {
  eventually,
  metricValue,
  Pipeline,
  provideInfrastructure,
  type TestInfrastructure,
} from '@exactly/testkit';
import type { Registry } from 'prom-client';
import {
  postMessage,
  startTestServer,
  type TestAccount,
  type TestServer,
} from './testing/startTestServer.js';

// A full garbage collection on demand: a wait must survive one (a collected signal once lost its abort).
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

async function awaitKey(api: TestServer, who: TestAccount, key: string, query: string, signal?: AbortSignal) {
  const response = await fetch(`${api.url}/v1/idempotency-keys/${encodeURIComponent(key)}${query}`, {
    headers: { authorization: `Bearer ${who.apiKey}` },
    ...(signal ? { signal } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: assertions read whatever JSON the API answered
  return { status: response.status, json: (await response.json()) as any };
}

describe('GET /v1/idempotency-keys/{key}?wait= with a real pipeline (relay and dispatcher processes)', () => {
  // A database of this file's own: the relay claims every outbox row of its database, and the
  // other test files of this run read theirs.
  let infrastructure: TestInfrastructure;
  let pipeline: Pipeline;
  let api: TestServer;

  beforeAll(async () => {
    infrastructure = await provideInfrastructure(process.env);
    await runMigrations(infrastructure.databaseUrl);
    pipeline = new Pipeline({ databaseUrl: infrastructure.databaseUrl, ingest: false, prefix: 'key-wait' });
    await pipeline.start();
    api = await startTestServer(
      { DATABASE_URL: infrastructure.databaseUrl, ...pipeline.topicEnv },
      { listen: true },
    );
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await pipeline?.stop();
    await infrastructure?.release();
  }, 60_000);

  it('holds the request until the message is sent, and answers it with its status and done', async () => {
    const who = await api.newAccount();
    const posted = await postMessage(api, who, 'order-7');
    expect(posted.status).toBe(202);
    const answer = await awaitKey(api, who, 'order-7', '?wait=45s');
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      key: 'order-7',
      state: 'completed',
      messageIds: [posted.json.id],
      messages: [{ id: posted.json.id, status: 'sent' }],
      done: true,
    });
  }, 60_000);

  it('answers an unknown key at once, without waiting', async () => {
    const who = await api.newAccount();
    const answer = await awaitKey(api, who, 'never-used', '?wait=45s');
    expect(answer.json).toEqual({ key: 'never-used', state: 'unknown', messages: [], done: false });
  }, 20_000);
});

describe('a wait on a message that stays accepted (no relay reads this database)', () => {
  let api: TestServer;
  let registry: Registry;
  let who: TestAccount;
  let closed: boolean;

  beforeEach(async () => {
    closed = false;
    registry = createMetricsRegistry('key-wait-test');
    api = await startTestServer({}, { listen: true, registry });
    who = await api.newAccount();
    expect((await postMessage(api, who, 'stays')).status).toBe(202);
  });

  afterEach(async () => {
    if (!closed) await api.close();
  });

  it('ends when the wait ends, with the current status and done false', async () => {
    const started = Date.now();
    const answer = await awaitKey(api, who, 'stays', '?wait=1500ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(answer.json).toMatchObject({
      state: 'completed',
      messages: [{ status: 'accepted' }],
      done: false,
    });
    expect(await metricValue(registry, 'exactly_key_waits_total', { outcome: 'timeout' })).toBe(1);
  });

  it('is released when the client goes away', async () => {
    const client = new AbortController();
    const waiting = awaitKey(api, who, 'stays', '?wait=45s', client.signal).catch((error: unknown) => error);
    await eventually(
      'the wait to start',
      async () => (await metricValue(registry, 'exactly_key_waits_in_progress')) === 1,
    );
    collectGarbage();
    client.abort();
    await waiting;
    await eventually(
      'the wait to end as disconnected',
      async () => (await metricValue(registry, 'exactly_key_waits_total', { outcome: 'disconnected' })) === 1,
    );
    expect(await metricValue(registry, 'exactly_key_waits_in_progress')).toBe(0);
  });

  it('is answered at once when the server closes, and does not hold the shutdown', async () => {
    const waiting = awaitKey(api, who, 'stays', '?wait=45s');
    await eventually(
      'the wait to start',
      async () => (await metricValue(registry, 'exactly_key_waits_in_progress')) === 1,
    );
    collectGarbage();
    closed = true;
    await api.close();
    const answer = await waiting;
    expect(answer.json).toMatchObject({ state: 'completed', done: false });
    expect(await metricValue(registry, 'exactly_key_waits_total', { outcome: 'closing' })).toBe(1);
  }, 20_000);

  it.each([
    ['abc', 'wait must be a duration'],
    ['61s', 'at most 50s'],
    ['-1', 'wait must be a duration'],
  ])('refuses wait=%s with 400 naming the parameter', async (value, message) => {
    const answer = await awaitKey(api, who, 'stays', `?wait=${value}`);
    expect(answer.status).toBe(400);
    expect(answer.json.code).toBe('invalid_request');
    expect(answer.json.errors).toEqual([{ path: 'wait', message: expect.stringContaining(message) }]);
  });
});
