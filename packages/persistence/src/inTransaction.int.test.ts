import { inTransaction, type Orm, openOrm, runSql } from './index.js';

const databaseUrl = process.env.DATABASE_URL ?? '';

describe('a transaction on one pooled connection', () => {
  let orm: Orm;

  beforeAll(async () => {
    orm = await openOrm({ databaseUrl, poolSize: 2 });
    await runSql(orm.em.fork(), 'CREATE TABLE IF NOT EXISTS in_transaction_test (id int PRIMARY KEY)');
  });

  afterAll(async () => {
    await orm.close();
  });

  it('commits everything its statements wrote, or rolls all of it back on a throw', async () => {
    await inTransaction(orm, (em) => runSql(em, 'INSERT INTO in_transaction_test VALUES (1), (2)'));
    await expect(
      inTransaction(orm, async (em) => {
        await runSql(em, 'INSERT INTO in_transaction_test VALUES (3)');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const { rows } = await runSql<{ id: number }>(
      orm.em.fork(),
      'SELECT id FROM in_transaction_test ORDER BY id',
    );
    expect(rows.map((row) => row.id)).toEqual([1, 2]);
  });

  it('applies its settings to this transaction only: timeouts in ms, planner switches as on/off', async () => {
    const show = (em: Parameters<typeof runSql>[0]) =>
      runSql<{ lock: string; hash: string; merge: string }>(
        em,
        `SELECT current_setting('lock_timeout') AS lock, current_setting('enable_hashjoin') AS hash,
                current_setting('enable_mergejoin') AS merge`,
      );
    const inside = await inTransaction(orm, show, {
      lock_timeout: 1_500,
      enable_hashjoin: false,
      enable_mergejoin: true,
    });
    expect(inside.rows).toEqual([{ lock: '1500ms', hash: 'off', merge: 'on' }]);
    const after = await inTransaction(orm, show);
    expect(after.rows).toEqual([{ lock: '0', hash: 'on', merge: 'on' }]);
  });

  it('gives the pool its connection back even when the server ended the session mid-transaction', async () => {
    for (let round = 0; round < 3; round += 1) {
      await expect(
        inTransaction(orm, async (em) => {
          await runSql(em, "SELECT set_config('idle_in_transaction_session_timeout', '50', true)");
          await new Promise((resolve) => setTimeout(resolve, 200));
        }),
      ).rejects.toBeDefined();
    }
    // A pool of 2 that leaked those 3 connections would never answer this.
    const { rows } = await runSql<{ one: number }>(orm.em.fork(), 'SELECT 1 AS one');
    expect(rows).toEqual([{ one: 1 }]);
  });
});
