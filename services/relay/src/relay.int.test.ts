import { setTimeout as sleep } from 'node:timers/promises';
import { enqueueOutbox, notifyOutbox } from '@exactly/outbox';
import { type Orm, openOrm, runSql } from '@exactly/persistence';
import { eventually, metricValue } from '@exactly/testkit';
import { brokers } from './testing/inProcessRelay.js';
import { startKafkaProxy } from './testing/kafkaProxy.js';
import {
  type ConsumedRecord,
  countRows,
  firstOccurrences,
  readTopic,
  seedOutbox,
  sequencesPerKey,
  waitForDrained,
} from './testing/outboxFixtures.js';
import { type RelayProcess, startRelayProcess } from './testing/relayProcess.js';
import { relayTestKafka } from './testing/relayTestKafka.js';
import { createTestDatabase, type TestDatabase } from './testing/testDatabase.js';

// Relays run here as real processes (the relay package's entry point), several against one database.

const { kafka, topicsForThisTest } = relayTestKafka();
let database: TestDatabase;
let orm: Orm;
let relays: RelayProcess[] = [];

beforeEach(async () => {
  database = await createTestDatabase();
  orm = await openOrm({ databaseUrl: database.url, poolSize: 4 });
});

afterEach(async () => {
  await Promise.all(relays.map((relay) => relay.service.kill()));
  relays = [];
  await orm.close();
  await database.drop();
});

function setUp() {
  const topics = topicsForThisTest();
  const env = { DATABASE_URL: database.url, ...topics.env };
  const start = async (name: string, extra: Record<string, string> = {}) => {
    const relay = await startRelayProcess(name, { ...env, ...extra });
    relays.push(relay);
    return relay;
  };
  return { topics, start };
}

/** Tests that count republished rows: only a crash or a stall may move a lease in them. */
const steadyLease = { RELAY_LEASE_TTL: '10s' };

async function relaysHoldingLeases(): Promise<number> {
  const { rows } = await runSql<{ holders: string; held: string }>(
    orm.em.fork(),
    `SELECT count(DISTINCT relay_id) AS holders, count(relay_id) AS held
       FROM outbox_shard_leases WHERE lease_until > now()`,
  );
  return Number(rows[0]?.held) === 32 ? Number(rows[0]?.holders) : 0;
}

/** Statements running in this test's database on connections other than the one asking. */
async function otherActiveBackends(orm: Orm): Promise<number> {
  const { rows } = await runSql<{ active: string }>(
    orm.em.fork(),
    `SELECT count(*) AS active FROM pg_stat_activity
      WHERE datname = current_database() AND backend_type = 'client backend'
        AND pid <> pg_backend_pid() AND state <> 'idle'`,
  );
  return Number(rows[0]?.active);
}

/** Rows a relay's journal says are claimed, not yet published. */
function claimedUnpublished(): Promise<number> {
  return countRows(orm, 'published_at IS NULL AND id IN (SELECT unnest(ids) FROM outbox_claims)');
}

async function republished(relay: RelayProcess): Promise<number> {
  return metricValue(relay.opsUrl, 'relay_republished_rows_total');
}

/** Every row number in [0, count) exactly once or more; returns how many records were extra. */
function expectEveryRow(records: readonly ConsumedRecord[], count: number): number {
  const numbers = new Set(records.map((record) => record.payload.n));
  expect(numbers.size).toBe(count);
  expect(Math.min(...numbers)).toBe(0);
  expect(Math.max(...numbers)).toBe(count - 1);
  return records.length - numbers.size;
}

/** Per key, the first occurrence of each row comes in the order the rows were committed. */
function expectOrderPerKey(records: readonly ConsumedRecord[], perKey: number): void {
  for (const [key, sequence] of sequencesPerKey(records)) {
    expect({ key, order: firstOccurrences(sequence) }).toEqual({ key, order: [...Array(perKey).keys()] });
  }
}

