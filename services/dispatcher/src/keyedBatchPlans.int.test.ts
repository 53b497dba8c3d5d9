import { projectionUpdateStatement } from '@exactly/message-store';
import {
  createMigratedDatabase,
  inTransaction,
  type MigratedDatabase,
  type Orm,
  openOrm,
  runSql,
  type TransactionSettings,
} from '@exactly/persistence';
import { outcomeUpdate } from './effects/recordOutcomes.js';
import { keyedBatchPlans } from './keyedBatchPlans.js';

let database: MigratedDatabase;
let orm: Orm;

const queued = 20_000;
const batch = 500;

beforeEach(async () => {
  database = await createMigratedDatabase(process.env.DATABASE_URL ?? '', 'exactly_dispatcher_plans');
  orm = await openOrm({ databaseUrl: database.url, poolSize: 2 });
});

afterEach(async () => {
  await orm.close();
  await database.drop();
});

type EntityManager = Parameters<typeof runSql>[0];

function insertEffects(em: EntityManager, from: number, to: number, state: string) {
  return runSql(
    em,
    `INSERT INTO effects (id, message_id, account_id, channel, provider, provider_key, request, max_attempts,
                          state, claim_token)
     SELECT 'eff_' || n, 'msg_' || n, 'acc', 'email', 'http', 'msg_' || n,
            jsonb_build_object('text', repeat('x', 300)), 5, $3,
            CASE WHEN $3 = 'in_flight' THEN gen_random_uuid() END
       FROM generate_series($1::int, $2::int) AS n`,
    [from, to, state],
  );
}

function insertMessages(em: EntityManager, from: number, to: number) {
  return runSql(
    em,
    `INSERT INTO messages (id, account_id, message_key, channel, recipient, sender, content, status, version)
     SELECT 'msg_' || n, 'acc', 'k' || n, 'email', 'to@example.com', 'from@example.com', '{}', 'dispatching', 2
       FROM generate_series($1::int, $2::int) AS n`,
    [from, to],
  );
}

/** 20 settled effects and their messages, analysed (the tables' usual state between bursts). */
async function shortAnalysed(): Promise<void> {
  const em = orm.em.fork();
  await runSql(em, "INSERT INTO accounts (id, name) VALUES ('acc', 'plans')");
  await insertEffects(em, 1, 20, 'succeeded');
  await insertMessages(em, 1, 20);
  await runSql(em, 'VACUUM (ANALYZE) effects, messages');
}

/** Then a queue of 20,000 pending effects behind 500 in flight, and 20,000 messages. */
async function queue(em: EntityManager): Promise<{ ids: string[]; tokens: string[] }> {
  await insertEffects(em, 21, 20 + batch, 'in_flight');
  await insertEffects(em, 21 + batch, 20 + batch + queued, 'pending');
  await insertMessages(em, 21, 20 + batch + queued);
  const { rows } = await runSql<{ id: string; claim_token: string }>(
    em,
    "SELECT id, claim_token FROM effects WHERE state = 'in_flight'",
  );
  return { ids: rows.map((row) => row.id), tokens: rows.map((row) => row.claim_token) };
}

/** `effects` and `messages` analysed while short, then the queue. */
async function queueAfterShortAnalyse(): Promise<{ ids: string[]; tokens: string[] }> {
  await shortAnalysed();
  return queue(orm.em.fork());
}

/** Thrown to end a transaction with a rollback (its statements ran updates). */
const rollBack = new Error('roll back');

/** Runs `work` in one transaction with `settings`, rolls it back, and returns what `work` returned. */
async function rolledBack<T>(
  work: (tx: EntityManager) => Promise<T>,
  settings: TransactionSettings,
): Promise<T> {
  let result: T | undefined;
  await inTransaction(
    orm,
    async (tx) => {
      result = await work(tx);
      throw rollBack;
    },
    settings,
  ).catch((error: unknown) => {
    if (error !== rollBack) throw error;
  });
  return result as T;
}

/** The statement's plan, run (EXPLAIN ANALYZE, then rolled back), and the `table` rows it read. */
async function planOf(
  table: 'effects e' | 'messages m',
  text: string,
  parameters: readonly unknown[],
  settings: TransactionSettings = {},
): Promise<{ text: string; rowsRead: number }> {
  const plan = await rolledBack(async (tx) => {
    const { rows } = await runSql<{ 'QUERY PLAN': string }>(
      tx,
      `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${text}`,
      parameters,
    );
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  }, settings);
  return { text: plan, rowsRead: rowsRead(plan, table) };
}

/** The rows of `table` a plan's scan nodes read (one per partition that ran) and filtered out. */
function rowsRead(plan: string, table: 'effects e' | 'messages m'): number {
  const [name, alias] = table.split(' ');
  const scanned = [
    ...plan.matchAll(
      new RegExp(
        `Scan (?:using \\S+ )?on ${name}(?:_\\w+)? ${alias}(?:_\\d+)? \\(actual rows=([\\d.]+) loops=(\\d+)\\)`,
        'g',
      ),
    ),
  ].reduce((sum, match) => sum + Number(match[1]) * Number(match[2]), 0);
  const removed = [...plan.matchAll(/Rows Removed by (?:Join )?Filter: (\d+)/g)].reduce(
    (sum, match) => sum + Number(match[1]),
    0,
  );
  return scanned + removed;
}

