import { createEmptyDatabase, type MigratedDatabase } from '../createMigratedDatabase.js';
import { newId } from '../newId.js';
import { type Orm, openOrm } from '../openOrm.js';
import { runSql } from '../runSql.js';

const serverUrl = process.env.DATABASE_URL ?? '';
let database: MigratedDatabase;
let orm: Orm;

const sql = <Row = Record<string, unknown>>(text: string, parameters: unknown[] = []) =>
  runSql<Row>(orm.em.fork(), text, parameters);

/** The dispatcher's inbox insert (deduplicateThroughInbox): the ids not seen before come back. */
const record = async (ids: string[]) =>
  (
    await sql<{ message_id: string }>(
      `INSERT INTO inbox (message_id, fingerprint, topic, partition, "offset")
       SELECT id, '\\x01', 'commands', 0, 7 FROM unnest($1::text[]) AS v(id)
       ON CONFLICT (message_id) DO NOTHING
       RETURNING message_id`,
      [ids],
    )
  ).rows.map((row) => row.message_id);

beforeAll(async () => {
  database = await createEmptyDatabase(serverUrl, 'inboxparts');
  orm = await openOrm({ databaseUrl: database.url, poolSize: 2 });
});

afterAll(async () => {
  await orm.close();
  await database.drop();
});

describe('partitioning the inbox of a database that has rows', () => {
  it('keeps every row where it was, sends keys that are not time-ordered to DEFAULT, and still refuses a second delivery', async () => {
    await orm.migrator.up({ to: 'Migration20261204006000WebhookRetention' });
    const ids = [newId('msg'), newId('msg')];
    const odd = 'zz_not_a_time_ordered_id';
    expect(await record([...ids, odd])).toHaveLength(3);
    const { rows: before } = await sql<{ received_at: string }>(
      'SELECT received_at::text FROM inbox ORDER BY message_id',
    );

    await orm.migrator.up();

    const { rows: placed } = await sql<{ message_id: string; part: string; received_at: string }>(
      'SELECT message_id, tableoid::regclass::text AS part, received_at::text FROM inbox ORDER BY message_id',
    );
    expect(placed).toEqual([
      ...ids.sort().map((id, i) => ({ message_id: id, part: 'inbox_legacy', ...before[i] })),
      { message_id: odd, part: 'inbox_default', ...before[2] },
    ]);
    const { rows: parent } = await sql<{ kind: string }>(
      "SELECT relkind::text AS kind FROM pg_class WHERE oid = 'inbox'::regclass",
    );
    expect(parent).toEqual([{ kind: 'p' }]);
    // A second delivery of each (old rows, odd key) is refused by the same ON CONFLICT target; a new id is recorded.
    const fresh = newId('msg');
    expect(await record([...ids, odd, fresh])).toEqual([fresh]);
    await expect(
      sql(
        `INSERT INTO inbox (message_id, fingerprint, topic, partition, "offset") VALUES ($1, '\\x02', 't', 0, 1)`,
        [ids[0]],
      ),
    ).rejects.toMatchObject({ code: '23505' });
  });
});
