import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, createMetricsRegistry } from '@exactly/observability';
import { type Orm, openOrm, readStream, runSql } from '@exactly/persistence';
import { effectIdFor } from '../consumer/processPartitionBatch.js';
import { createDispatcherMetrics } from '../dispatcherMetrics.js';
import type { Provider, SendRequest } from '../providers/provider.js';
import { seedAccount, seedMessages } from '../testing/seedCommands.js';
import { databaseUrl } from '../testing/testDispatcher.js';
import { claimEffects } from './claimEffects.js';
import { createEffectExecutor } from './createEffectExecutor.js';
import { recordOutcomes } from './recordOutcomes.js';
import { TokenBucket } from './tokenBucket.js';

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
  async function dispatched(providerName = provider) {
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
        providerName,
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

  describe('an executor whose outcome transactions are held up by the database', () => {
    it('keeps calling the provider: a slot is freed when the call returns, not when its outcome is recorded', async () => {
      const lane = `slot-test-${Date.now()}`;
      const commands = [await dispatched(lane), await dispatched(lane), await dispatched(lane)];
      const ids = commands.map((command) => command.messageId);
      const calls: SendRequest[] = [];
      const recording: Provider = {
        name: lane,
        send: async (request) => {
          calls.push(request);
          return { status: 'accepted', replayed: false };
        },
        close: async () => {},
      };
      // Its own pool: one connection for the held-up recording transaction, one for the claims.
      const executorOrm = await openOrm({ databaseUrl, poolSize: 2 });
      const executor = createEffectExecutor({
        orm: executorOrm,
        recordConcurrency: 1,
        lanes: new Map([[lane, { provider: recording, concurrency: 1, rateLimit: new TokenBucket(0) }]]),
        logger: createLogger('effect-executor-test', 'silent'),
        metrics: createDispatcherMetrics(createMetricsRegistry('effect-executor-test')),
        claimBatch: 10,
        leaseMs: 60_000,
        pollIntervalMs: 50,
        providerTimeoutMs: 1_000,
        retry,
        eventsTopic: 't',
      });
      // The messages rows locked: every outcome transaction waits on its projection update.
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked = () => {};
      const lockHeld = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const holder = orm.em.fork().transactional(async (em) => {
        await runSql(em, 'SELECT id FROM messages WHERE id = ANY($1::text[]) FOR UPDATE', [ids]);
        locked();
        await released;
      });
      await lockHeld;
      executor.start();
      try {
        for (let waited = 0; calls.length < 3 && waited < 5_000; waited += 50) await sleep(50);
        expect(calls.map((call) => call.messageId).sort()).toEqual([...ids].sort());
        const { rows: unrecorded } = await runSql<{ state: string }>(
          orm.em.fork(),
          'SELECT state FROM effects WHERE message_id = ANY($1::text[])',
          [ids],
        );
        expect(unrecorded.map((row) => row.state)).toEqual(['in_flight', 'in_flight', 'in_flight']);
      } finally {
        release();
        await holder;
        await executor.stop(5_000);
        await executorOrm.close();
      }
      const { rows: recorded } = await runSql<{ state: string }>(
        orm.em.fork(),
        'SELECT state FROM effects WHERE message_id = ANY($1::text[])',
        [ids],
      );
      expect(recorded.map((row) => row.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    });
  });
});
