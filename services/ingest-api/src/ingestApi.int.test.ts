import { setTimeout as sleep } from 'node:timers/promises';
import { MessageResource, SendMessageCommand } from '@exactly/contracts';
import { revokeApiKey } from '@exactly/persistence';
import { acceptedMessagesStored } from './readMessages.js';
import {
  email,
  sms,
  startTestServer,
  storedFor,
  type TestAccount,
  type TestServer,
} from './testing/startTestServer.js';

let api: TestServer;
let account: TestAccount;

beforeAll(async () => {
  api = await startTestServer();
});

beforeEach(async () => {
  account = await api.newAccount();
});

afterAll(async () => {
  await api.close();
});

const auth = (who: TestAccount = account) => ({ authorization: `Bearer ${who.apiKey}` });

function post(url: string, body: unknown, headers: Record<string, string> = {}, who: TestAccount = account) {
  return api.inject({ method: 'POST', url, headers: { ...auth(who), ...headers }, payload: body as object });
}

function get(url: string, who: TestAccount = account) {
  return api.inject({ method: 'GET', url, headers: auth(who) });
}

describe('POST /v1/messages', () => {
  it('answers 202 with the message resource and its Location, and the X-Request-Id', async () => {
    const response = await post('/v1/messages', email({ metadata: { order: '1042' } }), {
      'idempotency-key': 'order-1042',
      'x-request-id': 'client-req-1',
    });
    expect(response.statusCode).toBe(202);
    const body = MessageResource.parse(response.json());
    expect(body).toEqual({
      id: expect.stringMatching(/^msg_[0-9a-f]{32}$/),
      status: 'accepted',
      channel: 'email',
      to: 'ada@example.com',
      from: 'orders@acme.com',
      metadata: { order: '1042' },
      createdAt: expect.any(String),
    });
    expect(response.headers.location).toBe(`/v1/messages/${body.id}`);
    expect(response.headers['x-request-id']).toBe('client-req-1');
  });

  it('writes in one transaction the record with its reply, the message, event v1 and both outbox rows', async () => {
    const response = await post('/v1/messages', sms(), {
      'idempotency-key': 'k-1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    const { id } = response.json();
    const stored = await storedFor(api.orm, account.accountId);
    expect(stored.records).toEqual([{ idempotency_key: 'k-1', resource_ids: [id], response_status: 202 }]);
    expect(stored.messages).toEqual([{ id, message_key: 'k-1', status: 'accepted', version: 1 }]);
    expect(stored.events).toEqual([{ stream_id: id, version: 1, type: 'MessageAccepted' }]);
    const command = stored.outbox.find((row) => row.topic === 'exactly.send-commands');
    expect(command?.kafka_key).toBe(`${account.accountId}/k-1`);
    expect(SendMessageCommand.parse(command?.payload).data).toMatchObject({
      messageId: id,
      accountId: account.accountId,
    });
    expect(command?.headers).toEqual({
      'exactly-message-id': id,
      'exactly-account-id': account.accountId,
      'exactly-schema-version': '1',
      'content-type': 'application/json',
      traceparent: expect.stringMatching(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/),
    });
    const event = stored.outbox.find((row) => row.topic === 'exactly.message-events');
    expect(event?.kafka_key).toBe(id);
  });

  it('replays the first reply to a retry, marked Idempotent-Replayed with the original request id and time', async () => {
    const first = await post('/v1/messages', email(), { 'idempotency-key': 'retry-me' });
    const retry = await post(
      '/v1/messages',
      { ...email(), text: 'Your order is on its way.' },
      { 'idempotency-key': 'retry-me' },
    );
    expect(retry.statusCode).toBe(202);
    expect(retry.body).toBe(first.body);
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.headers['original-request-id']).toBe(first.headers['x-request-id']);
    expect(Date.parse(String(retry.headers['original-request-time']))).toBeLessThanOrEqual(Date.now());
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect((await storedFor(api.orm, account.accountId)).messages).toHaveLength(1);
  });

  it('tells one time on one clock: the body, Original-Request-Time, the stored message and the key state agree', async () => {
    const first = await post('/v1/messages', email(), { 'idempotency-key': 'one-clock' });
    const retry = await post('/v1/messages', email(), { 'idempotency-key': 'one-clock' });
    const { id, createdAt } = JSON.parse(first.body) as { id: string; createdAt: string };
    expect(retry.headers['original-request-time']).toBe(createdAt);
    const read = await get(`/v1/messages/${id}`);
    expect((JSON.parse(read.body) as { createdAt: string }).createdAt).toBe(createdAt);
    const state = await get('/v1/idempotency-keys/one-clock');
    expect((JSON.parse(state.body) as { createdAt: string }).createdAt).toBe(createdAt);
  });

  it('tells which accepted command sets are stored (how a batch whose COMMIT answer was lost is retried)', async () => {
    const sent = await post('/v1/messages', email(), { 'idempotency-key': 'stored-check' });
    expect(sent.statusCode).toBe(202);
    const { id } = JSON.parse(sent.body) as { id: string };
    const never = { messages: [{ id: 'msg_00000000000000000000000000000000' }] };
    expect(await acceptedMessagesStored(api.orm.em.fork(), [never, { messages: [{ id }] }])).toEqual([
      false,
      true,
    ]);
  });

  it('answers 422 to a key reused with another body and stores nothing', async () => {
    await post('/v1/messages', email(), { 'idempotency-key': 'reused' });
    const other = await post('/v1/messages', email({ to: 'bob@example.com' }), {
      'idempotency-key': 'reused',
    });
    expect(other.statusCode).toBe(422);
    expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(other.json()).toMatchObject({ code: 'idempotency_key_reused', status: 422 });
    const stored = await storedFor(api.orm, account.accountId);
    expect(stored.messages).toHaveLength(1);
    expect(stored.outbox).toHaveLength(2);
  });

  it('answers 400 without an idempotency key (default profile) and stores nothing', async () => {
    const response = await post('/v1/messages', email());
    expect([response.statusCode, response.json().code]).toEqual([400, 'idempotency_key_missing']);
    expect((await storedFor(api.orm, account.accountId)).messages).toEqual([]);
  });

  it('lists every failing field of an invalid command (400) and stores nothing, so the same key can be used after fixing it', async () => {
    const response = await post(
      '/v1/messages',
      { channel: 'email', to: 'nope', subject: '', extra: 1 },
      {
        'idempotency-key': 'fix-me',
      },
    );
    expect(response.statusCode).toBe(400);
    const problem = response.json();
    expect(problem).toMatchObject({
      code: 'invalid_request',
      status: 400,
      type: 'https://exactly.dev/problems/invalid-request',
    });
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        { path: 'to', message: 'must be an email address' },
        { path: 'from', message: expect.any(String) },
        { path: 'subject', message: expect.any(String) },
        { path: '', message: expect.stringContaining('extra') },
      ]),
    );
    const fixed = await post('/v1/messages', email(), { 'idempotency-key': 'fix-me' });
    expect(fixed.statusCode).toBe(202);
  });
});

