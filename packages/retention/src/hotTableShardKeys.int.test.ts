import { newId, type Orm, openOrm, runSql } from '@exactly/persistence';
import { hotTableShardKeys } from './hotTableShardKeys.js';
import { partitionedGroups } from './partitionedTables.js';

const databaseUrl = process.env.DATABASE_URL ?? '';
let orm: Orm;

beforeAll(async () => {
  orm = await openOrm({ databaseUrl, poolSize: 2 });
});

afterAll(async () => {
  await orm.close();
});

/** The primary key's columns of every table, read from the migrated database's catalog. */
async function primaryKeys(): Promise<Map<string, string[]>> {
  const { rows } = await runSql<{ table: string; columns: string[] }>(
    orm.em.fork(),
    `SELECT c.conrelid::regclass::text AS table,
            array_agg(a.attname::text ORDER BY array_position(c.conkey, a.attnum)) AS columns
       FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
      WHERE c.contype = 'p' AND c.connamespace = 'public'::regnamespace
        AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.conrelid)
      GROUP BY c.conrelid`,
  );
  return new Map(rows.map((row) => [row.table, row.columns]));
}

describe('the schema a distributed PostgreSQL needs', () => {
  it("has every hot table's shard key in its primary key", async () => {
    const keys = await primaryKeys();
    const missing = Object.entries(hotTableShardKeys)
      .filter(([table, shardKey]) => !(keys.get(table) ?? []).includes(shardKey))
      .map(([table, shardKey]) => `${table} (${(keys.get(table) ?? []).join(', ')}) lacks ${shardKey}`);
    expect(missing).toEqual([]);
  });

  it('partitions every time-partitioned table by the leading column of its primary key', async () => {
    const keys = await primaryKeys();
    for (const spec of partitionedGroups.flatMap((group) => group.tables)) {
      expect([spec.table, keys.get(spec.table)?.[0]]).toEqual([spec.table, spec.column]);
    }
  });

  it('has every table of a partitioned group partitioned by RANGE of that column', async () => {
    const { rows } = await runSql<{ table: string; key: string | null }>(
      orm.em.fork(),
      `SELECT t AS table, pg_get_partkeydef(to_regclass(t)) AS key
         FROM unnest($1::text[]) AS t ORDER BY t`,
      [partitionedGroups.flatMap((group) => group.tables.map((spec) => spec.table))],
    );
    const columns = new Map(
      partitionedGroups.flatMap((group) => group.tables.map((spec) => [spec.table, spec.column])),
    );
    expect(rows).toEqual(rows.map(({ table }) => ({ table, key: `RANGE (${columns.get(table)})` })));
    expect(rows.map((row) => row.table)).toContain('inbox');
  });
});

describe('the keys exactly-once relies on, on partitioned tables', () => {
  const insertOnce = async (text: string, parameters: unknown[]) => {
    const first = await runSql(orm.em.fork(), text, parameters);
    const second = runSql(orm.em.fork(), text, parameters);
    return { first: first.rowCount, second };
  };

  beforeAll(async () => {
    await runSql(
      orm.em.fork(),
      "INSERT INTO accounts (id, name) VALUES ('acc_keys', 'k') ON CONFLICT DO NOTHING",
    );
  });

  it('refuses a second event of the same stream version', async () => {
    const stream = newId('msg');
    const { second } = await insertOnce(
      "INSERT INTO message_events (stream_id, version, type, data) VALUES ($1, 1, 'MessageAccepted', '{}')",
      [stream],
    );
    await expect(second).rejects.toMatchObject({ code: '23505' });
  });

  it('refuses a second effect for the same message', async () => {
    const message = newId('msg');
    const { second } = await insertOnce(
      `INSERT INTO effects (id, message_id, account_id, channel, provider, provider_key, request, max_attempts)
       VALUES ('eff_' || $1, $1, 'acc_keys', 'sms', 'log', $1, '{}', 3)`,
      [message],
    );
    await expect(second).rejects.toMatchObject({ code: '23505' });
  });

  it("keeps one log provider send per provider key (the log provider's ON CONFLICT target)", async () => {
    const key = newId('msg');
    const { first, second } = await insertOnce(
      `INSERT INTO log_provider_sends (provider_key, message_id, account_id, channel, recipient, attempt)
       VALUES ($1, $1, 'acc_keys', 'sms', '+1', 1) ON CONFLICT (provider_key, account_id) DO NOTHING`,
      [key],
    );
    expect([first, (await second).rowCount]).toEqual([1, 0]);
  });

  it("drops a second delivery of a command (the dispatcher's inbox ON CONFLICT target)", async () => {
    const { first, second } = await insertOnce(
      `INSERT INTO inbox (message_id, fingerprint, topic, partition, "offset")
       SELECT id, '\\x01', 'commands', 0, 1 FROM unnest($1::text[]) AS v(id)
       ON CONFLICT (message_id) DO NOTHING RETURNING message_id`,
      [[newId('msg')]],
    );
    expect([first, (await second).rowCount]).toEqual([1, 0]);
  });

  it('refuses a second message with the same id, and a second attempt with the same number', async () => {
    const id = newId('msg');
    const message = await insertOnce(
      `INSERT INTO messages (id, account_id, message_key, channel, recipient, sender, content, status, version)
       VALUES ($1, 'acc_keys', $1, 'sms', '+1', 's', '{}', 'accepted', 1)`,
      [id],
    );
    await expect(message.second).rejects.toMatchObject({ code: '23505' });
    const attempt = await insertOnce(
      `INSERT INTO effect_attempts (effect_id, attempt, provider, outcome, started_at, finished_at)
       VALUES ('eff_' || $1, 1, 'log', 'accepted', now(), now())`,
      [id],
    );
    await expect(attempt.second).rejects.toMatchObject({ code: '23505' });
  });
});
