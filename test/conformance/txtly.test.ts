// Conformance to seed 001 (Txtly, "Idempotency"), run against a real ingest API process with
// IDEMPOTENCY_PROFILE=txtly and a real PostgreSQL. Every behavioural sentence is a test quoting it.

import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Caller, createAccount, holdAccount, IngestApi } from '@exactly/testkit';
import { day, emailCommand, retentionOf } from './support/seedExamples.ts';

let api: IngestApi;
let shortLived: IngestApi;
let caller: Caller;

beforeAll(async () => {
  [api, shortLived, caller] = await Promise.all([
    IngestApi.start('txtly'),
    IngestApi.start('txtly', { IDEMPOTENCY_RETENTION: '1s', IDEMPOTENCY_CLEANUP_INTERVAL: '300ms' }),
    createAccount('Txtly customer'),
  ]);
});

afterAll(async () => {
  await Promise.all([api?.stop(), shortLived?.stop()]);
});

let sequence = 0;
const newKey = (label: string) => `${label}_${Date.now()}_${++sequence}`;
// The document's example: an email with html.
const welcome = () =>
  emailCommand({
    to: 'user@example.com',
    from: 'noreply@yourdomain.com',
    subject: 'Welcome to Txtly',
    text: undefined,
    html: '<p>Hello! This is your first email.</p>',
  });