describe('POST /v1/messages/batch', () => {
  it('accepts every command under one key, each with its own id and derived key, and replays the whole reply', async () => {
    const body = {
      messages: [
        email(),
        sms(),
        { channel: 'voice', to: '+15551234567', from: '+15557654321', text: 'Hello' },
      ],
    };
    const first = await post('/v1/messages/batch', body, { 'idempotency-key': 'batch-1' });
    expect(first.statusCode).toBe(202);
    const ids = first.json().messages.map((message: MessageResource) => message.id);
    expect(new Set(ids).size).toBe(3);
    const retry = await post('/v1/messages/batch', body, { 'idempotency-key': 'batch-1' });
    expect(retry.body).toBe(first.body);
    const stored = await storedFor(api.orm, account.accountId);
    expect(stored.messages.map((message) => message.message_key).sort()).toEqual([
      'batch-1/0',
      'batch-1/1',
      'batch-1/2',
    ]);
    expect(stored.records).toEqual([{ idempotency_key: 'batch-1', resource_ids: ids, response_status: 202 }]);
    expect(
      stored.outbox
        .filter((row) => row.topic === 'exactly.send-commands')
        .map((row) => row.kafka_key)
        .sort(),
    ).toEqual([0, 1, 2].map((index) => `${account.accountId}/batch-1/${index}`));
  });

  it('refuses the whole batch when one command is invalid (all or nothing), naming the item', async () => {
    const response = await post(
      '/v1/messages/batch',
      { messages: [email(), email({ to: 'broken' })] },
      {
        'idempotency-key': 'batch-2',
      },
    );
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toContainEqual({
      path: 'messages.1.to',
      message: 'must be an email address',
    });
    expect((await storedFor(api.orm, account.accountId)).messages).toEqual([]);
  });

  it('keeps keys per endpoint in the default profile: the same key on /v1/messages is another key', async () => {
    await post('/v1/messages/batch', { messages: [sms()] }, { 'idempotency-key': 'shared' });
    const single = await post('/v1/messages', sms(), { 'idempotency-key': 'shared' });
    expect(single.statusCode).toBe(202);
    expect(single.headers['idempotent-replayed']).toBeUndefined();
  });
});

