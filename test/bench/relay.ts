// The relay's benchmark: `node test/bench/relay.ts` (build first; PostgreSQL and Kafka running).
//
// 1. Throughput: N outbox rows committed at once, drained by one relay process (from the commit
//    to the last record on the topic, by Kafka's offsets), beside a raw kafkajs idempotent producer (acks all, one request
//    in flight) sending the same records in batches of the same size to the same broker. Rounds
//    alternate; the figure is the median relay rate as a ratio of the median raw rate. Twice:
//    with RELAY_PUBLISHED_RETENTION=1h (rows marked, kept) and with the default 0 (deleted).
// 2. Commit-to-publish latency at a steady rate (one row per transaction, NOTIFY after commit),
//    with the retention of 1h so that published_at can be read:
//    published_at (stamped right after Kafka's acknowledgement) minus the writer's commit time;
//    beside the raw producer's send-to-acknowledgement latency at the same rate. Also without
//    the NOTIFY (adaptive poll only), and at a low rate, to show what the wake-up buys.
// 3. CPU of the idle relay.
//
// Variables: DATABASE_URL (server), KAFKA_BROKERS, BENCH_ROWS (50000), BENCH_ROUNDS (3),
// BENCH_RATE (1000), BENCH_LATENCY_SECONDS (15), BENCH_IDLE_SECONDS (10).

import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '@exactly/messaging';
import {
  enqueueOutbox,
  notifyOutbox,
  type Orm,
  type OutboxEntry,
  openOrm,
  runMigrations,
  runSql,
} from '@exactly/persistence';
import { freePort, ServiceProcess, waitForHttp, withDatabase } from '@exactly/testkit';
import { type Admin, type Message, Partitioners, type Producer } from 'kafkajs';
import pg from 'pg';
import { seededRandom } from '../support/seededRandom.ts';

const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres:exactly@127.0.0.1:54320/exactly';
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const rows = Number(process.env.BENCH_ROWS ?? 50_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const rate = Number(process.env.BENCH_RATE ?? 1_000);
const latencySeconds = Number(process.env.BENCH_LATENCY_SECONDS ?? 15);
const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? 10);
const batchSize = 500;
const partitions = 12;
const relayEntry = 'services/relay/dist/main.js';

const random = seededRandom(42);
const log = (...parts: unknown[]) => console.error('bench:', ...parts);

