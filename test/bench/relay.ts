// The relay's benchmark: `node test/bench/relay.ts` (build first; PostgreSQL and Kafka running),
// or a phase of `npm run bench`.
//
// 1. Throughput: N outbox rows committed at once, drained by one relay process (from the commit
//    to the last record on the topic, by Kafka's offsets), beside a raw kafkajs idempotent producer (acks all, one request
//    in flight) sending the same records in batches of the same size to the same broker. Rounds
//    alternate; the figure is the median relay rate as a ratio of the median raw rate. With
//    RELAY_PUBLISHED_RETENTION=1h (rows marked, kept) and/or the default 0 (deleted).
// 2. Commit-to-publish latency at a steady rate (one row per transaction, NOTIFY after commit),
//    with the retention of 1h so that published_at can be read:
//    published_at (stamped right after Kafka's acknowledgement) minus the writer's commit time;
//    beside the raw producer's latency from each send's scheduled time to its acknowledgement at
//    the same rate (open loop, no cap). Also without the NOTIFY (adaptive poll only), and at a
//    low rate, to show what the wake-up buys. Each row gives the offered and achieved rates.
// 3. CPU of the idle relay.
// 4. Optionally a CPU profile of the relay draining the rows (`node --cpu-prof`).
//
// Variables when run alone: DATABASE_URL (server), KAFKA_BROKERS, BENCH_ROWS (50000),
// BENCH_ROUNDS (3; also of the headline latency), BENCH_RATE (1000), BENCH_LATENCY_SECONDS (30), BENCH_IDLE_SECONDS (10),
// BENCH_VARIANTS (mark,delete), BENCH_CPU_PROFILE_DIR (unset: no profile).

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '@exactly/messaging';
import { enqueueOutbox, notifyOutbox, type OutboxEntry } from '@exactly/outbox';
import { type Orm, openOrm, runSql } from '@exactly/persistence';
import { type ServiceProcess, serviceEntry, startService } from '@exactly/testkit';
import { type Admin, type Message, Partitioners, type Producer } from 'kafkajs';
import { seededRandom } from '../support/seededRandom.ts';
import { type ProfileSummary, summariseCpuProfile } from './lib/cpuProfile.ts';
import { createBenchDatabase, kafkaBrokers, log } from './lib/environment.ts';
import { LatencyHistogram } from './lib/latencyHistogram.ts';
import { type PacedResult, paced } from './lib/load.ts';
import { cpuByProgram, cpuSeconds } from './lib/processes.ts';
import { type Distribution, median, medianRound, round, spread } from './lib/stats.ts';

export interface RelayBenchOptions {
  rows: number;
  rounds: number;
  /** Rows per second of the latency phase. */
  rate: number;
  latencySeconds: number;
  /** Rounds of the headline latency (default `rounds`). */
  latencyRounds?: number;
  idleSeconds: number;
  /** `mark`: RELAY_PUBLISHED_RETENTION=1h (also runs the latency phase); `delete`: the default. */
  variants: ('mark' | 'delete')[];
  /** Latency without NOTIFY and at 20 rows/s too. */
  latencyVariants?: boolean;
  /** Write a CPU profile of a relay draining `rows` into this folder and summarise it. */
  cpuProfileDir?: string;
}

const batchSize = 500;
const partitions = 12;

const random = seededRandom(42);

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