describe('authentication', () => {
  it('answers 401 problem details to a missing, malformed or unknown API key', async () => {
    for (const authorization of [undefined, 'Basic abc', 'Bearer ex_unknown']) {
      const response = await api.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: authorization === undefined ? {} : { authorization },
        payload: email(),
      });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'unauthenticated', status: 401 });
    }
  });

  it('stops a revoked key at once when the cache is off', async () => {
    const uncached = await startTestServer({ AUTH_CACHE_TTL: '0' });
    try {
      const who = await uncached.newAccount();
      const headers = { authorization: `Bearer ${who.apiKey}` };
      expect((await uncached.inject({ method: 'GET', url: '/v1/messages', headers })).statusCode).toBe(200);
      await revokeApiKey(uncached.orm.em.fork(), who.keyId);
      expect((await uncached.inject({ method: 'GET', url: '/v1/messages', headers })).statusCode).toBe(401);
    } finally {
      await uncached.close();
    }
  });

  it('stops a revoked key within AUTH_CACHE_TTL', async () => {
    const cached = await startTestServer({ AUTH_CACHE_TTL: '300ms' });
    try {
      const who = await cached.newAccount();
      const headers = { authorization: `Bearer ${who.apiKey}` };
      expect((await cached.inject({ method: 'GET', url: '/v1/messages', headers })).statusCode).toBe(200);
      await revokeApiKey(cached.orm.em.fork(), who.keyId);
      await sleep(350);
      expect((await cached.inject({ method: 'GET', url: '/v1/messages', headers })).statusCode).toBe(401);
    } finally {
      await cached.close();
    }
  });
});

