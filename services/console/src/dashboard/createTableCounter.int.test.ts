import { randomBytes } from 'node:crypto';
import type { BucketCounts, CountedTable } from '@exactly/operations';
import { inTransaction, type Orm, openOrm, runSql } from '@exactly/persistence';
import { createTableCounter } from './createTableCounter.js';

let orm: Orm;
let source: CountedTable;
const bucketMs = 5_000;

beforeAll(async () => {
  orm = await openOrm({ databaseUrl: process.env.DATABASE_URL ?? '', poolSize: 4 });
});

beforeEach(async () => {
  // A table of its own, so rows that other tests write never count here.
  const table = `counted_${randomBytes(4).toString('hex')}`;
  await runSql(
    orm.em.fork(),
    `CREATE TABLE ${table} (
       id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
       kind text NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now())`,
  );
  source = { table, position: 'id', createdAt: 'created_at', category: 'kind', where: 'true' };
});

afterEach(async () => {
  await runSql(orm.em.fork(), `DROP TABLE ${source.table}`);
});

afterAll(async () => {
  await orm.close();
});

const insert = (kinds: string[], at?: Date, em = orm.em.fork()) =>
  runSql(
    em,
    at === undefined
      ? `INSERT INTO ${source.table} (kind) SELECT unnest($1::text[])`
      : `INSERT INTO ${source.table} (kind, created_at) SELECT unnest($1::text[]), $2::timestamptz`,
    at === undefined ? [kinds] : [kinds, at.toISOString()],
  );

/** Total per category over every bucket. */
function totals(counts: BucketCounts): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const byCategory of counts.values())
    for (const [category, n] of byCategory) sums[category] = (sums[category] ?? 0) + n;
  return sums;
}

describe('counting a table by time bucket', () => {
  it('counts the rows of the window per bucket and category, found by binary search from the window start', async () => {
    const now = Date.now();
    await insert(Array(40).fill('accepted'), new Date(now - 20 * 60_000));
    await insert(Array(7).fill('accepted'), new Date(now - 5 * 60_000));
    await insert(['sent', 'sent', 'failed'], new Date(now - 5 * 60_000));
    await insert(['accepted']);
    const counter = createTableCounter(source, { bucketMs, settleMs: 30_000 });
    const counts = await counter.read(orm.em.fork(), now + 1_000, now - 15 * 60_000);
    expect(totals(counts)).toEqual({ accepted: 8, sent: 2, failed: 1 });
    const fiveMinutesAgo = Math.floor((now - 5 * 60_000) / bucketMs) * bucketMs;
    expect(Object.fromEntries(counts.get(fiveMinutesAgo) ?? [])).toEqual({ accepted: 7, sent: 2, failed: 1 });
  });

  it('counts each new row once over many reads, and forgets buckets that left the window', async () => {
    const counter = createTableCounter(source, { bucketMs, settleMs: 0 });
    const start = Date.now();
    await insert(['accepted', 'accepted']);
    expect(totals(await counter.read(orm.em.fork(), Date.now(), start - 60_000))).toEqual({ accepted: 2 });
    await insert(['accepted', 'sent']);
    expect(totals(await counter.read(orm.em.fork(), Date.now(), start - 60_000))).toEqual({
      accepted: 3,
      sent: 1,
    });
    expect(totals(await counter.read(orm.em.fork(), Date.now(), start - 60_000))).toEqual({
      accepted: 3,
      sent: 1,
    });
    expect(totals(await counter.read(orm.em.fork(), Date.now(), Date.now() + bucketMs))).toEqual({});
  });

  it('counts a row whose transaction commits after later rows were read, once it is visible, and only once', async () => {
    const counter = createTableCounter(source, { bucketMs, settleMs: 10_000 });
    const t0 = Date.now();
    await insert(['accepted']);
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inserted = () => {};
    const insertedLate = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    // Takes its position now, commits later.
    const late = inTransaction(orm, async (em) => {
      await insert(['late'], undefined, em);
      inserted();
      await gate;
    });
    await insertedLate;
    await insert(['sent']);

    expect(totals(await counter.read(orm.em.fork(), t0 + 100, t0 - 60_000))).toEqual({
      accepted: 1,
      sent: 1,
    });
    release();
    await late;
    expect(totals(await counter.read(orm.em.fork(), t0 + 1_000, t0 - 60_000))).toEqual({
      accepted: 1,
      sent: 1,
      late: 1,
    });
    // Past the settle time everything read so far is settled: kept, never read again.
    expect(totals(await counter.read(orm.em.fork(), t0 + 20_000, t0 - 60_000))).toEqual({
      accepted: 1,
      sent: 1,
      late: 1,
    });
    await insert(['sent']);
    expect(totals(await counter.read(orm.em.fork(), t0 + 21_000, t0 - 60_000))).toEqual({
      accepted: 1,
      sent: 2,
      late: 1,
    });
  });
});
