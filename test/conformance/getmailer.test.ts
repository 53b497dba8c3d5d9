// Conformance to seed 002 (GetMailer, "Idempotency"), run against a real ingest API process with
// IDEMPOTENCY_PROFILE=getmailer and a real PostgreSQL. Every behavioural sentence is a test quoting it.

import { setTimeout as sleep } from 'node:timers/promises';
import { type Caller, createAccount, createKey, holdAccount, IngestApi } from '@exactly/testkit';
import { day, emailCommand, retentionOf } from './support/seedExamples.ts';

let api: IngestApi;
let shortLived: IngestApi;
let caller: Caller;

beforeAll(async () => {
  [api, shortLived, caller] = await Promise.all([
    IngestApi.start('getmailer'),
    IngestApi.start('getmailer', { IDEMPOTENCY_RETENTION: '1s', IDEMPOTENCY_CLEANUP_INTERVAL: '300ms' }),
    createAccount('GetMailer customer'),
  ]);
});

afterAll(async () => {
  await Promise.all([api?.stop(), shortLived?.stop()]);
});

let sequence = 0;
const newKey = (label: string) => `${label}-${Date.now()}-${++sequence}`;
// The document's example: an order confirmation with html.
const confirmation = (order = 12345) =>
  emailCommand({
    from: 'orders@yourdomain.com',
    to: 'customer@example.com',
    subject: `Order #${order} Confirmed`,
    text: undefined,
    html: '<p>Your order has been confirmed!</p>',
  });