describe('reading messages', () => {
  it('shows a message with its status and event timeline; another account gets 404, never 403', async () => {
    const { id } = (await post('/v1/messages', email(), { 'idempotency-key': 'read-me' })).json();
    const response = await get(`/v1/messages/${id}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      id,
      status: 'accepted',
      events: [
        { type: 'MessageAccepted', at: expect.any(String), data: expect.objectContaining({ messageId: id }) },
      ],
    });
    const stranger = await api.newAccount();
    const forbidden = await get(`/v1/messages/${id}`, stranger);
    expect([forbidden.statusCode, forbidden.json().code]).toEqual([404, 'not_found']);
    expect((await get('/v1/messages/not-an-id')).statusCode).toBe(404);
  });

  it('pages newest first with a cursor and filters by status', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      ids.push(
        (
          await post('/v1/messages', sms({ text: `n${index}` }), { 'idempotency-key': `page-${index}` })
        ).json().id,
      );
    }
    const first = (await get('/v1/messages?limit=2')).json();
    expect(first.data.map((message: MessageResource) => message.id)).toEqual([ids[4], ids[3]]);
    const second = (await get(`/v1/messages?limit=2&cursor=${first.nextCursor}`)).json();
    expect(second.data.map((message: MessageResource) => message.id)).toEqual([ids[2], ids[1]]);
    const last = (await get(`/v1/messages?limit=2&cursor=${second.nextCursor}`)).json();
    expect(last).toEqual({ data: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
    expect((await get('/v1/messages?status=sent')).json().data).toEqual([]);
    expect((await get('/v1/messages?status=accepted&limit=100')).json().data).toHaveLength(5);
    for (const bad of ['?limit=0', '?limit=101', '?status=lost', '?cursor=garbage', '?other=1']) {
      expect((await get(`/v1/messages${bad}`)).statusCode).toBe(400);
    }
  });
});

describe('GET /v1/idempotency-keys/{key}', () => {
  it('tells completed (with the message ids) from unknown, for the caller only', async () => {
    const { id } = (await post('/v1/messages', email(), { 'idempotency-key': 'order/7 #1' })).json();
    const state = await get(`/v1/idempotency-keys/${encodeURIComponent('order/7 #1')}`);
    expect(state.json()).toEqual({
      key: 'order/7 #1',
      state: 'completed',
      messageIds: [id],
      resourceIds: [id],
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
    });
    expect((await get('/v1/idempotency-keys/never-used')).json()).toEqual({
      key: 'never-used',
      state: 'unknown',
    });
    const stranger = await api.newAccount();
    expect(
      (await get(`/v1/idempotency-keys/${encodeURIComponent('order/7 #1')}`, stranger)).json().state,
    ).toBe('unknown');
    expect((await get(`/v1/idempotency-keys/${'k'.repeat(256)}`)).statusCode).toBe(400);
  });
});

describe('bodies the API refuses', () => {
  it('answers 413 to a body over the limit', async () => {
    const response = await post('/v1/messages', email({ html: 'x'.repeat(6 * 1024 * 1024) }), {
      'idempotency-key': 'big',
    });
    expect([response.statusCode, response.json().code]).toEqual([413, 'payload_too_large']);
  });

  it('answers 415 to a body that is not application/json in UTF-8', async () => {
    for (const contentType of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=latin1',
    ]) {
      const response = await api.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: { ...auth(), 'content-type': contentType, 'idempotency-key': 'k' },
        payload: 'channel=email',
      });
      expect([response.statusCode, response.json().code]).toEqual([415, 'unsupported_media_type']);
    }
  });

  it('answers 400 to malformed JSON, invalid UTF-8 and __proto__ keys', async () => {
    const payloads = [
      '{"channel": "email",',
      Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
      '{"channel":"sms","to":"+15551234567","from":"Acme","text":"x","metadata":{"__proto__":{"a":"b"}}}',
      '',
    ];
    for (const payload of payloads) {
      const response = await api.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: { ...auth(), 'content-type': 'application/json', 'idempotency-key': 'k' },
        payload,
      });
      expect([response.statusCode, response.json().code]).toEqual([400, 'malformed_json']);
    }
  });
});

describe('operations', () => {
  it('serves /healthz, /readyz and an OpenAPI 3.1 document generated from the contracts', async () => {
    expect((await api.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await api.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready', pid: process.pid });
    const document = (await api.inject({ url: '/openapi.json' })).json();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual([
      '/v1/messages',
      '/v1/messages/batch',
      '/v1/messages/{id}',
      '/v1/messages/{id}/cancel',
      '/v1/idempotency-keys/{key}',
      '/v1/templates',
      '/v1/templates/{id}',
      '/v1/templates/{id}/versions',
      '/v1/templates/{id}/versions/{version}',
      '/v1/webhook-endpoints',
      '/v1/webhook-endpoints/{id}',
      '/v1/webhook-endpoints/{id}/disable',
      '/v1/webhook-endpoints/{id}/enable',
      '/v1/webhook-endpoints/{id}/rotate-secret',
      '/v1/webhook-endpoints/{id}/replay',
      '/v1/webhook-endpoints/{id}/deliveries',
      '/v1/webhook-endpoints/{id}/events',
    ]);
    expect(document.paths['/v1/messages'].post.parameters[0]).toMatchObject({
      name: 'Idempotency-Key',
      in: 'header',
      required: true,
    });
    expect(document.components.schemas.SendMessage.oneOf).toHaveLength(3);
  });

  it('counts requests by route and status, replays, mismatches and latency in /metrics', async () => {
    await post('/v1/messages', email(), { 'idempotency-key': 'm' });
    await post('/v1/messages', email(), { 'idempotency-key': 'm' });
    await post('/v1/messages', sms(), { 'idempotency-key': 'm' });
    const metrics = (await api.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(
      /exactly_http_requests_total\{method="POST",route="\/v1\/messages",status="202",service="ingest-api-test"\} \d+/,
    );
    expect(metrics).toMatch(
      /exactly_idempotency_replays_total\{route="\/v1\/messages",service="ingest-api-test"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /exactly_idempotency_mismatches_total\{route="\/v1\/messages",service="ingest-api-test"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /exactly_http_request_duration_seconds_bucket\{le="0.1",service="ingest-api-test",method="POST",route="\/v1\/messages"\} [1-9]/,
    );
    expect(metrics).toContain('exactly_idempotency_in_flight_conflicts_total');
    expect(metrics).toContain('exactly_ingest_write_batch_size_bucket');
  });

  it('answers an unknown route with a 404 problem', async () => {
    const response = await api.inject({ url: '/v2/nothing' });
    expect([response.statusCode, response.json().code]).toEqual([404, 'not_found']);
  });
});
