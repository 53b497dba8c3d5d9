import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { inTransaction, newId, type Orm, openOrm, runSql } from '@exactly/persistence';
import { eventually } from '@exactly/testkit';
import {
  createIdempotencyEngine,
  type ExecutionRequest,
  type IdempotencyEngine,
  type IdempotencyEngineOptions,
} from './createIdempotencyEngine.js';
import { type IdempotencyProfile, resolveProfile } from './idempotencyProfiles.js';
import {
  lookupSessionSettings,
  lookupStatement,
  type StoredReply,
  writeSessionSettings,
} from './idempotencyRecords.js';
import { requestFingerprint } from './requestFingerprint.js';
import { advisoryLockKey, scopeKeyOf } from './scopeKey.js';
import { holdInTransaction, holdLock } from './testing/holdLock.js';

interface Effect {
  id: string;
  scope: string;
  poison?: boolean;
}

const databaseUrl = process.env.DATABASE_URL ?? '';
let orm: Orm;
const engines: IdempotencyEngine<Effect>[] = [];
const extraOrms: Orm[] = [];

const writeEffects: IdempotencyEngineOptions<Effect>['writeEffects'] = async (em, effects) => {
  if (effects.some((effect) => effect.poison)) throw new Error('poisoned effect');
  await runSql(
    em,
    'INSERT INTO engine_test_effects (id, scope) SELECT * FROM unnest($1::text[], $2::text[])',
    [effects.map((effect) => effect.id), effects.map((effect) => effect.scope)],
  );
};

const findWrittenEffects: IdempotencyEngineOptions<Effect>['findWrittenEffects'] = async (em, effects) => {
  const { rows } = await runSql<{ id: string }>(
    em,
    'SELECT id FROM engine_test_effects WHERE id = ANY($1::text[])',
    [effects.map((effect) => effect.id)],
  );
  const found = new Set(rows.map((row) => row.id));
  return effects.map((effect) => found.has(effect.id));
};

/** `writeEffects` as a statement, for the one-statement write; a poisoned effect breaks it (null id). */
const effectStatements: NonNullable<IdempotencyEngineOptions<Effect>['effectStatements']> = (effects) => [
  {
    text: 'INSERT INTO engine_test_effects (id, scope) SELECT * FROM unnest($1::text[], $2::text[])',
    parameters: [
      effects.map((effect) => (effect.poison ? null : effect.id)),
      effects.map((effect) => effect.scope),
    ],
  },
];

/** The engine's options for the one-statement write, with the long way's writes counted. */
function oneStatementOptions(longWay: Effect[][]): Partial<IdempotencyEngineOptions<Effect>> {
  return {
    effectStatements,
    writeEffects: async (em, effects) => {
      longWay.push(effects);
      await writeEffects(em, effects);
    },
  };
}

function engineFor(
  profile: IdempotencyProfile,
  overrides: Partial<IdempotencyEngineOptions<Effect>> = {},
): IdempotencyEngine<Effect> {
  const engine = createIdempotencyEngine<Effect>({
    orm,
    profile,
    writeEffects,
    findWrittenEffects,
    leaseMs: 10_000,
    waitTimeoutMs: 10_000,
    ...overrides,
  });
  engines.push(engine);
  return engine;
}

async function newAccount(): Promise<string> {
  const accountId = newId('acc');
  await runSql(orm.em.fork(), 'INSERT INTO accounts (id, name) VALUES ($1, $2)', [accountId, 'engine test']);
  return accountId;
}

function requestFor(
  accountId: string,
  key: string | undefined,
  body: unknown = { to: 'ada@example.com' },
  extra: Partial<Effect> = {},
): ExecutionRequest<Effect> & { reply: StoredReply; effect: Effect } {
  const effect = { id: newId('eff'), scope: `${accountId}/${key}`, ...extra };
  const reply = {
    status: 202,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: effect.id }),
  };
  return {
    scope:
      key === undefined
        ? undefined
        : { accountId, apiKeyId: `key_${accountId}`, method: 'POST', route: '/v1/messages', key },
    fingerprint: requestFingerprint('POST', '/v1/messages', body),
    requestId: newId('req'),
    prepare: () => ({ reply, effect, resourceIds: [effect.id] }),
    reply,
    effect,
  };
}

async function effectsOf(accountId: string): Promise<Effect[]> {
  const { rows } = await runSql<Effect>(
    orm.em.fork(),
    "SELECT id, scope FROM engine_test_effects WHERE scope LIKE $1 || '/%' ORDER BY id",
    [accountId],
  );
  return rows;
}

