import { claimStatement, markStatement, outboxSessionSettings } from '@exactly/outbox';
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

/**
 * The claim's plan, run (EXPLAIN ANALYZE), and how many outbox rows its scans went through;
 * `inHand` rows are skipped, and with `after` each shard starts past the highest of them.
 */
async function claimPlan(
  orm: Orm,
  {
    inHand = [],
    after = new Map(),
    batch = 1,
  }: { inHand?: readonly string[]; after?: ReadonlyMap<number, string>; batch?: number } = {},
): Promise<{ text: string; rowsScanned: number; rowsDropped: number }> {
  const em = orm.em.fork();
  const shards = Array.from({ length: 32 }, (_, shard) => shard);
  const { rows } = await runSql<{ 'QUERY PLAN': string }>(
    em,
    `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${claimStatement}`,
    [
      'r',
      batch,
      shards,
      16,
      500,
      `{${inHand.join(',')}}`,
      [...after.keys()],
      `{${[...after.values()].join(',')}}`,
    ],
  );
  const text = rows.map((row) => row['QUERY PLAN']).join('\n');
  return { text, rowsScanned: scannedRows(text), rowsDropped: droppedRows(text) };
}

/** How many outbox rows a plan's scans went through: "... on outbox o (actual rows=16.00 loops=32)". */
function scannedRows(plan: string): number {
  const scan = /on outbox o \(actual rows=([\d.]+) loops=(\d+)\)/.exec(plan);
  return Number(scan?.[1] ?? Number.NaN) * Number(scan?.[2] ?? Number.NaN);
}

/** How many rows the scan on outbox read and then dropped by its filter ("Rows Removed by Filter", per loop). */
function droppedRows(plan: string): number {
  const lines = plan.split('\n');
  const at = lines.findIndex((line) => / on outbox o \(actual rows=/.test(line));
  const loops = Number(/loops=(\d+)/.exec(lines[at] ?? '')?.[1] ?? Number.NaN);
  const details = lines.slice(at + 1);
  const nextNode = details.findIndex((line) => line.includes('->'));
  const removed = (nextNode < 0 ? details : details.slice(0, nextNode))
    .map((line) => /Rows Removed by Filter: ([\d.]+)/.exec(line)?.[1])
    .find((value) => value !== undefined);
  return Number(removed ?? 0) * loops;
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
    await runSql(
      em,
      `PREPARE claim (text, bigint, smallint[], int, int, bigint[], smallint[], bigint[]) AS ${claimStatement}`,
    );
    const execute = `EXECUTE claim ('r', 1, '{${shards}}', 16, 500, '{}', '{}', '{}')`;
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

  it('walks the index without them too, now that the scan of each shard is a range on id', async () => {
    // Without the range (the claim as it was before 2026-12-07), these statistics made the planner
    // read the whole backlog of every shard with a bitmap scan (20,000 rows per claim); the
    // settings stay as a guard.
    const orm = await open();
    await backlogAfterEmptyAnalyse(orm);
    const plan = await claimPlan(orm);
    expect(plan.text).toContain('Index Scan using outbox_unpublished_idx on outbox o');
    expect(plan.text).not.toContain('Bitmap Heap Scan on outbox o');
    expect(plan.rowsScanned).toBe(512);
  });

  it('plans each claim for the outbox as it is now, though every connection prepares it', async () => {
    const orm = await open(outboxSessionSettings);
    const plan = await preparedClaimPlan(orm);
    expect(plan.text).toContain('Index Scan using outbox_unpublished_idx');
    expect(plan.rowsScanned).toBe(512);
  });

  it('reads the whole backlog per claim with a plan kept from an empty outbox (the trap plan_cache_mode avoids)', async () => {
    // Shown with bitmap scans off only: with sequential scans off too, the kept plan walks the
    // primary key instead and filters each shard's rows from every shard's.
    const orm = await open({ enable_bitmapscan: 'off', plan_cache_mode: 'auto' });
    const plan = await preparedClaimPlan(orm);
    expect(plan.text).toContain('Seq Scan on outbox o');
    expect(plan.rowsScanned).toBe(20_000);
  });

  it('starts each shard past the rows in hand when told where they end, instead of visiting each', async () => {
    const orm = await open(outboxSessionSettings);
    await backlogAfterEmptyAnalyse(orm);
    // Two batches in hand: the 32 oldest rows of every shard.
    const { rows: held } = await runSql<{ id: string; shard: number }>(
      orm.em.fork(),
      `SELECT id::text AS id, shard FROM (
         SELECT id, shard, row_number() OVER (PARTITION BY shard ORDER BY id) AS position FROM outbox) ranked
        WHERE position <= 32`,
    );
    const after = new Map<number, string>();
    for (const row of held)
      if (BigInt(after.get(row.shard) ?? '0') < BigInt(row.id)) after.set(row.shard, row.id);
    const inHand = held.map((row) => row.id);
    const skipping = await claimPlan(orm, { inHand });
    const startingAfter = await claimPlan(orm, { inHand, after, batch: 2 });
    expect(skipping.text).toContain('Index Scan using outbox_unpublished_idx');
    expect(startingAfter.text).toContain('Index Scan using outbox_unpublished_idx');
    // The rows in hand are read and dropped one by one (32 per shard), or not read at all.
    expect(skipping.rowsScanned).toBe(512);
    expect(skipping.rowsDropped).toBe(1024);
    expect(startingAfter.rowsScanned).toBe(512);
    expect(startingAfter.rowsDropped).toBe(0);
  });

  it('claims a row whatever its id, ids below the identity range included, when no floor is given', async () => {
    const orm = await open(outboxSessionSettings);
    await runSql(
      orm.em.fork(),
      "UPDATE outbox_shard_leases SET relay_id = 'r', lease_until = now() + interval '1 hour'",
    );
    await runSql(
      orm.em.fork(),
      `INSERT INTO outbox (id, topic, kafka_key, payload) OVERRIDING SYSTEM VALUE
       VALUES (-7, 't', 'key/negative', '{}'), (0, 't', 'key/zero', '{}')`,
    );
    const store = new OutboxStore(orm, 'events-topic-unused');
    const shards = Array.from({ length: 32 }, (_, shard) => shard);
    const rows = await store.claim({ relayId: 'r', batch: 1, shards, perShard: 5, limit: 10, exclude: [] });
    expect(rows.map((row) => row.id).sort()).toEqual(['-7', '0']);
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

    // Starting each shard past the rows in hand claims the same rows as skipping them.
    const inHand = [...first, ...second];
    const after = new Map<number, string>();
    for (const row of inHand)
      if (BigInt(after.get(row.shard) ?? '0') < BigInt(row.id)) after.set(row.shard, row.id);
    const exclude = inHand.map((row) => row.id);
    const skipping = await store.claim({ ...request, batch: 3, exclude });
    const startingAfter = await store.claim({ ...request, batch: 4, exclude, after });
    expect(startingAfter).toHaveLength(20);
    expect(startingAfter.map((row) => row.id)).toEqual(skipping.map((row) => row.id));
  });
});

