import { setTimeout as sleep } from 'node:timers/promises';
import { inTransaction, newId, type Orm, openOrm, runSql } from '@exactly/persistence';
import {
  deleteExpiredRecords,
  findLiveRecords,
  lockAndInsertRecords,
  lockInsertAndWrite,
  lookUpRecords,
  type NewRecord,
  WriteRefusedError,
} from './idempotencyRecords.js';
import { advisoryLockKey } from './scopeKey.js';
import { holdLock } from './testing/holdLock.js';

const databaseUrl = process.env.DATABASE_URL ?? '';
let orm: Orm;
let accountId: string;

beforeAll(async () => {
  orm = await openOrm({ databaseUrl, poolSize: 4 });
  accountId = newId('acc');
  await runSql(orm.em.fork(), 'INSERT INTO accounts (id, name) VALUES ($1, $2)', [accountId, 'records test']);
  await runSql(
    orm.em.fork(),
    'CREATE TABLE IF NOT EXISTS records_test_effects (id text PRIMARY KEY, account_id text NOT NULL)',
  );
});

afterAll(async () => {
  await orm.close();
});

function record(key: string, body = 'first', acceptedAt = new Date()): NewRecord & { lockKey: string } {
  const scopeKey = `${accountId}|*|${key}`;
  return {
    scopeKey,
    lockKey: advisoryLockKey(scopeKey),
    accountId,
    apiKeyId: 'key_test',
    key,
    method: 'POST',
    route: '/v1/messages',
    fingerprint: Buffer.alloc(32, body.length),
    reply: { status: 202, headers: { location: '/x' }, body },
    resourceIds: ['msg_1', 'msg_2'],
    requestId: newId('req'),
    acceptedAt,
  };
}

describe('locking keys and inserting their records in one statement', () => {
  it('writes new records with their replies, and reports a live record as existing without touching it', async () => {
    const first = record('a');
    const [written] = await inTransaction(orm, (em) => lockAndInsertRecords(em, [first], 60_000));
    expect(written).toEqual({
      kind: 'written',
      createdAt: expect.any(Date),
      expiresAt: expect.any(Date),
      remainingMs: expect.any(Number),
    });
    expect((written as { remainingMs: number }).remainingMs).toBeGreaterThan(59_000);
    const [again] = await inTransaction(orm, (em) =>
      lockAndInsertRecords(em, [record('a', 'second')], 60_000),
    );
    expect(again).toEqual({ kind: 'existing' });
    const live = await findLiveRecords(orm.em.fork(), [first.scopeKey]);
    expect(live.get(first.scopeKey)).toMatchObject({
      reply: first.reply,
      resourceIds: ['msg_1', 'msg_2'],
      requestId: first.requestId,
    });
  });

  it('reports a key whose lock another transaction holds as locked, and writes the others of the batch', async () => {
    const held = record('held');
    const free = record('free');
    const release = await holdLock(orm, held.lockKey);
    try {
      const results = await inTransaction(orm, (em) => lockAndInsertRecords(em, [held, free], 60_000));
      expect(results.map((result) => result.kind)).toEqual(['locked', 'written']);
    } finally {
      await release();
    }
  });

  it('replaces an expired record (the key runs as new)', async () => {
    const old = record('expiring');
    await inTransaction(orm, (em) => lockAndInsertRecords(em, [old], 1));
    await sleep(20);
    expect((await findLiveRecords(orm.em.fork(), [old.scopeKey])).size).toBe(0);
    const renewed = record('expiring', 'renewed');
    const [result] = await inTransaction(orm, (em) => lockAndInsertRecords(em, [renewed], 60_000));
    expect(result?.kind).toBe('written');
    expect((await findLiveRecords(orm.em.fork(), [old.scopeKey])).get(old.scopeKey)?.reply.body).toBe(
      'renewed',
    );
  });
});

