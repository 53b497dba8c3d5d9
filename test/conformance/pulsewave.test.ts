// Conformance to seed 000 (Pulsewave, "Idempotency: Safely retry requests without double-sending"),
// run against real ingest API processes with IDEMPOTENCY_PROFILE=pulsewave and a real PostgreSQL.
// Every behavioural sentence of the document is a test that quotes it.

import { setTimeout as sleep } from 'node:timers/promises';
import { type Caller, createAccount, createKey, holdAccount, IngestApi } from '@exactly/testkit';
import { day, emailCommand, retentionOf } from './support/seedExamples.ts';

let api: IngestApi;
let secondProcess: IngestApi;
let shortLived: IngestApi;
let ada: Caller;
let other: Caller;

beforeAll(async () => {
  [api, secondProcess, shortLived, ada, other] = await Promise.all([
    IngestApi.start('pulsewave'),
    IngestApi.start('pulsewave'),
    IngestApi.start('pulsewave', { IDEMPOTENCY_RETENTION: '1s', IDEMPOTENCY_CLEANUP_INTERVAL: '300ms' }),
    createAccount('Acme (pulsewave)'),
    createAccount('Other (pulsewave)'),
  ]);
});

afterAll(async () => {
  await Promise.all([api?.stop(), secondProcess?.stop(), shortLived?.stop()]);
});

let sequence = 0;
const newKey = (label: string) => `${label}-${Date.now()}-${++sequence}`;

