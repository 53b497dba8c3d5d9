import { runSql } from '@exactly/persistence';
import { holdAccount, waitForKeyState } from '@exactly/testkit';
import { email, postMessage, startTestServer, storedFor } from './testing/startTestServer.js';

describe('200 concurrent identical requests with one key', () => {
  it('make one message and 199 identical replays when the profile waits (pulsewave)', async () => {
    const api = await startTestServer({ IDEMPOTENCY_PROFILE: 'pulsewave' }, { listen: true });
    try {
      const who = await api.newAccount();
      const responses = await Promise.all(
        Array.from({ length: 200 }, () => postMessage(api, who, 'one-key')),
      );
      expect(responses.map((response) => response.status)).toEqual(Array(200).fill(202));
      expect(new Set(responses.map((response) => response.text)).size).toBe(1);
      expect(
        responses.filter((response) => response.headers.get('idempotent-replayed') === 'true'),
      ).toHaveLength(199);
      const stored = await storedFor(api.orm, who.accountId);
      expect([
        stored.records.length,
        stored.messages.length,
        stored.events.length,
        stored.outbox.length,
      ]).toEqual([1, 1, 1, 2]);
    } finally {
      await api.close();
    }
  });

  it('make one message when the profile answers at once (default): the rest are identical replays or 409 with Retry-After', async () => {
    const api = await startTestServer({}, { listen: true });
    try {
      const who = await api.newAccount();
      const responses = await Promise.all(
        Array.from({ length: 200 }, () => postMessage(api, who, 'one-key')),
      );
      const accepted = responses.filter((response) => response.status === 202);
      const inFlight = responses.filter((response) => response.status === 409);
      expect(accepted.length + inFlight.length).toBe(200);
      expect(new Set(accepted.map((response) => response.text)).size).toBe(1);
      for (const response of inFlight) {
        expect(response.headers.get('retry-after')).toBe('1');
        expect(JSON.parse(response.text).code).toBe('idempotency_key_in_flight');
      }
      expect((await storedFor(api.orm, who.accountId)).messages).toHaveLength(1);
    } finally {
      await api.close();
    }
  });
});

describe('the same key from two accounts', () => {
  it('makes two independent messages; B can neither read, replay nor block A', async () => {
    const api = await startTestServer({ IDEMPOTENCY_PROFILE: 'pulsewave' }, { listen: true });
    try {
      const a = await api.newAccount();
      const b = await api.newAccount();
      // A's request stays in flight: its transaction waits on A's account row, held here.
      const hold = await holdAccount(a.accountId);
      const fromA = postMessage(api, a, 'shared-key');
      await waitForKeyState(api.url, a.apiKey, 'shared-key', 'in_progress');

      const fromB = await postMessage(api, b, 'shared-key', email({ to: 'someone@example.com' }));
      expect(fromB.status).toBe(202);
      expect(fromB.headers.get('idempotent-replayed')).toBeNull();

      await hold.release();
      const answerA = await fromA;
      expect(answerA.status).toBe(202);
      const messageA = JSON.parse(answerA.text).id;
      const messageB = JSON.parse(fromB.text).id;
      expect(messageA).not.toBe(messageB);

      const readByB = await fetch(`${api.url}/v1/messages/${messageA}`, {
        headers: { authorization: `Bearer ${b.apiKey}` },
      });
      expect(readByB.status).toBe(404);
      const replayByB = await postMessage(api, b, 'shared-key', email({ to: 'someone@example.com' }));
      expect(JSON.parse(replayByB.text).id).toBe(messageB);
      expect((await storedFor(api.orm, a.accountId)).messages).toHaveLength(1);
      expect((await storedFor(api.orm, b.accountId)).messages).toHaveLength(1);
    } finally {
      await api.close();
    }
  });
});

describe('a connection killed mid-transaction', () => {
  it('leaves nothing half-written: the client gets 503, and its retry with the same key is written once', async () => {
    const paused = Promise.withResolvers<number>();
    const resume = Promise.withResolvers<void>();
    let first = true;
    const api = await startTestServer(
      {},
      {
        listen: true,
        wrapWriter: (writer) => async (em, effects) => {
          await writer(em, effects);
          if (first) {
            first = false;
            const { rows } = await runSql<{ pid: number }>(em, 'SELECT pg_backend_pid() AS pid');
            paused.resolve(rows[0]?.pid ?? 0);
            await resume.promise;
          }
        },
      },
    );
    try {
      const who = await api.newAccount();
      const answer = postMessage(api, who, 'killed');
      const pid = await paused.promise;
      await runSql(api.orm.em.fork(), 'SELECT pg_terminate_backend($1)', [pid]);
      resume.resolve();
      const killed = await answer;
      expect(killed.status).toBe(503);
      expect(JSON.parse(killed.text)).toMatchObject({ code: 'unavailable' });
      expect(await storedFor(api.orm, who.accountId)).toEqual({
        records: [],
        messages: [],
        events: [],
        outbox: [],
      });

      const retry = await postMessage(api, who, 'killed');
      expect(retry.status).toBe(202);
      const stored = await storedFor(api.orm, who.accountId);
      expect([
        stored.records.length,
        stored.messages.length,
        stored.events.length,
        stored.outbox.length,
      ]).toEqual([1, 1, 1, 2]);
    } finally {
      await api.close();
    }
  });
});