async function recordsOf(accountId: string): Promise<{ request_id: string; scope_key: string }[]> {
  const { rows } = await runSql<{ request_id: string; scope_key: string }>(
    orm.em.fork(),
    'SELECT request_id, scope_key FROM idempotency_records WHERE account_id = $1',
    [accountId],
  );
  return rows;
}

const waiting = resolveProfile('pulsewave');
const conflicting = resolveProfile('default');

beforeAll(async () => {
  orm = await openOrm({ databaseUrl, poolSize: 12 });
  await runSql(
    orm.em.fork(),
    'CREATE TABLE IF NOT EXISTS engine_test_effects (id text PRIMARY KEY, scope text NOT NULL)',
  );
});

afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
  await Promise.all(extraOrms.splice(0).map((extra) => extra.close()));
});

afterAll(async () => {
  await orm.close();
});

describe('executing a request with a new key', () => {
  it('executes it once and stores the reply; a retry with the same request replays it with the original id and time', async () => {
    const engine = engineFor(conflicting);
    const accountId = await newAccount();
    const first = requestFor(accountId, 'order-1');
    expect(await engine.execute(first)).toEqual({ kind: 'executed', reply: first.reply });

    const retry = requestFor(accountId, 'order-1');
    const outcome = await engine.execute(retry);
    expect(outcome).toEqual({
      kind: 'replayed',
      reply: first.reply,
      originalRequestId: first.requestId,
      originalRequestAt: expect.any(Date),
    });
    expect(await effectsOf(accountId)).toEqual([{ id: first.effect.id, scope: first.effect.scope }]);
  });

  it('looks keys up on the look-up pool when given one, which plans the look-up once and keeps it', async () => {
    const lookupOrm = await openOrm({ databaseUrl, poolSize: 1, sessionSettings: lookupSessionSettings });
    extraOrms.push(lookupOrm);
    const engine = engineFor(conflicting, { lookupOrm, replayCacheSize: 0 });
    const accountId = await newAccount();
    for (let n = 0; n < 8; n += 1) await engine.execute(requestFor(accountId, `order-${n}`));
    expect((await engine.execute(requestFor(accountId, 'order-3'))).kind).toBe('replayed');
    const { rows } = await runSql<{ generic_plans: string; custom_plans: string }>(
      lookupOrm.em.fork(),
      'SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1',
      [lookupStatement],
    );
    expect(rows).toHaveLength(1);
    expect(Number(rows[0]?.generic_plans)).toBeGreaterThanOrEqual(9);
    expect(Number(rows[0]?.custom_plans)).toBe(0);
  });

  it('prepares the effect and reply only to execute, never for a replay', async () => {
    const engine = engineFor(waiting);
    const accountId = await newAccount();
    let prepared = 0;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const request = requestFor(accountId, 'prepared-once');
      await engine.execute({
        ...request,
        prepare: (acceptedAt) => {
          prepared += 1;
          return request.prepare(acceptedAt);
        },
      });
    }
    expect(prepared).toBe(1);
  });

  it('executes a request without a key every time, storing no record', async () => {
    const engine = engineFor(waiting);
    const accountId = await newAccount();
    await engine.execute(requestFor(accountId, undefined));
    await engine.execute(requestFor(accountId, undefined));
    expect(await effectsOf(accountId)).toHaveLength(2);
    expect(await recordsOf(accountId)).toEqual([]);
  });
});

describe('replaying a key with a different request', () => {
  it("answers the profile's mismatch status and stores nothing", async () => {
    const engine = engineFor(resolveProfile('getmailer'));
    const accountId = await newAccount();
    const first = requestFor(accountId, 'k');
    await engine.execute(first);
    const other = requestFor(accountId, 'k', { to: 'someone-else@example.com' });
    expect(await engine.execute(other)).toEqual({ kind: 'mismatch', status: 409 });
    expect(await effectsOf(accountId)).toHaveLength(1);
    expect(await recordsOf(accountId)).toEqual([
      { request_id: first.requestId, scope_key: expect.any(String) },
    ]);
  });
});

