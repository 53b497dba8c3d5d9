import { setTimeout as sleep } from 'node:timers/promises';
import { ExactlyError } from '@exactly/errors';
import { inTransaction, type Orm, runStatements, type SqlStatement } from '@exactly/persistence';
import type { IdempotencyProfile } from './idempotencyProfiles.js';
import {
  deleteExpiredRecords,
  type EntityManager,
  findLiveRecords,
  type LiveRecord,
  lockAndInsertRecords,
  lockInsertAndWrite,
  lookUpRecords,
  type NewRecord,
  type RecordWrite,
  type StoredReply,
  scopesInProgress,
  WriteRefusedError,
  waitForScopeLock,
} from './idempotencyRecords.js';
import { NaturalBatcher } from './naturalBatcher.js';
import { ReplayCache } from './replayCache.js';
import { advisoryLockKey, type KeyScope, scopeKeyOf } from './scopeKey.js';

/** What executing a request writes and answers, computed before its transaction. */
export interface PreparedExecution<Effect> {
  /** The reply stored with the key and sent now and on every replay. */
  reply: StoredReply;
  /** The ids of what the effect creates, shown by the key's state. */
  resourceIds: string[];
  effect: Effect;
}

/** One request to execute at most once per key. */
export interface ExecutionRequest<Effect> {
  /** Who sent which key where; undefined when the request carries no key (it runs unprotected). */
  scope: KeyScope | undefined;
  fingerprint: Buffer;
  requestId: string;
  /**
   * Builds the effect and the reply: called at most once, and never for a replay. `acceptedAt` is
   * the database's clock when the key was looked up (the stored record's creation time, replayed
   * as Original-Request-Time); without a key, this process's clock. It may read (a template to
   * render, say); what it throws reaches the client and nothing is stored for the key.
   */
  prepare: (acceptedAt: Date) => PreparedExecution<Effect> | Promise<PreparedExecution<Effect>>;
}

export type IdempotencyOutcome =
  | { kind: 'executed'; reply: StoredReply }
  | { kind: 'replayed'; reply: StoredReply; originalRequestId: string; originalRequestAt: Date }
  | { kind: 'mismatch'; status: number }
  | { kind: 'in_flight'; retryAfterSeconds: number };

export interface KeyState {
  state: 'in_progress' | 'completed' | 'unknown';
  resourceIds: string[];
  /** Only when one record answers for the key: records of several endpoints are told apart in `endpoints`. */
  createdAt?: Date;
  expiresAt?: Date;
  /** When the key has records at several endpoints (a per-endpoint profile): its state at each. */
  endpoints?: EndpointKeyState[];
}

export interface EndpointKeyState {
  method: string;
  route: string;
  state: KeyState['state'];
  resourceIds: string[];
  createdAt?: Date;
  expiresAt?: Date;
}

