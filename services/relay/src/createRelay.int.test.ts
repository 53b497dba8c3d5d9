import { setTimeout as sleep } from 'node:timers/promises';
import { enqueueOutbox, notifyOutbox, type OutboxEntry, outboxSessionSettings } from '@exactly/outbox';
import { type Orm, openOrm, runSql } from '@exactly/persistence';
import { metricValue } from '@exactly/testkit';
import { startInProcessRelay } from './testing/inProcessRelay.js';
import {
  countRows,
  readTopic,
  seedOutbox,
  sequencesPerKey,
  waitForDrained,
} from './testing/outboxFixtures.js';
import { relayTestKafka } from './testing/relayTestKafka.js';
import { createTestDatabase, type TestDatabase } from './testing/testDatabase.js';

const { kafka, admin, topicsForThisTest } = relayTestKafka();

let database: TestDatabase;
let orm: Orm;

beforeEach(async () => {
  database = await createTestDatabase();
  orm = await openOrm({ databaseUrl: database.url, poolSize: 2, sessionSettings: outboxSessionSettings });
});

afterEach(async () => {
  await orm.close();
  await database.drop();
});

describe('a relay publishing committed outbox rows', () => {
  it('sends each row with its key, its payload as JSON and its headers, then marks it published', async () => {
    const topics = topicsForThisTest();
    const relay = await startInProcessRelay({
      DATABASE_URL: database.url,
      ...topics.env,
      RELAY_PUBLISHED_RETENTION: '1h',
    });
    try {
      await seedOutbox(orm, { topic: topics.commands, count: 20, perKey: 4, keyPrefix: 'acc_1' });
      await waitForDrained(orm);
      const records = await readTopic(kafka, topics.commands, 20);
      expect(records).toHaveLength(20);
      expect(records.find((record) => record.payload.n === 5)).toMatchObject({
        key: 'acc_1/1',
        payload: { n: 5, seq: 1 },
        headers: { 'exactly-message-id': 'msg_5', 'content-type': 'application/json' },
      });
      expect(await countRows(orm, 'published_at IS NOT NULL')).toBe(20);
      const { rows: journal } = await runSql(orm.em.fork(), 'SELECT * FROM outbox_claims');
      expect(journal).toEqual([]);
      expect(await metricValue(relay.opsUrl, 'relay_published_rows_total', { topic: topics.commands })).toBe(
        20,
      );
      expect(await metricValue(relay.opsUrl, 'relay_republished_rows_total')).toBe(0);
    } finally {
      await relay.stop();
    }
  });

  it('keeps the order of a key across ids of different lengths (ids are numbers, not text)', async () => {
    const topics = topicsForThisTest();
    await runSql(orm.em.fork(), 'ALTER TABLE outbox ALTER COLUMN id RESTART WITH 99990');
    await seedOutbox(orm, { topic: topics.commands, count: 20, perKey: 20, keyPrefix: 'acc_1' });
    const relay = await startInProcessRelay({ DATABASE_URL: database.url, ...topics.env });
    try {
      await waitForDrained(orm);
      const records = await readTopic(kafka, topics.commands, 20);
      expect(records.map((record) => record.payload.seq)).toEqual([...Array(20).keys()]);
    } finally {
      await relay.stop();
    }
  });

  it('with several producers, publishes every row once and each key in commit order', async () => {
    const topics = topicsForThisTest();
    await seedOutbox(orm, { topic: topics.commands, count: 3_000, perKey: 30, perTransaction: 100 });
    // Small batches: many batches, each split among the three producers' lanes.
    const relay = await startInProcessRelay({
      DATABASE_URL: database.url,
      ...topics.env,
      RELAY_PRODUCERS: '3',
      RELAY_BATCH_SIZE: '64',
    });
    try {
      await waitForDrained(orm, 60_000);
      const records = await readTopic(kafka, topics.commands, 3_000);
      expect(new Set(records.map((record) => record.payload.n)).size).toBe(3_000);
      expect(records).toHaveLength(3_000);
      const sequences = sequencesPerKey(records);
      expect(sequences.size).toBe(100);
      for (const [key, sequence] of sequences)
        expect({ key, sequence }).toEqual({ key, sequence: [...Array(30).keys()] });
    } finally {
      await relay.stop();
    }
  });

  it('wakes on the NOTIFY after a commit instead of waiting for its poll', async () => {
    const topics = topicsForThisTest();
    const relay = await startInProcessRelay({
      DATABASE_URL: database.url,
      ...topics.env,
      RELAY_POLL_MIN: '30s',
      RELAY_POLL_MAX: '30s',
    });
    try {
      await seedOutbox(orm, { topic: topics.commands, count: 1 });
      await waitForDrained(orm, 10_000);
      // Idle now, waiting up to 30 s for a poll: only the notification can wake it in time.
      await sleep(300);
      const committedAt = Date.now();
      await seedOutbox(orm, { topic: topics.commands, count: 1, first: 1 });
      // Well under the 30 s poll, with room for a slow produce on a loaded broker.
      await waitForDrained(orm, 10_000);
      expect(Date.now() - committedAt).toBeLessThan(10_000);
    } finally {
      await relay.stop();
    }
  });

  it('publishes rows committed while it was stopped once it starts', async () => {
    const topics = topicsForThisTest();
    await seedOutbox(orm, { topic: topics.commands, count: 50 });
    const relay = await startInProcessRelay({ DATABASE_URL: database.url, ...topics.env });
    try {
      await waitForDrained(orm);
      expect(await readTopic(kafka, topics.commands, 50)).toHaveLength(50);
    } finally {
      await relay.stop();
    }
  });
});

