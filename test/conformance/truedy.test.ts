// Conformance to seed 003 (Truedy, "Idempotency: Safely retry create requests with
// X-Idempotency-Key"), run against a real ingest API process with IDEMPOTENCY_PROFILE=truedy and a
// real PostgreSQL. Calls and batch calls map to this API's voice messages and message batches.
// Every behavioural sentence is a test quoting it.

import { setTimeout as sleep } from 'node:timers/promises';
import { type Caller, createAccount, createKey, holdAccount, IngestApi } from '@exactly/testkit';
import { day, retentionOf } from './support/seedExamples.ts';

let api: IngestApi;
let shortLived: IngestApi;
let caller: Caller;

beforeAll(async () => {
  [api, shortLived, caller] = await Promise.all([
    IngestApi.start('truedy'),
    IngestApi.start('truedy', { IDEMPOTENCY_RETENTION: '1s', IDEMPOTENCY_CLEANUP_INTERVAL: '300ms' }),
    createAccount('Truedy organization'),
  ]);
});

afterAll(async () => {
  await Promise.all([api?.stop(), shortLived?.stop()]);
});

const call = (to = '+15551234567') => ({
  channel: 'voice',
  to,
  from: '+15557654321',
  text: 'Hello from your agent',
});
const key = () => crypto.randomUUID();

