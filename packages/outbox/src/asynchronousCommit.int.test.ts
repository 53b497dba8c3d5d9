import { inTransaction, newId, type Orm, openOrm, runSql } from '@exactly/persistence';
import type { EntityManager } from '@mikro-orm/postgresql';
import { claimOutboxRows, enqueueOutbox, markOutboxPublished, takeFreeShardLeases } from './index.js';

const databaseUrl = process.env.DATABASE_URL ?? '';
let orm: Orm;

beforeAll(async () => {
  orm = await openOrm({ databaseUrl, poolSize: 2 });
});

afterAll(async () => {
  await orm.close();
});

class Rollback extends Error {}

/** Runs `work` in a transaction that is rolled back, and returns `synchronous_commit` as it was at its end. */
async function commitSettingAfter(work: (em: EntityManager) => Promise<void>): Promise<string> {
  let setting = '';
  await inTransaction(orm, async (tx) => {
    await work(tx);
    const { rows } = await runSql<{ synchronous_commit: string }>(tx, 'SHOW synchronous_commit');
    setting = rows[0]?.synchronous_commit ?? '';
    throw new Rollback();
  }).catch((error: unknown) => {
    if (!(error instanceof Rollback)) throw error;
  });
  return setting;
}

/**
 * Leased shards with one more unpublished row, in the caller's transaction; returns the ids of that
 * row's claim. The other suites of this jest run share the database and may have committed outbox
 * rows of their own, which the same claim takes: only this row's key is counted.
 */
async function leasedRowAndClaim(tx: EntityManager, relayId: string): Promise<string[]> {
  await takeFreeShardLeases(tx, relayId, 60_000, 32);
  const kafkaKey = newId('k');
  await enqueueOutbox(tx, [{ topic: 't', kafkaKey, payload: { a: 1 }, headers: {} }]);
  const rows = await claimOutboxRows(tx, {
    relayId,
    batch: 1,
    shards: [...Array(32).keys()],
    perShard: 1000,
    limit: 1000,
    exclude: [],
  });
  return rows.filter((row) => row.key === kafkaKey).map((row) => row.id);
}

describe("the relay's claim and mark", () => {
  it('leave other statements with the server setting', async () => {
    expect(await commitSettingAfter(async (tx) => void (await runSql(tx, 'SELECT 1')))).toBe('on');
  });

  it('commit without waiting for the WAL flush (synchronous_commit off for their own transaction)', async () => {
    const relayId = newId('relay');
    let claimed: string[] = [];
    expect(
      await commitSettingAfter(async (tx) => {
        claimed = await leasedRowAndClaim(tx, relayId);
      }),
    ).toBe('off');
    expect(claimed).toHaveLength(1);
    for (const deleteOnPublish of [true, false]) {
      expect(
        await commitSettingAfter(async (tx) => {
          const ids = await leasedRowAndClaim(tx, relayId);
          await runSql(tx, 'SET LOCAL synchronous_commit = on');
          await markOutboxPublished(tx, ids, { deleteOnPublish, relayId, finished: [1] });
        }),
      ).toBe('off');
    }
  });

  it('leave the session as it was once committed', async () => {
    const em = orm.em.fork();
    await markOutboxPublished(em, ['0'], { deleteOnPublish: true, relayId: 'nobody', finished: [] });
    const { rows } = await runSql<{ synchronous_commit: string }>(em, 'SHOW synchronous_commit');
    expect(rows[0]?.synchronous_commit).toBe('on');
  });
});
