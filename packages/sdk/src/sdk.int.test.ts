import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Caller, createAccount, holdAccount, IngestApi } from '@exactly/testkit';
import { fakeClock } from './fakeClock.js';
import { createClient, ExactlyApiError } from './index.js';

const sms = (text: string) => ({ channel: 'sms', to: '+15551234567', from: 'ACME', text }) as const;

/**
 * An HTTP proxy to the API that, for the first `drops` requests, lets the server answer and
 * then closes the client's connection without passing the answer on: the command committed,
 * but the client cannot know it.
 */
async function responseDroppingProxy(target: string, drops: number) {
  let remaining = drops;
  const server: Server = createServer((incoming, outgoing) => {
    const upstream = httpRequest(
      new URL(incoming.url ?? '/', target),
      { method: incoming.method, headers: incoming.headers },
      (answer) => {
        if (remaining > 0) {
          remaining -= 1;
          answer.resume();
          answer.on('end', () => outgoing.socket?.destroy());
          return;
        }
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('the SDK against the real ingest API', () => {
  let api: IngestApi;
  let caller: Caller;

  beforeAll(async () => {
    api = await IngestApi.start('default');
    caller = await createAccount(`sdk-${Date.now()}`);
  });

  afterAll(async () => {
    await api.stop();
  });

  describe('a scheduled send', () => {
    it('is sent for later, rescheduled, changed, replaced and cancelled; a change after the cancel is refused with its code', async () => {
      const client = createClient({ baseUrl: api.url, apiKey: caller.apiKey });
      const later = new Date(Date.now() + 3_600_000);
      const { message } = await client.messages.send(sms('Later'), { sendAt: later });
      expect(message).toMatchObject({ status: 'scheduled', sendAt: later.toISOString() });
      const evenLater = new Date(later.getTime() + 60_000);
      const moved = await client.messages.reschedule(message.id, evenLater);
      expect(moved.message.sendAt).toBe(evenLater.toISOString());
      const changed = await client.messages.change(message.id, { text: 'Changed' });
      expect(changed.message.status).toBe('scheduled');
      const replaced = await client.messages.replace(message.id, sms('Replaced'), { sendAt: later });
      expect(replaced.message.sendAt).toBe(later.toISOString());
      const cancelled = await client.messages.cancel(message.id, {
        idempotencyKey: `cancel-${message.id}`,
      });
      expect(cancelled.message.status).toBe('cancelled');
      const again = await client.messages.cancel(message.id, { idempotencyKey: `cancel-${message.id}` });
      expect(again.replayed).toBe(true);
      const refused = await client.messages.reschedule(message.id, later).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ExactlyApiError);
      expect((refused as ExactlyApiError).status).toBe(409);
      expect((refused as ExactlyApiError).code).toBe('message_cancelled');
      expect((await client.messages.get(message.id)).events?.map((event) => event.type)).toEqual([
        'MessageAccepted',
        'MessageScheduled',
        'MessageRescheduled',
        'MessageChanged',
        'MessageChanged',
        'MessageRescheduled',
        'MessageCancelled',
      ]);
    });
  });

  describe('a response lost after the server committed', () => {
    it('is retried with the same key, returns the same message, and one message exists', async () => {
      const proxy = await responseDroppingProxy(api.url, 1);
      const retries: string[] = [];
      const client = createClient({
        baseUrl: proxy.url,
        apiKey: caller.apiKey,
        clock: fakeClock(),
        onRetry: (event) => retries.push(event.error.message),
      });
      const result = await client.messages.send(sms('lost answer'));
      await proxy.close();

      expect(retries).toHaveLength(1);
      expect(result.replayed).toBe(true);
      const direct = createClient({ baseUrl: api.url, apiKey: caller.apiKey });
      const state = await direct.idempotencyKeys.get(result.idempotencyKey);
      expect(state).toMatchObject({ state: 'completed', messageIds: [result.message.id] });
      const texts: string[] = [];
      for await (const message of direct.messages.list()) texts.push(message.id);
      expect(texts.filter((id) => id === result.message.id)).toHaveLength(1);
      expect((await direct.messages.get(result.message.id)).id).toBe(result.message.id);
    });
  });

  describe('a key whose first request is still in flight', () => {
    it('gets 409, waits as told, and then the first reply', async () => {
      const account = await createAccount(`sdk-inflight-${Date.now()}`);
      const hold = await holdAccount(account.accountId);
      const key = `in-flight-${Date.now()}`;
      const first = fetch(`${api.url}/v1/messages`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${account.apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify(sms('first')),
      });
      await api.waitForKeyState(account, key, 'in_progress');

      const conflicts: number[] = [];
      const client = createClient({
        baseUrl: api.url,
        apiKey: account.apiKey,
        clock: {
          now: () => Date.now(),
          // The first wait is where the first request finishes.
          sleep: async () => {
            await hold.release();
            await first;
          },
        },
        onRetry: (event) => conflicts.push((event.error as ExactlyApiError).status),
      });
      const result = await client.messages.send(sms('first'), { idempotencyKey: key });
      const original = await (await first).json();

      expect(conflicts).toEqual([409]);
      expect(result.replayed).toBe(true);
      expect(result.message.id).toBe(original.id);
    });
  });

  describe('a key reused with another body', () => {
    it('is refused with 422 and never retried', async () => {
      const retries: unknown[] = [];
      const client = createClient({
        baseUrl: api.url,
        apiKey: caller.apiKey,
        onRetry: (event) => retries.push(event),
      });
      const key = `reused-${Date.now()}`;
      await client.messages.send(sms('one body'), { idempotencyKey: key });
      const error = await client.messages
        .send(sms('another body'), { idempotencyKey: key })
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ExactlyApiError);
      expect(error).toMatchObject({ status: 422, code: 'idempotency_key_reused', retryable: false });
      expect(retries).toEqual([]);
    });
  });

  describe('a batch', () => {
    it('sends every command under one key and replays the whole reply', async () => {
      const client = createClient({ baseUrl: api.url, apiKey: caller.apiKey });
      const first = await client.messages.sendBatch([sms('a'), sms('b'), sms('c')]);
      const again = await client.messages.sendBatch([sms('a'), sms('b'), sms('c')], {
        idempotencyKey: first.idempotencyKey,
      });
      expect(first.messages).toHaveLength(3);
      expect(again.replayed).toBe(true);
      expect(again.messages.map((message) => message.id)).toEqual(
        first.messages.map((message) => message.id),
      );
    });
  });
});

describe.each(['default', 'pulsewave', 'txtly', 'getmailer', 'truedy'])(
  'the SDK under the %s profile, learning the contract from the server',
  (profile) => {
    it('sends twice with one key: one message, the second call a replay of the first', async () => {
      const api = await IngestApi.start(profile);
      try {
        const who = await createAccount(`sdk-${profile}-${Date.now()}`);
        const client = createClient({ baseUrl: api.url, apiKey: who.apiKey });
        const first = await client.messages.send(sms('once'), { idempotencyKey: 'k-1' });
        const second = await client.messages.send(sms('once'), { idempotencyKey: 'k-1' });
        expect(first.message.id).toMatch(/^msg_/);
        expect([second.replayed, second.message.id]).toEqual([true, first.message.id]);
        expect(await api.messages(who)).toHaveLength(1);
      } finally {
        await api.stop();
      }
    });
  },
);