const medianBy = (samples: readonly Record<string, number>[]) =>
  Object.fromEntries(
    [...new Set(samples.flatMap(Object.keys))].map((key) => [
      key,
      median(samples.map((sample) => sample[key] ?? 0)),
    ]),
  );

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
 * Waits until the topic holds `target` records. Each poll asks the broker for the partitions'
 * offsets, which costs it CPU that the relay needs on this 2-core machine (polling every 10 ms
 * throughout took more broker CPU per 1,000 rows than the relay's own sends): so between polls it
 * waits half the time the rate seen so far says is left, at most 100 ms and at least 5 ms.
 */
async function untilRecordsOn(
  admin: Admin,
  topic: string,
  startCount: number,
  target: number,
  startedAt: number,
): Promise<void> {
  for (;;) {
    const count = await recordsOn(admin, topic);
    if (count >= target) return;
    const elapsed = Date.now() - startedAt;
    const done = count - startCount;
    const expectedLeftMs = done > 0 ? ((target - count) * elapsed) / done : 40;
    await sleep(Math.min(100, Math.max(5, expectedLeftMs / 2)));
  }
}

/**
 * From the commit to the moment the last record is on the topic (Kafka's own offsets: no load on
 * PostgreSQL while the relay works), then until every row is marked.
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
  const startCount = await recordsOn(admin, topic);
  const committedAt = await commitAll(orm, entries);
  const before = cpuByProgram();
  await untilRecordsOn(admin, topic, startCount, startCount + entries.length, committedAt);
  const rate = (entries.length / (Date.now() - committedAt)) * 1_000;
  await waitDrained(orm);
  return { rate, cpu: cpuDelta(before, cpuByProgram(), entries.length) };
}

async function startRelay(databaseUrl: string, relayTopics: string[], extra: Record<string, string>) {
  const relay = await startService('relay', {
    env: {
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      COMMANDS_TOPIC: relayTopics[0] as string,
      MESSAGE_EVENTS_TOPIC: relayTopics[1] as string,
      DEAD_LETTER_TOPIC: relayTopics[2] as string,
      ...extra,
    },
  });
  return relay.process;
}

/** Alternating rounds of the raw producer and the relay; medians and their ratio. */
async function throughput(
  label: string,
  rounds: number,
  orm: Orm,
  admin: Admin,
  producer: Producer,
  rawTopic: string,
  relayTopic: string,
  entries: OutboxEntry[],
  messages: Message[],
) {
  // A round of each at full size first, not measured: connections, metadata, JIT, and the
  // table's and the topic's first growth. With 5,000 rows instead, the relay's first measured
  // round ran at 0.55-0.85x of its next two in 3 of 4 runs (2026-12-07).
  await rawRound(producer, rawTopic, messages);
  await relayRound(orm, admin, relayTopic, entries);
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
      `relay: ${label} round ${r + 1}: raw ${Math.round(raw[r] ?? 0)} rows/s, relay ${Math.round(relayed[r] ?? 0)} rows/s`,
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
    /** The ratio of each round (raw and relay side by side): median and spread. */
    ratioSpread: spread(relayed.map((rate, i) => Math.round((rate / (raw[i] ?? 1)) * 1_000) / 1_000)),
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

interface LatencyResult extends Distribution {
  label: string;
  offeredRate: number;
  achievedRate: number;
  /** Writes or sends that started more than 10 ms after their scheduled time. */
  lateStarts: number;
}

function summarise(label: string, latency: Distribution, load: PacedResult): LatencyResult {
  return {
    label,
    offeredRate: load.offeredPerSecond,
    achievedRate: round(latency.count / load.elapsed),
    lateStarts: load.late,
    ...latency,
  };
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
  // The writer's pool bounds its transactions in flight; a write that could not start on time
  // is counted late (the figure is commit to publish, so a late writer lowers the achieved rate,
  // which the row reports, and does not hide the relay's latency).
  const load = await paced(
    perSecond,
    seconds,
    async (i) => {
      const entry = commandEntry(topic, `lat-${run}/${i}`);
      // One statement in autocommit: its own transaction in one round trip (BEGIN and COMMIT as
      // statements of their own would triple the writer's round trips and its share of the cores).
      await enqueueOutbox(orm.em.fork(), [entry]);
      committed.set(entry.kafkaKey, Date.now());
      if (notify) await notifyOutbox(orm.em.fork());
    },
    { maxInFlight: 64 },
  );
  await waitDrained(orm);
  const { rows: published } = await runSql<{ kafka_key: string; published_ms: number }>(
    orm.em.fork(),
    `SELECT kafka_key, (extract(epoch FROM published_at) * 1000)::float8 AS published_ms
       FROM outbox WHERE kafka_key LIKE $1`,
    [`lat-${run}/%`],
  );
  const latency = new LatencyHistogram();
  for (const row of published)
    latency.record(Number(row.published_ms) - (committed.get(row.kafka_key) ?? Number.NaN));
  return summarise(label, latency.distribution(), load);
}

async function rawLatency(
  producer: Producer,
  topic: string,
  perSecond: number,
  seconds: number,
): Promise<LatencyResult> {
  // Open loop without a cap: latency from each send's scheduled time to Kafka's acknowledgement.
  const load = await paced(perSecond, seconds, async (i) => {
    const entry = commandEntry(topic, `raw-lat/${i}`);
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key: entry.kafkaKey, value: JSON.stringify(entry.payload), headers: entry.headers }],
    });
  });
  return summarise(`raw kafkajs producer, ${perSecond} rows/s`, load.latencyMs, load);
}

