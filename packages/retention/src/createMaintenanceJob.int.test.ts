import { randomBytes, randomUUID } from 'node:crypto';
import { createKafka, readTopicRetention } from '@exactly/messaging';
import { createLogger } from '@exactly/observability';
import {
  createMigratedDatabase,
  type MigratedDatabase,
  type Orm,
  openOrm,
  runSql,
} from '@exactly/persistence';
import { Registry } from 'prom-client';
import { createMaintenanceJob, type MaintenanceJobOptions } from './createMaintenanceJob.js';
import { dayMs, idBoundAt, partitionName, utcDayStart } from './idBoundAt.js';
import { listPartitions } from './listPartitions.js';
import { inboxGroup, messageGroup, partitionedGroups } from './partitionedTables.js';

const serverUrl = process.env.DATABASE_URL ?? '';
const settings: MaintenanceJobOptions['settings'] = {
  MAINTENANCE_INTERVAL: 60_000,
  MESSAGE_RETENTION: 10 * dayMs,
  INBOX_RETENTION: 10 * dayMs,
  RELAY_MAX_LAG: dayMs,
  DEAD_LETTER_RETENTION: 7 * dayMs,
  SET_ASIDE_RETENTION: 7 * dayMs,
  WEBHOOK_DELIVERY_RETENTION: 7 * dayMs,
  PARTITIONS_AHEAD: 3,
  MAINTENANCE_DELETE_BATCH: 2,
  MAINTENANCE_LOCK_TIMEOUT: 5_000,
};
let database: MigratedDatabase;
let orm: Orm;
let nowMs: number;
const admin = createKafka({
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  clientId: 'maintenance-test',
}).admin();
const topics: string[] = [];

/** A real topic on the shared Kafka with this retention.ms (segment.ms one hour). */
async function commandsTopic(retentionMs: number): Promise<string> {
  const topic = `maintenance-commands-${randomUUID()}`;
  topics.push(topic);
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: 1,
        configEntries: [
          { name: 'retention.ms', value: String(retentionMs) },
          { name: 'segment.ms', value: '3600000' },
        ],
      },
    ],
  });
  return topic;
}

const sql = <Row = Record<string, unknown>>(text: string, parameters: unknown[] = []) =>
  runSql<Row>(orm.em.fork(), text, parameters);
const job = (
  overrides: Partial<MaintenanceJobOptions['settings']> = {},
  extra: Partial<Pick<MaintenanceJobOptions, 'readCommandsTopic' | 'registry'>> = {},
) =>
  createMaintenanceJob({
    orm,
    logger: createLogger('maintenance-test', 'silent'),
    registry: new Registry(),
    settings: { ...settings, ...overrides },
    ...extra,
  });

/** A message id made `daysAgo` days before the database's now. */
const messageIdAt = (daysAgo: number) =>
  `${idBoundAt('msg_', nowMs - daysAgo * dayMs)}${randomBytes(10).toString('hex')}`;

/** One message with its events, a finished (or `state`) effect, its attempt and the log provider's send. */
async function seedMessage(daysAgo: number, state = 'succeeded'): Promise<string> {
  const id = messageIdAt(daysAgo);
  await sql(
    `INSERT INTO messages (id, account_id, message_key, channel, recipient, sender, content, status, version)
     VALUES ($1, 'acc_m', $1, 'sms', '+1', 's', '{}', 'sent', 2)`,
    [id],
  );
  await sql(
    `INSERT INTO message_events (stream_id, version, type, data)
     VALUES ($1, 1, 'MessageAccepted', '{}'), ($1, 2, 'ProviderAccepted', '{}')`,
    [id],
  );
  await sql(
    `INSERT INTO effects (id, message_id, account_id, channel, provider, provider_key, request, max_attempts, state)
     VALUES ('eff_' || $1, $1, 'acc_m', 'sms', 'log', $1, '{}', 3, $2)`,
    [id, state],
  );
  await sql(
    `INSERT INTO effect_attempts (effect_id, attempt, provider, outcome, started_at, finished_at)
     VALUES ('eff_' || $1, 1, 'log', 'accepted', now(), now())`,
    [id],
  );
  await sql(
    `INSERT INTO log_provider_sends (provider_key, message_id, account_id, channel, recipient, attempt)
     VALUES ($1, $1, 'acc_m', 'sms', '+1', 1)`,
    [id],
  );
  return id;
}