describe('three relays running at once', () => {
  it('publish 10,000 rows, each exactly once, in order per key, sharing the work', async () => {
    const { topics, start } = setUp();
    // The default lease (10 s), not the tests' 3 s: a renewal held up on a loaded machine would
    // otherwise cut a send short, and the rows handed back are published again (counted below).
    await Promise.all(['relay-a', 'relay-b', 'relay-c'].map((name) => start(name, steadyLease)));
    await eventually(
      'the shards to be spread over the three relays',
      async () => (await relaysHoldingLeases()) === 3,
    );

    await seedOutbox(orm, { topic: topics.commands, count: 10_000, perKey: 10, perTransaction: 250 });
    await waitForDrained(orm);

    const records = await readTopic(kafka, topics.commands, 10_000);
    expect(records).toHaveLength(10_000);
    expect(expectEveryRow(records, 10_000)).toBe(0);
    expectOrderPerKey(records, 10);
    const published = await Promise.all(
      relays.map((relay) => metricValue(relay.opsUrl, 'relay_published_rows_total')),
    );
    expect(published.reduce((sum, count) => sum + count, 0)).toBe(10_000);
    expect(published.every((count) => count > 0)).toBe(true);
    expect(await Promise.all(relays.map(republished))).toEqual([0, 0, 0]);
    await Promise.all(relays.map((relay) => relay.service.stop()));
  });
});

describe('a relay killed with SIGKILL in the middle of a batch', () => {
  it('leaves nothing behind: after a restart every row is on the topic, and re-publishes are counted', async () => {
    const { topics, start } = setUp();
    const total = 30_000;
    await seedOutbox(orm, { topic: topics.commands, count: total, perKey: 10, perTransaction: 1_000 });
    // Published rows stay (marked), so the test can see how far the relay got.
    const first = await start('relay-killed', { RELAY_PUBLISHED_RETENTION: '1h' });

    // Stop it (SIGSTOP) while rows are claimed but not yet marked: that is the middle of a batch.
    let claimedUnmarked = 0;
    for (let attempt = 0; attempt < 100 && claimedUnmarked === 0; attempt++) {
      await eventually(
        'publishing to begin',
        async () => (await countRows(orm, 'published_at IS NOT NULL')) > 0,
      );
      first.service.pause();
      // A statement it sent before the pause still completes in PostgreSQL: let it.
      await sleep(300);
      claimedUnmarked = await claimedUnpublished();
      if (claimedUnmarked === 0) {
        first.service.resume();
        await sleep(5);
      }
    }
    expect(claimedUnmarked).toBeGreaterThan(0);
    await first.service.kill();
    // A statement the relay sent before the pause may still be running (a mark that took more than
    // 300 ms under load once did): count what it left only once PostgreSQL has finished them all.
    await eventually(
      "the killed relay's statements to end",
      async () => (await otherActiveBackends(orm)) === 0,
    );
    claimedUnmarked = await claimedUnpublished();
    expect(claimedUnmarked).toBeGreaterThan(0);
    expect(await countRows(orm, 'published_at IS NULL')).toBeGreaterThan(0);

    const second = await start('relay-restarted', { RELAY_PUBLISHED_RETENTION: '1h' });
    await waitForDrained(orm);
    const records = await readTopic(kafka, topics.commands, total);
    const duplicates = expectEveryRow(records, total);
    expectOrderPerKey(records, 10);
    // Every row the killed relay had claimed is published again and counted, sent or not.
    expect(await republished(second)).toBeGreaterThanOrEqual(claimedUnmarked);
    expect(duplicates).toBeLessThanOrEqual(await republished(second));
  });
});

describe('Kafka unreachable for 10 s in the middle of a stream', () => {
  it('loses nothing, says it is not ready meanwhile, and resumes publishing by itself', async () => {
    const { topics, start } = setUp();
    const proxy = await startKafkaProxy(brokers);
    try {
      const relay = await start('relay-behind-proxy', {
        RELAY_PUBLISHED_RETENTION: '1h',
        KAFKA_BROKERS: proxy.brokers,
        RELAY_RETRY_MAX: '1s',
      });
      let written = 0;
      let writing = true;
      const writer = (async () => {
        while (writing) {
          await seedOutbox(orm, { topic: topics.commands, count: 50, first: written, perKey: 10 });
          written += 50;
          await sleep(50);
        }
      })();

      await eventually(
        'publishing to begin',
        async () => (await countRows(orm, 'published_at IS NOT NULL')) >= 200,
      );
      proxy.cut();
      await sleep(1_000);
      const publishedAtCut = await countRows(orm, 'published_at IS NOT NULL');
      let readinessDuringOutage = 0;
      for (let second = 0; second < 9; second++) {
        await sleep(1_000);
        readinessDuringOutage = (await fetch(`${relay.opsUrl}/readyz`)).status;
      }
      expect(readinessDuringOutage).toBe(503);
      expect(await countRows(orm, 'published_at IS NOT NULL')).toBe(publishedAtCut);
      proxy.restore();

      await sleep(1_000);
      writing = false;
      await writer;
      await waitForDrained(orm, 30_000);
      const records = await readTopic(kafka, topics.commands, written);
      const duplicates = expectEveryRow(records, written);
      expectOrderPerKey(records, 10);
      expect(duplicates).toBeLessThanOrEqual(await republished(relay));
      expect(await metricValue(relay.opsUrl, 'relay_errors_total', { kind: 'kafka' })).toBeGreaterThan(0);
      expect((await fetch(`${relay.opsUrl}/readyz`)).status).toBe(200);
    } finally {
      await proxy.close();
    }
  });
});