describe('a row the relay cannot publish', () => {
  it('is set aside with its reason while the rows behind it are published', async () => {
    const topics = topicsForThisTest();
    const relay = await startInProcessRelay({
      DATABASE_URL: database.url,
      ...topics.env,
      RELAY_TOPIC_MAX_MESSAGE_BYTES: '10000',
    });
    try {
      const key = 'acc_1/same-key';
      const row = (n: number, extra: Partial<OutboxEntry> = {}): OutboxEntry => ({
        topic: topics.commands,
        kafkaKey: key,
        payload: { n, seq: n },
        headers: { 'exactly-message-id': `msg_${n}` },
        ...extra,
      });
      const em = orm.em.fork();
      await em.transactional((tx) =>
        enqueueOutbox(tx, [
          row(0),
          row(1, { payload: { n: 1, seq: 1, body: 'x'.repeat(20_000) } }),
          row(2, { headers: { count: 3 } as unknown as Record<string, string> }),
          row(3, { topic: 'not-a-relay-topic' }),
          row(4),
        ]),
      );
      await notifyOutbox(orm.em.fork());
      await waitForDrained(orm);

      const records = await readTopic(kafka, topics.commands, 2);
      expect(records.map((record) => record.payload.n)).toEqual([0, 4]);
      const { rows } = await runSql<{ reason: string; kafka_key: string }>(
        orm.em.fork(),
        'SELECT reason, kafka_key FROM outbox_set_aside ORDER BY id',
      );
      expect(rows).toEqual([
        { kafka_key: key, reason: expect.stringMatching(/^too_large: about \d+ bytes, above .* 10000$/) },
        { kafka_key: key, reason: 'invalid_headers: header "count" is not a string' },
        { kafka_key: key, reason: expect.stringMatching(/^unknown_topic: "not-a-relay-topic"/) },
      ]);
      expect(await metricValue(relay.opsUrl, 'relay_set_aside_rows_total')).toBe(3);
      expect(await metricValue(relay.opsUrl, 'relay_outbox_set_aside_rows')).toBe(3);
    } finally {
      await relay.stop();
    }
  });
});

describe('a command the relay cannot publish', () => {
  it('ends its message with MessageFailed and the reason, in status, events and metrics', async () => {
    const topics = topicsForThisTest();
    const relay = await startInProcessRelay({
      DATABASE_URL: database.url,
      ...topics.env,
      RELAY_TOPIC_MAX_MESSAGE_BYTES: '10000',
    });
    try {
      const em = orm.em.fork();
      await runSql(em, "INSERT INTO accounts (id, name) VALUES ('acc_1', 'set aside')");
      const command = (id: string, text: string) => ({
        topic: topics.commands,
        kafkaKey: `acc_1/${id}`,
        payload: {
          type: 'SendMessage',
          data: {
            messageId: id,
            accountId: 'acc_1',
            message: { channel: 'sms', to: '+15550000000', from: 'Exactly', text },
            acceptedAt: new Date().toISOString(),
          },
          metadata: { schemaVersion: 1, idempotencyKey: id },
        },
        headers: { 'exactly-message-id': id, 'exactly-account-id': 'acc_1' },
      });
      await em.transactional(async (tx) => {
        for (const id of ['msg_big', 'msg_ok']) {
          await runSql(
            tx,
            `INSERT INTO messages (id, account_id, message_key, channel, recipient, sender, content, status, version)
             VALUES ($1, 'acc_1', $1, 'sms', '+15550000000', 'Exactly', '{}', 'accepted', 1)`,
            [id],
          );
          await runSql(
            tx,
            `INSERT INTO message_events (stream_id, version, type, data) VALUES ($1, 1, 'MessageAccepted', '{}')`,
            [id],
          );
        }
        await enqueueOutbox(tx, [command('msg_big', 'x'.repeat(20_000)), command('msg_ok', 'hello')]);
      });
      await notifyOutbox(orm.em.fork());
      await waitForDrained(orm);

      const { rows: messages } = await runSql<{ id: string; status: string; version: number }>(
        orm.em.fork(),
        'SELECT id, status, version FROM messages ORDER BY id',
      );
      expect(messages).toEqual([
        { id: 'msg_big', status: 'failed', version: 2 },
        { id: 'msg_ok', status: 'accepted', version: 1 },
      ]);
      const { rows: events } = await runSql<{ type: string; data: { reason: string; attempts: number } }>(
        orm.em.fork(),
        "SELECT type, data FROM message_events WHERE stream_id = 'msg_big' AND version = 2",
      );
      expect(events).toEqual([
        {
          type: 'MessageFailed',
          data: { reason: expect.stringMatching(/^unpublishable: too_large: about \d+ bytes/), attempts: 0 },
        },
      ]);
      const published = await readTopic(kafka, topics.events, 1);
      expect(published.map((record) => record.key)).toEqual(['msg_big']);
      expect(
        await metricValue(relay.opsUrl, 'relay_messages_failed_total', { reason: 'unpublishable' }),
      ).toBe(1);
    } finally {
      await relay.stop();
    }
  });
});

