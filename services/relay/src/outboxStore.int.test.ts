import { claimStatement, outboxSessionSettings } from '@exactly/outbox';
import { inTransaction, type Orm, openOrm, runSql } from '@exactly/persistence';
import { OutboxStore } from './outboxStore.js';
import { createTestDatabase, type TestDatabase } from './testing/testDatabase.js';

let database: TestDatabase;
const orms: Orm[] = [];

beforeEach(async () => {
  database = await createTestDatabase();
});

afterEach(async () => {
  await Promise.all(orms.splice(0).map((orm) => orm.close()));
  await database.drop();
});

async function open(sessionSettings?: Record<string, string>): Promise<Orm> {
  const orm = await openOrm({ databaseUrl: database.url, poolSize: 2, sessionSettings });
  orms.push(orm);
  return orm;
}

/**
 * An outbox analysed while empty (its usual state), then a backlog of 20,000 rows of ~700 bytes
 * like send commands (the planner's choice depends on the table's size: smaller backlogs get the
 * index scan anyway).
 */
async function backlogAfterEmptyAnalyse(orm: Orm): Promise<void> {
  await runSql(orm.em.fork(), 'VACUUM (ANALYZE) outbox');
  await runSql(
    orm.em.fork(),
    `INSERT INTO outbox (topic, kafka_key, payload)
     SELECT 't', 'key/' || n, jsonb_build_object('n', n, 'text', repeat('x', 700))
       FROM generate_series(1, 20000) AS n`,
  );
  await runSql(
    orm.em.fork(),
    "UPDATE outbox_shard_leases SET relay_id = 'r', lease_until = now() + interval '1 hour'",
  );
}

/** The claim's plan, run (EXPLAIN ANALYZE), and how many outbox rows its scans went through. */
async function claimPlan(orm: Orm): Promise<{ text: string; rowsScanned: number }> {
  const em = orm.em.fork();
  const shards = Array.from({ length: 32 }, (_, shard) => shard);
  const { rows } = await runSql<{ 'QUERY PLAN': string }>(
    em,
    `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${claimStatement}`,
    ['r', 1, shards, 16, 500, '{}'],
  );
  const text = rows.map((row) => row['QUERY PLAN']).join('\n');
  return { text, rowsScanned: scannedRows(text) };
}

/** How many outbox rows a plan's scans went through: "... on outbox o (actual rows=16.00 loops=32)". */
function scannedRows(plan: string): number {
  const scan = /on outbox o \(actual rows=([\d.]+) loops=(\d+)\)/.exec(plan);
  return Number(scan?.[1] ?? Number.NaN) * Number(scan?.[2] ?? Number.NaN);
}

/**
 * The claim's plan on one connection that prepared it while the outbox was empty and ran it six
 * times (PostgreSQL considers keeping a generic plan after five), after a backlog of 20,000 rows
 * arrived: what each service's connections do, since they prepare every statement.
 */
async function preparedClaimPlan(orm: Orm): Promise<{ text: string; rowsScanned: number }> {
  await runSql(orm.em.fork(), 'VACUUM (ANALYZE) outbox');
  await runSql(
    orm.em.fork(),
    "UPDATE outbox_shard_leases SET relay_id = 'r', lease_until = now() + interval '1 hour'",
  );
  const shards = Array.from({ length: 32 }, (_, shard) => shard).join(',');
  return inTransaction(orm, async (em) => {
    await runSql(em, `PREPARE claim (text, bigint, smallint[], int, int, bigint[]) AS ${claimStatement}`);
    const execute = `EXECUTE claim ('r', 1, '{${shards}}', 16, 500, '{}')`;
    for (let run = 0; run < 6; run += 1) await runSql(em, execute);
    await runSql(
      em,
      `INSERT INTO outbox (topic, kafka_key, payload)
       SELECT 't', 'key/' || n, jsonb_build_object('n', n, 'text', repeat('x', 700))
         FROM generate_series(1, 20000) AS n`,
    );
    const { rows } = await runSql<{ 'QUERY PLAN': string }>(
      em,
      `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${execute}`,
    );
    await runSql(em, 'DEALLOCATE claim');
    const text = rows.map((row) => row['QUERY PLAN']).join('\n');
    return { text, rowsScanned: scannedRows(text) };
  });
}

describe('the claim plan', () => {
  it('walks the unpublished index in order, reading about what it claims, with the relay session settings', async () => {
    const orm = await open(outboxSessionSettings);
    await backlogAfterEmptyAnalyse(orm);
    const plan = await claimPlan(orm);
    expect(plan.text).toContain('Index Scan using outbox_unpublished_idx');
    expect(plan.text).not.toContain('Bitmap');
    // 16 rows from each of 32 shards, not the backlog.
    expect(plan.rowsScanned).toBe(512);
  });

  it('reads the whole backlog per claim without them (the planner trap the settings avoid)', async () => {
    const orm = await open();
    await backlogAfterEmptyAnalyse(orm);
    const plan = await claimPlan(orm);
    expect(plan.text).toContain('Bitmap Heap Scan on outbox');
    expect(plan.rowsScanned).toBe(20_000);
  });

  it('plans each claim for the outbox as it is now, though every connection prepares it', async () => {
    const orm = await open(outboxSessionSettings);
    const plan = await preparedClaimPlan(orm);
    expect(plan.text).toContain('Index Scan using outbox_unpublished_idx');
    expect(plan.rowsScanned).toBe(512);
  });

  it('reads the whole backlog per claim with a plan kept from an empty outbox (the trap plan_cache_mode avoids)', async () => {
    const orm = await open({ ...outboxSessionSettings, plan_cache_mode: 'auto' });
    const plan = await preparedClaimPlan(orm);
    expect(plan.text).toContain('Seq Scan on outbox o');
    expect(plan.rowsScanned).toBe(20_000);
  });

  it('claims the oldest rows of each shard, skipping the ones in hand', async () => {
    const orm = await open(outboxSessionSettings);
    await backlogAfterEmptyAnalyse(orm);
    const store = new OutboxStore(orm, 'events-topic-unused');
    const request = { relayId: 'r', shards: [0, 1, 2, 3], perShard: 5, limit: 20 };
    const first = await store.claim({ ...request, batch: 1, exclude: [] });
    const second = await store.claim({ ...request, batch: 2, exclude: first.map((row) => row.id) });
    expect(first).toHaveLength(20);
    expect(second).toHaveLength(20);
    expect(new Set([...first, ...second].map((row) => row.id)).size).toBe(40);
    const { rows: oldest } = await runSql<{ id: string }>(
      orm.em.fork(),
      `SELECT id::text AS id FROM (
         SELECT id, row_number() OVER (PARTITION BY shard ORDER BY id) AS position
           FROM outbox WHERE shard = ANY('{0,1,2,3}')) ranked
        WHERE position <= 10 ORDER BY id`,
    );
    expect([...first, ...second].map((row) => row.id).sort()).toEqual(oldest.map((row) => row.id).sort());
  });
});
