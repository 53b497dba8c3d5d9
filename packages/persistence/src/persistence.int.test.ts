import { randomUUID } from 'node:crypto';
import { Account, type Orm, openOrm, runMigrations } from './index.js';

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
});
