import {
  createMigratedDatabase,
  type MigratedDatabase,
  type Orm,
  openOrm,
  runSql,
} from '@exactly/persistence';
import { lookupSessionSettings, lookupStatement } from './idempotencyRecords.js';

let database: MigratedDatabase;
const orms: Orm[] = [];

beforeEach(async () => {
  database = await createMigratedDatabase(process.env.DATABASE_URL ?? '', 'idempotency_lookup_plan');
});

afterEach(async () => {
  await Promise.all(orms.splice(0).map((orm) => orm.close()));
  await database.drop();
});

async function open(sessionSettings: Record<string, string>): Promise<Orm> {
  const orm = await openOrm({ databaseUrl: database.url, poolSize: 1, sessionSettings });
  orms.push(orm);
  return orm;
}

/**
 * The look-up prepared and run six times on a new database's empty table (PostgreSQL settles on
 * a plan to keep after five), then 100,000 records arrive: the kept plan, run, for two keys.
 */
async function lookupPlanKeptFromEmpty(orm: Orm): Promise<{ plan: string; genericPlans: number }> {
  const em = orm.em.fork();
  await runSql(em, 'VACUUM (ANALYZE) idempotency_records');
  await runSql(em, `PREPARE lookup (text[]) AS ${lookupStatement}`);
  for (let run = 0; run < 6; run += 1) await runSql(em, `EXECUTE lookup ('{acc_a|*|k-${run}}')`);
  await runSql(em, "INSERT INTO accounts (id, name) VALUES ('acc_a', 'lookup plan test')");
  await runSql(
    em,
    `INSERT INTO idempotency_records (scope_key, account_id, api_key_id, idempotency_key, method, route,
       fingerprint, response_status, response_headers, response_body, resource_ids, request_id, created_at, expires_at)
     SELECT 'acc_a|*|k-' || n, 'acc_a', 'key_a', 'k-' || n, 'POST', '/v1/messages', '\\x00', 202, '{}', '{}',
            '{}', 'req_' || n, now(), now() + interval '1 day'
       FROM generate_series(1, 100000) AS n`,
  );
  const { rows } = await runSql<{ 'QUERY PLAN': string }>(
    em,
    "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) EXECUTE lookup ('{acc_a|*|k-5,acc_a|*|k-77}')",
  );
  const { rows: kept } = await runSql<{ generic_plans: string }>(
    em,
    "SELECT generic_plans FROM pg_prepared_statements WHERE name = 'lookup'",
  );
  return {
    plan: rows.map((row) => row['QUERY PLAN']).join('\n'),
    genericPlans: Number(kept[0]?.generic_plans),
  };
}

describe('the key look-up on its own connections', () => {
  it('keeps one plan per connection, by the primary key, though it was made on an empty table', async () => {
    const orm = await open(lookupSessionSettings);
    const { plan, genericPlans } = await lookupPlanKeptFromEmpty(orm);
    expect(genericPlans).toBeGreaterThanOrEqual(7);
    expect(plan).toContain('Index Scan using idempotency_records_pkey on idempotency_records');
    expect(plan).not.toContain('Seq Scan');
  });

  // Which of the two the empty table's statistics lead to varies from run to run (a sequential scan
  // in most, a bitmap over the expiry index that walks every live record in some); neither is the
  // primary key's scan that the settings pin.
  it('would keep a plan that walks every record (a sequential scan or the expiry index) without the scans turned off', async () => {
    const orm = await open({ plan_cache_mode: 'force_generic_plan' });
    const { plan } = await lookupPlanKeptFromEmpty(orm);
    expect(plan).not.toContain('Index Scan using idempotency_records_pkey');
    expect(plan).toMatch(
      /Seq Scan on idempotency_records|Bitmap Index Scan on idempotency_records_expires_at_idx \(actual rows=100000/,
    );
  });
});
