import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readStream } from '@exactly/message-store';
import { createLogger, createMetricsRegistry } from '@exactly/observability';
import { type Orm, openOrm, runSql } from '@exactly/persistence';
import { eventually } from '@exactly/testkit';
import { effectIdFor } from '../decide/decideCommand.js';
import { createDispatcherMetrics } from '../dispatcherMetrics.js';
import { createLogProvider } from '../providers/logProvider.js';
import type { Provider, SendOutcome, SendRequest } from '../providers/provider.js';
import { seedAccount, seedMessages } from '../testing/seedCommands.js';
import { databaseUrl } from '../testing/testDispatcher.js';
import { type ClaimedEffect, claimEffects, startCalls, withdrawCallStart } from './claimEffects.js';
import { createEffectExecutor, type EffectExecutor } from './createEffectExecutor.js';
import { recordOutcomes } from './recordOutcomes.js';
import { TokenBucket } from './tokenBucket.js';

const retry = { baseDelayMs: 1_000, maxDelayMs: 1_000 };
const accepted: SendOutcome = { status: 'accepted', replayed: false };

describe('the effect queue', () => {
  let orm: Orm;
  const provider = `queue-test-${Date.now()}`;

  beforeAll(async () => {
    orm = await openOrm({ databaseUrl, poolSize: 2 });
  });

  afterAll(async () => {
    await orm.close();
  });

  /** Resolves once a session waits for a lock while running a statement that starts so. */
  const blockedOn = (statement: string) =>
    eventually(`${statement} waiting for the lock`, async () => (await waitingOnLock(statement)) > 0);

  async function waitingOnLock(statement: string): Promise<number> {
    const { rows } = await runSql<{ n: string }>(
      orm.em.fork(),
      `SELECT count(*) AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`,
      [`${statement}%`],
    );
    return Number(rows[0]?.n);
  }

  /** Holds `effects` in EXCLUSIVE mode (claims wait, reads do not) until `release` is called. */
  function lockEffects(pool: Orm): { locked: Promise<void>; release: () => void; done: Promise<void> } {
    const locked = Promise.withResolvers<void>();
    const held = Promise.withResolvers<void>();
    const done = pool.em.fork().transactional(async (em) => {
      await runSql(em, 'LOCK TABLE effects IN EXCLUSIVE MODE');
      locked.resolve();
      await held.promise;
    });
    return { locked: locked.promise, release: () => held.resolve(), done };
  }

  /** Waits until the executor would claim a new effect of `lane` at creation (and hands the room back). */
  async function roomAtCreation(
    executor: { handoff: EffectExecutor['handoff'] },
    lane: string,
  ): Promise<void> {
    await eventually('room at creation', () => executor.handoff.reserve(lane, 1) === 1);
    executor.handoff.cancel([{ provider: lane } as ClaimedEffect]);
  }

  /**
   * An executor of one provider (by default one that accepts every call at once), on a pool of its
   * own, that does not sweep the queue during a test.
   */
  async function laneExecutor(
    lane: string,
    {
      claimBatch,
      concurrency = 40,
      provider = { name: lane, honoursKey: true, send: async () => accepted, close: async () => {} },
      retryPolicy = retry,
    }: { claimBatch: number; concurrency?: number; provider?: Provider; retryPolicy?: typeof retry },
  ) {
    const executorOrm = await openOrm({ databaseUrl, poolSize: 4 });
    const executor = createEffectExecutor({
      orm: executorOrm,
      lanes: new Map([
        [lane, { provider, concurrency, rateLimit: new TokenBucket(0), onAmbiguous: 'retry' }],
      ]),
      logger: createLogger(lane, 'silent'),
      metrics: createDispatcherMetrics(createMetricsRegistry(lane)),
      claimBatch,
      leaseMs: 60_000,
      pollIntervalMs: 60_000,
      providerTimeoutMs: 30_000,
      retry: retryPolicy,
      eventsTopic: 't',
    });
    return { executor, executorOrm };
  }

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
      `INSERT INTO effects (id, message_id, account_id, channel, provider, provider_key, request, max_attempts)
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
      // Its call started (recorded with a short lease) and its process stalled past the lease.
      const [first] = await claimEffects(orm.em.fork(), { provider, limit: 10, leaseMs: 5_000 });
      if (first) expect(await startCalls(orm.em.fork(), [first], 100)).toEqual(new Set([first.id]));
      await sleep(200);
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

  describe("the log provider's send, made in the transaction that records its outcome", () => {
    async function sendRows(messageId: string) {
      const { rows } = await runSql<{ attempt: number }>(
        orm.em.fork(),
        'SELECT attempt FROM log_provider_sends WHERE provider_key = $1',
        [messageId],
      );
      return rows;
    }

    it('is not made for an outcome whose claim was taken over, and is a replay when its key was sent before', async () => {
      const folder = await mkdtemp(join(tmpdir(), 'exactly-log-'));
      const log = createLogProvider({ orm, file: join(folder, 'sends.log') });
      const via = log.withOutcome;
      if (via === undefined) throw new Error('the log provider sends with its outcome');
      try {
        const command = await dispatched();
        const [first] = await claimEffects(orm.em.fork(), { provider, limit: 10, leaseMs: 100 });
        await sleep(200);
        const [current] = await claimEffects(orm.em.fork(), { provider, limit: 10, leaseMs: 60_000 });
        if (!first || !current) throw new Error('not claimed');
        const request = (effect: typeof first) => ({
          providerKey: effect.providerKey,
          messageId: effect.messageId,
          accountId: effect.accountId,
          attempt: effect.attempt,
          message: effect.request,
        });
        const stale = await recordOutcomes(
          orm,
          [
            {
              effect: first,
              outcome: accepted,
              finishedAt: new Date(),
              sendWithOutcome: { via, request: request(first) },
            },
          ],
          { eventsTopic: 't', retry },
        );
        expect(stale).toEqual([]);
        expect(await sendRows(command.messageId)).toEqual([]);

        const [recorded] = await recordOutcomes(
          orm,
          [
            {
              effect: current,
              outcome: accepted,
              finishedAt: new Date(),
              sendWithOutcome: { via, request: request(current) },
            },
          ],
          { eventsTopic: 't', retry },
        );
        expect(recorded?.outcome).toMatchObject({ status: 'accepted', replayed: false });
        expect(await sendRows(command.messageId)).toEqual([{ attempt: 1 }]);

        // The same key again (the operator's send-again, say): the row says it was sent; a replay.
        await runSql(
          orm.em.fork(),
          "UPDATE effects SET state = 'pending', due_at = now(), attempt = 1 WHERE message_id = $1",
          [command.messageId],
        );
        const [again] = await claimEffects(orm.em.fork(), { provider, limit: 10, leaseMs: 60_000 });
        if (!again) throw new Error('not claimed');
        await recordOutcomes(
          orm,
          [
            {
              effect: again,
              outcome: accepted,
              finishedAt: new Date(),
              sendWithOutcome: { via, request: request(again) },
            },
          ],
          { eventsTopic: 't', retry },
        );
        const events = await readStream(orm.em.fork(), command.messageId);
        expect(
          events.filter((event) => event.type === 'ProviderAccepted').map((event) => event.data),
        ).toEqual([
          expect.objectContaining({ attempt: 1, replayed: false }),
          expect.objectContaining({ attempt: 2, replayed: true }),
        ]);
        expect(await sendRows(command.messageId)).toEqual([{ attempt: 1 }]);
      } finally {
        await log.close();
        await rm(folder, { recursive: true, force: true });
      }
    });

    it('is sent once by the executor, with no write-ahead record, and its line written after the commit', async () => {
      const lane = `log-lane-${Date.now()}`;
      const command = await dispatched(lane);
      const folder = await mkdtemp(join(tmpdir(), 'exactly-log-'));
      const file = join(folder, 'sends.log');
      const log = createLogProvider({ orm, file });
      const executorOrm = await openOrm({ databaseUrl, poolSize: 2 });
      const executor = executorFor(executorOrm, log, { onAmbiguous: 'retry' }, lane);
      executor.start();
      try {
        const effectRow = async () => {
          const { rows } = await runSql<{ state: string; call_started_at: string | null }>(
            orm.em.fork(),
            'SELECT state, call_started_at FROM effects WHERE message_id = $1',
            [command.messageId],
          );
          return rows;
        };
        await eventually('the outcome', async () => (await effectRow())[0]?.state === 'succeeded');
        expect(await effectRow()).toEqual([{ state: 'succeeded', call_started_at: null }]);
        expect(await sendRows(command.messageId)).toEqual([{ attempt: 1 }]);
        const events = await readStream(orm.em.fork(), command.messageId);
        expect(events.at(-1)).toMatchObject({
          type: 'ProviderAccepted',
          data: { attempt: 1, replayed: false },
        });
        // A first attempt that succeeded has no attempt row: the effect and the event say it all.
        const { rows: attempts } = await runSql(
          orm.em.fork(),
          'SELECT attempt FROM effect_attempts WHERE effect_id = $1',
          [effectIdFor(command.messageId)],
        );
        expect(attempts).toEqual([]);
      } finally {
        await executor.stop(5_000);
        await executorOrm.close();
        await log.close();
      }
      const lines = (await readFile(file, 'utf8')).trim().split('\n');
      expect(lines.map((line) => JSON.parse(line).providerKey)).toEqual([command.messageId]);
      await rm(folder, { recursive: true, force: true });
    });
  });

  describe('a retryable failure', () => {
    it('schedules the next attempt with backoff, and the effect is not claimable before then', async () => {
      const command = await dispatched();
      const [claimed] = await claimEffects(orm.em.fork(), { provider, limit: 10, leaseMs: 60_000 });
      if (!claimed) throw new Error('not claimed');
      const finishedAt = new Date();
      // A backoff of 3 s (half of 4 s fixed, the other half at random 0.5): the look below must
      // come before it, and on a loaded machine the outcome's commit and the read take a while.
      const [recorded] = await recordOutcomes(
        orm,
        [{ effect: claimed, outcome: { status: 'failed', retryable: true, error: 'HTTP 503' }, finishedAt }],
        { eventsTopic: 't', retry: { baseDelayMs: 4_000, maxDelayMs: 4_000 }, random: () => 0.5 },
      );
      expect(recorded?.decision).toBe('retry_scheduled');
      expect(await claimEffects(orm.em.fork(), { provider, limit: 10, leaseMs: 60_000 })).toEqual([]);
      const events = await readStream(orm.em.fork(), command.messageId);
      expect(events.slice(2).map((event) => [event.type, event.data])).toEqual([
        ['ProviderCallFailed', { provider, attempt: 1, error: 'HTTP 503', retryable: true }],
        ['RetryScheduled', { attempt: 2, at: new Date(finishedAt.getTime() + 3_000).toISOString() }],
      ]);
      await sleep(3_200);
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
        honoursKey: true,
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
        lanes: new Map([
          [
            lane,
            { provider: recording, concurrency: 1, rateLimit: new TokenBucket(0), onAmbiguous: 'retry' },
          ],
        ]),
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

  /** A provider that logs every call and answers with `answer` (it never deduplicates). */
  function countingProvider(
    name: string,
    answer: (request: SendRequest) => Promise<SendOutcome> = async () => accepted,
  ) {
    const calls: SendRequest[] = [];
    const provider: Provider = {
      name,
      honoursKey: false,
      send: async (request) => {
        calls.push(request);
        return answer(request);
      },
      close: async () => {},
    };
    return { calls, provider };
  }

  function executorFor(
    executorOrm: Orm,
    provider: Provider,
    {
      onAmbiguous = 'hold',
      leaseMs = 60_000,
      maxResumes = 3,
      recordBatch = 500,
    }: Partial<{
      onAmbiguous: 'retry' | 'hold';
      leaseMs: number;
      maxResumes: number;
      recordBatch: number;
    }> = {},
    laneName = provider.name,
  ) {
    return createEffectExecutor({
      orm: executorOrm,
      lanes: new Map([[laneName, { provider, concurrency: 4, rateLimit: new TokenBucket(0), onAmbiguous }]]),
      logger: createLogger('effect-executor-test', 'silent'),
      metrics: createDispatcherMetrics(createMetricsRegistry('effect-executor-test')),
      claimBatch: 10,
      leaseMs,
      pollIntervalMs: 50,
      providerTimeoutMs: 1_000,
      maxResumes,
      recordBatch,
      recordConcurrency: 1,
      retry,
      eventsTopic: 't',
    });
  }

  /** The state a process that died during the call leaves: attempt 1 in flight, its call started, its lease over. */
  async function diedDuringTheCall(providerName: string, resumes = 0) {
    const command = await dispatched(providerName);
    await runSql(
      orm.em.fork(),
      `UPDATE effects SET state = 'in_flight', attempt = 1, resumes = $2, claim_token = gen_random_uuid(),
              attempt_started_at = now() - interval '2 minutes', call_started_at = now() - interval '2 minutes',
              due_at = now() - interval '1 minute'
        WHERE message_id = $1`,
      [command.messageId, resumes],
    );
    return command;
  }

  async function effectOf(messageId: string) {
    const { rows } = await runSql<{ state: string; attempt: number; resumes: number }>(
      orm.em.fork(),
      'SELECT state, attempt, resumes FROM effects WHERE message_id = $1',
      [messageId],
    );
    return rows[0];
  }

  describe('new effects of a provider whose older effects wait pending in the queue', () => {
    it('are not claimed at creation ahead of them: the handoff has room again only once a claim finds the queue drained', async () => {
      const lane = `fair-test-${Date.now()}`;
      const ids: string[] = [];
      for (let made = 0; made < 4; made += 1) ids.push((await dispatched(lane)).messageId);
      const calls: string[] = [];
      const returns = new Map<string, () => void>();
      const gated: Provider = {
        name: lane,
        honoursKey: true,
        send: async (request) => {
          calls.push(request.messageId);
          await new Promise<void>((resolve) => returns.set(request.messageId, resolve));
          return accepted;
        },
        close: async () => {},
      };
      const metrics = createDispatcherMetrics(createMetricsRegistry('fair-test'));
      const executorOrm = await openOrm({ databaseUrl, poolSize: 4 });
      const executor = createEffectExecutor({
        orm: executorOrm,
        lanes: new Map([
          [lane, { provider: gated, concurrency: 3, rateLimit: new TokenBucket(0), onAmbiguous: 'retry' }],
        ]),
        logger: createLogger('fair-test', 'silent'),
        metrics,
        claimBatch: 1,
        leaseMs: 60_000,
        // Only wake-ups: a slot freed by a returning call.
        pollIntervalMs: 60_000,
        providerTimeoutMs: 30_000,
        retry,
        eventsTopic: 't',
      });
      const inFlight = async () => (await metrics.effectsInFlight.get()).values[0]?.value;
      let unlock = () => {};
      let holder: Promise<void> = Promise.resolve();
      const returnAll = () => {
        for (const id of calls) returns.get(id)?.();
      };
      executor.start();
      try {
        // Three slots, four pending: the oldest three are called, the fourth waits in the queue.
        await eventually('three calls', () => calls.length === 3);
        // The claim loop's next claim is held up by a lock on the queue while two slots come free.
        const unlocked = new Promise<void>((resolve) => {
          unlock = resolve;
        });
        let locked = () => {};
        const lockHeld = new Promise<void>((resolve) => {
          locked = resolve;
        });
        holder = orm.em.fork().transactional(async (em) => {
          await runSql(em, 'LOCK TABLE effects IN EXCLUSIVE MODE');
          locked();
          await unlocked;
        });
        await lockHeld;
        returns.get(calls[0] ?? '')?.();
        returns.get(calls[1] ?? '')?.();
        await eventually('two slots free', async () => (await inFlight()) === 1);
        // A new effect would take a free slot ahead of the one waiting since before it.
        expect(executor.handoff.reserve(lane, 1)).toBe(0);
        unlock();
        await holder;
        await eventually('the waiting effect called', () => calls.length === 4);
        expect([...calls].sort()).toEqual([...ids].sort());
        returnAll();
        // The queue drained: new effects are claimed at creation again.
        await eventually('room for a new effect', () => executor.handoff.reserve(lane, 1) === 1);
        executor.handoff.cancel([{ provider: lane } as ClaimedEffect]);
      } finally {
        unlock();
        await holder;
        returnAll();
        await executor.stop(5_000);
        await executorOrm.close();
      }
    });
  });

  describe('new effects queued only because their provider was marked, while a claim was under way', () => {
    it('do not keep the mark up: that claim clears it when it finds the queue drained, and the next claim takes them', async () => {
      const lane = `steady-test-${Date.now()}`;
      const { executor, executorOrm } = await laneExecutor(lane, { claimBatch: 10 });
      let first: ReturnType<typeof lockEffects> | undefined;
      let second: ReturnType<typeof lockEffects> | undefined;
      executor.start();
      try {
        await roomAtCreation(executor, lane);
        // Locked before the claim that the mark below starts, so that claim waits.
        first = lockEffects(executorOrm);
        await first.locked;
        // An inbox transaction found no room and queued an effect: the provider is marked.
        executor.handoff.hand([], new Map(), new Set([lane]));
        expect(executor.handoff.reserve(lane, 1)).toBe(0);
        await blockedOn('WITH due AS');
        // While that claim waits, another transaction queues a new effect because of the mark,
        // with room to spare: what a steady inflow does during every claim.
        executor.handoff.hand([], new Map(), new Set([lane]));
        // Queued behind the claim for the same table: taken once that claim has committed.
        second = lockEffects(executorOrm);
        await blockedOn('LOCK TABLE effects');
        first.release();
        await second.locked;
        // The claim found nothing waiting: new effects are claimed at creation again. (Its answer
        // and the lock's reach this process by different connections: either may come first.)
        // Its next claim now waits for the second lock, so no later claim can be what clears it.
        await eventually(
          'room at creation again',
          () => {
            const granted = executor.handoff.reserve(lane, 1);
            if (granted > 0) executor.handoff.cancel([{ provider: lane } as ClaimedEffect]);
            return granted === 1;
          },
          3_000,
        );
        // The effects queued meanwhile are claimed all the same: a claim follows, now waiting for
        // the second lock, although no mark stands any more.
        await blockedOn('WITH due AS');
      } finally {
        first?.release();
        second?.release();
        await first?.done;
        await second?.done;
        await executor.stop(5_000);
        await executorOrm.close();
      }
    });
  });

  describe('an executor woken while nothing of its provider waits in the queue', () => {
    it('does not claim, so new effects keep their room to be claimed at creation', async () => {
      const lane = `idle-claim-test-${Date.now()}`;
      // As by default (EFFECT_CLAIM_BATCH 500 against 64 slots): a claim may take every free slot.
      const { executor, executorOrm } = await laneExecutor(lane, { claimBatch: 50 });
      let lock: ReturnType<typeof lockEffects> | undefined;
      executor.start();
      try {
        await roomAtCreation(executor, lane);
        // Locked after the claim at start (which must find the queue drained), before the wake-up.
        lock = lockEffects(executorOrm);
        await lock.locked;
        // What an inbox commit or a returning call does.
        executor.wake();
        await sleep(300);
        // A claim would now wait for the lock, holding every free slot while it waits.
        expect(await waitingOnLock('WITH due AS')).toBe(0);
        expect(executor.handoff.reserve(lane, 1)).toBe(1);
        executor.handoff.cancel([{ provider: lane } as ClaimedEffect]);
      } finally {
        lock?.release();
        await lock?.done;
        await executor.stop(5_000);
        await executorOrm.close();
      }
    });
  });

  describe('a retry the executor scheduled', () => {
    it('is claimed when it comes due, not at the next look at the queue', async () => {
      const lane = `retry-due-test-${Date.now()}`;
      await dispatched(lane);
      const calls: number[] = [];
      const failsOnce: Provider = {
        name: lane,
        honoursKey: true,
        send: async () => {
          calls.push(Date.now());
          return calls.length === 1 ? { status: 'failed', retryable: true, error: 'HTTP 503' } : accepted;
        },
        close: async () => {},
      };
      // The queue is looked at once at start, then not for a minute.
      const { executor, executorOrm } = await laneExecutor(lane, {
        claimBatch: 10,
        concurrency: 4,
        provider: failsOnce,
        retryPolicy: { baseDelayMs: 300, maxDelayMs: 300 },
      });
      executor.start();
      try {
        await eventually('the retry called', () => calls.length === 2, 10_000);
        const waited = (calls[1] ?? 0) - (calls[0] ?? 0);
        expect(waited).toBeGreaterThanOrEqual(100);
        expect(waited).toBeLessThan(5_000);
      } finally {
        await executor.stop(5_000);
        await executorOrm.close();
      }
    });
  });

  describe('a worker paused past its lease after claiming, while another took the effect over', () => {
    it('cannot start the call: only the current claim is allowed to, and its start is recorded first', async () => {
      const lane = `fence-test-${Date.now()}`;
      await dispatched(lane);
      const [paused] = await claimEffects(orm.em.fork(), { provider: lane, limit: 10, leaseMs: 100 });
      await sleep(200);
      const [current] = await claimEffects(orm.em.fork(), { provider: lane, limit: 10, leaseMs: 60_000 });
      if (!paused || !current) throw new Error('not claimed');
      // The call never started, so taking it over is not ambiguous: no resume counted.
      expect(current).toMatchObject({ id: paused.id, attempt: 1, resumed: false, resumes: 0 });
      expect(await startCalls(orm.em.fork(), [paused], 60_000)).toEqual(new Set());
      expect(await startCalls(orm.em.fork(), [current], 60_000)).toEqual(new Set([current.id]));
      const { rows } = await runSql<{ started: boolean }>(
        orm.em.fork(),
        'SELECT call_started_at IS NOT NULL AS started FROM effects WHERE id = $1',
        [current.id],
      );
      expect(rows).toEqual([{ started: true }]);
    });

    it('withdraws a recorded start it does not follow with a call, so the takeover is not ambiguous', async () => {
      const lane = `fence-withdraw-${Date.now()}`;
      await dispatched(lane);
      const [late] = await claimEffects(orm.em.fork(), { provider: lane, limit: 10, leaseMs: 60_000 });
      if (!late) throw new Error('not claimed');
      expect(await startCalls(orm.em.fork(), [late], 100)).toEqual(new Set([late.id]));
      // A stranger's token withdraws nothing; the claim's own does.
      const stranger = { id: late.id, claimToken: '00000000-0000-4000-8000-000000000000' };
      expect(await withdrawCallStart(orm.em.fork(), stranger)).toBe(false);
      expect(await withdrawCallStart(orm.em.fork(), late)).toBe(true);
      await sleep(200);
      const [next] = await claimEffects(orm.em.fork(), { provider: lane, limit: 10, leaseMs: 60_000 });
      // The call never went out: the same attempt again, not a resume (which would hold it).
      expect(next).toMatchObject({ id: late.id, attempt: 1, resumed: false, resumes: 0 });
    });

    it('cannot start the call when its lease ran out even if nobody took it over yet', async () => {
      const lane = `fence-lapsed-${Date.now()}`;
      await dispatched(lane);
      const [lapsed] = await claimEffects(orm.em.fork(), { provider: lane, limit: 10, leaseMs: 100 });
      if (!lapsed) throw new Error('not claimed');
      await sleep(200);
      expect(await startCalls(orm.em.fork(), [lapsed], 60_000)).toEqual(new Set());
    });
  });

  describe('an outcome that waits in the recording queue for longer than the lease', () => {
    it('is not called again by another executor: the lease of a live attempt is renewed while it waits', async () => {
      const lane = `renew-test-${Date.now()}`;
      const blocked = await dispatched(lane);
      const queued = await dispatched(lane);
      // `queued` answers a little later, so its outcome waits behind `blocked`'s recording transaction.
      const { calls, provider: counting } = countingProvider(lane, async (request) => {
        if (request.messageId === queued.messageId) await sleep(300);
        return accepted;
      });
      const ormA = await openOrm({ databaseUrl, poolSize: 3 });
      const ormB = await openOrm({ databaseUrl, poolSize: 3 });
      // A 3 s lease (renewed every second); one recording transaction at a time, one outcome each;
      // the first is held up for 9 s.
      const options = { leaseMs: 3_000, onAmbiguous: 'retry', recordBatch: 1 } as const;
      const first = executorFor(ormA, counting, options);
      const second = executorFor(ormB, counting, options);
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked = () => {};
      const lockHeld = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const holder = orm.em.fork().transactional(async (em) => {
        await runSql(em, 'SELECT id FROM messages WHERE id = $1 FOR UPDATE', [blocked.messageId]);
        locked();
        await released;
      });
      await lockHeld;
      try {
        first.start();
        await eventually('both called', async () => calls.length === 2);
        second.start();
        await sleep(9_000);
      } finally {
        release();
        await holder;
        await eventually(
          'both recorded',
          async () =>
            (await effectOf(blocked.messageId))?.state === 'succeeded' &&
            (await effectOf(queued.messageId))?.state === 'succeeded',
        );
        await Promise.all([first.stop(5_000), second.stop(5_000)]);
        await Promise.all([ormA.close(), ormB.close()]);
      }
      expect(calls.map((call) => call.messageId).sort()).toEqual(
        [blocked.messageId, queued.messageId].sort(),
      );
      expect(await effectOf(queued.messageId)).toMatchObject({ state: 'succeeded', attempt: 1, resumes: 0 });
    }, 60_000);
  });

  describe('an attempt whose process died during the call, for a provider that does not honour keys', () => {
    it('is held, not called again; the late answer of that attempt then settles it as sent', async () => {
      const lane = `hold-test-${Date.now()}`;
      const command = await diedDuringTheCall(lane);
      const { calls, provider: counting } = countingProvider(lane);
      const executor = executorFor(orm, counting, { onAmbiguous: 'hold' });
      executor.start();
      try {
        await eventually('held', async () => (await effectOf(command.messageId))?.state === 'held');
      } finally {
        await executor.stop(5_000);
      }
      expect(calls).toEqual([]);
      const events = await readStream(orm.em.fork(), command.messageId);
      expect(events.slice(2).map((event) => [event.type, event.data])).toEqual([
        ['MessageHeld', { provider: lane, attempt: 1, reason: expect.stringMatching(/under way/) }],
      ]);
      const { rows } = await runSql<{ status: string; outcome: string }>(
        orm.em.fork(),
        `SELECT m.status, a.outcome FROM messages m JOIN effect_attempts a ON a.effect_id = $2 WHERE m.id = $1`,
        [command.messageId, effectIdFor(command.messageId)],
      );
      expect(rows).toEqual([{ status: 'held', outcome: 'ambiguous' }]);

      // The dead attempt's answer arrives after all (a paused process that woke up): it settles the message.
      const late = {
        ...(await effectRowAsClaim(command.messageId)),
        claimToken: '00000000-0000-4000-8000-000000000000',
      };
      const recorded = await recordOutcomes(
        orm,
        [{ effect: late, outcome: accepted, finishedAt: new Date() }],
        {
          eventsTopic: 't',
          retry,
        },
      );
      expect(recorded).toHaveLength(1);
      expect((await readStream(orm.em.fork(), command.messageId)).at(-1)?.type).toBe('ProviderAccepted');
      expect(await effectOf(command.messageId)).toMatchObject({ state: 'succeeded' });
      const { rows: after } = await runSql<{ status: string; outcome: string }>(
        orm.em.fork(),
        `SELECT m.status, a.outcome FROM messages m JOIN effect_attempts a ON a.effect_id = $2 WHERE m.id = $1`,
        [command.messageId, effectIdFor(command.messageId)],
      );
      expect(after).toEqual([{ status: 'sent', outcome: 'accepted' }]);
    });

    it('is held when a live call timed out after sending (ambiguous), after one call', async () => {
      const lane = `hold-live-${Date.now()}`;
      const command = await dispatched(lane);
      const { calls, provider: counting } = countingProvider(lane, async () => ({
        status: 'failed',
        retryable: true,
        ambiguous: true,
        error: 'timed out after the request was written',
      }));
      const executor = executorFor(orm, counting, { onAmbiguous: 'hold' });
      executor.start();
      try {
        await eventually('held', async () => (await effectOf(command.messageId))?.state === 'held');
      } finally {
        await executor.stop(5_000);
      }
      expect(calls).toHaveLength(1);
      expect((await readStream(orm.em.fork(), command.messageId)).map((event) => event.type)).toEqual([
        'MessageAccepted',
        'DispatchRequested',
        'MessageHeld',
      ]);
    });
  });

  describe('an attempt whose call keeps killing its process, for a provider that honours keys', () => {
    it('is called again with the same key up to EFFECT_MAX_RESUMES times, then fails without another call', async () => {
      const lane = `cap-test-${Date.now()}`;
      const again = await diedDuringTheCall(lane, 1);
      const capped = await diedDuringTheCall(lane, 3);
      const { calls, provider: counting } = countingProvider(lane);
      const executor = executorFor(orm, counting, { onAmbiguous: 'retry', maxResumes: 3 });
      executor.start();
      try {
        await eventually(
          'both settled',
          async () =>
            ['succeeded', 'failed'].includes((await effectOf(capped.messageId))?.state ?? '') &&
            (await effectOf(again.messageId))?.state === 'succeeded',
        );
      } finally {
        await executor.stop(5_000);
      }
      expect(calls.map((call) => call.providerKey)).toEqual([again.messageId]);
      expect(await effectOf(again.messageId)).toMatchObject({ state: 'succeeded', resumes: 2 });
      expect(await effectOf(capped.messageId)).toMatchObject({ state: 'failed', resumes: 4 });
      const events = await readStream(orm.em.fork(), capped.messageId);
      expect(events.at(-1)).toMatchObject({
        type: 'MessageFailed',
        data: { reason: expect.stringMatching(/4 times \(EFFECT_MAX_RESUMES is 3\)/) },
      });
    });
  });

  describe('an outcome that can never be recorded (a stored request the send row refuses)', () => {
    /** A dispatched message whose stored request has no recipient: every recording transaction fails. */
    async function unrecordable(lane: string) {
      const command = await dispatched(lane);
      await runSql(orm.em.fork(), `UPDATE effects SET request = '{}' WHERE message_id = $1`, [
        command.messageId,
      ]);
      return command;
    }

    async function effectRow(messageId: string) {
      const { rows } = await runSql<{ state: string; attempt: number; last_error: string | null }>(
        orm.em.fork(),
        'SELECT state, attempt, last_error FROM effects WHERE message_id = $1',
        [messageId],
      );
      return rows[0];
    }

    /** Runs the log provider's executor (short leases) until the effect is held, then one lease more. */
    async function runUntilHeld(lane: string, messageId: string) {
      const folder = await mkdtemp(join(tmpdir(), 'exactly-log-'));
      const log = createLogProvider({ orm, file: join(folder, 'sends.log') });
      const executor = executorFor(orm, log, { onAmbiguous: 'retry', leaseMs: 300 }, lane);
      executor.start();
      try {
        await eventually('held', async () => (await effectRow(messageId))?.state === 'held');
        // Past its lease: a held effect is not claimed again.
        await sleep(900);
      } finally {
        await executor.stop(5_000);
        await log.close();
        await rm(folder, { recursive: true, force: true });
      }
    }

    async function removeEffect(messageId: string) {
      await runSql(orm.em.fork(), 'DELETE FROM effects WHERE message_id = $1', [messageId]);
    }

    it('is held with the reason, once, instead of being claimed and failing again at every lease', async () => {
      const lane = `unrecordable-${Date.now()}`;
      const command = await unrecordable(lane);
      try {
        await runUntilHeld(lane, command.messageId);
        expect(await effectRow(command.messageId)).toMatchObject({
          state: 'held',
          attempt: 1,
          last_error: expect.stringMatching(/could not be recorded.*null value/),
        });
        const events = await readStream(orm.em.fork(), command.messageId);
        expect(events.slice(2).map((event) => [event.type, event.data])).toEqual([
          [
            'MessageHeld',
            { provider: lane, attempt: 1, reason: expect.stringMatching(/could not be recorded/) },
          ],
        ]);
        const { rows } = await runSql(
          orm.em.fork(),
          'SELECT 1 FROM log_provider_sends WHERE provider_key = $1',
          [command.messageId],
        );
        expect(rows).toEqual([]);
      } finally {
        await removeEffect(command.messageId);
      }
    });

    it('is held alone, with the reason on the effect, when its message cannot be held either', async () => {
      const lane = `unholdable-${Date.now()}`;
      const command = await unrecordable(lane);
      const effectId = effectIdFor(command.messageId);
      const trigger = `refuse_${lane.replaceAll('-', '_')}`;
      // The hold's attempt row is refused too (a check violation, as a broken row would raise).
      await runSql(
        orm.em.fork(),
        `CREATE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'refused for the test' USING ERRCODE = 'check_violation'; END $$`,
      );
      await runSql(
        orm.em.fork(),
        `CREATE TRIGGER ${trigger} BEFORE INSERT ON effect_attempts FOR EACH ROW
           WHEN (NEW.effect_id = '${effectId}') EXECUTE FUNCTION ${trigger}()`,
      );
      try {
        await runUntilHeld(lane, command.messageId);
        expect(await effectRow(command.messageId)).toMatchObject({
          state: 'held',
          attempt: 1,
          last_error: expect.stringMatching(
            /could not be recorded.*null value.*nor held.*refused for the test/,
          ),
        });
        const events = await readStream(orm.em.fork(), command.messageId);
        expect(events.map((event) => event.type)).toEqual(['MessageAccepted', 'DispatchRequested']);
      } finally {
        await runSql(orm.em.fork(), `DROP TRIGGER ${trigger} ON effect_attempts`);
        await runSql(orm.em.fork(), `DROP FUNCTION ${trigger}()`);
        await removeEffect(command.messageId);
      }
    });
  });

  /** The effect's row as the claim that made its current attempt (for a late outcome). */
  async function effectRowAsClaim(messageId: string) {
    const { rows } = await runSql<{ id: string; account_id: string; provider: string; attempt: number }>(
      orm.em.fork(),
      'SELECT id, account_id, provider, attempt FROM effects WHERE message_id = $1',
      [messageId],
    );
    const row = rows[0];
    if (!row) throw new Error('no effect');
    return {
      id: row.id,
      messageId,
      accountId: row.account_id,
      provider: row.provider,
      providerKey: messageId,
      request: { channel: 'email', to: 'a@example.com', from: 'b@example.com', subject: 's', text: 't' },
      attempt: row.attempt,
      maxAttempts: 3,
      resumed: false,
      resumes: 0,
      createdAt: new Date(),
      attemptStartedAt: new Date(),
    } as const;
  }
});
