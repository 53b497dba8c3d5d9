import { createEmptyDatabase, type MigratedDatabase } from '../createMigratedDatabase.js';
import { newId } from '../newId.js';
import { type Orm, openOrm } from '../openOrm.js';
import { runSql } from '../runSql.js';

const serverUrl = process.env.DATABASE_URL ?? '';
let database: MigratedDatabase;
let orm: Orm;

const sql = <Row = Record<string, unknown>>(text: string, parameters: unknown[] = []) =>
  runSql<Row>(orm.em.fork(), text, parameters);

beforeAll(async () => {
  database = await createEmptyDatabase(serverUrl, 'timeparts');
  orm = await openOrm({ databaseUrl: database.url, poolSize: 2 });
});

afterAll(async () => {
  await orm.close();
  await database.drop();
});

describe('partitioning the message tables of a database that has rows', () => {
  it('keeps every row, key and position, and sends keys that are not time-ordered to the DEFAULT partition', async () => {
    await orm.migrator.up({ to: 'Migration20261204000400KeyNames' });
    const ids = [newId('msg'), newId('msg')];
    const odd = 'zz_not_a_time_ordered_id';
    await sql("INSERT INTO accounts (id, name) VALUES ('acc_1', 'a')");
    for (const id of [...ids, odd]) {
      await sql(
        `INSERT INTO messages (id, account_id, message_key, channel, recipient, sender, content, status, version)
         VALUES ($1, 'acc_1', $1, 'sms', '+1', 's', '{}', 'sent', 2)`,
        [id],
      );
      await sql(
        `INSERT INTO message_events (stream_id, version, type, data)
         VALUES ($1, 1, 'MessageAccepted', '{}'), ($1, 2, 'ProviderAccepted', '{}')`,
        [id],
      );
      await sql(
        `INSERT INTO effects (id, message_id, account_id, channel, provider, provider_key, request, max_attempts)
         VALUES ('eff_' || $1, $1, 'acc_1', 'sms', 'log', $1, '{}', 3)`,
        [id],
      );
      await sql(
        `INSERT INTO effect_attempts (effect_id, attempt, provider, outcome, started_at, finished_at)
         VALUES ('eff_' || $1, 1, 'log', 'accepted', now(), now())`,
        [id],
      );
      await sql(
        `INSERT INTO log_provider_sends (provider_key, message_id, account_id, channel, recipient, attempt)
         VALUES ($1, $1, 'acc_1', 'sms', '+1', 1)`,
        [id],
      );
    }
    const { rows: before } = await sql<{ max: string }>(
      'SELECT max(global_position) AS max FROM message_events',
    );

    await orm.migrator.up();

    const { rows: placed } = await sql<{ id: string; part: string }>(
      'SELECT id, tableoid::regclass::text AS part FROM messages ORDER BY id',
    );
    expect(placed).toEqual([
      ...ids.sort().map((id) => ({ id, part: 'messages_legacy' })),
      { id: odd, part: 'messages_default' },
    ]);
    for (const table of ['message_events', 'effects', 'effect_attempts', 'log_provider_sends']) {
      const { rows } = await sql<{ part: string; n: string }>(
        `SELECT tableoid::regclass::text AS part, count(*) AS n FROM ${table} GROUP BY 1 ORDER BY 1`,
      );
      const perMessage = table === 'message_events' ? 2 : 1;
      expect(rows).toEqual([
        { part: `${table}_default`, n: String(perMessage) },
        { part: `${table}_legacy`, n: String(2 * perMessage) },
      ]);
    }
    // The identity goes on from where it was, and the keys still refuse duplicates.
    const next = newId('msg');
    const { rows: appended } = await sql<{ global_position: string }>(
      `INSERT INTO message_events (stream_id, version, type, data) VALUES ($1, 1, 'MessageAccepted', '{}')
       RETURNING global_position`,
      [next],
    );
    expect(Number(appended[0]?.global_position)).toBeGreaterThan(Number(before[0]?.max));
    await expect(
      sql("INSERT INTO message_events (stream_id, version, type, data) VALUES ($1, 2, 'X', '{}')", [ids[0]]),
    ).rejects.toMatchObject({ code: '23505' });
    // Foreign keys and checks came along.
    await expect(
      sql(
        `INSERT INTO messages (id, account_id, message_key, channel, recipient, sender, content, status, version)
         VALUES ($1, 'acc_nobody', 'k', 'sms', '+1', 's', '{}', 'sent', 1)`,
        [newId('msg')],
      ),
    ).rejects.toMatchObject({ code: '23503' });
    await expect(
      sql(
        `INSERT INTO effects (id, message_id, account_id, channel, provider, provider_key, request, max_attempts, state)
         VALUES ('eff_' || $1, $1, 'acc_1', 'sms', 'log', $1, '{}', 3, 'bogus')`,
        [newId('msg')],
      ),
    ).rejects.toMatchObject({ code: '23514' });
  });
});