/**
 * Runs `text` six times in a keyed transaction while the tables are short (PostgreSQL may keep a
 * generic plan after five), then once more after the queue arrived, and counts the rows of
 * `table` that last run read (any scan, from `pg_stat_xact_user_tables`). Rolled back.
 */
async function underKeptPlan(
  table: 'effects' | 'messages',
  text: string,
  shortParameters: readonly unknown[],
  queuedParameters: (queued: { ids: string[]; tokens: string[] }) => readonly unknown[],
): Promise<{ genericPlans: number; rowsRead: number }> {
  await shortAnalysed();
  const rowsReadSoFar = async (tx: EntityManager) => {
    const { rows } = await runSql<{ read: string }>(
      tx,
      `SELECT (sum(seq_tup_read) + sum(coalesce(idx_tup_fetch, 0)))::text AS read
         FROM pg_stat_xact_user_tables WHERE relname LIKE $1`,
      [`${table}%`],
    );
    return Number(rows[0]?.read);
  };
  return rolledBack(async (tx) => {
    for (let run = 0; run < 6; run += 1) await runSql(tx, text, shortParameters);
    const parametersNow = queuedParameters(await queue(tx));
    const before = await rowsReadSoFar(tx);
    await runSql(tx, text, parametersNow);
    const rowsRead = (await rowsReadSoFar(tx)) - before;
    const { rows } = await runSql<{ generic_plans: string }>(
      tx,
      'SELECT generic_plans::text FROM pg_prepared_statements WHERE statement = $1',
      [text],
    );
    return { genericPlans: Number(rows[0]?.generic_plans), rowsRead };
  }, keyedBatchPlans);
}

describe('the outcome update', () => {
  const parameters = (ids: string[], tokens: string[]) => [
    ids,
    tokens,
    ids.map(() => 'succeeded'),
    ids.map(() => 0),
    ids.map(() => null),
    ids.map(() => 1),
    ids.map(() => true),
  ];

  it('finds each effect by its key with the dispatcher settings: 500 rows read for 500 outcomes', async () => {
    const { ids, tokens } = await queueAfterShortAnalyse();
    const plan = await planOf('effects e', outcomeUpdate, parameters(ids, tokens), keyedBatchPlans);
    expect(plan.text).toMatch(/Index Scan using effects_\w+_pkey on effects_\w+ e_\d+/);
    expect(plan.rowsRead).toBe(batch);
  });

  it('keeps finding each effect by its key under a plan PostgreSQL kept from when the tables were short', async () => {
    const short = Array.from({ length: 20 }, (_, index) => `eff_${index + 1}`);
    const noToken = short.map(() => '00000000-0000-0000-0000-000000000000');
    const kept = await underKeptPlan(
      'effects',
      outcomeUpdate,
      parameters(short, noToken),
      ({ ids, tokens }) => parameters(ids, tokens),
    );
    expect(kept.genericPlans).toBeGreaterThan(0);
    expect(kept.rowsRead).toBe(batch);
  });

  it('with a state predicate and no settings, read the whole queue per batch (the trap avoided)', async () => {
    const { ids, tokens } = await queueAfterShortAnalyse();
    const withState = outcomeUpdate.replace(
      'WHERE e.id = v.id\n          AND (e.claim_token = v.claim_token',
      "WHERE e.id = v.id AND e.state = 'in_flight'\n          AND (e.claim_token = v.claim_token",
    );
    expect(withState).not.toBe(outcomeUpdate);
    const plan = await planOf('effects e', withState, parameters(ids, tokens));
    expect(plan.text).toMatch(/effects_\w+_provider_due_at_idx/);
    expect(plan.rowsRead).toBe(batch + queued);
  });
});

describe('the projection update', () => {
  const changes = Array.from({ length: batch }, (_, index) => ({
    id: `msg_${21 + index}`,
    status: 'sent' as const,
    version: 3,
  }));

  it('finds each message by its key with the dispatcher settings', async () => {
    await queueAfterShortAnalyse();
    const { text, parameters } = projectionUpdateStatement(changes);
    const plan = await planOf('messages m', text, parameters, keyedBatchPlans);
    expect(plan.text).toMatch(/Index Scan using messages_\w+_pkey on messages_\w+ m_\d+/);
    expect(plan.rowsRead).toBe(batch);
  });

  it('keeps finding each message by its key under a plan PostgreSQL kept from when the tables were short', async () => {
    const short = Array.from({ length: 20 }, (_, index) => ({
      id: `msg_${index + 1}`,
      status: 'sent' as const,
      version: 3,
    }));
    const { text, parameters: shortParameters } = projectionUpdateStatement(short);
    const kept = await underKeptPlan(
      'messages',
      text,
      shortParameters,
      () => projectionUpdateStatement(changes).parameters,
    );
    expect(kept.genericPlans).toBeGreaterThan(0);
    expect(kept.rowsRead).toBe(batch);
  });

  it('without them, scans every message per batch', async () => {
    await queueAfterShortAnalyse();
    const { text, parameters } = projectionUpdateStatement(changes);
    const plan = await planOf('messages m', text, parameters);
    expect(plan.text).toMatch(/Seq Scan on messages_\w+ m_\d+/);
    expect(plan.rowsRead).toBe(20 + batch + queued);
  });
});