export interface IdempotencyEngineOptions<Effect> {
  orm: Orm;
  /**
   * The pool the key look-ups run on (default `orm`). One opened with `lookupSessionSettings`
   * plans the look-up once per connection instead of on every call.
   */
  lookupOrm?: Orm;
  /**
   * The pool the write batches run on (default `orm`). One opened with `writeSessionSettings`
   * keeps the plan of a batch's one statement instead of planning it on every batch.
   */
  writeOrm?: Orm;
  profile: IdempotencyProfile;
  /** Writes the effects of the requests that execute, inside their shared transaction (multi-row). */
  writeEffects: (em: EntityManager, effects: Effect[]) => Promise<void>;
  /**
   * The effects' writes as independent statements (see `runStatements` in @exactly/persistence),
   * or undefined when they need more than one round trip. With them a batch is written in one
   * statement with its records (`lockInsertAndWrite`); without them, or when that statement is
   * refused, in a transaction of its own with `writeEffects`. Both must write the same rows.
   */
  effectStatements?: (effects: Effect[]) => SqlStatement[] | undefined;
  /**
   * Which of these effects are already written (read after a batch failed, whose COMMIT may have
   * happened with its acknowledgement lost). A request without a key has no record to prove it
   * ran: its effect is the proof, so one found here is answered as executed, never written again.
   */
  findWrittenEffects: (em: EntityManager, effects: Effect[]) => Promise<boolean[]>;
  /** Called after each transaction that executed something committed (to wake a relay, say). */
  afterCommit?: () => void;
  /** The longest a write transaction may live; a frozen owner's transaction ends then. */
  leaseMs: number;
  /** How long a retry waits for an in-flight first request (profiles that wait) before a 409. */
  waitTimeoutMs: number;
  /** Requests written in one transaction at most (default 256). */
  maxBatchSize?: number;
  /** Write transactions at once (default 2); more requests queue and leave together. */
  writeConcurrency?: number;
  /**
   * How long a write batch smaller than `maxBatchSize` may wait for more requests while they come
   * steadily (default 0: never); see `NaturalBatcher`'s `lingerMs`.
   */
  writeLingerMs?: number;
  /** Connections at most that block waiting for another owner's key (default 2); others poll. */
  maxLockWaiters?: number;
  /** Live records kept in memory for replays without a database read (default 10,000; 0: none). */
  replayCacheSize?: number;
  /** Bytes at most that the replay cache holds, by an upper bound (default 32 MiB; 0: no cache). */
  replayCacheBytes?: number;
  onBatch?: (size: number, seconds: number) => void;
}

export interface IdempotencyEngine<Effect> {
  readonly profile: IdempotencyProfile;
  /** Executes the request once per key and answers every retry with the first reply. */
  execute(request: ExecutionRequest<Effect>): Promise<IdempotencyOutcome>;
  /** What a client can learn about its key without retrying blind. */
  keyState(
    owner: { accountId: string; apiKeyId: string },
    key: string,
    endpoints: readonly { method: string; route: string }[],
  ): Promise<KeyState>;
  /** Deletes expired records in batches of `batchSize`, at most `maxBatches` of them; returns how many. */
  deleteExpired(options: { batchSize: number; maxBatches: number }): Promise<number>;
  /** Runs `deleteExpired` every `intervalMs` until `close`. */
  startCleanup(options: {
    intervalMs: number;
    batchSize: number;
    maxBatches: number;
    onDeleted?: (count: number) => void;
    onError?: (error: unknown) => void;
  }): void;
  /** The replay cache's entries and the upper bound of their bytes (for metrics). */
  replayCacheSize(): { entries: number; bytes: number };
  /** Stops the cleanup and waits for queued writes to finish. */
  close(): Promise<void>;
}

interface WriteItem<Effect> {
  request: ExecutionRequest<Effect>;
  prepared: PreparedExecution<Effect>;
  acceptedAt: Date;
  scopeKey?: string;
  lockKey?: string;
}

type WriteResult = RecordWrite | { kind: 'failed'; error: unknown };

/**
 * The request of a key that runs in this process; others with the key follow it. `found`
 * settles after its first look-up: true when the key's record already existed (it replays),
 * false when it goes on to execute.
 */
interface Leader {
  settled: Promise<Settled>;
  found: Promise<boolean>;
}

/** What a finished attempt leaves for requests that waited on it in this process. */
interface Settled {
  outcome: IdempotencyOutcome;
  record?: { fingerprint: Buffer; reply: StoredReply; requestId: string; createdAt: Date };
}

/** The result of a request without a key (no record to write) whose effect was written at `at`. */
const writtenWithoutRecord = (at: Date): WriteResult => ({ kind: 'written', createdAt: at, remainingMs: 0 });

/**
 * The idempotency engine. Per key: a request looks the key up (batched); when no live record
 * exists it joins a write batch, whose one transaction takes each key's advisory lock without
 * waiting, inserts the records with their replies and writes every effect, then commits. A key
 * whose lock another transaction holds is in flight: the request answers 409 or waits for the
 * lock and looks again, as the profile says. In one process, requests with one key never run
 * side by side (they follow the first one and reuse its record).
 */
