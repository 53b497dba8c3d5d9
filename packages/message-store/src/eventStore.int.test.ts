import type { MessageEvent } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import { Account, newId, type Orm, openOrm, runSql } from '@exactly/persistence';
import { appendToStreams, readStream, recordMessageEvents } from './index.js';

const databaseUrl = process.env.DATABASE_URL ?? '';
let orm: Orm;

/** A valid MessageAccepted of message `n` (the append takes only events of the contracts' union). */
const accepted = (n: number): Extract<MessageEvent, { type: 'MessageAccepted' }> => ({
  type: 'MessageAccepted',
  data: {
    messageId: `msg_${n}`,
    accountId: 'acc_1',
    channel: 'sms',
    to: '+15551234567',
    from: 'ACME',
    idempotencyKey: `k${n}`,
  },
});

beforeAll(async () => {
  orm = await openOrm({ databaseUrl, poolSize: 4 });
});

afterAll(async () => {
  await orm.close();
});

describe('the event store', () => {
  it('appends to several streams in one call and reads a stream back in order', async () => {
    const [first, second] = [newId('msg'), newId('msg')];
    await orm.em.fork().transactional(async (em) => {
      await appendToStreams(em, [
        { streamId: first, expectedVersion: 0, events: [accepted(1)] },
        { streamId: second, expectedVersion: 0, events: [accepted(2)] },
      ]);
    });
    await orm.em.fork().transactional(async (em) => {
      await appendToStreams(em, [
        {
          streamId: first,
          expectedVersion: 1,
          events: [{ type: 'DispatchRequested', data: { provider: 'log', effectId: 'eff_1' } }],
        },
      ]);
    });

    const events = await readStream(orm.em.fork(), first);
    expect(events.map((event) => [event.version, event.type, event.data])).toEqual([
      [1, 'MessageAccepted', accepted(1).data],
      [2, 'DispatchRequested', { provider: 'log', effectId: 'eff_1' }],
    ]);
  });

  describe('appending a version that another writer already appended', () => {
    it('throws a retryable concurrency conflict and keeps nothing of the transaction', async () => {
      const streamId = newId('msg');
      await orm.em.fork().transactional(async (em) => {
        await appendToStreams(em, [{ streamId, expectedVersion: 0, events: [accepted(0)] }]);
      });

      const accountId = newId('acc');
      const attempt = orm.em.fork().transactional(async (em) => {
        em.create(Account, { id: accountId, name: 'written before the conflict' });
        await em.flush();
        await appendToStreams(em, [{ streamId, expectedVersion: 0, events: [accepted(0)] }]);
      });

      await expect(attempt).rejects.toMatchObject({ code: 'concurrency_conflict', retryable: true });
      await expect(attempt).rejects.toBeInstanceOf(ExactlyError);
      expect(await orm.em.fork().findOne(Account, { id: accountId })).toBeNull();
      expect((await readStream(orm.em.fork(), streamId)).map((event) => event.type)).toEqual([
        'MessageAccepted',
      ]);
    });
  });
});

describe('recording message events with more writes in the same round trip', () => {
  const outboxRows = async (streamId: string) =>
    (
      await runSql<{ payload: { type: string } }>(
        orm.em.fork(),
        'SELECT payload FROM outbox WHERE kafka_key = $1 ORDER BY id',
        [streamId],
      )
    ).rows.map((row) => row.payload.type);

  /** One event appended at `expectedVersion`, and an account inserted in the same round trip. */
  const recordWithAccount = (
    streamId: string,
    expectedVersion: number,
    account: { id: string; name: string },
  ) =>
    orm.em.fork().transactional((em) =>
      recordMessageEvents(
        em,
        [
          {
            streamId,
            accountId: account.id,
            expectedVersion,
            events: [accepted(0)],
          },
        ],
        {
          topic: 'events',
          also: [
            {
              text: 'INSERT INTO accounts (id, name) VALUES ($1, $2)',
              parameters: [account.id, account.name],
            },
          ],
        },
      ),
    );

  it('writes the events, their outbox rows and the other statements, renumbered after the events', async () => {
    const streamId = newId('msg');
    const accountId = newId('acc');
    await recordWithAccount(streamId, 0, { id: accountId, name: 'also' });
    expect((await readStream(orm.em.fork(), streamId)).map((event) => event.type)).toEqual([
      'MessageAccepted',
    ]);
    expect(await outboxRows(streamId)).toEqual(['MessageAccepted']);
    expect((await orm.em.fork().findOne(Account, { id: accountId }))?.name).toBe('also');
  });

  it('keeps nothing when a stream was appended to concurrently, and says so as a retryable conflict', async () => {
    const streamId = newId('msg');
    const accountId = newId('acc');
    await orm.em.fork().transactional(async (em) => {
      await appendToStreams(em, [{ streamId, expectedVersion: 0, events: [accepted(0)] }]);
    });
    const attempt = recordWithAccount(streamId, 0, { id: accountId, name: 'lost' });
    await expect(attempt).rejects.toMatchObject({ code: 'concurrency_conflict', retryable: true });
    expect(await orm.em.fork().findOne(Account, { id: accountId })).toBeNull();
    expect(await outboxRows(streamId)).toEqual([]);
  });

  it('passes any other failure through as it is', async () => {
    const accountId = newId('acc');
    await orm.em.fork().transactional(async (em) => {
      em.create(Account, { id: accountId, name: 'first' });
      await em.flush();
    });
    const attempt = recordWithAccount(newId('msg'), 0, { id: accountId, name: 'again' });
    await expect(attempt).rejects.toMatchObject({ code: '23505', table: 'accounts' });
  });
});