/** Which of the message's rows are still there, per table. */
async function rowsOf(id: string): Promise<number[]> {
  const counts = await Promise.all([
    sql<{ n: string }>('SELECT count(*) AS n FROM messages WHERE id = $1', [id]),
    sql<{ n: string }>('SELECT count(*) AS n FROM message_events WHERE stream_id = $1', [id]),
    sql<{ n: string }>("SELECT count(*) AS n FROM effects WHERE id = 'eff_' || $1", [id]),
    sql<{ n: string }>("SELECT count(*) AS n FROM effect_attempts WHERE effect_id = 'eff_' || $1", [id]),
    sql<{ n: string }>('SELECT count(*) AS n FROM log_provider_sends WHERE provider_key = $1', [id]),
  ]);
  return counts.map(({ rows }) => Number(rows[0]?.n));
}

/** One command in the inbox: its message id made `daysAgo` days back, received `receivedDaysAgo` back. */
async function seedInbox(daysAgo: number, receivedDaysAgo = daysAgo): Promise<string> {
  const id = messageIdAt(daysAgo);
  await sql(
    `INSERT INTO inbox (message_id, fingerprint, topic, partition, "offset", received_at)
     VALUES ($1, '\\x01', 'commands', 0, 1, now() - $2 * interval '1 day')`,
    [id, receivedDaysAgo],
  );
  return id;
}

const inboxHas = async (id: string) =>
  Number(
    (await sql<{ n: string }>('SELECT count(*) AS n FROM inbox WHERE message_id = $1', [id])).rows[0]?.n,
  ) === 1;

const partitionNames = async (table: string) =>
  (
    await listPartitions(
      orm.em.fork(),
      partitionedGroups.flatMap((group) => group.tables).find((spec) => spec.table === table) ??
        messageGroup.tables[0]!,
    )
  ).map((partition) => partition.name);

beforeAll(async () => {
  database = await createMigratedDatabase(serverUrl, 'maintenance');
  orm = await openOrm({ databaseUrl: database.url, poolSize: 4 });
  const { rows } = await sql<{ now: string }>('SELECT (extract(epoch FROM now()) * 1000)::bigint AS now');
  nowMs = Number(rows[0]?.now);
  await sql("INSERT INTO accounts (id, name) VALUES ('acc_m', 'maintenance')");
  await admin.connect();
  // A database that has run for 40 days: its first partition ends 40 days before now.
  for (const spec of partitionedGroups.flatMap((group) => group.tables)) {
    await sql(`ALTER TABLE ${spec.table} DETACH PARTITION ${spec.table}_legacy`);
    await sql(`DROP TABLE ${spec.table}_legacy`);
    await sql(
      `CREATE TABLE ${spec.table}_legacy PARTITION OF ${spec.table}
         FOR VALUES FROM (MINVALUE) TO ('${idBoundAt(spec.idPrefix, utcDayStart(nowMs - 40 * dayMs))}')`,
    );
  }
  await job({
    MESSAGE_RETENTION: Number.POSITIVE_INFINITY,
    INBOX_RETENTION: Number.POSITIVE_INFINITY,
  }).runOnce();
});

afterAll(async () => {
  await admin.deleteTopics({ topics }).catch(() => {});
  await admin.disconnect();
  await orm.close();
  await database.drop();
});

