import { backoffDelay, errorMessage, isDeterministicFailure } from '@exactly/errors';
import type { Logger } from '@exactly/observability';
import type { Orm } from '@exactly/persistence';
import { delay } from '../delay.js';
import type { DispatcherMetrics } from '../dispatcherMetrics.js';
import type { ProviderLane } from '../providers/createProviders.js';
import {
  ambiguous,
  failure,
  type SendOutcome,
  type SendRequest,
  storableError,
} from '../providers/provider.js';
import { Wakeup } from '../wakeup.js';
import {
  type ClaimedEffect,
  claimEffects,
  type HeldClaim,
  holdEffectAlone,
  renewLeases,
  startCalls,
  withdrawCallStart,
} from './claimEffects.js';
import type { EffectHandoff } from './effectHandoff.js';
import { inEffectSpan, inProviderCallSpan, loadEffectTraces, traceEffect } from './effectSpans.js';
import { type AttemptOutcome, type RecordedOutcome, recordOutcomes } from './recordOutcomes.js';
import type { RetryPolicy } from './retryDelay.js';

export interface EffectExecutorOptions {
  orm: Orm;
  /**
   * The providers this process calls, by name, each with its concurrency (provider calls in
   * progress) and rate limit. Effects of other providers are left to processes that have them.
   */
  lanes: ReadonlyMap<string, ProviderLane>;
  logger: Logger;
  metrics: DispatcherMetrics;
  claimBatch: number;
  leaseMs: number;
  pollIntervalMs: number;
  providerTimeoutMs: number;
  /** Times an ambiguous attempt is called again under the retry policy before the message fails (default 3). */
  maxResumes?: number;
  retry: RetryPolicy;
  eventsTopic: string;
  /** Outcomes per recording transaction at most (default 500). */
  recordBatch?: number;
  /** Recording transactions at once at most (default 4). */
  recordConcurrency?: number;
  /** Called after outcomes (and their outbox rows) committed. */
  onRecorded?: () => void;
}

export interface EffectExecutor {
  start(): void;
  /** Something changed: look again now rather than at the next poll (claims only if effects may wait). */
  wake(): void;
  /** For the inbox stage: new effects claimed at creation and handed over in memory. */
  readonly handoff: EffectHandoff;
  /** Stops claiming, lets calls in flight finish and record (up to `graceMs`), then returns. */
  stop(graceMs?: number): Promise<void>;
}

interface Waiting {
  item: AttemptOutcome;
  done: () => void;
}

/**
 * Works the durable effect queue off the consumer's path: claims due effects, calls the providers
 * with bounded concurrency and per-provider rate limits, and records outcomes in batched
 * transactions. Each call is preceded by a committed, fenced record that it starts
 * (`startCalls`): a claim whose lease ran out (a slow queue, a pause) never calls. Leases of
 * everything held are renewed while it waits (rate limit, call, recording queue), so only a dead or
 * stalled process's attempts are taken over. One taken over after its call started is ambiguous:
 * under the provider's `hold` policy the message is held, under `retry` it is called again with
 * the same key, at most `maxResumes` times.
 */