describe('200 concurrent identical requests with one key', () => {
  it('execute once; the other 199 get identical replays (profile that waits)', async () => {
    const engine = engineFor(waiting);
    const accountId = await newAccount();
    const requests = Array.from({ length: 200 }, () => requestFor(accountId, 'same'));
    const outcomes = await Promise.all(requests.map((request) => engine.execute(request)));
    const executed = outcomes.filter((outcome) => outcome.kind === 'executed');
    const replayed = outcomes.filter((outcome) => outcome.kind === 'replayed');
    expect(executed).toHaveLength(1);
    expect(replayed).toHaveLength(199);
    const bodies = new Set(outcomes.map((outcome) => ('reply' in outcome ? outcome.reply.body : undefined)));
    expect(bodies.size).toBe(1);
    expect(await effectsOf(accountId)).toHaveLength(1);
  });

  it('execute once across two processes (two engines with their own connection pools)', async () => {
    const otherOrm = await openOrm({ databaseUrl, poolSize: 12 });
    extraOrms.push(otherOrm);
    const first = engineFor(waiting);
    const second = engineFor(waiting, { orm: otherOrm });
    const accountId = await newAccount();
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        (index % 2 === 0 ? first : second).execute(requestFor(accountId, 'shared')),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.kind === 'executed')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.kind === 'replayed')).toHaveLength(199);
    expect(await effectsOf(accountId)).toHaveLength(1);
  });

  it('execute once; the others replay or get 409 in flight (profile that answers at once)', async () => {
    const engine = engineFor(conflicting);
    const accountId = await newAccount();
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, () => engine.execute(requestFor(accountId, 'same'))),
    );
    expect(outcomes.filter((outcome) => outcome.kind === 'executed')).toHaveLength(1);
    for (const outcome of outcomes) expect(['executed', 'replayed', 'in_flight']).toContain(outcome.kind);
    expect(outcomes.find((outcome) => outcome.kind === 'in_flight')).toEqual({
      kind: 'in_flight',
      retryAfterSeconds: 1,
    });
    expect(await effectsOf(accountId)).toHaveLength(1);
  });
});

describe('group commit', () => {
  it('writes concurrent requests with different keys in shared transactions, each answered after its commit', async () => {
    const sizes: number[] = [];
    const engine = engineFor(conflicting, { writeConcurrency: 1, onBatch: (size) => sizes.push(size) });
    const accountId = await newAccount();
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, (_, index) => engine.execute(requestFor(accountId, `k${index}`))),
    );
    expect(outcomes.every((outcome) => outcome.kind === 'executed')).toBe(true);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(60);
    expect(sizes.length).toBeLessThan(60);
    expect(await effectsOf(accountId)).toHaveLength(60);
  });

  it("writes the other requests of a batch when one request's write fails, and fails only that one", async () => {
    const engine = engineFor(conflicting, { writeConcurrency: 1 });
    const accountId = await newAccount();
    const results = await Promise.allSettled([
      engine.execute(requestFor(accountId, 'a')),
      engine.execute(requestFor(accountId, 'b')),
      engine.execute(requestFor(accountId, 'poison', undefined, { poison: true })),
      engine.execute(requestFor(accountId, 'c')),
    ]);
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((await effectsOf(accountId)).map((effect) => effect.scope).sort()).toEqual([
      `${accountId}/a`,
      `${accountId}/b`,
      `${accountId}/c`,
    ]);
    expect(await recordsOf(accountId)).toHaveLength(3);
  });
});