describe('Truedy (seed 003) under the truedy profile', () => {
  describe('Header', () => {
    it('"X-Idempotency-Key: <key>": the key travels in X-Idempotency-Key', async () => {
      const k = key();
      const first = await api.post('/v1/messages', caller, call(), { 'X-Idempotency-Key': k });
      const retry = await api.post('/v1/messages', caller, call(), { 'X-Idempotency-Key': k });
      expect(retry.text).toBe(first.text);
    });

    it('"X-Idempotency-Key: <key>": an Idempotency-Key header is not this API\'s header: 400 naming X-Idempotency-Key, never an unprotected send', async () => {
      const who = await createAccount('Wrong header (truedy)');
      const k = key();
      const answer = await api.post('/v1/messages', who, call(), { 'Idempotency-Key': k });
      expect([answer.status, answer.json.code, answer.json.header]).toEqual([
        400,
        'idempotency_key_invalid',
        'X-Idempotency-Key',
      ]);
      expect(await api.messages(who)).toEqual([]);
    });

    it('"Key format: Any unique string. We recommend a UUID"', async () => {
      for (const k of [
        '550e8400-e29b-41d4-a716-446655440000',
        `any string: with spaces, /slashes/ and ${Date.now()}`,
      ]) {
        const who = await createAccount('Key format (truedy)');
        expect((await api.post('/v1/messages', who, call(), { 'X-Idempotency-Key': k })).status).toBe(201);
      }
    });

    it('"Scope: Keys are scoped per organization (per API key)": every API key of the organization shares the keys; another organization has its own', async () => {
      const k = key();
      const first = await api.post('/v1/messages', caller, call(), { 'X-Idempotency-Key': k });
      const sameOrganization = await createKey(caller.accountId);
      const otherOrganization = await createAccount('Other organization (truedy)');
      expect(
        (await api.post('/v1/messages', sameOrganization, call(), { 'X-Idempotency-Key': k })).text,
      ).toBe(first.text);
      const theirs = await api.post('/v1/messages', otherOrganization, call(), { 'X-Idempotency-Key': k });
      expect(theirs.json.data.id).not.toBe(first.json.data.id);
    });

    it('"The same key can be used for only one create operation per endpoint": the same key on the batch endpoint is another create', async () => {
      const who = await createAccount('Per endpoint (truedy)');
      const k = key();
      const single = await api.post('/v1/messages', who, call(), { 'X-Idempotency-Key': k });
      const batch = await api.post(
        '/v1/messages/batch',
        who,
        { messages: [call()] },
        { 'X-Idempotency-Key': k },
      );
      expect([single.status, batch.status]).toEqual([201, 201]);
      expect(await api.messages(who)).toHaveLength(2);
    });

    it('"duplicate requests with the same key and same endpoint/body return the cached response"', async () => {
      const k = key();
      const body = { messages: [call(), call('+15550000001')] };
      const first = await api.post('/v1/messages/batch', caller, body, { 'X-Idempotency-Key': k });
      const duplicate = await api.post('/v1/messages/batch', caller, body, { 'X-Idempotency-Key': k });
      expect([duplicate.status, duplicate.text]).toEqual([201, first.text]);
    });
  });

  describe('Supported endpoints', () => {
    it('"POST /calls | Yes" and "POST /batch-calls | Yes": the create endpoints (messages, batches) support the key', async () => {
      for (const [path, body] of [
        ['/v1/messages', call()],
        ['/v1/messages/batch', { messages: [call()] }],
      ] as const) {
        const k = key();
        const first = await api.post(path, caller, body, { 'X-Idempotency-Key': k });
        expect(
          (await api.post(path, caller, body, { 'X-Idempotency-Key': k })).headers.get('idempotent-replayed'),
        ).toBe('true');
        expect(first.status).toBe(201);
      }
    });

    it('"Send the header only on the endpoints listed above": elsewhere it is ignored (a GET with it answers as without)', async () => {
      expect((await api.get('/v1/messages?limit=1', caller, { 'X-Idempotency-Key': key() })).status).toBe(
        200,
      );
    });
  });

  describe('Behavior', () => {
    it('"First request with a given key: ... You receive **201 Created** and the new resource in `data`."', async () => {
      const first = await api.post('/v1/messages', caller, call(), { 'X-Idempotency-Key': key() });
      expect(first.status).toBe(201);
      expect(first.json).toEqual({
        data: expect.objectContaining({
          id: expect.stringMatching(/^msg_/),
          status: 'accepted',
          channel: 'voice',
        }),
      });
    });

    it('"Duplicate request (same key, same endpoint, same request body): The server returns the **same response** as the first request (201 and the same `data`), without creating a second resource."', async () => {
      const who = await createAccount('Duplicate (truedy)');
      const k = key();
      const first = await api.post('/v1/messages', who, call(), { 'X-Idempotency-Key': k });
      const duplicate = await api.post('/v1/messages', who, call(), { 'X-Idempotency-Key': k });
      expect(duplicate.status).toBe(201);
      expect(duplicate.json.data).toEqual(first.json.data);
      expect(await api.messages(who)).toHaveLength(1);
    });

    it('"Use this to safely retry after timeouts or network errors": a retry after a timed-out first request gets its 201', async () => {
      const who = await createAccount('Timeout (truedy)');
      const k = key();
      const hold = await holdAccount(who.accountId);
      const timedOut = await api
        .request('POST', '/v1/messages', {
          caller: who,
          body: call(),
          headers: { 'X-Idempotency-Key': k },
          signal: AbortSignal.timeout(200),
        })
        .catch((error: Error) => error.name);
      expect(timedOut).toBe('TimeoutError');
      const retry = api.post('/v1/messages', who, call(), { 'X-Idempotency-Key': k });
      await sleep(200);
      await hold.release();
      expect((await retry).status).toBe(201);
      expect(await api.messages(who)).toHaveLength(1);
    });

    it('"Same key, different body: Treated as a new request; if the key was already used, behavior may vary.": here it is refused (422), creating nothing', async () => {
      const who = await createAccount('Different body (truedy)');
      const k = key();
      await api.post('/v1/messages', who, call(), { 'X-Idempotency-Key': k });
      const other = await api.post('/v1/messages', who, call('+15550000002'), { 'X-Idempotency-Key': k });
      expect([other.status, other.json.code]).toEqual([422, 'idempotency_key_reused']);
      expect(await api.messages(who)).toHaveLength(1);
    });
  });

  describe('TTL and cleanup', () => {
    it('"Stored idempotency responses are cleaned up periodically." (retention 1 s, cleanup every 300 ms here)', async () => {
      const who = await createAccount('Cleanup (truedy)');
      const k = key();
      await shortLived.post('/v1/messages', who, call(), { 'X-Idempotency-Key': k });
      await sleep(1_700);
      expect((await shortLived.keyState(who, k)).state).toBe('unknown');
      const later = await shortLived.post('/v1/messages', who, call(), { 'X-Idempotency-Key': k });
      expect(later.headers.get('idempotent-replayed')).toBeNull();
      expect(await shortLived.messages(who)).toHaveLength(2);
    });

    it('"Do not rely on a key being valid indefinitely": a key is kept 24 hours', async () => {
      const k = key();
      await api.post('/v1/messages', caller, call(), { 'X-Idempotency-Key': k });
      expect(retentionOf(await api.keyState(caller, k))).toBe(day);
    });
  });

  describe('Best practices', () => {
    it('"Generate a new idempotency key for each distinct create"', async () => {
      const who = await createAccount('New keys (truedy)');
      await api.post('/v1/messages', who, call(), { 'X-Idempotency-Key': key() });
      await api.post('/v1/messages', who, call('+15550000003'), { 'X-Idempotency-Key': key() });
      expect(await api.messages(who)).toHaveLength(2);
    });

    it('"Use the same key when retrying the same logical request (e.g. after a timeout)." ("# Retry with same key and body -> same 201 response, no second call created")', async () => {
      const who = await createAccount('Retry (truedy)');
      const k = '550e8400-e29b-41d4-a716-446655440000';
      const first = await api.post('/v1/messages', who, call(), { 'X-Idempotency-Key': k });
      const retry = await api.post('/v1/messages', who, call(), { 'X-Idempotency-Key': k });
      expect([retry.status, retry.text]).toEqual([201, first.text]);
      expect(await api.messages(who)).toHaveLength(1);
    });

    it('"Do not reuse keys across different request bodies or endpoints": another body is refused; another endpoint is another create', async () => {
      const who = await createAccount('Reuse (truedy)');
      const k = key();
      await api.post('/v1/messages', who, call(), { 'X-Idempotency-Key': k });
      expect(
        (await api.post('/v1/messages', who, call('+15550000004'), { 'X-Idempotency-Key': k })).status,
      ).toBe(422);
      expect(
        (await api.post('/v1/messages/batch', who, { messages: [call()] }, { 'X-Idempotency-Key': k }))
          .status,
      ).toBe(201);
    });
  });
});