describe('records and their effects in one statement', () => {
  /** An effect per key: a row of `records_test_effects` named after it. */
  const effectsOf = (keys: string[]) => [
    {
      text: 'INSERT INTO records_test_effects (id, account_id) SELECT unnest($1::text[]), $2',
      parameters: [keys.map((key) => `${accountId}/${key}`), accountId],
    },
  ];
  const storedEffects = async (keys: string[]) =>
    (
      await runSql<{ id: string }>(
        orm.em.fork(),
        'SELECT id FROM records_test_effects WHERE id = ANY($1::text[])',
        [keys.map((key) => `${accountId}/${key}`)],
      )
    ).rows.map((row) => row.id);

  it('writes every record and every effect, in a transaction of its own', async () => {
    const results = await lockInsertAndWrite(
      orm.em.fork(),
      [record('one-a'), record('one-b')],
      60_000,
      effectsOf(['one-a', 'one-b']),
    );
    expect(results.map((result) => result.kind)).toEqual(['written', 'written']);
    expect((await storedEffects(['one-a', 'one-b'])).sort()).toEqual([
      `${accountId}/one-a`,
      `${accountId}/one-b`,
    ]);
    const live = await findLiveRecords(orm.em.fork(), [record('one-a').scopeKey, record('one-b').scopeKey]);
    expect(live.size).toBe(2);
  });

  it('writes nothing, effects included, when a key is live already, and says so with WriteRefusedError', async () => {
    await inTransaction(orm, (em) => lockAndInsertRecords(em, [record('live')], 60_000));
    const attempt = lockInsertAndWrite(
      orm.em.fork(),
      [record('live', 'second'), record('beside-live')],
      60_000,
      effectsOf(['live', 'beside-live']),
    );
    await expect(attempt).rejects.toBeInstanceOf(WriteRefusedError);
    await expect(attempt).rejects.toMatchObject({ cause: { code: 'XI001' } });
    expect(await storedEffects(['live', 'beside-live'])).toEqual([]);
    expect((await findLiveRecords(orm.em.fork(), [record('beside-live').scopeKey])).size).toBe(0);
  });

  it('writes nothing when another transaction holds a key', async () => {
    const held = record('held-one');
    const release = await holdLock(orm, held.lockKey);
    try {
      await expect(
        lockInsertAndWrite(
          orm.em.fork(),
          [held, record('beside-held')],
          60_000,
          effectsOf(['held-one', 'beside-held']),
        ),
      ).rejects.toBeInstanceOf(WriteRefusedError);
      expect(await storedEffects(['held-one', 'beside-held'])).toEqual([]);
    } finally {
      await release();
    }
  });
});

describe('the times of a record', () => {
  it("are the database's: created when the look-up read its clock, expiring exactly one retention later", async () => {
    const { at } = await lookUpRecords(orm.em.fork(), []);
    const [written] = await inTransaction(orm, (em) =>
      lockAndInsertRecords(em, [record('clock', 'first', at)], 60_000),
    );
    if (written?.kind !== 'written' || !written.expiresAt) throw new Error(`not written: ${written?.kind}`);
    expect(written.createdAt.getTime()).toBe(at.getTime());
    expect(written.expiresAt.getTime() - written.createdAt.getTime()).toBe(60_000);
  });

  it("are never later than the writing transaction's now(), whatever time the caller gives", async () => {
    const ahead = new Date(Date.now() + 3_600_000);
    const { written, nowMs } = await inTransaction(orm, async (em) => {
      const [result] = await lockAndInsertRecords(em, [record('ahead', 'first', ahead)], 60_000);
      const { rows } = await runSql<{ now_ms: string }>(
        em,
        'SELECT extract(epoch FROM now()) * 1000 AS now_ms',
      );
      return { written: result, nowMs: Number(rows[0]?.now_ms) };
    });
    if (written?.kind !== 'written' || !written.expiresAt) throw new Error(`not written: ${written?.kind}`);
    expect(Math.abs(written.createdAt.getTime() - nowMs)).toBeLessThan(1);
    expect(written.expiresAt.getTime() - written.createdAt.getTime()).toBe(60_000);
  });
});

describe('a record whose key is sent again after the clean-up ran', () => {
  it('is found live and never replaced or purged inside its retention', async () => {
    const first = record('kept');
    await inTransaction(orm, (em) => lockAndInsertRecords(em, [first], 60_000));
    await deleteExpiredRecords(orm.em.fork(), 1_000);
    const [again] = await inTransaction(orm, (em) =>
      lockAndInsertRecords(em, [record('kept', 'retry')], 60_000),
    );
    expect(again).toEqual({ kind: 'existing' });
    expect((await findLiveRecords(orm.em.fork(), [first.scopeKey])).has(first.scopeKey)).toBe(true);
  });
});