/** A send command like the ingest API's (about 700 bytes of JSON), with the headers it sets. */
function commandEntry(topic: string, key: string): OutboxEntry {
  const messageId = `msg_${randomUUID()}`;
  const accountId = `acc_${Math.floor(random() * 1_000)}`;
  return {
    topic,
    kafkaKey: key,
    payload: {
      type: 'SendMessage',
      data: {
        messageId,
        accountId,
        message: {
          channel: 'email',
          to: `user${Math.floor(random() * 1e6)}@example.com`,
          from: 'billing@example.com',
          subject: 'Your invoice is ready',
          text: `Hello, your invoice ${randomBytes(8).toString('hex')} for this month is attached. ${'Thank you for your business. '.repeat(6)}`,
          metadata: { campaign: 'invoices', locale: 'en-GB' },
        },
        acceptedAt: new Date().toISOString(),
      },
      metadata: { schemaVersion: 1, idempotencyKey: key, requestId: `req_${randomUUID()}` },
    },
    headers: {
      'exactly-message-id': messageId,
      'exactly-account-id': accountId,
      'exactly-schema-version': '1',
      'content-type': 'application/json',
      traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
    },
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const median = (values: readonly number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
const medianBy = (samples: readonly Record<string, number>[]) =>
  Object.fromEntries(
    [...new Set(samples.flatMap(Object.keys))].map((key) => [
      key,
      median(samples.map((sample) => sample[key] ?? 0)),
    ]),
  );
const round1 = (value: number) => Math.round(value * 10) / 10;

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function scalar(orm: Orm, sql: string, parameters: unknown[] = []): Promise<number> {
  const { rows: result } = await runSql<{ value: string | number | null }>(orm.em.fork(), sql, parameters);
  return Number(result[0]?.value ?? 0);
}

async function waitDrained(orm: Orm, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await scalar(orm, 'SELECT count(*) AS value FROM outbox WHERE published_at IS NULL')) > 0) {
    if (Date.now() > deadline) throw new Error('the relay did not drain the outbox in time');
    await sleep(100);
  }
}

/** Commits all entries in one transaction; returns the commit time (ms). */
async function commitAll(orm: Orm, entries: OutboxEntry[]): Promise<number> {
  await orm.em.fork().transactional((tx) => enqueueOutbox(tx, entries));
  const committedAt = Date.now();
  await notifyOutbox(orm.em.fork());
  return committedAt;
}

async function recordsOn(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
}

/**
 * From the commit to the moment the last record is on the topic (Kafka's own offsets, polled
 * every 10 ms: no load on PostgreSQL while the relay works), then until every row is marked.
 */
async function relayRound(
  orm: Orm,
  admin: Admin,
  topic: string,
  entries: OutboxEntry[],
): Promise<{ rate: number; cpu: Record<string, number> }> {
  // Each round starts from a clean table, as autovacuum keeps it in steady state.
  await runSql(orm.em.fork(), 'DELETE FROM outbox');
  await runSql(orm.em.fork(), 'VACUUM (ANALYZE) outbox');
  const target = (await recordsOn(admin, topic)) + entries.length;
  const committedAt = await commitAll(orm, entries);
  const before = cpuByProgram();
  while ((await recordsOn(admin, topic)) < target) await sleep(10);
  const rate = (entries.length / (Date.now() - committedAt)) * 1_000;
  await waitDrained(orm);
  return { rate, cpu: cpuDelta(before, cpuByProgram(), entries.length) };
}

async function startRelay(databaseUrl: string, relayTopics: string[], extra: Record<string, string>) {
  const port = await freePort();
  const relay = new ServiceProcess({
    entry: relayEntry,
    name: 'relay',
    env: {
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: brokers.join(','),
      PORT: String(port),
      COMMANDS_TOPIC: relayTopics[0] as string,
      MESSAGE_EVENTS_TOPIC: relayTopics[1] as string,
      DEAD_LETTER_TOPIC: relayTopics[2] as string,
      LOG_LEVEL: 'warn',
      ...extra,
    },
  });
  relay.start();
  await waitForHttp(`http://127.0.0.1:${port}/readyz`, 60_000);
  return relay;
}

/** Alternating rounds of the raw producer and the relay; medians and their ratio. */
async function throughput(
  label: string,
  orm: Orm,
  admin: Admin,
  producer: Producer,
  rawTopic: string,
  relayTopic: string,
  entries: OutboxEntry[],
  messages: Message[],
) {
  // Warm-up of both paths (connections, metadata, JIT), not measured.
  await rawRound(producer, rawTopic, messages.slice(0, 5_000));
  await relayRound(orm, admin, relayTopic, entries.slice(0, 5_000));
  const raw: number[] = [];
  const relayed: number[] = [];
  // CPU time of the producing process per 1,000 rows: the bench itself for the raw producer, the relay process for the relay.
  const rawCpu: Record<string, number>[] = [];
  const relayCpu: Record<string, number>[] = [];
  for (let r = 0; r < rounds; r++) {
    const before = cpuByProgram();
    raw.push(await rawRound(producer, rawTopic, messages));
    rawCpu.push(cpuDelta(before, cpuByProgram(), messages.length));
    const relay = await relayRound(orm, admin, relayTopic, entries);
    relayed.push(relay.rate);
    relayCpu.push(relay.cpu);
    log(
      `${label} round ${r + 1}: raw ${Math.round(raw[r] ?? 0)} rows/s, relay ${Math.round(relayed[r] ?? 0)} rows/s`,
    );
  }
  await runSql(orm.em.fork(), 'DELETE FROM outbox');
  return {
    relay: label,
    rawRowsPerSecond: raw.map(Math.round),
    relayRowsPerSecond: relayed.map(Math.round),
    medianRaw: Math.round(median(raw)),
    medianRelay: Math.round(median(relayed)),
    ratioToRaw: Math.round((median(relayed) / median(raw)) * 100) / 100,
    roundRatios: relayed.map((rate, i) => Math.round((rate / (raw[i] ?? 1)) * 100) / 100),
    // CPU ms per 1,000 rows by program (the whole machine's PostgreSQL and Kafka processes).
    cpuMsPer1000Rows: { raw: medianBy(rawCpu), relay: medianBy(relayCpu) },
  };
}

async function rawRound(producer: Producer, topic: string, messages: Message[]): Promise<number> {
  const started = performance.now();
  for (let start = 0; start < messages.length; start += batchSize) {
    await producer.sendBatch({
      acks: -1,
      topicMessages: [{ topic, messages: messages.slice(start, start + batchSize) }],
    });
  }
  return (messages.length / (performance.now() - started)) * 1_000;
}

interface LatencyResult {
  label: string;
  rows: number;
  achievedRate: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function summarise(label: string, latencies: number[], seconds: number): LatencyResult {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    label,
    rows: sorted.length,
    achievedRate: round1(sorted.length / seconds),
    p50: round1(percentile(sorted, 50)),
    p90: round1(percentile(sorted, 90)),
    p99: round1(percentile(sorted, 99)),
    max: round1(sorted.at(-1) ?? Number.NaN),
  };
}

/** Runs `work(i)` for i = 0.. at `perSecond`, on schedule, at most 64 at a time. */
async function paced(
  perSecond: number,
  seconds: number,
  work: (i: number) => Promise<void>,
): Promise<number> {
  const total = Math.round(perSecond * seconds);
  const interval = 1_000 / perSecond;
  const running = new Set<Promise<void>>();
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = started + i * interval - performance.now();
    if (wait > 1) await sleep(wait);
    while (running.size >= 64) await Promise.race(running);
    const task = work(i).finally(() => running.delete(task));
    running.add(task);
  }
  await Promise.all(running);
  return (performance.now() - started) / 1_000;
}

