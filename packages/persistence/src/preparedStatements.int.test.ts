import { inTransaction, type Orm, openOrm, runSql } from './index.js';
import { StatementNames } from './preparedStatements.js';

const databaseUrl = process.env.DATABASE_URL ?? '';

type EntityManager = Parameters<typeof runSql>[0];

interface Prepared {
  statement: string;
  custom_plans: string;
  generic_plans: string;
}

/** The prepared statements of the connection `em` runs on, as PostgreSQL lists them. */
async function preparedOn(em: EntityManager): Promise<Prepared[]> {
  const { rows } = await runSql<Prepared>(
    em,
    'SELECT statement, custom_plans::text, generic_plans::text FROM pg_prepared_statements ORDER BY statement',
  );
  return rows;
}

describe('statements prepared once per connection', () => {
  const orms: Orm[] = [];

  afterEach(async () => {
    await Promise.all(orms.splice(0).map((orm) => orm.close()));
  });

  async function open(preparedStatements?: number): Promise<Orm> {
    const orm = await openOrm({ databaseUrl, poolSize: 1, preparedStatements });
    orms.push(orm);
    return orm;
  }

  it('parses a parameterised statement once on a connection and plans it afresh on each run', async () => {
    const orm = await open();
    const listed = await inTransaction(orm, async (em) => {
      for (let run = 1; run <= 8; run += 1) {
        const { rows } = await runSql<{ next: number }>(em, 'SELECT $1::int + 1 AS next', [run]);
        expect(rows).toEqual([{ next: run + 1 }]);
      }
      // Without parameters: a simple query, which may hold several statements.
      await runSql(em, 'SELECT 1; SELECT 2');
      return preparedOn(em);
    });
    expect(listed).toEqual([
      { statement: 'SELECT $1::int + 1 AS next', custom_plans: '8', generic_plans: '0' },
    ]);
  });

  it('keeps the plan where a transaction allows it (plan_cache_mode auto)', async () => {
    const orm = await open();
    const listed = await inTransaction(
      orm,
      async (em) => {
        for (let run = 1; run <= 8; run += 1) await runSql(em, 'SELECT $1::int AS n', [run]);
        return preparedOn(em);
      },
      { plan_cache_mode: 'auto' },
    );
    // PostgreSQL plans the first five runs for their values, then keeps the generic plan.
    expect(listed).toEqual([{ statement: 'SELECT $1::int AS n', custom_plans: '5', generic_plans: '3' }]);
  });

  it('prepares nothing when asked for none', async () => {
    const orm = await open(0);
    const listed = await inTransaction(orm, async (em) => {
      await runSql(em, 'SELECT $1::int AS n', [1]);
      return preparedOn(em);
    });
    expect(listed).toEqual([]);
  });

  it('reports a failing statement, and the connection still runs it afterwards', async () => {
    const orm = await open();
    const em = orm.em.fork();
    await expect(runSql(em, 'SELECT 1 / $1::int AS n', [0])).rejects.toThrow('division by zero');
    await expect(runSql(em, 'SELEC $1::int')).rejects.toThrow('syntax error');
    await expect(runSql(em, 'SELEC $1::int', [1])).rejects.toThrow('syntax error');
    const { rows } = await runSql<{ n: number }>(em, 'SELECT 1 / $1::int AS n', [1]);
    expect(rows).toEqual([{ n: 1 }]);
  });
});

describe('the names of prepared statements', () => {
  it('gives a text the same name each time, and different texts different names', () => {
    const names = new StatementNames(10);
    const first = names.nameOf('SELECT $1');
    expect(first).toMatch(/^exactly_[0-9a-f]{24}$/);
    expect(names.nameOf('SELECT $1')).toBe(first);
    expect(new StatementNames(10).nameOf('SELECT $1')).toBe(first);
    expect(names.nameOf('SELECT $2')).not.toBe(first);
  });

  it('names only the first texts up to its limit, and keeps naming those', () => {
    const names = new StatementNames(2);
    const a = names.nameOf('SELECT $1 AS a');
    const b = names.nameOf('SELECT $1 AS b');
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(names.nameOf('SELECT $1 AS c')).toBeUndefined();
    expect(names.nameOf('SELECT $1 AS a')).toBe(a);
  });
});
