import { randomUUID } from 'node:crypto';
import { Account, inTransaction, type Orm, openOrm, runMigrations, runSql } from './index.js';

const databaseUrl = process.env.DATABASE_URL ?? '';

describe('the schema made by migrations', () => {
  let orm: Orm;

  beforeAll(async () => {
    orm = await openOrm({ databaseUrl, poolSize: 2 });
  });

  afterAll(async () => {
    await orm.close();
  });

  it('has every migration applied, so running them again applies nothing', async () => {
    expect(await runMigrations(databaseUrl)).toEqual([]);
  });

  it('names each key once: idempotency_key only for the client key, message_key, provider_key', async () => {
    const rows = await orm.em.fork().execute<{ table_name: string; column_name: string }[]>(
      `SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = current_schema() AND column_name LIKE '%key'
          AND table_name IN ('messages', 'effects', 'log_provider_sends', 'idempotency_records', 'outbox')
        ORDER BY table_name, column_name`,
    );
    expect(rows.map((row) => `${row.table_name}.${row.column_name}`)).toEqual([
      'effects.provider_key',
      'idempotency_records.idempotency_key',
      'idempotency_records.scope_key',
      'log_provider_sends.provider_key',
      'messages.message_key',
      'outbox.kafka_key',
    ]);
  });

  it('stores and reads an account through MikroORM', async () => {
    const id = `acc_${randomUUID()}`;
    const em = orm.em.fork();
    em.create(Account, { id, name: 'Ada Ltd' });
    await em.flush();

    const found = await orm.em.fork().findOneOrFail(Account, { id });
    expect(found.name).toBe('Ada Ltd');
    expect(found.createdAt).toBeInstanceOf(Date);
  });

  it('runs raw SQL through the same connection', async () => {
    const rows = await orm.em
      .fork()
      .execute<{ version: number }[]>("SELECT current_setting('server_version_num')::int AS version");
    expect(rows[0]?.version).toBeGreaterThanOrEqual(140_000);
  });

  it('lets status updates of the projection be HOT (no index entries written)', async () => {
    const accountId = `acc_${randomUUID()}`;
    const messageId = `msg_${randomUUID()}`;
    const counts = await inTransaction(orm, async (tx) => {
      await runSql(tx, 'INSERT INTO accounts (id, name) VALUES ($1, $2)', [accountId, 'Hot Ltd']);
      await runSql(
        tx,
        `INSERT INTO messages (id, account_id, message_key, channel, recipient, sender, content, status, version)
         VALUES ($1, $2, 'k', 'email', 'ada@example.com', 'billing@example.com', $3, 'accepted', 1)`,
        [messageId, accountId, JSON.stringify({ text: 'x'.repeat(600) })],
      );
      // As the dispatcher does: dispatching, then the outcome.
      for (const [status, version] of [
        ['dispatching', 2],
        ['sent', 3],
      ] as const) {
        await runSql(tx, 'UPDATE messages SET status = $2, version = $3, updated_at = now() WHERE id = $1', [
          messageId,
          status,
          version,
        ]);
      }
      // This transaction's own counters (pg_stat_user_tables only sees committed work, later), on
      // the partition that holds the row.
      const { rows } = await runSql<{ updated: string; hot: string }>(
        tx,
        `SELECT pg_stat_get_xact_tuples_updated(m.tableoid) AS updated,
                pg_stat_get_xact_tuples_hot_updated(m.tableoid) AS hot
           FROM messages m WHERE m.id = $1`,
        [messageId],
      );
      return rows[0];
    });
    expect(counts).toEqual({ updated: '2', hot: '2' });
  });
});