export function createEffectExecutor(options: EffectExecutorOptions): EffectExecutor {
  const { orm, lanes, logger, metrics, claimBatch, leaseMs } = options;
  const maxResumes = options.maxResumes ?? 3;
  const recordBatch = options.recordBatch ?? 500;
  const recordConcurrency = options.recordConcurrency ?? 4;
  // Woken by new work (the consumer) and by freed slots.
  const wakeup = new Wakeup();
  const stopping = new AbortController();
  let running = false;
  let loopDone: Promise<void> = Promise.resolve();
  const inFlight = new Map<string, number>([...lanes.keys()].map((name) => [name, 0]));
  // Room promised to inbox transactions for effects they create claimed (see `handoff`), and to
  // claims under way.
  const reserved = new Map<string, number>([...lanes.keys()].map((name) => [name, 0]));
  // Providers whose pending effects may be waiting in the queue: created pending for want of room,
  // come due (retries, expired leases) or queued by another process. The handoff claims nothing
  // of theirs at creation until a claim finds the queue drained, so waiting effects go first.
  const queueMayWait = new Set<string>(lanes.keys());
  // Moves whenever a provider is marked: a claim that began before cannot clear the mark.
  let queueMarks = 0;
  // Providers with effects queued since their last claim began: a claim that begins now sees them
  // (they committed before they were handed over), whether or not a mark still stands.
  const claimWanted = new Set<string>();
  let lastSweep = performance.now();
  let totalInFlight = 0;
  let allDone: (() => void) | undefined;

  // Every effect this process holds a claim on and has not recorded: its lease is renewed.
  const held = new Map<string, string>();
  let renewTimer: NodeJS.Timeout | undefined;
  // Calls about to start, waiting for their fenced write-ahead record (one statement per tick).
  let starting: { claim: HeldClaim; allowed: (issuedAt: number | undefined) => void }[] = [];

  const waiting: Waiting[] = [];
  const drains = new Set<Promise<void>>();
  // Outcomes returned by providers and not yet recorded. A provider slot is free as soon as its
  // call returns (a call never waits for a recording transaction), so this bounds what may queue
  // up behind a slow database instead.
  const maxUnrecorded = recordBatch * recordConcurrency;

  function record(item: AttemptOutcome): Promise<void> {
    return new Promise((done) => {
      waiting.push({ item, done });
      if (drains.size < recordConcurrency) {
        const drain = drainOutcomes();
        drains.add(drain);
        void drain.finally(() => drains.delete(drain));
      }
    });
  }

  // Up to `recordConcurrency` recording transactions at once, each taking what has queued up.
  // A drain finds the queue empty and ends in one synchronous step, so an outcome pushed at any
  // instant is either taken by a running drain or starts a new one.
  async function drainOutcomes(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    while (waiting.length > 0) {
      const batch = waiting.splice(0, recordBatch);
      await recordWithRetries(batch.map((entry) => entry.item));
      for (const entry of batch) {
        release(entry.item.effect);
        entry.done();
      }
      wakeup.notify();
    }
  }

  async function recordWithRetries(outcomes: AttemptOutcome[]): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      let recorded: RecordedOutcome[];
      try {
        recorded = await recordOutcomes(orm, outcomes, {
          eventsTopic: options.eventsTopic,
          retry: options.retry,
        });
      } catch (error) {
        if (isDeterministicFailure(error) && outcomes.length > 1) {
          // One outcome may fail the batch every time: record them one by one, so the others get
          // through.
          logger.warn({ err: error, outcomes: outcomes.length }, 'recording a batch failed; one by one');
          for (const outcome of outcomes) await recordWithRetries([outcome]);
          return;
        }
        if (isDeterministicFailure(error)) {
          // Recovery would claim it again and fail the same way at every lease, for ever.
          await holdUnrecordable(outcomes[0] as AttemptOutcome, error);
          return;
        }
        if (!running && attempt >= 3) {
          // Given up: the attempt stays in flight and recovery resumes it with the same key once
          // its lease ends (the provider then answers with a replay).
          logger.error(
            { err: error, outcomes: outcomes.length },
            'could not record outcomes; leaving them to recovery',
          );
          return;
        }
        logger.warn({ err: error, attempt }, 'recording outcomes failed; trying again');
        await delay(backoffDelay(attempt, { initialDelayMs: 100, maxDelayMs: 5_000, jitter: 'equal' }));
        continue;
      }
      observe(recorded, outcomes.length);
      for (const item of recorded) if (item.decision === 'retry_scheduled') lookWhenDue(item);
      options.onRecorded?.();
      return;
    }
  }

  /**
   * An outcome whose recording fails the same way every time (a stored row the transaction
   * refuses) is held for the operator, who can see the reason: the provider may have taken the
   * call, and the message must not be called again by recovery. Where even the hold cannot be
   * recorded, the effect alone is held, with both reasons on it.
   */
  async function holdUnrecordable(item: AttemptOutcome, error: unknown): Promise<void> {
    const { effect } = item;
    const reason = `its outcome could not be recorded: ${errorMessage(error)}`;
    const context = { effectId: effect.id, messageId: effect.messageId, attempt: effect.attempt };
    const hold: AttemptOutcome = {
      effect,
      outcome: ambiguous(reason),
      finishedAt: new Date(),
      onAmbiguous: 'hold',
    };
    try {
      observe(
        await recordOutcomes(orm, [hold], { eventsTopic: options.eventsTopic, retry: options.retry }),
        1,
      );
      logger.error(
        { ...context, err: error },
        'could not record an outcome; the message is held for the operator',
      );
      return;
    } catch (holdError) {
      if (!isDeterministicFailure(holdError)) {
        // Recovery takes the attempt again once its lease ends, and this runs again.
        logger.error(
          { ...context, err: holdError },
          'could not record an outcome, and holding its message failed for now; leaving it to recovery',
        );
        return;
      }
      const both = `${reason}; nor held: ${errorMessage(holdError)}`;
      try {
        const heldAlone = await holdEffectAlone(
          orm.em.fork(),
          { id: effect.id, claimToken: effect.claimToken },
          storableError(both),
        );
        if (heldAlone) metrics.effectOutcomes.inc({ provider: effect.provider, outcome: 'held' });
        logger.error(
          { ...context, err: holdError, reason: both },
          heldAlone
            ? 'could not record an outcome nor hold its message; the effect alone is held'
            : 'could not record an outcome nor hold its message; its claim was taken over meanwhile',
        );
      } catch (lastError) {
        // The attempt stays in flight; recovery takes it again once its lease ends.
        logger.error(
          { ...context, err: lastError, reason: both },
          'could not hold an effect whose outcome cannot be recorded',
        );
      }
    }
  }

  function observe(recorded: readonly RecordedOutcome[], submitted: number) {
    if (recorded.length < submitted) metrics.staleOutcomes.inc(submitted - recorded.length);
    for (const { effect, outcome, decision, finishedAt } of recorded) {
      const label =
        decision === 'accepted' && outcome.status === 'accepted' && outcome.replayed ? 'replayed' : decision;
      metrics.effectOutcomes.inc({ provider: effect.provider, outcome: label });
      if (decision !== 'retry_scheduled') {
        metrics.effectLatencySeconds.observe(
          { provider: effect.provider },
          (finishedAt.getTime() - effect.createdAt.getTime()) / 1_000,
        );
      }
    }
  }

  function release(effect: ClaimedEffect) {
    if (held.get(effect.id) === effect.claimToken) held.delete(effect.id);
  }

  /**
   * Resolves when the call may start (its start recorded and committed under a live claim) with
   * when that record was asked for, which starts the renewed lease; undefined when it may not.
   */
  function startCall(effect: ClaimedEffect): Promise<number | undefined> {
    return new Promise((allowed) => {
      starting.push({ claim: { id: effect.id, claimToken: effect.claimToken }, allowed });
      if (starting.length === 1) setImmediate(() => void flushStarts());
    });
  }

  async function flushStarts() {
    const batch = starting;
    starting = [];
    const issuedAt = performance.now();
    let allowed = new Set<string>();
    try {
      allowed = await startCalls(
        orm.em.fork(),
        batch.map((entry) => entry.claim),
        leaseMs,
      );
    } catch (error) {
      // Not recorded, so not called: the lease runs out and the attempt is taken over as unstarted.
      logger.warn({ err: error, calls: batch.length }, 'recording calls as started failed; not calling');
    }
    for (const entry of batch) entry.allowed(allowed.has(entry.claim.id) ? issuedAt : undefined);
  }

  async function renew() {
    const claims = [...held].map(([id, claimToken]) => ({ id, claimToken }));
    try {
      await renewLeases(orm.em.fork(), claims, leaseMs);
    } catch (error) {
      logger.warn({ err: error, claims: claims.length }, 'renewing leases failed');
    }
  }

  /** The attempt's outcome, or undefined when its claim no longer allows a call (nothing to record). */
  async function call(effect: ClaimedEffect, lane: ProviderLane): Promise<AttemptOutcome | undefined> {
    const wait = lane.rateLimit.reserve();
    if (wait > 0) await delay(wait);
    const sendsWithOutcome = lane.provider.withOutcome;
    if (sendsWithOutcome !== undefined) {
      // The send is made by the transaction that records it, fenced by the claim token there: no
      // write-ahead record, and no unknown outcome (a crash before that commit sent nothing).
      return {
        effect,
        outcome: { status: 'accepted', replayed: false, providerMessageId: effect.providerKey },
        finishedAt: new Date(),
        onAmbiguous: lane.onAmbiguous,
        sendWithOutcome: { via: sendsWithOutcome, request: sendRequest(effect) },
      };
    }
    const startedAt = await startCall(effect);
    // A process paused between the record and the call must not call once its lease may be over
    // (the call itself can take up to the provider timeout).
    if (startedAt === undefined || performance.now() - startedAt > leaseMs - options.providerTimeoutMs) {
      metrics.callsFenced.inc({ provider: effect.provider });
      logger.warn(
        { effectId: effect.id, messageId: effect.messageId, attempt: effect.attempt },
        'claim lost before the call started (lease over or taken over); not calling',
      );
      // The start was recorded but no call goes out: say so, or the next claim would hold it.
      if (startedAt !== undefined) {
        await withdrawCallStart(orm.em.fork(), { id: effect.id, claimToken: effect.claimToken }).catch(
          (error: unknown) =>
            logger.warn({ err: error, effectId: effect.id }, 'withdrawing the call start failed'),
        );
      }
      release(effect);
      return undefined;
    }
    const started = performance.now();
    const timeout = AbortSignal.timeout(options.providerTimeoutMs);
    let outcome: SendOutcome;
    try {
      outcome = await inProviderCallSpan(effect.provider, () =>
        lane.provider.send(sendRequest(effect), timeout),
      );
    } catch (error) {
      outcome = timeout.aborted ? ambiguous(error) : failure(error, true);
    }
    // SMTP cannot be asked whether a timed-out send arrived: under `retry` the next attempt may deliver it again.
    if (
      effect.provider === 'smtp' &&
      outcome.status === 'failed' &&
      outcome.ambiguous &&
      lane.onAmbiguous === 'retry'
    ) {
      metrics.smtpPossibleRepeatSends.inc();
    }
    metrics.providerCallSeconds.observe({ provider: effect.provider }, (performance.now() - started) / 1_000);
    return { effect, outcome, finishedAt: new Date(), onAmbiguous: lane.onAmbiguous };
  }

  /**
   * An attempt taken over after its call started: the provider may have taken it. Under `hold` it
   * is recorded as held without a call; under `retry` it is called again, up to `maxResumes`
   * times, then the message fails (the call seems to kill its process).
   */
  function settleAmbiguous(effect: ClaimedEffect, lane: ProviderLane): AttemptOutcome | undefined {
    const reason = 'the call was under way when its process stopped (died or stalled past its lease)';
    if (lane.onAmbiguous === 'hold') {
      return { effect, outcome: ambiguous(reason), finishedAt: new Date(), onAmbiguous: 'hold' };
    }
    if (effect.resumes > maxResumes) {
      return {
        effect,
        outcome: failure(`${reason} ${effect.resumes} times (EFFECT_MAX_RESUMES is ${maxResumes})`, false),
        finishedAt: new Date(),
        onAmbiguous: 'retry',
      };
    }
    return undefined;
  }

  function launch(effect: ClaimedEffect, lane: ProviderLane) {
    const name = effect.provider;
    inFlight.set(name, (inFlight.get(name) ?? 0) + 1);
    totalInFlight += 1;
    metrics.effectsInFlight.set(totalInFlight);
    held.set(effect.id, effect.claimToken);
    let settled: AttemptOutcome | undefined;
    if (effect.resumed) {
      settled = settleAmbiguous(effect, lane);
      if (settled === undefined) {
        metrics.effectResumes.inc({ provider: name });
        if (name === 'smtp') metrics.smtpPossibleRepeatSends.inc();
      }
      logger.warn(
        { effectId: effect.id, messageId: effect.messageId, attempt: effect.attempt, provider: name },
        settled === undefined
          ? 'calling again an attempt whose outcome is unknown (same provider key)'
          : 'not calling again an attempt whose outcome is unknown',
      );
    }
    void (settled === undefined ? inEffectSpan(effect, () => call(effect, lane)) : Promise.resolve(settled))
      // Queued for recording (a drain now holds it, which stop() waits for) before the slot is freed.
      .then((outcome) => {
        if (outcome !== undefined) void record(outcome);
      })
      .catch((error: unknown) => {
        // Never expected (call() turns provider errors into outcomes); recovery takes the attempt over.
        release(effect);
        logger.error({ err: error, effectId: effect.id }, 'provider call crashed; leaving it to recovery');
      })
      .finally(() => {
        inFlight.set(name, (inFlight.get(name) ?? 1) - 1);
        totalInFlight -= 1;
        metrics.effectsInFlight.set(totalInFlight);
        wakeup.notify();
        if (totalInFlight === 0) allDone?.();
      });
  }

  /** How many effects a claim for this provider would take now (0: it would not claim). */
  function claimRoom(name: string, lane: ProviderLane): number {
    if (waiting.length >= maxUnrecorded) return 0;
    const free = lane.concurrency - (inFlight.get(name) ?? 0) - (reserved.get(name) ?? 0);
    // Claim again only when a fair share of the slots is free: fewer, larger claims.
    if (free < Math.max(1, Math.floor(Math.min(claimBatch, lane.concurrency) / 4))) return 0;
    return Math.max(0, Math.min(free, claimBatch, lane.rateLimit.availableWithin(leaseMs / 4)));
  }

  /**
   * Claims for one provider if effects of it may wait in the queue (marked, or queued since its
   * last claim began) and it has room; returns how many it claimed. Not otherwise: a claim holds
   * every free slot until it returns, so a claim on every wake-up (each commit, each call that
   * returns) left new effects no room to be claimed at creation. At 500 commands/s (stageCosts,
   * 2026-12-07) 47% of them were queued so and taken by a claim; claiming only so, 12%.
   */
  async function claimFor(name: string, lane: ProviderLane): Promise<number> {
    if (!queueMayWait.has(name) && !claimWanted.has(name)) return 0;
    const limit = claimRoom(name, lane);
    if (limit <= 0) return 0;
    claimWanted.delete(name);
    const marks = queueMarks;
    let claimed: ClaimedEffect[];
    reserved.set(name, (reserved.get(name) ?? 0) + limit);
    try {
      claimed = await claimEffects(orm.em.fork(), { provider: name, limit, leaseMs });
    } catch (error) {
      claimWanted.add(name);
      throw error;
    } finally {
      reserved.set(name, (reserved.get(name) ?? limit) - limit);
    }
    // A full claim may have left more behind; one that was not found the queue drained.
    if (claimed.length >= limit) claimWanted.add(name);
    else if (marks === queueMarks) queueMayWait.delete(name);
    await loadEffectTraces(orm.em.fork(), claimed, logger);
    for (const effect of claimed) launch(effect, lane);
    return claimed.length;
  }

  async function loop() {
    let failures = 0;
    while (running) {
      if (performance.now() - lastSweep >= options.pollIntervalMs) {
        // Retries come due and leases run out without a wake-up: look at the queue first.
        lastSweep = performance.now();
        for (const name of lanes.keys()) markQueued(name);
      }
      let claimed = 0;
      for (const [name, lane] of lanes) {
        if (!running) break;
        try {
          claimed += await claimFor(name, lane);
          failures = 0;
        } catch (error) {
          failures += 1;
          logger.warn({ err: error, provider: name }, 'claiming effects failed; trying again');
          await delay(
            backoffDelay(failures, { initialDelayMs: 100, maxDelayMs: 10_000, jitter: 'equal' }),
            stopping.signal,
          );
        }
      }
      if (claimed === 0) await wakeup.wait(options.pollIntervalMs);
    }
  }

  // A retry this process scheduled is claimed when it comes due, not at the next sweep.
  const retryTimers = new Set<NodeJS.Timeout>();
  function lookWhenDue({ effect, delayMs }: RecordedOutcome) {
    const timer = setTimeout(() => {
      retryTimers.delete(timer);
      markQueued(effect.provider);
      wakeup.notify();
    }, delayMs);
    timer.unref();
    retryTimers.add(timer);
  }

  function markQueued(provider: string) {
    queueMayWait.add(provider);
    queueMarks += 1;
  }

  const handoff: EffectHandoff = {
    leaseMs,
    reserve(provider, wanted) {
      const lane = lanes.get(provider);
      if (!running || lane === undefined || waiting.length >= maxUnrecorded) return 0;
      if (queueMayWait.has(provider)) return 0;
      const taken = reserved.get(provider) ?? 0;
      const free = lane.concurrency - (inFlight.get(provider) ?? 0) - taken;
      const granted = Math.max(
        0,
        Math.min(wanted, free, lane.rateLimit.availableWithin(leaseMs / 4) - taken),
      );
      reserved.set(provider, taken + granted);
      return granted;
    },
    cancel(effects) {
      for (const effect of effects) reserved.set(effect.provider, (reserved.get(effect.provider) ?? 1) - 1);
    },
    hand(effects, traceparents, queued) {
      handoff.cancel(effects);
      // Effects queued while their provider has no room for a claim: mark, so that new effects
      // wait behind them. Queued while it was marked and has room: the claim this wakes takes
      // them at once (`claimWanted`, even if a claim under way clears the mark), so they need no
      // new mark, which would keep a claim under way from clearing the one that stands; under a
      // steady inflow every claim met such a mark, and after each sweep (EFFECT_POLL_INTERVAL)
      // new effects kept queueing for no want of room.
      for (const provider of queued) {
        claimWanted.add(provider);
        const lane = lanes.get(provider);
        if (!queueMayWait.has(provider) || lane === undefined || claimRoom(provider, lane) === 0) {
          markQueued(provider);
        }
      }
      if (queued.size > 0) wakeup.notify();
      for (const effect of effects) {
        const lane = lanes.get(effect.provider);
        // Stopping: the lease runs out and the attempt is taken over as not started, same key.
        if (!running || lane === undefined) continue;
        traceEffect(effect, traceparents.get(effect.messageId));
        launch(effect, lane);
      }
    },
  };

  return {
    handoff,
    start() {
      if (running) return;
      running = true;
      renewTimer = setInterval(() => void renew(), Math.max(50, Math.floor(leaseMs / 3)));
      loopDone = loop();
    },
    wake() {
      wakeup.notify();
    },
    async stop(graceMs = 10_000) {
      running = false;
      stopping.abort();
      for (const timer of retryTimers) clearTimeout(timer);
      retryTimers.clear();
      wakeup.notify();
      await loopDone;
      if (totalInFlight > 0) {
        const finished = new Promise<void>((resolve) => {
          allDone = resolve;
        });
        await Promise.race([finished, delay(graceMs)]);
      }
      await Promise.all(drains);
      clearInterval(renewTimer);
    },
  };
}

function sendRequest(effect: ClaimedEffect): SendRequest {
  return {
    providerKey: effect.providerKey,
    messageId: effect.messageId,
    accountId: effect.accountId,
    attempt: effect.attempt,
    message: effect.request,
  };
}