describe('a batch written in one statement (effectStatements)', () => {
  it('writes records and effects together, in shared batches, without the long way', async () => {
    const longWay: Effect[][] = [];
    const sizes: number[] = [];
    const engine = engineFor(conflicting, {
      ...oneStatementOptions(longWay),
      writeConcurrency: 1,
      onBatch: (size) => sizes.push(size),
    });
    const accountId = await newAccount();
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, (_, index) => engine.execute(requestFor(accountId, `k${index}`))),
    );
    expect(outcomes.every((outcome) => outcome.kind === 'executed')).toBe(true);
    expect(sizes.length).toBeLessThan(60);
    expect(longWay).toEqual([]);
    expect(await effectsOf(accountId)).toHaveLength(60);
    expect(await recordsOf(accountId)).toHaveLength(60);
    const replay = await engine.execute(requestFor(accountId, 'k7'));
    expect(replay.kind).toBe('replayed');
  });

  it('takes the long way when a key of the batch is locked elsewhere: the others run, that one is in flight, its effect unwritten', async () => {
    const longWay: Effect[][] = [];
    const sizes: number[] = [];
    const engine = engineFor(conflicting, {
      ...oneStatementOptions(longWay),
      writeConcurrency: 1,
      onBatch: (size) => sizes.push(size),
    });
    const accountId = await newAccount();
    const held = requestFor(accountId, 'held');
    const lockKey = advisoryLockKey(scopeKeyOf(conflicting, held.scope as NonNullable<typeof held.scope>));
    const release = await holdLock(orm, lockKey);
    // The one write slot is taken by a batch that waits on the effects table, so the three
    // requests below queue up and leave together, as one batch: which of them reaches the
    // batcher first no longer decides the batches.
    const openEffects = await holdInTransaction(orm, 'LOCK TABLE engine_test_effects IN SHARE MODE');
    let effectsOpened = false;
    try {
      const first = engine.execute(requestFor(accountId, 'first'));
      await eventually('the first batch to wait on the effects table', async () => {
        const { rows } = await runSql<{ waiting: number }>(
          orm.em.fork(),
          "SELECT count(*)::int AS waiting FROM pg_locks WHERE NOT granted AND relation = 'engine_test_effects'::regclass",
        );
        return rows[0]?.waiting === 1;
      });
      const prepared = { count: 0, all: Promise.withResolvers<void>() };
      const queued = [requestFor(accountId, 'a'), held, requestFor(accountId, 'b')].map((request) =>
        engine.execute({
          ...request,
          prepare: (acceptedAt) => {
            prepared.count += 1;
            if (prepared.count === 3) prepared.all.resolve();
            return request.prepare(acceptedAt);
          },
        }),
      );
      await prepared.all.promise;
      await new Promise((resolve) => setImmediate(resolve));
      await openEffects();
      effectsOpened = true;
      expect((await first).kind).toBe('executed');
      const [a, heldOutcome, b] = await Promise.all(queued);
      expect([a?.kind, heldOutcome?.kind, b?.kind]).toEqual(['executed', 'in_flight', 'executed']);
      expect(sizes).toEqual([1, 3]);
      expect((await effectsOf(accountId)).map((effect) => effect.scope).sort()).toEqual([
        `${accountId}/a`,
        `${accountId}/b`,
        `${accountId}/first`,
      ]);
      expect(longWay.map((effects) => effects.map((effect) => effect.scope).sort())).toEqual([
        [`${accountId}/a`, `${accountId}/b`],
      ]);
    } finally {
      if (!effectsOpened) await openEffects();
      await release();
    }
  });

  it('runs on the write pool when given one, which keeps the statement planned once', async () => {
    const writeOrm = await openOrm({ databaseUrl, poolSize: 1, sessionSettings: writeSessionSettings });
    extraOrms.push(writeOrm);
    const engine = engineFor(conflicting, { ...oneStatementOptions([]), writeOrm });
    const accountId = await newAccount();
    for (let n = 0; n < 8; n += 1) await engine.execute(requestFor(accountId, `order-${n}`));
    const { rows } = await runSql<{ generic_plans: string; custom_plans: string }>(
      writeOrm.em.fork(),
      "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE 'WITH locks AS MATERIALIZED%'",
    );
    expect(rows).toHaveLength(1);
    expect(Number(rows[0]?.generic_plans)).toBeGreaterThanOrEqual(3);
    expect(await effectsOf(accountId)).toHaveLength(8);
  });

  it("fails only the request whose effect breaks the statement, and writes the batch's others", async () => {
    const longWay: Effect[][] = [];
    const engine = engineFor(conflicting, { ...oneStatementOptions(longWay), writeConcurrency: 1 });
    const accountId = await newAccount();
    const results = await Promise.allSettled([
      engine.execute(requestFor(accountId, 'a')),
      engine.execute(requestFor(accountId, 'poison', undefined, { poison: true })),
      engine.execute(requestFor(accountId, 'b')),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await effectsOf(accountId)).map((effect) => effect.scope).sort()).toEqual([
      `${accountId}/a`,
      `${accountId}/b`,
    ]);
    expect(await recordsOf(accountId)).toHaveLength(2);
  });
});