async function relayLatency(
  orm: Orm,
  topic: string,
  label: string,
  perSecond: number,
  seconds: number,
  notify: boolean,
): Promise<LatencyResult> {
  const run = randomUUID().slice(0, 8);
  const committed = new Map<string, number>();
  const elapsed = await paced(perSecond, seconds, async (i) => {
    const entry = commandEntry(topic, `lat-${run}/${i}`);
    await orm.em.fork().transactional((tx) => enqueueOutbox(tx, [entry]));
    committed.set(entry.kafkaKey, Date.now());
    if (notify) await notifyOutbox(orm.em.fork());
  });
  await waitDrained(orm);
  const { rows: published } = await runSql<{ kafka_key: string; published_ms: number }>(
    orm.em.fork(),
    `SELECT kafka_key, (extract(epoch FROM published_at) * 1000)::float8 AS published_ms
       FROM outbox WHERE kafka_key LIKE $1`,
    [`lat-${run}/%`],
  );
  const latencies = published.map(
    (row) => Number(row.published_ms) - (committed.get(row.kafka_key) ?? Number.NaN),
  );
  return summarise(label, latencies, elapsed);
}

async function rawLatency(
  producer: Producer,
  topic: string,
  perSecond: number,
  seconds: number,
): Promise<LatencyResult> {
  const latencies: number[] = [];
  const elapsed = await paced(perSecond, seconds, async (i) => {
    const entry = commandEntry(topic, `raw-lat/${i}`);
    const sentAt = performance.now();
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key: entry.kafkaKey, value: JSON.stringify(entry.payload), headers: entry.headers }],
    });
    latencies.push(performance.now() - sentAt);
  });
  return summarise(`raw kafkajs producer, ${perSecond} rows/s`, latencies, elapsed);
}

/** CPU seconds of every process whose command line matches, by name: where a round's CPU went. */
function cpuByProgram(): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const program = command.includes('kafka.Kafka')
        ? 'kafka'
        : command.startsWith('postgres')
          ? 'postgres'
          : command.includes('relay/dist/main.js')
            ? 'relay'
            : Number(entry) === process.pid
              ? 'bench'
              : undefined;
      if (program) totals[program] = (totals[program] ?? 0) + cpuSeconds(Number(entry));
    } catch {
      // The process ended while we read it.
    }
  }
  return totals;
}

