import { setTimeout as sleep } from 'node:timers/promises';
import { type Orm, openOrm, readStream, runSql } from '@exactly/persistence';
import { effectIdFor } from '../consumer/processPartitionBatch.js';
import { seedAccount, seedMessages } from '../testing/seedCommands.js';
import { databaseUrl } from '../testing/testDispatcher.js';
import { claimEffects } from './claimEffects.js';
import { recordOutcomes } from './recordOutcomes.js';

const retry = { baseDelayMs: 1_000, maxDelayMs: 1_000 };

describe('the effect queue', () => {
  let orm: Orm;
  const provider = `queue-test-${Date.now()}`;

  beforeAll(async () => {
    orm = await openOrm({ databaseUrl, poolSize: 2 });
  });

  afterAll(async () => {
    await orm.close();
  });

  /** A dispatched message (stream at version 2) with its pending effect. */
  async function dispatched() {
    const [command] = await seedMessages(orm, await seedAccount(orm), 1);
    if (!command) throw new Error('no command');
    await runSql(
      orm.em.fork(),
      `WITH e AS (INSERT INTO message_events (stream_id, version, type, data) VALUES ($1, 2, 'DispatchRequested', '{}'))
       UPDATE messages SET status = 'dispatching', version = 2 WHERE id = $1`,
      [command.messageId],
    );
    await runSql(
      orm.em.fork(),
      `INSERT INTO effects (id, message_id, account_id, channel, provider, idempotency_key, request, max_attempts)
       VALUES ($1, $2, $3, 'email', $4, $2, $5, 3)`,
      [
        effectIdFor(command.messageId),
        command.messageId,
        command.accountId,
        provider,
        JSON.stringify(command.command.data.message),
      ],
    );
    return command;
  }

  describe('an attempt resumed while its first run was still going', () => {
    it('records only the outcome of the current claim, even when both arrive together', async () => {
      const command = await dispatched();
      const [first] = await claimEffects(orm.em.fork(), { provider, limit: 10, leaseMs: 50 });
      await sleep(100);
      const [resumed] = await claimEffects(orm.em.fork(), { provider, limit: 10, leaseMs: 60_000 });
      if (!first || !resumed) throw new Error('not claimed');
      expect(resumed).toMatchObject({ id: first.id, attempt: 1, resumed: true, resumes: 1 });
      expect(resumed.claimToken).not.toBe(first.claimToken);

      const accepted = { status: 'accepted', replayed: false } as const;
      const recorded = await recordOutcomes(
        orm,
        [
          { effect: first, outcome: accepted, finishedAt: new Date() },
          { effect: resumed, outcome: { ...accepted, replayed: true }, finishedAt: new Date() },
        ],
        { eventsTopic: 't', retry },
      );
      expect(recorded.map((item) => item.effect.claimToken)).toEqual([resumed.claimToken]);
      const events = await readStream(orm.em.fork(), command.messageId);
      expect(events.map((event) => event.type)).toEqual([
        'MessageAccepted',
        'DispatchRequested',
        'ProviderAccepted',
      ]);
      expect(events[2]?.data).toMatchObject({ attempt: 1, replayed: true });
    });
  });

  describe('a retryable failure', () => {
    it('schedules the next attempt with backoff, and the effect is not claimable before then', async () => {
      const command = await dispatched();
      const [claimed] = await claimEffects(orm.em.fork(), { provider, limit: 10, leaseMs: 60_000 });
      if (!claimed) throw new Error('not claimed');
      const finishedAt = new Date();
      const [recorded] = await recordOutcomes(
        orm,
        [{ effect: claimed, outcome: { status: 'failed', retryable: true, error: 'HTTP 503' }, finishedAt }],
        { eventsTopic: 't', retry, random: () => 0.5 },
      );
      expect(recorded?.decision).toBe('retry_scheduled');
      const events = await readStream(orm.em.fork(), command.messageId);
      expect(events.slice(2).map((event) => [event.type, event.data])).toEqual([
        ['ProviderCallFailed', { provider, attempt: 1, error: 'HTTP 503', retryable: true }],
        ['RetryScheduled', { attempt: 2, at: new Date(finishedAt.getTime() + 750).toISOString() }],
      ]);
      expect(await claimEffects(orm.em.fork(), { provider, limit: 10, leaseMs: 60_000 })).toEqual([]);
      await sleep(800);
      const [again] = await claimEffects(orm.em.fork(), { provider, limit: 10, leaseMs: 60_000 });
      expect(again).toMatchObject({ attempt: 2, resumed: false });
    });
  });

  describe('a retryable failure recorded by a process whose clock runs a minute ahead', () => {
    it('is due after its backoff on the database clock, not a minute later', async () => {
      await dispatched();
      const [claimed] = await claimEffects(orm.em.fork(), { provider, limit: 10, leaseMs: 60_000 });
      if (!claimed) throw new Error('not claimed');
      const skewedNow = new Date(Date.now() + 60_000);
      await recordOutcomes(
        orm,
        [
          {
            effect: claimed,
            outcome: { status: 'failed', retryable: true, error: 'HTTP 503' },
            finishedAt: skewedNow,
          },
        ],
        { eventsTopic: 't', retry, random: () => 0.5 },
      );
      await sleep(800);
      const [again] = await claimEffects(orm.em.fork(), { provider, limit: 10, leaseMs: 60_000 });
      expect(again).toMatchObject({ id: claimed.id, attempt: 2 });
    });
  });
});