describe('Pulsewave (seed 000) under the pulsewave profile', () => {
  it('"If a request to `POST /messages` times out, you need to know whether the message actually sent before deciding to retry": the key\'s state says so', async () => {
    const who = await createAccount('Timed out (pulsewave)');
    const key = newKey('timed-out');
    const hold = await holdAccount(who.accountId);
    const timedOut = await api
      .request('POST', '/v1/messages', {
        caller: who,
        body: emailCommand(),
        headers: { 'Idempotency-Key': key },
        signal: AbortSignal.timeout(1_000),
      })
      .catch((error: Error) => error.name);
    expect(timedOut).toBe('TimeoutError');
    await api.waitForKeyState(who, key, 'in_progress');
    await hold.release();
    const state = await api.waitForKeyState(who, key, 'completed');
    expect(state.messageIds).toHaveLength(1);
    const retry = await api.post('/v1/messages', who, emailCommand(), { 'Idempotency-Key': key });
    expect(retry.json.id).toBe(state.messageIds[0]);
  });

  describe('Using an idempotency key', () => {
    it('"Pass a unique value in the `Idempotency-Key` header on any `POST` request": both create endpoints take it', async () => {
      const key = newKey('order-1042-confirmation');
      const single = await api.post('/v1/messages', ada, emailCommand(), { 'Idempotency-Key': key });
      const batch = await api.post(
        '/v1/messages/batch',
        ada,
        { messages: [emailCommand()] },
        { 'Idempotency-Key': newKey('b') },
      );
      expect([single.status, batch.status]).toEqual([202, 202]);
      expect((await api.keyState(ada, key)).state).toBe('completed');
    });

    it('"If you retry the exact same request with the same key, Pulsewave returns the original response instead of sending a second message"', async () => {
      const key = newKey('order-1042-confirmation');
      const first = await api.post('/v1/messages', ada, emailCommand(), { 'Idempotency-Key': key });
      const retry = await api.post('/v1/messages', ada, emailCommand(), { 'Idempotency-Key': key });
      expect(retry.status).toBe(first.status);
      expect(retry.text).toBe(first.text);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect((await api.keyState(ada, key)).messageIds).toEqual([first.json.id]);
    });

    it('"— even if the first request is still being processed": the retry waits for the first and returns its response', async () => {
      const who = await createAccount('In flight (pulsewave)');
      const key = newKey('in-flight');
      const hold = await holdAccount(who.accountId);
      const first = api.post('/v1/messages', who, emailCommand(), { 'Idempotency-Key': key });
      await api.waitForKeyState(who, key, 'in_progress');
      const retry = api.post('/v1/messages', who, emailCommand(), { 'Idempotency-Key': key });
      await sleep(300);
      await hold.release();
      const [firstAnswer, retryAnswer] = await Promise.all([first, retry]);
      expect(firstAnswer.status).toBe(202);
      expect(retryAnswer.text).toBe(firstAnswer.text);
      expect(await api.messages(who)).toHaveLength(1);
    });

    it('"— even if the first request is still being processed": 200 concurrent identical requests on two API processes send one message', async () => {
      const who = await createAccount('Concurrent (pulsewave)');
      const key = newKey('concurrent');
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, index) =>
          (index % 2 === 0 ? api : secondProcess).post('/v1/messages', who, emailCommand(), {
            'Idempotency-Key': key,
          }),
        ),
      );
      expect(answers.map((answer) => answer.status)).toEqual(Array(200).fill(202));
      expect(new Set(answers.map((answer) => answer.text)).size).toBe(1);
      expect(answers.filter((answer) => answer.headers.get('idempotent-replayed') === 'true')).toHaveLength(
        199,
      );
      expect(await api.messages(who)).toHaveLength(1);
    });
  });

  describe('Choosing a key', () => {
    it('"A good idempotency key is unique to the operation": a different key is a different operation, so a random key per attempt would send twice', async () => {
      const who = await createAccount('Random keys (pulsewave)');
      await api.post('/v1/messages', who, emailCommand(), { 'Idempotency-Key': crypto.randomUUID() });
      await api.post('/v1/messages', who, emailCommand(), { 'Idempotency-Key': crypto.randomUUID() });
      expect(await api.messages(who)).toHaveLength(2);
    });
  });

  describe('Behavior', () => {
    it('"Keys are scoped to your account": another API key of the same account replays; another account sends its own', async () => {
      const key = newKey('scoped');
      const first = await api.post('/v1/messages', ada, emailCommand(), { 'Idempotency-Key': key });
      const secondKey = await createKey(ada.accountId);
      const sameAccount = await api.post('/v1/messages', secondKey, emailCommand(), {
        'Idempotency-Key': key,
      });
      expect(sameAccount.text).toBe(first.text);
      const otherAccount = await api.post('/v1/messages', other, emailCommand(), { 'Idempotency-Key': key });
      expect(otherAccount.status).toBe(202);
      expect(otherAccount.json.id).not.toBe(first.json.id);
      expect((await api.get(`/v1/messages/${first.json.id}`, other)).status).toBe(404);
    });

    it('"Keys are scoped to your account" (not to the endpoint): the same key on the batch endpoint is the same key, so another request', async () => {
      const key = newKey('across-endpoints');
      await api.post('/v1/messages', ada, emailCommand(), { 'Idempotency-Key': key });
      const batch = await api.post(
        '/v1/messages/batch',
        ada,
        { messages: [emailCommand()] },
        { 'Idempotency-Key': key },
      );
      expect(batch.status).toBe(400);
    });

    it('"and remembered for 24 hours"', async () => {
      const key = newKey('remembered');
      await api.post('/v1/messages', ada, emailCommand(), { 'Idempotency-Key': key });
      expect(retentionOf(await api.keyState(ada, key))).toBe(day);
    });

    it('"and remembered for 24 hours" (then forgotten): past the retention (1 s here) the key runs as a new request', async () => {
      const who = await createAccount('Expiry (pulsewave)');
      const key = newKey('expires');
      const first = await shortLived.post('/v1/messages', who, emailCommand(), { 'Idempotency-Key': key });
      await sleep(1_600);
      expect((await shortLived.keyState(who, key)).state).toBe('unknown');
      const later = await shortLived.post('/v1/messages', who, emailCommand(), { 'Idempotency-Key': key });
      expect(later.status).toBe(202);
      expect(later.json.id).not.toBe(first.json.id);
      expect(later.headers.get('idempotent-replayed')).toBeNull();
    });

    it('"Replaying a key with a **different** request body returns a `400`", and nothing is stored', async () => {
      const who = await createAccount('Mismatch (pulsewave)');
      const key = newKey('mismatch');
      await api.post('/v1/messages', who, emailCommand(), { 'Idempotency-Key': key });
      const other = await api.post('/v1/messages', who, emailCommand({ subject: 'Order shipped' }), {
        'Idempotency-Key': key,
      });
      expect(other.status).toBe(400);
      expect(other.json.code).toBe('idempotency_key_reused');
      expect(other.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await api.messages(who)).toHaveLength(1);
    });

    it('"Idempotency only applies to `POST` requests that create something": a GET ignores the header, even a key that would be invalid', async () => {
      const answer = await api.get('/v1/messages?limit=1', ada, { 'Idempotency-Key': 'x'.repeat(400) });
      expect(answer.status).toBe(200);
    });

    it('"`GET`, `PATCH`, and `DELETE` are already safe to retry on their own": a GET repeated answers the same; a PATCH of a scheduled send repeated (its key ignored) answers the same and changes it once; there is no DELETE', async () => {
      const created = await api.post('/v1/messages', ada, emailCommand(), {
        'Idempotency-Key': newKey('get'),
      });
      const path = `/v1/messages/${created.json.id}`;
      const [once, twice] = [await api.get(path, ada), await api.get(path, ada)];
      expect(twice.json).toEqual(once.json);

      const scheduled = await api.post(
        '/v1/messages',
        ada,
        { ...emailCommand(), send_at: new Date(Date.now() + 3_600_000).toISOString() },
        { 'Idempotency-Key': newKey('patch') },
      );
      const later = { send_at: new Date(Date.now() + 7_200_000).toISOString() };
      const scheduledPath = `/v1/messages/${scheduled.json.id}`;
      const patch = () =>
        api.request('PATCH', scheduledPath, {
          caller: ada,
          body: later,
          headers: { 'Idempotency-Key': 'x'.repeat(400) },
        });
      const [first, again] = [await patch(), await patch()];
      expect(first.status).toBe(200);
      expect(again.json).toEqual(first.json);
      const events = (await api.get(scheduledPath, ada)).json.events.map(
        (event: { type: string }) => event.type,
      );
      expect(events.filter((type: string) => type === 'MessageRescheduled')).toHaveLength(1);
      expect(
        (await api.request('DELETE', path, { caller: ada, headers: { 'Idempotency-Key': 'k' } })).status,
      ).toBe(404);
    });
  });

  describe('Tip', () => {
    it('"Official SDKs generate and attach an idempotency key automatically ... you only need to think about this when calling the HTTP API directly": without a key a POST still works, unprotected', async () => {
      const who = await createAccount('No key (pulsewave)');
      expect((await api.post('/v1/messages', who, emailCommand())).status).toBe(202);
      expect((await api.post('/v1/messages', who, emailCommand())).status).toBe(202);
      expect(await api.messages(who)).toHaveLength(2);
    });
  });
});
