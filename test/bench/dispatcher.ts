// The dispatcher's benchmark: `node test/bench/dispatcher.ts [flags]` (build first; PostgreSQL
// and Kafka running). It makes a database of its own on DATABASE_URL's server and drops it after.
//
// 1. Throughput: N commands on a 12-partition topic. A raw kafkajs consumer group reads the topic
//    and does nothing (the baseline); then one dispatcher process (log provider) processes the
//    same records exactly once: each command into the inbox, DispatchRequested appended, an
//    effect queued, the log provider's send and ProviderAccepted recorded. Both rates run from
//    the first record handled to the last, so group joins are not counted. Rounds alternate.
//    Afterwards every command is checked: one send row, one DispatchRequested, one ProviderAccepted.
//    The figure is the median of the rounds' ratios (dispatcher / raw).
// 2. Memory: one dispatcher fed at a steady rate for a while; its resident memory (VmRSS) is
//    sampled every 5 s, with the lag at each sample.
//
// Flags: --commands 50000  --rounds 3  --rate 2000  --seconds 60 (memory phase)
//        --skip-throughput  --skip-memory  --partitions-concurrently 4
//        --env KEY=VALUE (dispatcher configuration; repeatable)
// Variables: DATABASE_URL (the server; default the local one), KAFKA_BROKERS.

import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createKafka } from '@exactly/messaging';
import { type Orm, openOrm, runMigrations, runSql } from '@exactly/persistence';
import { freePort, ServiceProcess, waitForHttp, withDatabase } from '@exactly/testkit';
import type { Admin } from 'kafkajs';
import pg from 'pg';
import { type BenchCommand, produce, seedAccount, seedCommands } from './dispatcherSeed.ts';

const { values: flags } = parseArgs({
  options: {
    commands: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '60' },
    'partitions-concurrently': { type: 'string', default: '4' },
    'skip-throughput': { type: 'boolean', default: false },
    'skip-memory': { type: 'boolean', default: false },
    /** Extra dispatcher configuration, KEY=VALUE, repeatable. */
    env: { type: 'string', multiple: true, default: [] },
  },
});
const dispatcherEnv = Object.fromEntries(
  (flags.env ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
const commandCount = Number(flags.commands);
const rounds = Number(flags.rounds);
const rate = Number(flags.rate);
const seconds = Number(flags.seconds);
const partitionsConcurrently = Number(flags['partitions-concurrently']);
const partitions = 12;

const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres:exactly@127.0.0.1:54320/exactly';
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const log = (...parts: unknown[]) => console.error('bench:', ...parts);
const kafka = createKafka({ brokers, clientId: 'dispatcher-bench' });
const suffix = randomBytes(5).toString('hex');
const database = `exactly_bench_dispatcher_${suffix}`;
const databaseUrl = withDatabase(serverUrl, database);
const topics: string[] = [];
const sendsFile = `/tmp/exactly-bench-dispatcher-${suffix}.log`;

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function newTopic(kafkaAdmin: Admin, name: string): Promise<string> {
  const topic = `bench-dispatcher-${name}-${suffix}`;
  await kafkaAdmin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  topics.push(topic);
  return topic;
}

/** The raw baseline: a consumer group that reads every record and does nothing with it. */
async function rawConsumerRate(topic: string, expected: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-raw-${randomBytes(4).toString('hex')}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let first = 0;
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      partitionsConsumedConcurrently: partitionsConcurrently,
      eachBatch: async ({ batch }) => {
        if (first === 0) first = performance.now();
        seen += batch.messages.length;
        if (seen >= expected) resolve(performance.now());
      },
    });
  });
  const last = await done;
  await consumer.disconnect();
  return expected / ((last - first) / 1_000);
}

function metric(text: string, name: string, labels = ''): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(labels))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

function startDispatcher(topic: string, group: string, port: number, extra: Record<string, string> = {}) {
  const service = new ServiceProcess({
    entry: 'services/dispatcher/dist/main.js',
    name: 'dispatcher',
    env: {
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: brokers.join(','),
      COMMANDS_TOPIC: topic,
      MESSAGE_EVENTS_TOPIC: `${topic}-events`,
      DEAD_LETTER_TOPIC: `${topic}-dead-letters`,
      CONSUMER_GROUP: group,
      PORT: String(port),
      PARTITIONS_CONCURRENTLY: String(partitionsConcurrently),
      LOG_PROVIDER_FILE: sendsFile,
      LOG_LEVEL: 'warn',
      ...dispatcherEnv,
      ...extra,
    },
  });
  service.start();
  return service;
}