function cpuDelta(before: Record<string, number>, after: Record<string, number>, rowsDone: number) {
  return Object.fromEntries(
    Object.keys(after).map((program) => [
      program,
      round1((((after[program] ?? 0) - (before[program] ?? 0)) * 1_000_000) / rowsDone),
    ]),
  );
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function main(): Promise<void> {
  if (!existsSync(relayEntry)) throw new Error(`${relayEntry} is missing: build first (turbo run build)`);
  const database = `exactly_bench_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${database}`);
  const databaseUrl = withDatabase(serverUrl, database);
  const kafka = createKafka({ brokers, clientId: 'relay-bench' });
  const admin = kafka.admin();
  const base = `bench-relay-${randomUUID().slice(0, 8)}`;
  const topics = { commands: `${base}.commands`, raw: `${base}.raw` };
  const relayTopics = [topics.commands, `${base}.events`, `${base}.dead-letters`];
  let relay: ServiceProcess | undefined;
  let orm: Orm | undefined;
  let producer: Producer | undefined;
  try {
    await runMigrations(databaseUrl);
    orm = await openOrm({ databaseUrl, poolSize: 16 });
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: topics.raw, numPartitions: partitions }],
      waitForLeaders: true,
    });

    // The same records for both: the relay sends PostgreSQL's rendering of each payload.
    const entries = Array.from({ length: rows }, (_, i) => commandEntry(topics.commands, `acc_1/idem-${i}`));
    await commitAll(orm, entries);
    const { rows: stored } = await runSql<{
      kafka_key: string;
      payload: string;
      headers: Record<string, string>;
    }>(orm.em.fork(), 'SELECT kafka_key, payload::text AS payload, headers FROM outbox ORDER BY id');
    const messages: Message[] = stored.map((row) => ({
      key: row.kafka_key,
      value: row.payload,
      headers: row.headers,
    }));
    const bytes =
      messages.reduce((sum, message) => sum + Buffer.byteLength(message.value as string), 0) / rows;
    await runSql(orm.em.fork(), 'DELETE FROM outbox');

    producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();

    log(`throughput: ${rows} rows of ~${Math.round(bytes)} bytes, ${rounds} rounds, batches of ${batchSize}`);
    relay = await startRelay(databaseUrl, relayTopics, { RELAY_PUBLISHED_RETENTION: '1h' });
    const kept = await throughput(
      'retention 1h (mark)',
      orm,
      admin,
      producer,
      topics.raw,
      topics.commands,
      entries,
      messages,
    );

    log(`latency: ${rate} rows/s for ${latencySeconds} s, one row per transaction`);
    const latency = [
      await rawLatency(producer, topics.raw, rate, Math.min(latencySeconds, 10)),
      await relayLatency(
        orm,
        topics.commands,
        `relay, ${rate} rows/s, NOTIFY after commit`,
        rate,
        latencySeconds,
        true,
      ),
      await relayLatency(
        orm,
        topics.commands,
        `relay, ${rate} rows/s, no NOTIFY (adaptive poll only)`,
        rate,
        10,
        false,
      ),
      await relayLatency(orm, topics.commands, 'relay, 20 rows/s, NOTIFY after commit', 20, 5, true),
      await relayLatency(
        orm,
        topics.commands,
        'relay, 20 rows/s, no NOTIFY (adaptive poll only)',
        20,
        5,
        false,
      ),
    ];

    log(`idle CPU over ${idleSeconds} s`);
    await runSql(orm.em.fork(), 'DELETE FROM outbox');
    await sleep(2_000);
    const pid = relay.pid as number;
    const cpuBefore = cpuSeconds(pid);
    await sleep(idleSeconds * 1_000);
    const idleCpuPercent = ((cpuSeconds(pid) - cpuBefore) / idleSeconds) * 100;
    await relay.stop();

    relay = await startRelay(databaseUrl, relayTopics, {});
    const deleted = await throughput(
      'default, retention 0 (delete)',
      orm,
      admin,
      producer,
      topics.raw,
      topics.commands,
      entries,
      messages,
    );

    const [rawLat, steady] = latency as [LatencyResult, LatencyResult];
    const summary = {
      machine: `${cpus().length} cores, load average at the end ${loadavg()
        .map((load) => load.toFixed(1))
        .join(' ')}`,
      throughput: {
        rows,
        recordBytes: Math.round(bytes),
        batchSize,
        target: '>= 0.7',
        runs: [kept, deleted],
      },
      latencyMs: latency,
      latencyRatioToRaw: { p50: round1(steady.p50 / rawLat.p50), p99: round1(steady.p99 / rawLat.p99) },
      latencyTarget: 'relay p99 < 50 ms at 1000 rows/s',
      idleCpuPercentOfOneCore: Math.round(idleCpuPercent * 100) / 100,
    };
    console.log(JSON.stringify(summary, null, 2));
  } finally {
    await producer?.disconnect().catch(() => {});
    await relay?.stop();
    await orm?.close();
    await admin.deleteTopics({ topics: [topics.raw, ...relayTopics] }).catch(() => {});
    await admin.disconnect();
    await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

await main();