describe('Txtly (seed 001) under the txtly profile', () => {
  describe('Idempotency Key', () => {
    it('"To make a request idempotent, include an Idempotency-Key header with a unique identifier"', async () => {
      const key = newKey('email_send');
      const answer = await api.post('/v1/messages', caller, welcome(), { 'Idempotency-Key': key });
      expect(answer.status).toBe(202);
      expect((await api.keyState(caller, key)).messageIds).toEqual([answer.json.id]);
    });

    it('"Maximum 256 characters."', async () => {
      const longest = `${newKey('k')}`.padEnd(256, 'x');
      expect((await api.post('/v1/messages', caller, welcome(), { 'Idempotency-Key': longest })).status).toBe(
        202,
      );
      const tooLong = await api.post('/v1/messages', caller, welcome(), { 'Idempotency-Key': `${longest}x` });
      expect([tooLong.status, tooLong.json.code]).toEqual([400, 'idempotency_key_invalid']);
    });

    it('"If provided, the API will return the same response for identical keys within 24 hours." (and without one, nothing is deduplicated)', async () => {
      const who = await createAccount('Optional key (txtly)');
      const key = newKey('provided');
      const first = await api.post('/v1/messages', who, welcome(), { 'Idempotency-Key': key });
      expect((await api.post('/v1/messages', who, welcome(), { 'Idempotency-Key': key })).text).toBe(
        first.text,
      );
      await api.post('/v1/messages', who, welcome());
      await api.post('/v1/messages', who, welcome());
      expect(await api.messages(who)).toHaveLength(3);
    });
  });

  describe('How It Works', () => {
    it('"The API stores the request and its response for 24 hours"', async () => {
      const key = newKey('stored');
      await api.post('/v1/messages', caller, welcome(), { 'Idempotency-Key': key });
      const state = await api.keyState(caller, key);
      expect(state.state).toBe('completed');
      expect(retentionOf(state)).toBe(day);
    });

    it('"If you send the same key again within 24 hours, you\'ll receive the cached response"', async () => {
      const key = newKey('again');
      const first = await api.post('/v1/messages', caller, welcome(), { 'Idempotency-Key': key });
      const again = await api.post('/v1/messages', caller, welcome(), { 'Idempotency-Key': key });
      expect([again.status, again.text]).toEqual([first.status, first.text]);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    });

    it('"The operation is only performed once, regardless of how many times you retry": 20 retries in a row and 50 at once', async () => {
      const who = await createAccount('Many retries (txtly)');
      const key = newKey('once');
      const first = await api.post('/v1/messages', who, welcome(), { 'Idempotency-Key': key });
      for (let retry = 0; retry < 20; retry += 1) {
        expect((await api.post('/v1/messages', who, welcome(), { 'Idempotency-Key': key })).text).toBe(
          first.text,
        );
      }
      const burst = await Promise.all(
        Array.from({ length: 50 }, () =>
          api.post('/v1/messages', who, welcome(), { 'Idempotency-Key': key }),
        ),
      );
      expect(new Set(burst.map((answer) => answer.text))).toEqual(new Set([first.text]));
      expect(await api.messages(who)).toHaveLength(1);
    });

    it('"After 24 hours, the idempotency key expires and a new request with the same key will be treated as a new operation" (retention 1 s here)', async () => {
      const who = await createAccount('Expiry (txtly)');
      const key = newKey('expires');
      const first = await shortLived.post('/v1/messages', who, welcome(), { 'Idempotency-Key': key });
      await sleep(1_300);
      const later = await shortLived.post('/v1/messages', who, welcome(), { 'Idempotency-Key': key });
      expect(later.status).toBe(202);
      expect(later.json.id).not.toBe(first.json.id);
      expect(await shortLived.messages(who)).toHaveLength(2);
    });

    it('"the same response for identical keys": a different body under a used key gets the first reply, and nothing more is stored', async () => {
      const who = await createAccount('Mismatch (txtly)');
      const key = newKey('mismatch');
      const first = await api.post('/v1/messages', who, welcome(), { 'Idempotency-Key': key });
      const other = await api.post(
        '/v1/messages',
        who,
        { ...welcome(), subject: 'Other' },
        { 'Idempotency-Key': key },
      );
      expect([other.status, other.text]).toEqual([202, first.text]);
      expect(other.headers.get('idempotent-replayed')).toBe('true');
      expect(await api.messages(who)).toHaveLength(1);
    });
  });

  describe('Example Usage', () => {
    it('"If the request times out or fails, you can safely retry with the same Idempotency-Key header. The API will return the same response and won\'t send the email twice."', async () => {
      const who = await createAccount('Timeout (txtly)');
      const key = 'email_send_2024_03_21_12345';
      const hold = await holdAccount(who.accountId);
      const timedOut = api
        .request('POST', '/v1/messages', {
          caller: who,
          body: welcome(),
          headers: { 'Idempotency-Key': key },
          signal: AbortSignal.timeout(1_000),
        })
        .catch((error: Error) => error.name);
      expect(await timedOut).toBe('TimeoutError');
      await api.waitForKeyState(who, key, 'in_progress');
      const retry = api.post('/v1/messages', who, welcome(), { 'Idempotency-Key': key });
      await sleep(200);
      await hold.release();
      const answer = await retry;
      expect(answer.status).toBe(202);
      expect(answer.headers.get('idempotent-replayed')).toBe('true');
      const again = await api.post('/v1/messages', who, welcome(), { 'Idempotency-Key': key });
      expect(again.text).toBe(answer.text);
      expect(await api.messages(who)).toHaveLength(1);
    });
  });

  describe('Generating Keys', () => {
    it('"UUIDs", "Request hashes", "Business logic IDs": each kind of key is accepted', async () => {
      const body = welcome();
      for (const key of [
        crypto.randomUUID(),
        createHash('sha256').update(JSON.stringify(body)).update(newKey('h')).digest('hex'),
        `user-42+${Date.now()}`,
      ]) {
        expect((await api.post('/v1/messages', caller, body, { 'Idempotency-Key': key })).status).toBe(202);
      }
    });
  });

  describe('Supported Endpoints', () => {
    it('"Idempotency is supported on all state-changing endpoints (POST, PATCH, PUT requests)": both POST endpoints, the PATCH and the PUT of a scheduled send and its cancel take the key', async () => {
      const key = newKey('batch');
      const body = { messages: [welcome(), welcome()] };
      const first = await api.post('/v1/messages/batch', caller, body, { 'Idempotency-Key': key });
      const retry = await api.post('/v1/messages/batch', caller, body, { 'Idempotency-Key': key });
      expect(first.status).toBe(202);
      expect(retry.text).toBe(first.text);

      const scheduled = await api.post(
        '/v1/messages',
        caller,
        { ...welcome(), send_at: new Date(Date.now() + 3_600_000).toISOString() },
        { 'Idempotency-Key': newKey('scheduled') },
      );
      const path = `/v1/messages/${scheduled.json.id}`;
      for (const [method, target, change] of [
        ['PATCH', path, { send_at: new Date(Date.now() + 7_200_000).toISOString() }],
        ['PUT', path, { ...welcome(), subject: 'Welcome again' }],
        ['POST', `${path}/cancel`, undefined],
      ] as const) {
        const changeKey = newKey(method.toLowerCase());
        const once = await api.request(method, target, {
          caller,
          body: change,
          headers: { 'Idempotency-Key': changeKey },
        });
        const twice = await api.request(method, target, {
          caller,
          body: change,
          headers: { 'Idempotency-Key': changeKey },
        });
        expect(once.status).toBe(200);
        expect(twice.headers.get('idempotent-replayed')).toBe('true');
        expect(twice.text).toBe(once.text);
      }
      const events = (await api.get(path, caller)).json.events.map((event: { type: string }) => event.type);
      expect(events).toEqual([
        'MessageAccepted',
        'MessageScheduled',
        'MessageRescheduled',
        'MessageChanged',
        'MessageCancelled',
      ]);
    });

    it('"GET and DELETE requests do not support idempotency keys": a GET ignores the header; there is no DELETE', async () => {
      expect(
        (await api.get('/v1/messages?limit=1', caller, { 'Idempotency-Key': 'x'.repeat(300) })).status,
      ).toBe(200);
      expect(
        (await api.request('DELETE', '/v1/messages', { caller, headers: { 'Idempotency-Key': 'k' } })).status,
      ).toBe(404);
    });
  });
});
