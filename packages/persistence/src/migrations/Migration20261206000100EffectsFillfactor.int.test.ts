import { createEmptyDatabase, type MigratedDatabase } from '../createMigratedDatabase.js';
import { type Orm, openOrm } from '../openOrm.js';
import { runSql } from '../runSql.js';

const serverUrl = process.env.DATABASE_URL ?? '';
let database: MigratedDatabase;
let orm: Orm;

const effectPartitions = async () =>
  (
    await runSql<{ relname: string; reloptions: string[] | null }>(
      orm.em.fork(),
      `SELECT c.relname, c.reloptions FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'effects'::regclass`,
    )
  ).rows
    .map((row) => [row.relname, row.reloptions])
    .sort(([a], [b]) => String(a).localeCompare(String(b)));

beforeAll(async () => {
  database = await createEmptyDatabase(serverUrl, 'effectsfill');
  orm = await openOrm({ databaseUrl: database.url, poolSize: 2 });
});

afterAll(async () => {
  await orm.close();
  await database.drop();
});

describe('room on the pages of effects', () => {
  it('is left on every existing partition of effects, and taken back by down', async () => {
    await orm.migrator.up({ to: 'Migration20261204007000InboxPartitions' });
    expect(await effectPartitions()).toEqual([
      ['effects_default', null],
      ['effects_legacy', null],
    ]);
    await orm.migrator.up({ to: 'Migration20261206000100EffectsFillfactor' });
    expect(await effectPartitions()).toEqual([
      ['effects_default', ['fillfactor=50']],
      ['effects_legacy', ['fillfactor=50']],
    ]);
    await orm.migrator.down({ to: 'Migration20261204007000InboxPartitions' });
    expect(await effectPartitions()).toEqual([
      ['effects_default', null],
      ['effects_legacy', null],
    ]);
  });
});