/**
 * An outbox analysed while empty, then 20,000 rows published and deleted (dead, not yet vacuumed:
 * autovacuum visits a database at most once a minute) with 33 rows left: what the relay's mark
 * meets between two vacuums. Returns the mark's plan, run, for those 33 rows.
 */
async function markPlanAmongDeadRows(orm: Orm, deleteOnPublish: boolean): Promise<string> {
  const em = orm.em.fork();
  await runSql(em, 'ALTER TABLE outbox SET (autovacuum_enabled = false)');
  await runSql(em, 'VACUUM (ANALYZE) outbox');
  await runSql(
    em,
    `INSERT INTO outbox (topic, kafka_key, payload)
     SELECT 't', 'key/' || n, jsonb_build_object('n', n, 'text', repeat('x', 700))
       FROM generate_series(1, 20000) AS n`,
  );
  const { rows } = await runSql<{ id: string }>(
    em,
    `WITH gone AS (DELETE FROM outbox WHERE id <= (SELECT max(id) - 33 FROM outbox)) 
     SELECT id::text AS id FROM outbox WHERE id > (SELECT max(id) - 33 FROM outbox)`,
  );
  const { rows: plan } = await runSql<{ 'QUERY PLAN': string }>(
    em,
    `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) ${markStatement(deleteOnPublish)}`,
    [`{${rows.map((row) => row.id).join(',')}}`, 'r', [1]],
  );
  return plan.map((line) => line['QUERY PLAN']).join('\n');
}

/** The shared buffers the plan's scan of outbox read: the "Buffers:" line under "... Scan ... on outbox". */
function scanBuffers(plan: string): number {
  const lines = plan.split('\n');
  const at = lines.findIndex((line) => /Scan (using \S+ )?on outbox /.test(line));
  const line = lines.slice(at + 1).find((detail) => detail.includes('Buffers: shared')) ?? '';
  return [...line.matchAll(/(?:hit|read)=(\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
}

describe('the mark plan', () => {
  it.each([
    ['deletes', true],
    ['marks', false],
  ])(
    '%s the acknowledged rows through an index among dead rows, with the relay session settings',
    async (_, deleteOnPublish) => {
      const orm = await open(outboxSessionSettings);
      const plan = await markPlanAmongDeadRows(orm, deleteOnPublish);
      // By the primary key (delete) or the unpublished rows' index (mark, `published_at IS NULL`).
      expect(plan).toMatch(/Index Scan using outbox_(pkey|unpublished_idx) on outbox/);
      expect(plan).not.toContain('Seq Scan on outbox');
      // 33 rows by an index, not the 20,000 dead ones' pages (about 2,000).
      expect(scanBuffers(plan)).toBeLessThan(200);
    },
  );

  it('reads every dead row per mark with bitmap scans off alone: the trap enable_seqscan = off avoids', async () => {
    // The statistics of an empty outbox make 33 ids look like most of a table grown with dead
    // rows; without a bitmap scan the planner then reads the table: 1.7 ms and 1,300 pages per
    // mark at 500 commands/s.
    const orm = await open({ enable_bitmapscan: 'off' });
    const plan = await markPlanAmongDeadRows(orm, true);
    expect(plan).toContain('Seq Scan on outbox');
    expect(scanBuffers(plan)).toBeGreaterThan(1500);
  });
});