function cpuDelta(before: Record<string, number>, after: Record<string, number>, rowsDone: number) {
  return Object.fromEntries(
    Object.keys(after)
      .filter((program) => program !== 'other')
      .map((program) => [
        program,
        round((((after[program] ?? 0) - (before[program] ?? 0)) * 1_000_000) / rowsDone),
      ]),
  );
}

export async function runRelayBench(options: RelayBenchOptions) {
  const { rows, rounds, rate, latencySeconds, idleSeconds } = options;
  const latencyRounds = options.latencyRounds ?? rounds;
  serviceEntry('relay'); // throws when the relay is not built (`turbo run build`)
  const database = await createBenchDatabase('relay');
  const kafka = createKafka({ brokers: kafkaBrokers(), clientId: 'relay-bench' });
  const admin = kafka.admin();
  const base = `bench-relay-${randomUUID().slice(0, 8)}`;
  const topics = { commands: `${base}.commands`, raw: `${base}.raw` };
  const relayTopics = [topics.commands, `${base}.events`, `${base}.dead-letters`];
  let relay: ServiceProcess | undefined;
  let orm: Orm | undefined;
  let producer: Producer | undefined;
  try {
    orm = await openOrm({ databaseUrl: database.url, poolSize: 16 });
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

    log(`relay: ${rows} rows of ~${Math.round(bytes)} bytes, ${rounds} rounds, batches of ${batchSize}`);
    const runs = [];
    const latency: LatencyResult[] = [];
    let latencyP99Spread = spread([]);
    let idleCpuPercent: number | undefined;
    if (options.variants.includes('mark')) {
      relay = await startRelay(database.url, relayTopics, { RELAY_PUBLISHED_RETENTION: '1h' });
      runs.push(
        await throughput(
          'retention 1h (mark)',
          rounds,
          orm,
          admin,
          producer,
          topics.raw,
          topics.commands,
          entries,
          messages,
        ),
      );

      log(`relay: latency at ${rate} rows/s for ${latencySeconds} s, one row per transaction`);
      latency.push(await rawLatency(producer, topics.raw, rate, latencySeconds));
      // The headline: `latencyRounds` rounds; the table shows the median round (by p99).
      const steadyRounds: LatencyResult[] = [];
      for (let r = 1; r <= latencyRounds; r++) {
        steadyRounds.push(
          await relayLatency(
            orm,
            topics.commands,
            `relay, ${rate} rows/s, NOTIFY after commit`,
            rate,
            latencySeconds,
            true,
          ),
        );
        log(`relay: latency round ${r}:`, steadyRounds.at(-1));
      }
      latencyP99Spread = spread(steadyRounds.map((l) => l.p99));
      latency.push(medianRound(steadyRounds, (l) => l.p99));
      if (options.latencyVariants !== false) {
        latency.push(
          await relayLatency(
            orm,
            topics.commands,
            `relay, ${rate} rows/s, no NOTIFY (adaptive poll only)`,
            rate,
            Math.min(10, latencySeconds),
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
        );
      }

      if (idleSeconds > 0) {
        log(`relay: idle CPU over ${idleSeconds} s`);
        await runSql(orm.em.fork(), 'DELETE FROM outbox');
        await sleep(2_000);
        const pid = relay.pid as number;
        const cpuBefore = cpuSeconds(pid);
        await sleep(idleSeconds * 1_000);
        idleCpuPercent = round(((cpuSeconds(pid) - cpuBefore) / idleSeconds) * 100, 2);
      }
      await relay.stop();
    }

    if (options.variants.includes('delete')) {
      relay = await startRelay(database.url, relayTopics, {});
      runs.push(
        await throughput(
          'default, retention 0 (delete)',
          rounds,
          orm,
          admin,
          producer,
          topics.raw,
          topics.commands,
          entries,
          messages,
        ),
      );
      await relay.stop();
    }

    let cpuProfile: ProfileSummary | undefined;
    if (options.cpuProfileDir) {
      const dir = join(options.cpuProfileDir, 'relay');
      mkdirSync(dir, { recursive: true });
      log(`relay: CPU profile of a relay draining ${rows} rows...`);
      const spawnedAt = performance.now();
      relay = await startRelay(database.url, relayTopics, {
        NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}`,
      });
      await sleep(1_000);
      const loadStart = performance.now();
      await relayRound(orm, admin, topics.commands, entries);
      const loadEnd = performance.now();
      await relay.stop();
      const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
      if (file)
        cpuProfile = summariseCpuProfile(join(dir, file), {
          skipSeconds: (loadStart - spawnedAt) / 1_000,
          untilSeconds: (loadEnd - spawnedAt) / 1_000,
        });
    }

    const rawLat = latency[0];
    const steady = latency[1];
    const headline = runs.find((run) => run.relay.startsWith('default')) ?? runs[0];
    return {
      throughput: {
        rows,
        recordBytes: Math.round(bytes),
        batchSize,
        target: '>= 0.7',
        ratioToRaw: headline?.ratioToRaw,
        runs,
      },
      latencyMs: latency,
      /** Commit → publish p99 of the headline latency rounds (ms). */
      latencyP99Spread,
      latencyRatioToRaw:
        rawLat && steady
          ? { p50: round(steady.p50 / rawLat.p50), p99: round(steady.p99 / rawLat.p99) }
          : undefined,
      latencyTarget: `relay p99 < 50 ms at ${rate} rows/s`,
      idleCpuPercentOfOneCore: idleCpuPercent,
      cpuProfile,
    };
  } finally {
    await producer?.disconnect().catch(() => {});
    await relay?.stop();
    await orm?.close();
    await admin.deleteTopics({ topics: [topics.raw, ...relayTopics] }).catch(() => {});
    await admin.disconnect();
    await database.drop();
  }
}

export type RelayBenchResult = Awaited<ReturnType<typeof runRelayBench>>;

if (import.meta.main) {
  const result = await runRelayBench({
    rows: Number(process.env.BENCH_ROWS ?? 50_000),
    rounds: Number(process.env.BENCH_ROUNDS ?? 3),
    rate: Number(process.env.BENCH_RATE ?? 1_000),
    latencySeconds: Number(process.env.BENCH_LATENCY_SECONDS ?? 30),
    idleSeconds: Number(process.env.BENCH_IDLE_SECONDS ?? 10),
    variants: (process.env.BENCH_VARIANTS ?? 'mark,delete').split(',') as ('mark' | 'delete')[],
    cpuProfileDir: process.env.BENCH_CPU_PROFILE_DIR,
  });
  console.log(JSON.stringify(result, null, 2));
}