/** One dispatcher from first command processed to last command sent; checks exactly once after. */
async function dispatcherRate(orm: Orm, topic: string, commands: readonly BenchCommand[]) {
  const port = await freePort();
  const service = startDispatcher(topic, `bench-dispatcher-${randomBytes(4).toString('hex')}`, port);
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  await waitForHttp(`http://127.0.0.1:${port}/readyz`, 60_000);
  let first = 0;
  let consumed = 0;
  let sent = 0;
  const deadline = Date.now() + 600_000;
  let nextProgress = Date.now() + 1_000;
  while (sent === 0) {
    if (Date.now() > deadline) {
      await service.stop();
      throw new Error(`the dispatcher did not finish in 10 minutes:\n${service.logs.slice(-5_000)}`);
    }
    const text = await (await fetch(metricsUrl)).text();
    const processed = metric(text, 'dispatcher_commands_processed_total');
    const accepted = metric(text, 'dispatcher_effect_outcomes_total', 'outcome="accepted"');
    const now = performance.now();
    if (Date.now() > nextProgress) {
      log(`dispatcher: ${processed} processed, ${accepted} sent`);
      if (process.env.BENCH_DEBUG)
        log(
          text
            .split('\n')
            .filter((line) => line.startsWith('dispatcher_'))
            .join('\n'),
        );
      nextProgress += 1_000;
    }
    if (first === 0 && processed > 0) first = now;
    if (consumed === 0 && processed >= commands.length) consumed = now;
    if (accepted >= commands.length) sent = now;
    await sleep(50);
  }
  await service.stop();
  const ids = commands.map((command) => command.messageId);
  const { rows } = await runSql<{ sends: string; dispatches: string; accepts: string; letters: string }>(
    orm.em.fork(),
    `SELECT (SELECT count(*) FROM log_provider_sends WHERE idempotency_key = ANY($1)) AS sends,
            (SELECT count(*) FROM message_events WHERE stream_id = ANY($1) AND type = 'DispatchRequested') AS dispatches,
            (SELECT count(*) FROM message_events WHERE stream_id = ANY($1) AND type = 'ProviderAccepted') AS accepts,
            (SELECT count(*) FROM dead_letters WHERE source_topic = $2) AS letters`,
    [ids, topic],
  );
  const check = rows[0];
  const exactlyOnce =
    Number(check?.sends) === ids.length &&
    Number(check?.dispatches) === ids.length &&
    Number(check?.accepts) === ids.length &&
    Number(check?.letters) === 0;
  if (!exactlyOnce) throw new Error(`exactly-once check failed: ${JSON.stringify(check)}`);
  return {
    sentPerSecond: commands.length / ((sent - first) / 1_000),
    consumedPerSecond: commands.length / ((consumed - first) / 1_000),
  };
}

async function throughput(orm: Orm, kafkaAdmin: Admin) {
  const producer = kafka.producer();
  await producer.connect();
  const results: { raw: number; sent: number; consumed: number }[] = [];
  for (let round = 1; round <= rounds; round += 1) {
    const topic = await newTopic(kafkaAdmin, `throughput-${round}`);
    const accountId = await seedAccount(orm);
    log(`round ${round}: seeding ${commandCount} messages`);
    const commands = await seedCommands(orm, accountId, commandCount);
    await produce(
      producer,
      topic,
      commands.map((command) => command.record),
    );
    await runSql(orm.em.fork(), 'VACUUM ANALYZE messages').catch(() => {});
    const raw = await rawConsumerRate(topic, commands.length);
    log(`round ${round}: raw kafkajs consumer ${Math.round(raw)} records/s`);
    const dispatcher = await dispatcherRate(orm, topic, commands);
    log(
      `round ${round}: dispatcher ${Math.round(dispatcher.sentPerSecond)} commands/s sent exactly once ` +
        `(consumer stage ${Math.round(dispatcher.consumedPerSecond)}/s), ratio ${(dispatcher.sentPerSecond / raw).toFixed(3)}`,
    );
    results.push({ raw, sent: dispatcher.sentPerSecond, consumed: dispatcher.consumedPerSecond });
  }
  await producer.disconnect();
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const raw = median(results.map((result) => result.raw));
  const sent = median(results.map((result) => result.sent));
  // The ratio of each round (raw and dispatcher ran side by side), then their median.
  const ratio = median(results.map((result) => result.sent / result.raw));
  return {
    commands: commandCount,
    rounds,
    partitions,
    partitionsConcurrently,
    rawConsumerPerSecond: Math.round(raw),
    dispatcherSentExactlyOncePerSecond: Math.round(sent),
    dispatcherConsumerStagePerSecond: Math.round(median(results.map((result) => result.consumed))),
    ratio: Number(ratio.toFixed(3)),
    rounds_detail: results.map((result) => ({
      raw: Math.round(result.raw),
      sent: Math.round(result.sent),
      consumed: Math.round(result.consumed),
    })),
  };
}

function residentMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kilobytes = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kilobytes / 1_024;
}

async function memory(orm: Orm, kafkaAdmin: Admin) {
  const topic = await newTopic(kafkaAdmin, 'memory');
  const total = rate * seconds;
  const accountId = await seedAccount(orm);
  log(`memory: seeding ${total} messages for ${seconds} s at ${rate}/s`);
  const commands = await seedCommands(orm, accountId, total);
  await runSql(orm.em.fork(), 'VACUUM ANALYZE messages').catch(() => {});
  const port = await freePort();
  const service = startDispatcher(topic, `bench-memory-${suffix}`, port);
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  await waitForHttp(`http://127.0.0.1:${port}/readyz`, 60_000);
  const pid = service.pid ?? 0;
  const producer = kafka.producer();
  await producer.connect();
  const samples: {
    second: number;
    rssMb: number;
    heapMb: number;
    heapTotalMb: number;
    externalMb: number;
    produced: number;
    sent: number;
  }[] = [];
  const started = performance.now();
  let produced = 0;
  let nextSample = 0;
  // Every 100 ms, whatever the schedule says should have been produced by then.
  while (produced < total) {
    const elapsed = (performance.now() - started) / 1_000;
    const due = Math.min(total, Math.floor(elapsed * rate));
    if (due > produced) {
      await produce(
        producer,
        topic,
        commands.slice(produced, due).map((command) => command.record),
      );
      produced = due;
    }
    if (elapsed >= nextSample) {
      const text = await (await fetch(metricsUrl)).text();
      samples.push({
        second: Math.round(elapsed),
        rssMb: Number(residentMegabytes(pid).toFixed(1)),
        heapMb: Number((metric(text, 'nodejs_heap_size_used_bytes') / 1_048_576).toFixed(1)),
        heapTotalMb: Number((metric(text, 'nodejs_heap_size_total_bytes') / 1_048_576).toFixed(1)),
        externalMb: Number((metric(text, 'nodejs_external_memory_bytes') / 1_048_576).toFixed(1)),
        produced,
        sent: metric(text, 'dispatcher_effect_outcomes_total', 'outcome="accepted"'),
      });
      log(`memory: ${JSON.stringify(samples.at(-1))}`);
      nextSample += 5;
    }
    await sleep(100);
  }
  await producer.disconnect();
  await service.stop();
  // Least-squares slope of RSS over the second half (after warm-up), in MB per minute.
  const tail = samples.slice(Math.floor(samples.length / 2));
  const meanX = tail.reduce((sum, s) => sum + s.second, 0) / tail.length;
  const meanY = tail.reduce((sum, s) => sum + s.rssMb, 0) / tail.length;
  const slope =
    tail.reduce((sum, s) => sum + (s.second - meanX) * (s.rssMb - meanY), 0) /
    tail.reduce((sum, s) => sum + (s.second - meanX) ** 2, 0);
  const last = samples.at(-1);
  return {
    rate,
    seconds,
    samples: samples.length,
    rssMbFirst: samples[0]?.rssMb,
    rssMbMax: Math.max(...samples.map((s) => s.rssMb)),
    rssMbLast: last?.rssMb,
    rssSlopeSecondHalfMbPerMinute: Number((slope * 60).toFixed(2)),
    lagAtEnd: last ? last.produced - last.sent : undefined,
    samplesDetail: samples,
  };
}

async function main() {
  await admin(serverUrl, `CREATE DATABASE ${database}`);
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  let orm: Orm | undefined;
  try {
    await runMigrations(databaseUrl);
    orm = await openOrm({ databaseUrl, poolSize: 4 });
    const result: Record<string, unknown> = {};
    if (!flags['skip-throughput']) result.throughput = await throughput(orm, kafkaAdmin);
    if (!flags['skip-memory']) result.memory = await memory(orm, kafkaAdmin);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await orm?.close();
    await kafkaAdmin.deleteTopics({ topics }).catch(() => {});
    await kafkaAdmin.disconnect();
    await admin(serverUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    rmSync(sendsFile, { force: true });
  }
}

await main();