describe('expiry', () => {
  it('runs an expired key as new', async () => {
    const engine = engineFor(resolveProfile('txtly', { retentionMs: 300 }));
    const accountId = await newAccount();
    await engine.execute(requestFor(accountId, 'k'));
    await sleep(400);
    const later = requestFor(accountId, 'k', { to: 'other@example.com' });
    expect(await engine.execute(later)).toEqual({ kind: 'executed', reply: later.reply });
    expect(await effectsOf(accountId)).toHaveLength(2);
    expect(await recordsOf(accountId)).toEqual([
      { request_id: later.requestId, scope_key: expect.any(String) },
    ]);
  });

  it('deletes expired records in bounded batches and keeps live ones', async () => {
    const shortLived = engineFor(resolveProfile('txtly', { retentionMs: 50 }));
    const accountId = await newAccount();
    for (const key of ['a', 'b', 'c', 'd', 'e']) await shortLived.execute(requestFor(accountId, key));
    await engineFor(waiting).execute(requestFor(accountId, 'live'));
    await sleep(100);
    await runSql(
      orm.em.fork(),
      'DELETE FROM idempotency_records WHERE expires_at <= now() AND account_id <> $1',
      [accountId],
    );
    // At most two batches of two, though five of this account's records are expired.
    expect(await shortLived.deleteExpired({ batchSize: 2, maxBatches: 2 })).toBe(4);
    // Records of other tests (the one before keeps its key 300 ms) can expire meanwhile, and the
    // same calls delete them too: each call stays within its bound until this account's are gone.
    for (let call = 0; call < 5 && (await recordsOf(accountId)).length > 1; call += 1)
      expect(await shortLived.deleteExpired({ batchSize: 2, maxBatches: 2 })).toBeLessThanOrEqual(4);
    expect((await recordsOf(accountId)).map((record) => record.scope_key)).toEqual([`${accountId}|*|live`]);
  });
});

describe('an in-flight owner that froze or died', () => {
  it('is taken over after the lease, and the frozen owner can no longer commit (fenced)', async () => {
    const accountId = await newAccount();
    const frozen = Promise.withResolvers<void>();
    let firstWrite = true;
    const ownerEngine = engineFor(waiting, {
      leaseMs: 500,
      writeEffects: async (em, effects) => {
        await writeEffects(em, effects);
        if (firstWrite) {
          firstWrite = false;
          frozen.resolve();
          await sleep(1_500); // frozen past its lease, inside its transaction
        }
      },
    });
    const otherOrm = await openOrm({ databaseUrl, poolSize: 4 });
    extraOrms.push(otherOrm);
    const takerEngine = engineFor(waiting, { orm: otherOrm });

    const owner = requestFor(accountId, 'k');
    // Before the owner's transaction begins: its lease (500 ms) runs from there, and the taker
    // cannot have the key sooner.
    const ownerStarted = Date.now();
    const ownerResult = ownerEngine.execute(owner).then(
      (outcome) => ({ outcome }),
      (error: unknown) => ({ error }),
    );
    await frozen.promise;
    const taker = requestFor(accountId, 'k');
    expect(await takerEngine.execute(taker)).toEqual({ kind: 'executed', reply: taker.reply });
    expect(Date.now() - ownerStarted).toBeGreaterThanOrEqual(500);
    expect(await ownerResult).toEqual({ error: expect.anything() });
    expect(await effectsOf(accountId)).toEqual([{ id: taker.effect.id, scope: taker.effect.scope }]);
    expect(await recordsOf(accountId)).toEqual([
      { request_id: taker.requestId, scope_key: expect.any(String) },
    ]);
  });

  it('frees the key when a raw client holding its lock freezes past its idle timeout; that client commit fails', async () => {
    const engine = engineFor(waiting);
    const accountId = await newAccount();
    const request = requestFor(accountId, 'k');
    const lockKey = advisoryLockKey(scopeKeyOf(waiting, request.scope as NonNullable<typeof request.scope>));
    const held = Promise.withResolvers<void>();
    const rawOwner = inTransaction(orm, async (em) => {
      await runSql(em, "SELECT set_config('idle_in_transaction_session_timeout', '400', true)");
      await runSql(em, 'SELECT pg_advisory_xact_lock($1::bigint)', [lockKey]);
      held.resolve();
      await sleep(1_000);
    }).then(
      () => 'committed',
      () => 'failed',
    );
    await held.promise;
    const state = await engine.keyState({ accountId, apiKeyId: `key_${accountId}` }, 'k', [
      { method: 'POST', route: '/v1/messages' },
    ]);
    expect(state.state).toBe('in_progress');
    expect(await engine.execute(request)).toEqual({ kind: 'executed', reply: request.reply });
    expect(await rawOwner).toBe('failed');
  });

  it('leaves nothing half-written when its connection is killed mid-transaction, and a retry writes it once', async () => {
    const accountId = await newAccount();
    const inside = Promise.withResolvers<number>();
    const resume = Promise.withResolvers<void>();
    let firstWrite = true;
    const engine = engineFor(waiting, {
      writeEffects: async (em, effects) => {
        await writeEffects(em, effects);
        if (firstWrite) {
          firstWrite = false;
          const { rows } = await runSql<{ pid: number }>(em, 'SELECT pg_backend_pid() AS pid');
          inside.resolve(rows[0]?.pid ?? 0);
          await resume.promise;
        }
      },
    });
    const request = requestFor(accountId, 'k');
    const first = engine.execute(request);
    const pid = await inside.promise;
    await runSql(orm.em.fork(), 'SELECT pg_terminate_backend($1)', [pid]);
    resume.resolve();
    await expect(first).rejects.toBeDefined();
    expect(await effectsOf(accountId)).toEqual([]);
    expect(await recordsOf(accountId)).toEqual([]);

    expect(await engine.execute(request)).toEqual({ kind: 'executed', reply: request.reply });
    expect(await effectsOf(accountId)).toHaveLength(1);
    expect(await recordsOf(accountId)).toHaveLength(1);
  });
});

