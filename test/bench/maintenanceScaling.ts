// How long one maintenance run takes as the message tables grow (docs/retention.md): the run that
// creates the next day's partitions and drops the oldest day, at each table size, beside what the
// row-by-row DELETE it replaces costs for one day of the same table. Not a test: a measurement,
// printed as a Markdown table. `node test/bench/maintenanceScaling.ts [rows...]` (default 1M 5M
// 10M), with DATABASE_URL pointing at any database of the server (a database of its own is made
// and dropped).

import { createLogger } from '@exactly/observability';
import { createMigratedDatabase, type Orm, openOrm, runSql } from '@exactly/persistence';
import { createMaintenanceJob, dayMs, idBoundAt, messageGroup, utcDayStart } from '@exactly/retention';
import { Registry } from 'prom-client';

const sizes = process.argv.slice(2).map(Number);
const targets = sizes.length > 0 ? sizes : [1_000_000, 5_000_000, 10_000_000];
const historyDays = 40;
const runsPerSize = 3;
const chunk = 250_000;

const database = await createMigratedDatabase(process.env.DATABASE_URL ?? '', 'bench_maintenance');
const orm: Orm = await openOrm({ databaseUrl: database.url, poolSize: 2 });
const sql = <Row = Record<string, unknown>>(text: string, parameters: unknown[] = []) =>
  runSql<Row>(orm.em.fork(), text, parameters);
const logger = createLogger('bench-maintenance', 'silent');
const settings = {
  MAINTENANCE_INTERVAL: 60_000,
  DEAD_LETTER_RETENTION: Number.POSITIVE_INFINITY,
  SET_ASIDE_RETENTION: Number.POSITIVE_INFINITY,
  WEBHOOK_DELIVERY_RETENTION: Number.POSITIVE_INFINITY,
  MAINTENANCE_DELETE_BATCH: 1_000,
  MAINTENANCE_LOCK_TIMEOUT: 60_000,
  INBOX_RETENTION: Number.POSITIVE_INFINITY,
  RELAY_MAX_LAG: dayMs,
};
const job = (retentionDays: number, aheadDays: number) =>
  createMaintenanceJob({
    orm,
    logger,
    registry: new Registry(),
    settings: { ...settings, MESSAGE_RETENTION: retentionDays * dayMs, PARTITIONS_AHEAD: aheadDays },
    // What the figures in docs/retention.md measured: the message tables.
    groups: [messageGroup],
  });

try {
  const { rows } = await sql<{ now: string }>('SELECT (extract(epoch FROM now()) * 1000)::bigint AS now');
  const today = utcDayStart(Number(rows[0]?.now));
  await sql("INSERT INTO accounts (id, name) VALUES ('acc_bench', 'bench')");
  // A database that has run for `historyDays` days, with a partition per day.
  for (const spec of messageGroup.tables) {
    await sql(`ALTER TABLE ${spec.table} DETACH PARTITION ${spec.table}_legacy`);
    await sql(`DROP TABLE ${spec.table}_legacy`);
    await sql(
      `CREATE TABLE ${spec.table}_legacy PARTITION OF ${spec.table}
         FOR VALUES FROM (MINVALUE) TO ('${idBoundAt(spec.idPrefix, today - historyDays * dayMs)}')`,
    );
  }
  let ahead = 7;
  // Creates every day ahead and drops the first partition, which ends where the history starts.
  await job(historyDays, ahead).runOnce();

  // Days still kept, oldest first: each maintenance run drops the first, each DELETE empties the next.
  let oldestKept = today - historyDays * dayMs;
  let rowsNow = 0;
  let nextId = 0;
  console.log(
    '| rows in `messages` | rows per day | maintenance run (create 1 day ahead × 5 tables, drop 1 day × 5 tables), median of 3 | DELETE of one day of `messages` |',
  );
  console.log('| ---: | ---: | ---: | ---: |');
  for (const target of targets) {
    const days = (today - oldestKept) / dayMs;
    while (rowsNow < target) {
      const count = Math.min(chunk, target - rowsNow);
      // Ids spread evenly over the kept days, each made at a time inside its day.
      await sql(
        `INSERT INTO messages (id, account_id, message_key, channel, recipient, sender, content, status, version)
         SELECT 'msg_' || lpad(to_hex($1::bigint + (i % $2) * $3::bigint + (i * 7919) % $3::bigint), 12, '0')
                  || substr(md5(i::text), 1, 20),
                'acc_bench', 'k' || i, 'sms', '+15550100', 'bench', '{"text":"hello"}', 'sent', 3
           FROM generate_series($4::bigint, $4::bigint + $5 - 1) AS i`,
        [oldestKept, days, dayMs, nextId, count],
      );
      rowsNow += count;
      nextId += count;
    }
    await sql('VACUUM ANALYZE messages');
    const perDay = Math.round(rowsNow / days);
    const timings: number[] = [];
    const rowsOfDay = async (day: number) => {
      const { rows: counted } = await sql<{ n: string }>(
        'SELECT count(*) AS n FROM messages WHERE id >= $1 AND id < $2',
        [idBoundAt('msg_', day), idBoundAt('msg_', day + dayMs)],
      );
      return Number(counted[0]?.n);
    };
    for (let run = 0; run < runsPerSize; run += 1) {
      rowsNow -= await rowsOfDay(oldestKept);
      oldestKept += dayMs;
      ahead += 1;
      // Exactly the oldest day is past it: its end is now - retention or earlier, the next day's is not.
      const retentionDays = (today - oldestKept) / dayMs;
      const started = performance.now();
      const result = await job(retentionDays, ahead).runOnce();
      timings.push(performance.now() - started);
      if (
        result.dropped.length !== messageGroup.tables.length ||
        result.created.length !== messageGroup.tables.length
      )
        throw new Error(`unexpected run: ${JSON.stringify(result)}`);
    }
    const inDay = await rowsOfDay(oldestKept);
    const started = performance.now();
    await sql('DELETE FROM messages WHERE id >= $1 AND id < $2', [
      idBoundAt('msg_', oldestKept),
      idBoundAt('msg_', oldestKept + dayMs),
    ]);
    const deleteMs = performance.now() - started;
    rowsNow -= inDay;
    timings.sort((a, b) => a - b);
    console.log(
      `| ${target.toLocaleString('en')} | ${perDay.toLocaleString('en')} | ${timings[1]?.toFixed(0)} ms (${timings.map((t) => t.toFixed(0)).join(', ')}) | ${deleteMs.toFixed(0)} ms (${inDay.toLocaleString('en')} rows) |`,
    );
  }
} finally {
  await orm.close();
  await database.drop();
}