describe('GetMailer (seed 002) under the getmailer profile', () => {
  describe('What is Idempotency?', () => {
    it('"retrying a request produces the same result as the original request. This prevents duplicate emails if a request times out"', async () => {
      const who = await createAccount('Timeout (getmailer)');
      const key = newKey('timeout');
      const hold = await holdAccount(who.accountId);
      const timedOut = await api
        .request('POST', '/v1/messages', {
          caller: who,
          body: confirmation(),
          headers: { 'Idempotency-Key': key },
          signal: AbortSignal.timeout(200),
        })
        .catch((error: Error) => error.name);
      expect(timedOut).toBe('TimeoutError');
      const retry = api.post('/v1/messages', who, confirmation(), { 'Idempotency-Key': key });
      await sleep(200);
      await hold.release();
      const answer = await retry;
      expect(answer.status).toBe(202);
      expect((await api.post('/v1/messages', who, confirmation(), { 'Idempotency-Key': key })).text).toBe(
        answer.text,
      );
      expect(await api.messages(who)).toHaveLength(1);
    });
  });

  describe('Using Idempotency Keys', () => {
    it('"Add the Idempotency-Key header to your request"', async () => {
      expect(
        (
          await api.post('/v1/messages', caller, confirmation(), {
            'Idempotency-Key': newKey('order-confirmation'),
          })
        ).status,
      ).toBe(202);
    });
  });

  describe('How It Works', () => {
    it('"First request with a key processes normally and caches the response"', async () => {
      const key = newKey('first');
      const first = await api.post('/v1/messages', caller, confirmation(), { 'Idempotency-Key': key });
      expect(first.status).toBe(202);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      expect((await api.keyState(caller, key)).state).toBe('completed');
    });

    it('"Subsequent requests with the same key return the cached response"', async () => {
      const key = newKey('subsequent');
      const first = await api.post('/v1/messages', caller, confirmation(), { 'Idempotency-Key': key });
      for (let retry = 0; retry < 3; retry += 1) {
        const again = await api.post('/v1/messages', caller, confirmation(), { 'Idempotency-Key': key });
        expect([again.status, again.text]).toEqual([first.status, first.text]);
      }
    });

    it('"Keys are unique per API key (different accounts can use the same key)": another account, and another API key of the same account, each get their own message', async () => {
      const key = newKey('per-api-key');
      const first = await api.post('/v1/messages', caller, confirmation(), { 'Idempotency-Key': key });
      const otherAccount = await createAccount('Other (getmailer)');
      const secondKey = await createKey(caller.accountId);
      const fromOtherAccount = await api.post('/v1/messages', otherAccount, confirmation(), {
        'Idempotency-Key': key,
      });
      const fromSecondKey = await api.post('/v1/messages', secondKey, confirmation(), {
        'Idempotency-Key': key,
      });
      const ids = [first, fromOtherAccount, fromSecondKey].map((answer) => answer.json.id);
      expect(new Set(ids).size).toBe(3);
      expect(fromSecondKey.headers.get('idempotent-replayed')).toBeNull();
      expect((await api.get(`/v1/messages/${first.json.id}`, otherAccount)).status).toBe(404);
    });

    it('"Keys expire after 24 hours"', async () => {
      const key = newKey('expire');
      await api.post('/v1/messages', caller, confirmation(), { 'Idempotency-Key': key });
      expect(retentionOf(await api.keyState(caller, key))).toBe(day);
    });
  });

  describe('Key Requirements', () => {
    it('"Maximum length: 255 characters"', async () => {
      const longest = newKey('k').padEnd(255, 'x');
      expect(
        (await api.post('/v1/messages', caller, confirmation(), { 'Idempotency-Key': longest })).status,
      ).toBe(202);
      const tooLong = await api.post('/v1/messages', caller, confirmation(), {
        'Idempotency-Key': `${longest}x`,
      });
      expect([tooLong.status, tooLong.json.code]).toEqual([400, 'idempotency_key_invalid']);
    });

    it('"Allowed characters: alphanumeric, hyphens, underscores"', async () => {
      expect(
        (
          await api.post('/v1/messages', caller, confirmation(), {
            'Idempotency-Key': newKey('Order_confirmation-42'),
          })
        ).status,
      ).toBe(202);
      for (const key of ['order.42', 'order 42', 'order/42', 'order-confirmation-{orderId}', 'caf\u00e9']) {
        const refused = await api.post('/v1/messages', caller, confirmation(), { 'Idempotency-Key': key });
        expect([refused.status, refused.json.code]).toEqual([400, 'idempotency_key_invalid']);
      }
    });

    it('"Keys are case-sensitive"', async () => {
      const who = await createAccount('Case (getmailer)');
      const key = newKey('Order');
      await api.post('/v1/messages', who, confirmation(), { 'Idempotency-Key': key });
      const lower = await api.post('/v1/messages', who, confirmation(), {
        'Idempotency-Key': key.toLowerCase(),
      });
      expect(lower.headers.get('idempotent-replayed')).toBeNull();
      expect(await api.messages(who)).toHaveLength(2);
    });

    it('"Generate unique keys (UUIDs work well)"', async () => {
      expect(
        (await api.post('/v1/messages', caller, confirmation(), { 'Idempotency-Key': crypto.randomUUID() }))
          .status,
      ).toBe(202);
    });
  });

  describe('Best Practices', () => {
    it('"Good: Unique per logical operation": order-confirmation-{orderId}, password-reset-{userId}-{timestamp}, welcome-{userId} are valid keys', async () => {
      const stamp = Date.now();
      for (const key of [`order-confirmation-${stamp}`, `password-reset-42-${stamp}`, `welcome-${stamp}`]) {
        expect(
          (await api.post('/v1/messages', caller, confirmation(stamp), { 'Idempotency-Key': key })).status,
        ).toBe(202);
      }
    });

    it('"Bad: Reusing keys": a generic key such as send-email reused for another email is refused, so the second email is not sent', async () => {
      const who = await createAccount('Reuse (getmailer)');
      await api.post('/v1/messages', who, confirmation(1), { 'Idempotency-Key': 'send-email' });
      const second = await api.post('/v1/messages', who, confirmation(2), {
        'Idempotency-Key': 'send-email',
      });
      expect(second.status).toBe(409);
      expect(await api.messages(who)).toHaveLength(1);
    });
  });

  describe('Response Behavior', () => {
    it('"First request | Normal response, cached for 24h"', async () => {
      const key = newKey('table-first');
      const first = await api.post('/v1/messages', caller, confirmation(), { 'Idempotency-Key': key });
      expect(first.json).toMatchObject({ status: 'accepted', channel: 'email' });
      expect(retentionOf(await api.keyState(caller, key))).toBe(day);
    });

    it('"Retry with same key + body | Cached response returned"', async () => {
      const key = newKey('table-retry');
      const first = await api.post('/v1/messages', caller, confirmation(), { 'Idempotency-Key': key });
      const retry = await api.post('/v1/messages', caller, confirmation(), { 'Idempotency-Key': key });
      expect(retry.text).toBe(first.text);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
    });

    it('"Same key, different body | 409 Conflict", and nothing is stored', async () => {
      const who = await createAccount('Conflict (getmailer)');
      const key = newKey('table-conflict');
      await api.post('/v1/messages', who, confirmation(1), { 'Idempotency-Key': key });
      const other = await api.post('/v1/messages', who, confirmation(2), { 'Idempotency-Key': key });
      expect([other.status, other.json.code]).toEqual([409, 'idempotency_key_reused']);
      expect(await api.messages(who)).toHaveLength(1);
    });

    it('"Key expired (24h+) | Processes as new request" (retention 1 s here)', async () => {
      const who = await createAccount('Expiry (getmailer)');
      const key = newKey('table-expired');
      const first = await shortLived.post('/v1/messages', who, confirmation(), { 'Idempotency-Key': key });
      await sleep(1_300);
      const later = await shortLived.post('/v1/messages', who, confirmation(), { 'Idempotency-Key': key });
      expect(later.status).toBe(202);
      expect(later.json.id).not.toBe(first.json.id);
    });
  });

  describe('Implementation Example', () => {
    it('"Use order ID for idempotency - safe to retry": the example request, sent twice, sends one email', async () => {
      const who = await createAccount('Example (getmailer)');
      const order = { id: Date.now(), customerEmail: 'customer@example.com' };
      const send = () =>
        api.post(
          '/v1/messages',
          who,
          { ...confirmation(order.id), to: order.customerEmail },
          { 'Idempotency-Key': `order-confirmation-${order.id}` },
        );
      const [first, second] = [await send(), await send()];
      expect(second.json).toEqual(first.json);
      expect(await api.messages(who)).toHaveLength(1);
    });
  });
});