export function createIdempotencyEngine<Effect>(
  options: IdempotencyEngineOptions<Effect>,
): IdempotencyEngine<Effect> {
  const { orm, profile } = options;
  const lookupOrm = options.lookupOrm ?? orm;
  const writeOrm = options.writeOrm ?? orm;
  const inflight = new Map<string, Leader>();
  let activeLockWaiters = 0;
  const replayCache = new ReplayCache({
    maxEntries: options.replayCacheSize ?? 10_000,
    maxBytes: options.replayCacheBytes ?? 32 * 1024 * 1024,
  });
  // Expired entries leave within a second, whether or not they are read again.
  const evictionTimer = setInterval(() => replayCache.evictExpired(), 1_000);
  evictionTimer.unref();
  let cleanupTimer: NodeJS.Timeout | undefined;
  let cleanupRun: Promise<unknown> = Promise.resolve();

  const lookups = new NaturalBatcher<string, { record: LiveRecord | undefined; at: Date }>({
    maxBatchSize: 500,
    maxConcurrent: 4,
    run: async (scopeKeys) => {
      const { found, at } = await lookUpRecords(lookupOrm.em.fork(), [...new Set(scopeKeys)]);
      for (const record of found.values()) replayCache.set(record, record.remainingMs);
      return scopeKeys.map((scopeKey) => ({ record: found.get(scopeKey), at }));
    },
  });

  const writes = new NaturalBatcher<WriteItem<Effect>, WriteResult>({
    maxBatchSize: options.maxBatchSize ?? 256,
    maxConcurrent: options.writeConcurrency ?? 2,
    lingerMs: options.writeLingerMs ?? 0,
    run: async (items) => {
      try {
        return await writeTogether(items);
      } catch (error) {
        if (items.length === 1) return [{ kind: 'failed', error }];
        // One item's fault, or a commit whose outcome is unknown: each item again on its own, a
        // few at a time. Safe: a key already committed is found by its record, and a request
        // without a key by its effect; neither is written twice.
        const written = await writtenWithoutKey(items).catch(() => undefined);
        if (written === undefined) return items.map(() => ({ kind: 'failed', error }));
        const results: WriteResult[] = [];
        for (let start = 0; start < items.length; start += 4) {
          const alone = items.slice(start, start + 4).map((item) =>
            written.has(item)
              ? Promise.resolve<WriteResult>({ kind: 'written', createdAt: item.acceptedAt, remainingMs: 0 })
              : writeTogether([item]).then(
                  (result) => result[0] as WriteResult,
                  (itemError: unknown): WriteResult => ({ kind: 'failed', error: itemError }),
                ),
          );
          results.push(...(await Promise.all(alone)));
        }
        return results;
      }
    },
  });

  /** The items without a key whose effect a failed batch wrote after all (its COMMIT's answer was lost). */
  async function writtenWithoutKey(items: WriteItem<Effect>[]): Promise<Set<WriteItem<Effect>>> {
    const keyless = items.filter((item) => item.lockKey === undefined);
    if (keyless.length === 0) return new Set();
    const found = await options.findWrittenEffects(
      orm.em.fork(),
      keyless.map((item) => item.prepared.effect),
    );
    return new Set(keyless.filter((_, index) => found[index] === true));
  }

  async function writeTogether(items: WriteItem<Effect>[]): Promise<WriteResult[]> {
    const started = performance.now();
    // Keys in a fixed (sorted) order: every batch takes its locks in the same order.
    const keyed = items
      .filter((item) => item.lockKey !== undefined)
      .sort((a, b) => compareLockKeys(a.lockKey as string, b.lockKey as string));
    const statements = options.effectStatements?.(items.map((item) => item.prepared.effect));
    const results =
      (statements === undefined ? undefined : await writeInOneStatement(items, keyed, statements)) ??
      (await writeInTransaction(items, keyed));
    if ([...results.values()].some((result) => result.kind === 'written')) options.afterCommit?.();
    options.onBatch?.(items.length, (performance.now() - started) / 1000);
    return items.map((item) => results.get(item) as WriteResult);
  }

  /**
   * The batch as one statement, its own transaction (one round trip, no BEGIN or COMMIT): every
   * record and every effect, or nothing when a record could not be written (undefined then).
   * Nothing waits on this process inside that transaction: pg sends the statement and its Sync in
   * one write, so a frozen process cannot hold the keys' locks the way an open transaction could.
   */
  async function writeInOneStatement(
    items: WriteItem<Effect>[],
    keyed: WriteItem<Effect>[],
    statements: SqlStatement[],
  ): Promise<Map<WriteItem<Effect>, WriteResult> | undefined> {
    const writtenAt = new Date();
    const em = writeOrm.em.fork();
    if (keyed.length === 0) {
      await runStatements(em, statements);
      return new Map(items.map((item) => [item, writtenWithoutRecord(writtenAt)]));
    }
    let recordWrites: RecordWrite[];
    try {
      recordWrites = await lockInsertAndWrite(em, keyed.map(toNewRecord), profile.retentionMs, statements);
    } catch (error) {
      if (error instanceof WriteRefusedError) return undefined;
      throw error;
    }
    const results = new Map<WriteItem<Effect>, WriteResult>(
      items.map((item) => [item, writtenWithoutRecord(writtenAt)]),
    );
    for (const [index, item] of keyed.entries()) results.set(item, recordWrites[index] as WriteResult);
    return results;
  }

  /** The batch in a transaction of its own: the records, then the effects of those written. */
  async function writeInTransaction(
    items: WriteItem<Effect>[],
    keyed: WriteItem<Effect>[],
  ): Promise<Map<WriteItem<Effect>, WriteResult>> {
    const results = new Map<WriteItem<Effect>, WriteResult>();
    const writtenAt = new Date();
    await inTransaction(
      writeOrm,
      async (em) => {
        results.clear();
        const recordWrites = await lockAndInsertRecords(em, keyed.map(toNewRecord), profile.retentionMs);
        for (const [index, item] of keyed.entries()) results.set(item, recordWrites[index] as WriteResult);
        const toApply = items.filter(
          (item) => item.lockKey === undefined || results.get(item)?.kind === 'written',
        );
        for (const item of toApply)
          if (!results.has(item)) results.set(item, writtenWithoutRecord(writtenAt));
        if (toApply.length > 0)
          await options.writeEffects(
            em,
            toApply.map((item) => item.prepared.effect),
          );
      },
      // Inserts only (from arrays, and the records' unique index): their plans do not depend on
      // the tables' sizes, so PostgreSQL may keep them from one group to the next.
      {
        transaction_timeout: options.leaseMs,
        idle_in_transaction_session_timeout: options.leaseMs,
        plan_cache_mode: 'auto',
      },
    );
    return results;
  }

  function toNewRecord(item: WriteItem<Effect>): NewRecord & { lockKey: string } {
    const { request } = item;
    const scope = request.scope as KeyScope;
    return {
      lockKey: item.lockKey as string,
      scopeKey: item.scopeKey as string,
      accountId: scope.accountId,
      apiKeyId: scope.apiKeyId,
      key: scope.key,
      method: scope.method,
      route: scope.route,
      fingerprint: request.fingerprint,
      reply: item.prepared.reply,
      resourceIds: item.prepared.resourceIds,
      requestId: request.requestId,
      acceptedAt: item.acceptedAt,
    };
  }

  const inFlight = (): Settled => ({ outcome: { kind: 'in_flight', retryAfterSeconds: 1 } });

  function fromRecord(
    record: { fingerprint: Buffer; reply: StoredReply; requestId: string; createdAt: Date },
    request: ExecutionRequest<Effect>,
  ): IdempotencyOutcome {
    if (!record.fingerprint.equals(request.fingerprint) && profile.onMismatch === 'refuse')
      return { kind: 'mismatch', status: profile.mismatchStatus };
    return {
      kind: 'replayed',
      reply: record.reply,
      originalRequestId: record.requestId,
      originalRequestAt: record.createdAt,
    };
  }

  async function waitForLock(lockKey: string, timeoutMs: number): Promise<boolean> {
    if (activeLockWaiters >= (options.maxLockWaiters ?? 2)) {
      // Enough connections already block on other owners' keys; look again shortly instead.
      await sleep(Math.min(timeoutMs, 25));
      return true;
    }
    activeLockWaiters += 1;
    try {
      // The lock wait is bounded by lock_timeout; the lease does not apply to a waiter.
      return await inTransaction(orm, (em) => waitForScopeLock(em, lockKey), {
        lock_timeout: timeoutMs,
        transaction_timeout: timeoutMs + 5_000,
      });
    } finally {
      activeLockWaiters -= 1;
    }
  }

  async function attempt(
    request: ExecutionRequest<Effect>,
    scopeKey: string,
    lockKey: string,
    deadline: number,
    onLookedUp: (found: boolean) => void,
  ): Promise<Settled> {
    let prepared: PreparedExecution<Effect> | undefined;
    let acceptedAt: Date | undefined;
    for (let round = 0; ; round += 1) {
      const cached = replayCache.get(scopeKey);
      const lookedUp = cached ? undefined : await lookups.submit(scopeKey);
      const existing = cached ?? lookedUp?.record;
      onLookedUp(existing !== undefined);
      if (existing) return { outcome: fromRecord(existing, request), record: existing };
      if (round > 1_000) throw new ExactlyError('internal', `key ${scopeKey} neither found nor writable`);
      acceptedAt ??= lookedUp?.at ?? new Date();
      prepared ??= await request.prepare(acceptedAt);
      const result = await writes.submit({ request, prepared, acceptedAt, scopeKey, lockKey });
      switch (result.kind) {
        case 'written': {
          const record = {
            scopeKey,
            fingerprint: request.fingerprint,
            reply: prepared.reply,
            resourceIds: prepared.resourceIds,
            requestId: request.requestId,
            createdAt: result.createdAt,
            expiresAt: result.expiresAt ?? new Date(result.createdAt.getTime() + profile.retentionMs),
            remainingMs: result.remainingMs,
          };
          replayCache.set(record, record.remainingMs);
          return { outcome: { kind: 'executed', reply: prepared.reply }, record };
        }
        case 'existing':
          continue;
        case 'failed':
          throw result.error;
        case 'locked': {
          if (profile.inFlight === 'conflict') {
            const committed = (await lookups.submit(scopeKey)).record;
            return committed ? { outcome: fromRecord(committed, request), record: committed } : inFlight();
          }
          const remaining = deadline - Date.now();
          if (remaining <= 0 || !(await waitForLock(lockKey, remaining))) return inFlight();
        }
      }
    }
  }

  async function execute(request: ExecutionRequest<Effect>): Promise<IdempotencyOutcome> {
    if (request.scope === undefined) {
      const acceptedAt = new Date();
      const prepared = await request.prepare(acceptedAt);
      const result = await writes.submit({ request, prepared, acceptedAt });
      if (result.kind === 'failed') throw result.error;
      return { kind: 'executed', reply: prepared.reply };
    }
    const scopeKey = scopeKeyOf(profile, request.scope);
    const lockKey = advisoryLockKey(scopeKey);
    const deadline = Date.now() + options.waitTimeoutMs;
    for (;;) {
      const leader = inflight.get(scopeKey);
      if (leader) {
        // Under 'conflict' only a first request that executes is in flight; one that is looking up
        // a request finished long ago answers with its record, and so does this one.
        if (profile.inFlight === 'conflict' && (await settledBefore(leader.found, deadline)) !== true) {
          return inFlight().outcome;
        }
        const settled = await settledBefore(leader.settled, deadline);
        if (settled === 'timeout') return inFlight().outcome;
        if (settled?.record) return fromRecord(settled.record, request);
        if (profile.inFlight === 'conflict') return inFlight().outcome;
        continue;
      }
      const found = Promise.withResolvers<boolean>();
      let lookedUp = false;
      const onLookedUp = (existing: boolean) => {
        if (lookedUp) return;
        lookedUp = true;
        found.resolve(existing);
      };
      const own: Leader = {
        settled: attempt(request, scopeKey, lockKey, deadline, onLookedUp).finally(() => onLookedUp(false)),
        found: found.promise,
      };
      inflight.set(scopeKey, own);
      try {
        return (await own.settled).outcome;
      } finally {
        if (inflight.get(scopeKey) === own) inflight.delete(scopeKey);
      }
    }
  }

  async function keyState(
    owner: { accountId: string; apiKeyId: string },
    key: string,
    endpoints: readonly { method: string; route: string }[],
  ): Promise<KeyState> {
    const scopeKeys = [
      ...new Set(endpoints.map((endpoint) => scopeKeyOf(profile, { ...owner, ...endpoint, key }))),
    ];
    const em = orm.em.fork();
    const records = [...(await findLiveRecords(em, scopeKeys)).values()];
    const open = scopeKeys.filter((scopeKey) => !records.some((record) => record.scopeKey === scopeKey));
    const lockedKeys = await scopesInProgress(em, open.map(advisoryLockKey));
    const inProgress = (scopeKey: string) =>
      inflight.has(scopeKey) || lockedKeys.has(advisoryLockKey(scopeKey));
    const running = open.some(inProgress);
    const resourceIds = records.flatMap((record) => record.resourceIds);
    const state = running ? 'in_progress' : records.length > 0 ? 'completed' : 'unknown';
    const [only] = records;
    const answer: KeyState = {
      state,
      resourceIds,
      ...(records.length === 1 && only ? { createdAt: only.createdAt, expiresAt: only.expiresAt } : {}),
    };
    if (records.length < 2) return answer;
    // The key has records at several endpoints (a per-endpoint profile): each answers for itself,
    // never a mix of two.
    answer.endpoints = endpoints.map((endpoint) => {
      const scopeKey = scopeKeyOf(profile, { ...owner, ...endpoint, key });
      const record = records.find((candidate) => candidate.scopeKey === scopeKey);
      if (record) {
        return {
          ...endpoint,
          state: 'completed',
          resourceIds: record.resourceIds,
          createdAt: record.createdAt,
          expiresAt: record.expiresAt,
        };
      }
      return { ...endpoint, state: inProgress(scopeKey) ? 'in_progress' : 'unknown', resourceIds: [] };
    });
    return answer;
  }

  async function deleteExpired({ batchSize, maxBatches }: { batchSize: number; maxBatches: number }) {
    let total = 0;
    for (let batch = 0; batch < maxBatches; batch += 1) {
      const deleted = await deleteExpiredRecords(orm.em.fork(), batchSize);
      total += deleted;
      if (deleted < batchSize) break;
    }
    return total;
  }

  return {
    profile,
    execute,
    keyState,
    deleteExpired,
    replayCacheSize: () => replayCache.size,
    startCleanup({ intervalMs, batchSize, maxBatches, onDeleted, onError }) {
      if (cleanupTimer) clearInterval(cleanupTimer);
      cleanupTimer = setInterval(() => {
        cleanupRun = deleteExpired({ batchSize, maxBatches }).then(
          (count) => onDeleted?.(count),
          (error: unknown) => onError?.(error),
        );
      }, intervalMs);
      cleanupTimer.unref();
    },
    async close() {
      clearInterval(evictionTimer);
      if (cleanupTimer) clearInterval(cleanupTimer);
      cleanupTimer = undefined;
      await cleanupRun;
      await Promise.allSettled([...inflight.values()].map((leader) => leader.settled));
      await writes.drained();
      await lookups.drained();
    },
  };
}

function compareLockKeys(a: string, b: string): number {
  const difference = BigInt(a) - BigInt(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

async function settledBefore<T>(promise: Promise<T>, deadline: number): Promise<T | undefined | 'timeout'> {
  const remaining = deadline - Date.now();
  if (remaining <= 0) return 'timeout';
  const controller = new AbortController();
  try {
    return await Promise.race([
      promise.catch(() => undefined),
      sleep(remaining, 'timeout' as const, { signal: controller.signal }),
    ]);
  } finally {
    controller.abort();
  }
}