/**
 * A proxy in front of PostgreSQL that, once armed, passes the next COMMIT to the server and then
 * cuts the connection before the server's answer comes back: the commit happens, its
 * acknowledgement is lost.
 */
async function commitAckLosingProxy(): Promise<{ url: string; arm(): void; close(): Promise<void> }> {
  const target = new URL(databaseUrl);
  let armed = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      // A simple-protocol Query message ('Q') whose text is COMMIT.
      if (armed && chunk[0] === 0x51 && chunk.includes('COMMIT')) {
        armed = false;
        upstream.end(); // FIN after the data: the server reads the COMMIT and commits
        client.destroy();
      }
    });
    client.on('close', () => upstream.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    arm: () => {
      armed = true;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a batch whose COMMIT acknowledgement is lost', () => {
  it('never writes a request without a key twice when its items are retried one by one', async () => {
    const accountId = await newAccount();
    const proxy = await commitAckLosingProxy();
    try {
      const proxiedOrm = await openOrm({ databaseUrl: proxy.url, poolSize: 4 });
      extraOrms.push(proxiedOrm);
      const blocker = requestFor(accountId, undefined);
      const release = Promise.withResolvers<void>();
      const engine = engineFor(conflicting, {
        orm: proxiedOrm,
        writeConcurrency: 1,
        writeEffects: async (em, effects) => {
          if (effects.some((effect) => effect.id === blocker.effect.id)) await release.promise;
          if (effects.length === 2) proxy.arm();
          await writeEffects(em, effects);
        },
      });
      const first = engine.execute(blocker);
      // Both queue behind the blocker and leave together as one batch of two.
      const keyless = [requestFor(accountId, undefined), requestFor(accountId, undefined)];
      const outcomes = Promise.allSettled(keyless.map((request) => engine.execute(request)));
      release.resolve();
      await first;
      expect(await outcomes).toEqual(
        keyless.map((request) => ({
          status: 'fulfilled',
          value: { kind: 'executed', reply: request.reply },
        })),
      );
      expect((await effectsOf(accountId)).map((effect) => effect.id).sort()).toEqual(
        [blocker, ...keyless].map((request) => request.effect.id).sort(),
      );
    } finally {
      await proxy.close();
    }
  });
});

describe('the state of a key', () => {
  it('is unknown, then completed with the ids it created; another account sees its own (unknown)', async () => {
    const engine = engineFor(conflicting);
    const accountId = await newAccount();
    const otherAccountId = await newAccount();
    const endpoints = [{ method: 'POST', route: '/v1/messages' }];
    const owner = { accountId, apiKeyId: `key_${accountId}` };
    expect((await engine.keyState(owner, 'k', endpoints)).state).toBe('unknown');
    const request = requestFor(accountId, 'k');
    await engine.execute(request);
    const state = await engine.keyState(owner, 'k', endpoints);
    expect(state).toEqual({
      state: 'completed',
      resourceIds: [request.effect.id],
      createdAt: expect.any(Date),
      expiresAt: expect.any(Date),
    });
    expect((state.expiresAt?.getTime() ?? 0) - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
    const other = await engine.keyState({ accountId: otherAccountId, apiKeyId: 'key_x' }, 'k', endpoints);
    expect(other).toEqual({ state: 'unknown', resourceIds: [] });
  });
});

describe('keys are never confused', () => {
  it('keeps a random key that only differs in case apart', async () => {
    const engine = engineFor(conflicting);
    const accountId = await newAccount();
    const key = `Key-${randomUUID()}`;
    await engine.execute(requestFor(accountId, key));
    expect((await engine.execute(requestFor(accountId, key.toLowerCase()))).kind).toBe('executed');
  });
});