describe('cleaning up published rows', () => {
  it('deletes rows published longer ago than the retention, in bounded batches, and keeps the rest', async () => {
    const topics = topicsForThisTest();
    await seedOutbox(orm, { topic: topics.commands, count: 30 });
    await runSql(
      orm.em.fork(),
      `UPDATE outbox SET published_at = now() - interval '2 hours' WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT 25)`,
    );
    const relay = await startInProcessRelay({
      DATABASE_URL: database.url,
      ...topics.env,
      RELAY_PUBLISHED_RETENTION: '1h',
      RELAY_CLEANUP_INTERVAL: '200ms',
      RELAY_CLEANUP_BATCH_SIZE: '10',
    });
    try {
      await waitForDrained(orm);
      const deadline = Date.now() + 10_000;
      while ((await countRows(orm, 'true')) > 5 && Date.now() < deadline) await sleep(100);
      expect(await countRows(orm, 'true')).toBe(5);
      expect(await countRows(orm, `published_at > now() - interval '1 hour'`)).toBe(5);
      expect(await metricValue(relay.opsUrl, 'relay_cleaned_up_rows_total')).toBe(25);
    } finally {
      await relay.stop();
    }
  });

  it('deletes rows as soon as Kafka acknowledged them by default (no retention)', async () => {
    const topics = topicsForThisTest();
    await seedOutbox(orm, { topic: topics.commands, count: 40 });
    const relay = await startInProcessRelay({ DATABASE_URL: database.url, ...topics.env });
    try {
      const deadline = Date.now() + 10_000;
      while ((await countRows(orm, 'true')) > 0 && Date.now() < deadline) await sleep(100);
      expect(await countRows(orm, 'true')).toBe(0);
      expect(await readTopic(kafka, topics.commands, 40)).toHaveLength(40);
    } finally {
      await relay.stop();
    }
  });
});

describe('the ops routes', () => {
  it('report the backlog and its oldest row, and readiness once topics exist and both servers answer', async () => {
    const topics = topicsForThisTest();
    await seedOutbox(orm, { topic: topics.commands, count: 10 });
    await runSql(orm.em.fork(), `UPDATE outbox SET created_at = now() - interval '90 seconds'`);
    // No lease can be taken while another relay holds every shard: the backlog stays.
    await runSql(
      orm.em.fork(),
      `UPDATE outbox_shard_leases SET relay_id = 'someone-else', lease_until = now() + interval '1 hour'`,
    );
    const relay = await startInProcessRelay({ DATABASE_URL: database.url, ...topics.env });
    try {
      const deadline = Date.now() + 10_000;
      while ((await fetch(`${relay.opsUrl}/readyz`)).status !== 200 && Date.now() < deadline)
        await sleep(100);
      expect((await fetch(`${relay.opsUrl}/readyz`)).status).toBe(200);
      expect((await fetch(`${relay.opsUrl}/healthz`)).status).toBe(200);
      expect(await metricValue(relay.opsUrl, 'relay_outbox_backlog_rows')).toBe(10);
      expect(
        await metricValue(relay.opsUrl, 'relay_outbox_oldest_unpublished_age_seconds'),
      ).toBeGreaterThanOrEqual(90);
      expect(await metricValue(relay.opsUrl, 'relay_leased_shards')).toBe(0);
      expect(await admin.listTopics()).toEqual(expect.arrayContaining(topics.all));
    } finally {
      await relay.stop();
    }
  });
});
