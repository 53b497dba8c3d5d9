import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { enqueueOutbox, notifyOutbox, type OutboxEntry, outboxSessionSettings } from '@exactly/outbox';
import { type Orm, openOrm, runSql } from '@exactly/persistence';
import { TcpProxy } from '@exactly/testkit';
import { brokers, startInProcessRelay } from './testing/inProcessRelay.js';
import { produceApiKey, startKafkaProxy } from './testing/kafkaProxy.js';
import { readTopic, sequencesPerKey, waitForDrained } from './testing/outboxFixtures.js';
import { relayTestKafka } from './testing/relayTestKafka.js';
import { createTestDatabase, type TestDatabase } from './testing/testDatabase.js';

const { kafka, topicsForThisTest } = relayTestKafka();
let database: TestDatabase;
let orm: Orm;

beforeAll(async () => {
  database = await createTestDatabase();
  orm = await openOrm({ databaseUrl: database.url, poolSize: 2, sessionSettings: outboxSessionSettings });
});

afterAll(async () => {
  await orm.close();
  await database.drop();
});

const keys = 100;

/** Versions `from` to `to` - 1 of every key, in one transaction (ids in key order, then version). */
async function appendVersions(topic: string, keyPrefix: string, from: number, to: number): Promise<void> {
  const entries: OutboxEntry[] = [];
  for (let key = 0; key < keys; key++) {
    for (let seq = from; seq < to; seq++) {
      entries.push({
        topic,
        kafkaKey: `${keyPrefix}/${key}`,
        payload: { n: key * 100 + seq, seq },
        headers: { 'exactly-message-id': `msg_${key}`, 'content-type': 'application/json' },
      });
    }
  }
  await orm.em.fork().transactional((tx) => enqueueOutbox(tx, entries));
  await notifyOutbox(orm.em.fork());
}

/**
 * Records of a key that arrive after a later version of it and are not the start of a re-publish
 * that runs on to that later version: a stale send, which a consumer applying events in arrival
 * order would apply over newer ones. (A re-publish of rows whose send outcome was unknown starts
 * again from an earlier version and runs through; that is the journal's at-least-once, not this.)
 */
function staleSends(sequence: readonly number[]): number[] {
  const stale: number[] = [];
  let highest = -1;
  for (let i = 0; i < sequence.length; ) {
    // One run: consecutive versions.
    let end = i + 1;
    while (end < sequence.length && sequence[end] === (sequence[end - 1] as number) + 1) end++;
    const last = sequence[end - 1] as number;
    if (last < highest) stale.push(...sequence.slice(i, end));
    highest = Math.max(highest, last);
    i = end;
  }
  return stale;
}

async function leasesHeldBy(relayId: string): Promise<number> {
  const { rows } = await runSql<{ held: string }>(
    orm.em.fork(),
    'SELECT count(*) AS held FROM outbox_shard_leases WHERE relay_id = $1 AND lease_until > now()',
    [relayId],
  );
  return Number(rows[0]?.held ?? 0);
}

describe('a relay whose broker and database stall for 15 s in the middle of a batch', () => {
  it('sends nothing after its lease may have lapsed: every key arrives in version order', async () => {
    const topics = topicsForThisTest();
    const keyPrefix = randomUUID();
    const [host, port] = (new URL(database.url).host || '').split(':') as [string, string];
    const postgres = new TcpProxy({ host, port: Number(port) });
    const proxiedDatabase = new URL(database.url);
    proxiedDatabase.port = String(await postgres.listen());
    const kafkaProxy = await startKafkaProxy(brokers);
    // Small chunks (a few rows each), so one batch of 500 rows is dozens of sends.
    const settings = { ...topics.env, RELAY_TOPIC_MAX_MESSAGE_BYTES: '3000', RELAY_LEASE_TTL: '3s' };
    const first = await startInProcessRelay({
      ...settings,
      DATABASE_URL: proxiedDatabase.toString(),
      KAFKA_BROKERS: kafkaProxy.brokers,
    });
    let second: Awaited<ReturnType<typeof startInProcessRelay>> | undefined;
    try {
      const deadline = Date.now() + 20_000;
      while ((await leasesHeldBy(first.relay.relayId)) < 32 && Date.now() < deadline) await sleep(50);
      expect(await leasesHeldBy(first.relay.relayId)).toBe(32);

      // The third chunk's send is held by the stalled broker, and the relay is cut from its
      // database at that moment too (so its leases lapse and another relay takes over).
      const stalled = kafkaProxy.stallAtRequest(produceApiKey, 3).then(() => postgres.stall());
      await appendVersions(topics.commands, keyPrefix, 0, 5);
      await stalled;
      const stalledAt = Date.now();

      // Later versions of every key, published by the next holder while the first one hangs.
      await appendVersions(topics.commands, keyPrefix, 5, 10);
      second = await startInProcessRelay({ ...settings, DATABASE_URL: database.url });
      await waitForDrained(orm, 15_000);

      await sleep(Math.max(0, 15_000 - (Date.now() - stalledAt)));
      postgres.forward();
      kafkaProxy.resume();
      // Whatever the first relay still sends now lands after the second one's records.
      await sleep(4_000);

      const perKey = sequencesPerKey(await readTopic(kafka, topics.commands, keys * 10, 15_000));
      expect(perKey.size).toBe(keys);
      const stale = [...perKey].filter(([, sequence]) => staleSends(sequence).length > 0);
      expect(stale.map(([key, sequence]) => `${key}: ${sequence.join(',')}`)).toEqual([]);
      for (const sequence of perKey.values()) {
        expect(new Set(sequence)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
      }
    } finally {
      postgres.forward();
      kafkaProxy.resume();
      await second?.stop();
      await first.stop();
      await kafkaProxy.close();
      await postgres.close();
    }
  }, 90_000);
});