describe('the maintenance job', () => {
  it('creates every day from the newest partition to PARTITIONS_AHEAD days after today', async () => {
    const names = await partitionNames('messages');
    expect(names[0]).toBe('messages_legacy');
    expect(names).toContain(partitionName('messages', utcDayStart(nowMs - 40 * dayMs)));
    expect(names.at(-1)).toBe(partitionName('messages', utcDayStart(nowMs) + 3 * dayMs));
    expect(names).toHaveLength(1 + 41 + 3);
  });

  it('gives each day it creates the storage of its table: room on every page for the next versions', async () => {
    const today = partitionName('effects', utcDayStart(nowMs));
    const { rows } = await sql<{ relname: string; reloptions: string[] | null }>(
      'SELECT relname, reloptions FROM pg_class WHERE relname = ANY($1::text[])',
      [
        [
          today,
          partitionName('messages', utcDayStart(nowMs)),
          partitionName('message_events', utcDayStart(nowMs)),
        ],
      ],
    );
    const storage = rows.map((row) => [row.relname.split('_p')[0], row.reloptions]);
    expect(storage.sort(([a], [b]) => String(a).localeCompare(String(b)))).toEqual([
      ['effects', ['fillfactor=50']],
      ['message_events', null],
      ['messages', ['fillfactor=70']],
    ]);
  });

  it('drops the days past MESSAGE_RETENTION, keeps the ones something still refers to, and nothing newer', async () => {
    const expired = await seedMessage(20);
    const held = await seedMessage(25, 'held');
    const pending = await seedMessage(30, 'pending');
    const recent = await seedMessage(2);
    const heldDay = partitionName('messages', utcDayStart(nowMs - 25 * dayMs));

    const run = await job().runOnce();

    expect(run.outcome).toBe('done');
    expect(await rowsOf(expired)).toEqual([0, 0, 0, 0, 0]);
    expect(await rowsOf(held)).toEqual([1, 2, 1, 1, 1]);
    expect(await rowsOf(pending)).toEqual([1, 2, 1, 1, 1]);
    expect(await rowsOf(recent)).toEqual([1, 2, 1, 1, 1]);
    expect(run.dropped).toContain('messages_legacy');
    expect(run.dropped).toContain(partitionName('message_events', utcDayStart(nowMs - 20 * dayMs)));
    expect(run.blocked).toContainEqual({ partition: heldDay, reference: 'unfinished effect' });
    const names = await partitionNames('messages');
    // Kept: the two referenced days, and every day whose end is within the retention.
    const oldest = utcDayStart(nowMs - 10 * dayMs);
    expect(names.filter((name) => name < partitionName('messages', oldest))).toEqual([
      partitionName('messages', utcDayStart(nowMs - 30 * dayMs)),
      heldDay,
    ]);

    // The operator settles the held effect and the effect executor finishes the pending one.
    await sql("UPDATE effects SET state = 'failed' WHERE id IN ('eff_' || $1, 'eff_' || $2)", [
      held,
      pending,
    ]);
    const next = await job().runOnce();
    expect(next.blocked).toEqual([]);
    expect(await rowsOf(held)).toEqual([0, 0, 0, 0, 0]);
    expect(await rowsOf(pending)).toEqual([0, 0, 0, 0, 0]);
  });

  it('keeps a day while a command of it is still in the outbox', async () => {
    // A day the 10-day retention kept, expired under a 5-day one.
    const shorter = { MESSAGE_RETENTION: 5 * dayMs };
    const waiting = await seedMessage(7);
    const { rows } = await sql<{ id: string }>(
      `INSERT INTO outbox (topic, kafka_key, payload, created_at) VALUES ('t', $1, '{}', now() - interval '7 days')
       RETURNING id`,
      [waiting],
    );
    expect((await job(shorter).runOnce()).blocked).toContainEqual({
      partition: partitionName('messages', utcDayStart(nowMs - 7 * dayMs)),
      reference: 'unpublished outbox row',
    });
    expect(await rowsOf(waiting)).toEqual([1, 2, 1, 1, 1]);
    await sql('UPDATE outbox SET published_at = now() WHERE id = $1', [rows[0]?.id]);
    await job(shorter).runOnce();
    expect(await rowsOf(waiting)).toEqual([0, 0, 0, 0, 0]);
  });

  it('drops inbox days past INBOX_RETENTION, keeping a day with a command received late or still in the outbox', async () => {
    const topic = await commandsTopic(dayMs);
    const readCommandsTopic = () => readTopicRetention(admin, topic);
    const expired = await seedInbox(20);
    // A scheduled send made 22 days ago and released 2 days ago: Kafka can redeliver it for days yet.
    const late = await seedInbox(22, 2);
    const waiting = await seedInbox(15);
    const recent = await seedInbox(2);
    const { rows } = await sql<{ id: string }>(
      `INSERT INTO outbox (topic, kafka_key, payload, created_at) VALUES ('t', $1, '{}', now() - interval '15 days')
       RETURNING id`,
      [waiting],
    );

    const run = await job({}, { readCommandsTopic }).runOnce();

    expect(run.skipped).toEqual([]);
    expect(run.dropped).toContain(partitionName('inbox', utcDayStart(nowMs - 20 * dayMs)));
    expect(run.dropped).toContain('inbox_legacy');
    expect(run.blocked).toEqual(
      expect.arrayContaining([
        {
          partition: partitionName('inbox', utcDayStart(nowMs - 22 * dayMs)),
          reference: 'command received within the retention',
        },
        {
          partition: partitionName('inbox', utcDayStart(nowMs - 15 * dayMs)),
          reference: 'unpublished outbox row',
        },
      ]),
    );
    expect(await Promise.all([expired, late, waiting, recent].map((id) => inboxHas(id)))).toEqual([
      false,
      true,
      true,
      true,
    ]);
    const oldest = partitionName('inbox', utcDayStart(nowMs - 10 * dayMs));
    // Kept: the late day, and every day from the outbox row's on (its command could be of any of them).
    expect((await partitionNames('inbox')).filter((name) => name < oldest)).toEqual(
      [22, 15, 14, 13, 12, 11].map((days) => partitionName('inbox', utcDayStart(nowMs - days * dayMs))),
    );

    // Published: the command's row is in; the day goes once nothing newer than the retention is in it.
    await sql('UPDATE outbox SET published_at = now() WHERE id = $1', [rows[0]?.id]);
    await job({}, { readCommandsTopic }).runOnce();
    expect(await inboxHas(waiting)).toBe(false);
    expect(await inboxHas(late)).toBe(true);
  });

  it('drops no inbox day while the live commands topic keeps records longer than INBOX_RETENTION allows', async () => {
    // Days the 10-day retention kept, expired under a 5-day one.
    const shorter = { INBOX_RETENTION: 5 * dayMs };
    const expired = await seedInbox(8);
    const registry = new Registry();
    const longTopic = await commandsTopic(40 * dayMs);

    const run = await job(shorter, {
      registry,
      readCommandsTopic: () => readTopicRetention(admin, longTopic),
    }).runOnce();

    expect(run.skipped).toEqual([
      {
        group: inboxGroup.name,
        problem: expect.stringMatching(/^INBOX_RETENTION 432000000 ms.*retention\.ms 3456000000 ms/),
      },
    ]);
    expect(await inboxHas(expired)).toBe(true);
    expect((await registry.getSingleMetric('maintenance_expiry_skipped_total')?.get())?.values).toEqual([
      { value: 1, labels: { group: 'inbox' } },
    ]);
    // A topic that cannot be read is no better: nothing is dropped on a guess.
    const missing = await job(shorter, {
      readCommandsTopic: () => readTopicRetention(admin, `missing-${randomUUID()}`),
    }).runOnce();
    expect(missing.skipped[0]?.problem).toMatch(/cannot read the commands topic/);
    expect(await inboxHas(expired)).toBe(true);

    const safeTopic = await commandsTopic(dayMs);
    await job(shorter, { readCommandsTopic: () => readTopicRetention(admin, safeTopic) }).runOnce();
    expect(await inboxHas(expired)).toBe(false);
  });

  it("deletes another producer's commands from the inbox's DEFAULT partition past INBOX_RETENTION, under the same topic check", async () => {
    // Ids that are not ours fit no day: they land in DEFAULT, and no day's drop ever takes them.
    const stray = async (receivedDaysAgo: number) => {
      const id = `order-${randomUUID()}`;
      await sql(
        `INSERT INTO inbox (message_id, fingerprint, topic, partition, "offset", received_at)
         VALUES ($1, '\\x01', 'commands', 0, 1, now() - $2 * interval '1 day')`,
        [id, receivedDaysAgo],
      );
      return id;
    };
    const [expired, recent] = [await stray(12), await stray(2)];
    const { rows: where } = await sql<{ part: string }>(
      'SELECT DISTINCT tableoid::regclass::text AS part FROM inbox WHERE message_id IN ($1, $2)',
      [expired, recent],
    );
    expect(where).toEqual([{ part: 'inbox_default' }]);

    const longTopic = await commandsTopic(40 * dayMs);
    const skipped = await job(
      {},
      { readCommandsTopic: () => readTopicRetention(admin, longTopic) },
    ).runOnce();
    expect(skipped.deleted.inbox_default).toBeUndefined();
    expect(await Promise.all([expired, recent].map((id) => inboxHas(id)))).toEqual([true, true]);

    const registry = new Registry();
    const safeTopic = await commandsTopic(dayMs);
    const run = await job(
      {},
      { registry, readCommandsTopic: () => readTopicRetention(admin, safeTopic) },
    ).runOnce();
    expect(run.deleted.inbox_default).toBe(1);
    expect(await Promise.all([expired, recent].map((id) => inboxHas(id)))).toEqual([false, true]);
    expect((await registry.getSingleMetric('maintenance_rows_deleted_total')?.get())?.values).toContainEqual({
      value: 1,
      labels: { table: 'inbox_default' },
    });
    expect(
      (await registry.getSingleMetric('maintenance_default_partition_rows')?.get())?.values,
    ).toContainEqual({
      value: 1,
      labels: { table: 'inbox' },
    });
  });

  it('keeps a day while a send of it still waits for its time, and drops its schedule row with it', async () => {
    const shorter = { MESSAGE_RETENTION: 3 * dayMs };
    const scheduled = await seedMessage(4);
    await sql(
      `INSERT INTO scheduled_sends (message_id, account_id, due_at, state, request_id, traceparent)
       VALUES ($1, 'acc_m', now() + interval '1 day', 'pending', 'req_1', '')`,
      [scheduled],
    );
    const scheduleRows = async () =>
      Number(
        (
          await sql<{ n: string }>('SELECT count(*) AS n FROM scheduled_sends WHERE message_id = $1', [
            scheduled,
          ])
        ).rows[0]?.n,
      );
    expect((await job(shorter).runOnce()).blocked).toContainEqual({
      partition: partitionName('messages', utcDayStart(nowMs - 4 * dayMs)),
      reference: 'pending scheduled send',
    });
    expect(await rowsOf(scheduled)).toEqual([1, 2, 1, 1, 1]);
    // Released (or cancelled): nothing waits for the day any more, schedule row included.
    await sql("UPDATE scheduled_sends SET state = 'released' WHERE message_id = $1", [scheduled]);
    await job(shorter).runOnce();
    expect(await rowsOf(scheduled)).toEqual([0, 0, 0, 0, 0]);
    expect(await scheduleRows()).toBe(0);
  });

  it('moves rows that landed in the DEFAULT partition into their day when it is created', async () => {
    const ahead = await seedMessage(-5);
    const { rows: before } = await sql<{ n: string }>('SELECT count(*) AS n FROM messages_default');
    expect(Number(before[0]?.n)).toBe(1);
    const run = await job({ PARTITIONS_AHEAD: 6 }).runOnce();
    expect(run.created).toContain(partitionName('messages', utcDayStart(nowMs + 5 * dayMs)));
    const { rows: after } = await sql<{ n: string; part: string }>(
      'SELECT count(*) AS n, min(tableoid::regclass::text) AS part FROM messages WHERE id = $1',
      [ahead],
    );
    expect(after[0]).toEqual({ n: '1', part: partitionName('messages', utcDayStart(nowMs + 5 * dayMs)) });
    expect(await rowsOf(ahead)).toEqual([1, 2, 1, 1, 1]);
  });

  it('deletes dead letters past DEAD_LETTER_RETENTION with their redrives, in batches, and keeps newer ones', async () => {
    const { rows } = await sql<{ id: string; old: boolean }>(
      `INSERT INTO dead_letters (code, reason, source_topic, source_partition, source_offset, created_at)
       SELECT 'bad', 'r', 'dl', 0, n, CASE WHEN n < 5 THEN now() - interval '8 days' ELSE now() END
         FROM generate_series(0, 6) AS n
       RETURNING id, created_at < now() AS old`,
    );
    await sql("INSERT INTO dead_letter_redrives (dead_letter_id, topic) SELECT unnest($1::bigint[]), 't'", [
      rows.map((row) => row.id),
    ]);
    const run = await job().runOnce();
    expect(run.deleted.dead_letters).toBe(5);
    const { rows: left } = await sql<{ n: string; redrives: string }>(
      `SELECT (SELECT count(*) FROM dead_letters WHERE source_topic = 'dl') AS n,
              (SELECT count(*) FROM dead_letter_redrives) AS redrives`,
    );
    expect(left[0]).toEqual({ n: '2', redrives: '2' });
  });

  it('deletes webhook deliveries past WEBHOOK_DELIVERY_RETENTION, except one still being retried', async () => {
    await sql(
      `INSERT INTO webhook_endpoints (id, account_id, url, secret) VALUES ('whe_1', 'acc_m', 'https://example.com', 'whsec_x')`,
    );
    await sql(
      `INSERT INTO webhook_deliveries (id, endpoint_id, stream_id, version, event_type, payload, occurred_at, state, created_at)
       SELECT 'whd_' || n, 'whe_1', 'msg_' || n, 1, 'MessageAccepted', '{}', now(),
              CASE WHEN n = 0 THEN 'pending' ELSE 'delivered' END,
              CASE WHEN n < 3 THEN now() - interval '8 days' ELSE now() END
         FROM generate_series(0, 4) AS n`,
    );
    const run = await job().runOnce();
    expect(run.deleted.webhook_deliveries).toBe(2);
    const { rows } = await sql<{ id: string }>('SELECT id FROM webhook_deliveries ORDER BY id');
    expect(rows.map((row) => row.id)).toEqual(['whd_0', 'whd_3', 'whd_4']);
  });

  it('runs safely on several instances at once', async () => {
    const runs = await Promise.all([
      job({ PARTITIONS_AHEAD: 9 }).runOnce(),
      job({ PARTITIONS_AHEAD: 9 }).runOnce(),
    ]);
    expect(runs.map((run) => run.outcome)).toEqual(expect.arrayContaining(['done']));
    const names = await partitionNames('effects');
    expect(names.at(-1)).toBe(partitionName('effects', utcDayStart(nowMs) + 9 * dayMs));
    expect(new Set(names).size).toBe(names.length);
  });
});