describe('rows of one key', () => {
  it('reach Kafka in commit order across a relay restart, with no duplicate after a clean stop', async () => {
    const { topics, start } = setUp();
    const keys = 50;
    const perKey = 40;
    const first = await start('relay-before-restart', steadyLease);
    let restarted: Promise<RelayProcess> | undefined;
    // Round r commits row r of every key, so each key's rows are committed in sequence order.
    for (let round = 0; round < perKey; round++) {
      const em = orm.em.fork();
      await em.transactional((tx) =>
        enqueueOutbox(
          tx,
          [...Array(keys).keys()].map((key) => ({
            topic: topics.commands,
            kafkaKey: `acc_1/key-${key}`,
            payload: { n: round * keys + key, seq: round },
            headers: {},
          })),
        ),
      );
      await notifyOutbox(orm.em.fork());
      if (round === perKey / 2) {
        await first.service.stop();
        restarted = start('relay-after-restart', steadyLease);
      }
      await sleep(20);
    }
    const second = await restarted;
    await waitForDrained(orm);
    const records = await readTopic(kafka, topics.commands, keys * perKey);
    expect(expectEveryRow(records, keys * perKey)).toBe(0);
    for (const [, sequence] of sequencesPerKey(records)) expect(sequence).toEqual([...Array(perKey).keys()]);
    expect(await republished(second!)).toBe(0);
  });
});

describe('a row that commits late, below the rows in hand, while a backlog drains', () => {
  it('is published while the backlog drains, not after it', async () => {
    const { topics, start } = setUp();
    const backlog = 40_000;
    let commitLate: () => void = () => {};
    const lateCommitted = new Promise<void>((resolve) => {
      commitLate = resolve;
    });
    // Its id is taken before the backlog's, and it becomes visible only once claims run past it.
    let lateInserted: () => void = () => {};
    const inserted = new Promise<void>((resolve) => {
      lateInserted = resolve;
    });
    const late = orm.em.fork().transactional(async (tx) => {
      await enqueueOutbox(tx, [
        { topic: topics.commands, kafkaKey: 'late/0', payload: { n: backlog, seq: 0 }, headers: {} },
      ]);
      lateInserted();
      await lateCommitted;
    });
    await inserted;
    await seedOutbox(orm, { topic: topics.commands, count: backlog, perTransaction: 1_000 });
    await start('relay-backlog', { RELAY_PUBLISHED_RETENTION: '1h' });
    await eventually(
      'the relay to be well into the backlog',
      async () => (await countRows(orm, 'published_at IS NOT NULL')) >= 2_000,
    );
    commitLate();
    await late;
    await notifyOutbox(orm.em.fork());
    await waitForDrained(orm, 60_000);

    const { rows } = await runSql<{ after: string }>(
      orm.em.fork(),
      `SELECT count(*) AS after FROM outbox
        WHERE published_at > (SELECT published_at FROM outbox WHERE kafka_key = 'late/0')`,
    );
    // Claims in a backlog start each shard past the rows in hand; one from the start at least
    // every 250 ms takes the late row long before the backlog's end (about 15,000 rows a second).
    expect(Number(rows[0]?.after)).toBeGreaterThan(5_000);
    const records = await readTopic(kafka, topics.commands, backlog + 1);
    expect(expectEveryRow(records, backlog + 1)).toBe(0);
  });
});
