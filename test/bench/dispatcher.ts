// The dispatcher's benchmark: `node test/bench/dispatcher.ts [flags]` (build first; PostgreSQL
// and Kafka running), or a phase of `npm run bench`. It makes a database of its own on
// DATABASE_URL's server and drops it after.
//
// 1. Throughput: N commands on a 12-partition topic. A raw kafkajs consumer group reads the topic
//    and does nothing (the baseline); then one dispatcher process (log provider) processes the
//    same records exactly once: each command into the inbox, DispatchRequested appended, an
//    effect queued, the log provider's send and ProviderAccepted recorded. Both rates run from
//    the first record handled to the last, so group joins are not counted. Rounds alternate.
//    Afterwards every command is checked: one send row, one DispatchRequested, one ProviderAccepted.
//    Each round also measures the database's floor (dispatcherFloor.ts): the inbox transaction's
//    rows as bare SQL, in a database of its own on the same server. The target's figure is the
//    dispatcher's rate over the floor's, round by round (median and spread); the raw consumer
//    is shown beside it. PostgreSQL's view of the
//    dispatcher's rounds: WAL bytes and row writes per command, and a sampling profile of its
//    sessions (pg_stat_activity); CPU per process.
// 2. The peer: `pg-transactional-outbox` (peers/outboxInboxPeer.ts) processing as many commands
//    of the same kind, seeded the same way, on a topic of their own, through its inbox, with its
//    logical-replication listener on a scratch PostgreSQL started for it with wal_level=logical
//    (the fault suite's ScratchPostgres; the shared server runs wal_level=replica), or
//    `--peer-listener polling` on the shared server.
// 3. Optionally a CPU profile of one dispatcher round (`node --cpu-prof`).
// 4. Memory: one dispatcher fed at a steady rate for a while; its resident memory (VmRSS) is
//    sampled every 5 s, with the lag at each sample.
//
// Flags: --commands 50000  --rounds 3  --rate 2000  --seconds 60 (memory phase)
//        --skip-throughput  --skip-memory  --skip-peer  --peer-timeout 120  --peer-listener replication|polling
//        --partitions-concurrently 12
//        --cpu-profile <dir>  --env KEY=VALUE (dispatcher configuration; repeatable)
// Variables: DATABASE_URL (the server; default the local one), KAFKA_BROKERS.

import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createKafka } from '@exactly/messaging';
import { createMigratedDatabase, type Orm, openOrm, runSql } from '@exactly/persistence';
import { freePort, metricValue, ServiceProcess, startService, waitForHttp } from '@exactly/testkit';
import type { Admin, Kafka } from 'kafkajs';
import { ScratchPostgres } from '../faults/injectors/scratchPostgres.ts';
import { floorRate } from './dispatcherFloor.ts';
import { type BenchCommand, produce, seedAccount, seedCommands } from './dispatcherSeed.ts';
import { type ProfileSummary, summariseCpuProfile } from './lib/cpuProfile.ts';
import { createBenchDatabase, kafkaBrokers, log } from './lib/environment.ts';
import { type PostgresDelta, postgresView } from './lib/postgresView.ts';
import { type CpuPerUnit, cpuMeter, medianCpu, residentMb, scrape } from './lib/processes.ts';
import { median, round, slope, spread } from './lib/stats.ts';

export interface DispatcherBenchOptions {
  commands: number;
  rounds: number;
  partitionsConcurrently?: number;
  /** Extra dispatcher configuration. */
  env?: Record<string, string>;
  throughput?: boolean;
  /** Run the pg-transactional-outbox peer on as many commands; give up after `peerTimeoutSeconds`. */
  peer?: boolean;
  /**
   * The peer's listener: `replication` (default; a scratch PostgreSQL with wal_level=logical)
   * or `polling` (on the shared server).
   */
  peerListener?: 'replication' | 'polling';
  /** Commands for the peer (default `commands`). */
  peerCommands?: number;
  peerTimeoutSeconds?: number;
  /** Write a CPU profile of one more dispatcher round into this folder and summarise it. */
  cpuProfileDir?: string;
  /** The memory phase: `rate` commands/s for `seconds`. */
  memory?: { rate: number; seconds: number };
}

const partitions = 12;

interface Context {
  kafka: Kafka;
  admin: Admin;
  orm: Orm;
  databaseUrl: string;
  databaseName: string;
  suffix: string;
  topics: string[];
  sendsFile: string;
  partitionsConcurrently: number;
  env: Record<string, string>;
}

async function newTopic(context: Context, name: string): Promise<string> {
  const topic = `bench-dispatcher-${name}-${context.suffix}`;
  await context.admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  context.topics.push(topic);
  return topic;
}

/** The raw baseline: a consumer group that reads every record and does nothing with it. */
async function rawConsumerRate(context: Context, topic: string, expected: number): Promise<number> {
  const consumer = context.kafka.consumer({ groupId: `bench-raw-${randomBytes(4).toString('hex')}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let first = 0;
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      partitionsConsumedConcurrently: context.partitionsConcurrently,
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

/** A dispatcher process on `port`, spawned without waiting for it (the caller times its start). */
async function startDispatcher(context: Context, topic: string, group: string, port: number, extra = {}) {
  const dispatcher = await startService('dispatcher', {
    port,
    waitUntilReady: false,
    env: {
      DATABASE_URL: context.databaseUrl,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      COMMANDS_TOPIC: topic,
      MESSAGE_EVENTS_TOPIC: `${topic}-events`,
      DEAD_LETTER_TOPIC: `${topic}-dead-letters`,
      CONSUMER_GROUP: group,
      PARTITIONS_CONCURRENTLY: String(context.partitionsConcurrently),
      LOG_PROVIDER_FILE: context.sendsFile,
      ...context.env,
      ...extra,
    },
  });
  return dispatcher.process;
}

/** Every command: one send row, one DispatchRequested, one ProviderAccepted, no dead letter. */
async function checkExactlyOnce(context: Context, topic: string, commands: readonly BenchCommand[]) {
  const ids = commands.map((command) => command.messageId);
  const { rows } = await runSql<{ sends: string; dispatches: string; accepts: string; letters: string }>(
    context.orm.em.fork(),
    `SELECT (SELECT count(*) FROM log_provider_sends WHERE provider_key = ANY($1)) AS sends,
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
  return { exactlyOnce, check };
}

/** One dispatcher from first command processed to last command sent; checks exactly once after. */
async function dispatcherRate(
  context: Context,
  topic: string,
  commands: readonly BenchCommand[],
  extra: Record<string, string> = {},
) {
  const view = await postgresView(context.databaseUrl, context.databaseName);
  const before = await view.snapshot();
  const port = await freePort();
  const spawnedAt = performance.now();
  const service = await startDispatcher(
    context,
    topic,
    `bench-dispatcher-${randomBytes(4).toString('hex')}`,
    port,
    extra,
  );
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  try {
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, 60_000);
    let first = 0;
    let consumed = 0;
    let sent = 0;
    const deadline = Date.now() + 600_000;
    let nextProgress = Date.now() + 2_000;
    let meter: ReturnType<typeof cpuMeter> | undefined;
    while (sent === 0) {
      if (Date.now() > deadline)
        throw new Error(`the dispatcher did not finish in 10 minutes:\n${service.logs.slice(-5_000)}`);
      const snapshot = await scrape(metricsUrl);
      const processed = await metricValue(snapshot, 'dispatcher_commands_processed_total');
      const accepted = await metricValue(snapshot, 'dispatcher_effect_outcomes_total', {
        outcome: 'accepted',
      });
      const now = performance.now();
      if (Date.now() > nextProgress) {
        log(`dispatcher: ${processed} processed, ${accepted} sent`);
        nextProgress += 2_000;
      }
      if (first === 0 && processed > 0) {
        first = now;
        meter = cpuMeter();
        view.startActivitySampler();
      }
      if (consumed === 0 && processed >= commands.length) consumed = now;
      if (accepted >= commands.length) sent = now;
      await sleep(50);
    }
    const cpuPercent = meter?.stop() ?? {};
    const cpuMsPerCommand = meter?.msPer(commands.length);
    await service.stop();
    // Before the check: its own reads are not the dispatcher's work.
    const postgres = await view.delta(before, commands.length);
    const { exactlyOnce, check } = await checkExactlyOnce(context, topic, commands);
    if (!exactlyOnce) throw new Error(`exactly-once check failed: ${JSON.stringify(check)}`);
    return {
      sentPerSecond: commands.length / ((sent - first) / 1_000),
      consumedPerSecond: commands.length / ((consumed - first) / 1_000),
      cpuPercent,
      cpuMsPerCommand,
      postgres,
      /** Seconds after the process started when the work began and ended (for its CPU profile). */
      window: { skipSeconds: (first - spawnedAt) / 1_000, untilSeconds: (sent - spawnedAt) / 1_000 },
    };
  } finally {
    await service.stop();
    await view.close();
  }
}

async function seedRound(context: Context, name: string, count: number) {
  const topic = await newTopic(context, name);
  // Seeded on connections of their own, closed after: a backend's statistics reach
  // pg_stat_user_tables when it exits, so the seeding is not counted as the work measured next.
  const seeder = await openOrm({ databaseUrl: context.databaseUrl, poolSize: 2 });
  const accountId = await seedAccount(seeder);
  log(`dispatcher: ${name}: seeding ${count} messages`);
  const commands = await seedCommands(seeder, accountId, count);
  await runSql(seeder.em.fork(), 'VACUUM ANALYZE messages').catch(() => {});
  await seeder.close();
  await sleep(500);
  const producer = context.kafka.producer();
  await producer.connect();
  await produce(
    producer,
    topic,
    commands.map((command) => command.record),
  );
  await producer.disconnect();
  return { topic, commands };
}

/**
 * The database floor of this round (see dispatcherFloor.ts), in a database of its own on the same
 * server (its effect rows must not reach the dispatcher's executor).
 */
async function floorRates(count: number) {
  const database = await createBenchDatabase('dispatcher_floor');
  const orm = await openOrm({ databaseUrl: database.url, poolSize: 4 });
  try {
    const accountId = await seedAccount(orm);
    const commands = await seedCommands(orm, accountId, count);
    await runSql(orm.em.fork(), 'VACUUM ANALYZE messages').catch(() => {});
    const transaction = await floorRate(orm, accountId, commands, 'inbox transaction');
    const fresh = commands.map((command) => ({ ...command, messageId: `${command.messageId}_only` }));
    const rowsOnly = await floorRate(orm, accountId, fresh, 'inbox rows only');
    const others = await seedCommands(orm, accountId, count);
    await runSql(orm.em.fork(), 'VACUUM ANALYZE messages').catch(() => {});
    const sentExactlyOnce = await floorRate(orm, accountId, others, 'sent exactly once');
    return {
      inboxTransaction: transaction.perSecond,
      inboxRowsOnly: rowsOnly.perSecond,
      sentExactlyOnce: sentExactlyOnce.perSecond,
      inboxTransactionCpu: transaction.cpu,
      sentExactlyOnceCpu: sentExactlyOnce.cpu,
    };
  } finally {
    await orm.close();
    await database.drop();
  }
}

async function throughput(context: Context, commandCount: number, rounds: number) {
  const results: {
    raw: number;
    floor: Awaited<ReturnType<typeof floorRates>>;
    sent: number;
    consumed: number;
    cpuPercent: Record<string, number>;
    cpuMsPerCommand: CpuPerUnit | undefined;
    postgres: PostgresDelta;
  }[] = [];
  for (let round = 1; round <= rounds; round += 1) {
    const { topic, commands } = await seedRound(context, `throughput-${round}`, commandCount);
    const raw = await rawConsumerRate(context, topic, commands.length);
    log(`dispatcher: round ${round}: raw kafkajs consumer ${Math.round(raw)} records/s`);
    const dispatcher = await dispatcherRate(context, topic, commands);
    log(
      `dispatcher: round ${round}: ${Math.round(dispatcher.sentPerSecond)} commands/s sent exactly once ` +
        `(consumer stage ${Math.round(dispatcher.consumedPerSecond)}/s), ratio ${(dispatcher.sentPerSecond / raw).toFixed(3)}`,
    );
    const floor = await floorRates(commandCount);
    log(
      `dispatcher: round ${round}: database floor: inbox transaction as bare SQL ${Math.round(floor.inboxTransaction)}/s, ` +
        `inbox rows only ${Math.round(floor.inboxRowsOnly)}/s, ` +
        `sent exactly once (inbox and outcome transactions) ${Math.round(floor.sentExactlyOnce)}/s`,
    );
    results.push({
      raw,
      floor,
      sent: dispatcher.sentPerSecond,
      consumed: dispatcher.consumedPerSecond,
      cpuPercent: dispatcher.cpuPercent,
      cpuMsPerCommand: dispatcher.cpuMsPerCommand,
      postgres: dispatcher.postgres,
    });
  }
  const raw = median(results.map((result) => result.raw));
  const sent = median(results.map((result) => result.sent));
  // The ratio of each round (raw and dispatcher ran side by side), then their median.
  const ratio = median(results.map((result) => result.sent / result.raw));
  const last = results.at(-1);
  return {
    commands: commandCount,
    rounds,
    partitions,
    partitionsConcurrently: context.partitionsConcurrently,
    rawConsumerPerSecond: Math.round(raw),
    dispatcherSentExactlyOncePerSecond: Math.round(sent),
    dispatcherConsumerStagePerSecond: Math.round(median(results.map((result) => result.consumed))),
    ratio: Number(ratio.toFixed(3)),
    /** The target's figure: sent exactly once / the database floor, round by round. */
    ratioToFloor: spread(results.map((result) => round(result.sent / result.floor.inboxTransaction, 3))),
    /** Sent exactly once / the floor of everything it writes (inbox and outcome), round by round. */
    ratioToSentFloor: spread(results.map((result) => round(result.sent / result.floor.sentExactlyOnce, 3))),
    /** The database's floor (dispatcherFloor.ts), medians, and as ratios to the raw consumer. */
    floor: {
      inboxTransactionPerSecond: Math.round(median(results.map((result) => result.floor.inboxTransaction))),
      inboxRowsOnlyPerSecond: Math.round(median(results.map((result) => result.floor.inboxRowsOnly))),
      /** The inbox and the outcome transactions' rows as bare SQL: the floor of all the dispatcher does. */
      sentExactlyOncePerSecond: Math.round(median(results.map((result) => result.floor.sentExactlyOnce))),
      /** Bare SQL's own ratio to the target's baseline: how close any dispatcher could get to it. */
      sentExactlyOnceToInboxTransaction: spread(
        results.map((result) => round(result.floor.sentExactlyOnce / result.floor.inboxTransaction, 3)),
      ),
      inboxTransactionToRaw: Number(
        median(results.map((result) => result.floor.inboxTransaction / result.raw)).toFixed(3),
      ),
      inboxRowsOnlyToRaw: Number(
        median(results.map((result) => result.floor.inboxRowsOnly / result.raw)).toFixed(3),
      ),
      dispatcherConsumerStageToFloor: Number(
        median(results.map((result) => result.consumed / result.floor.inboxTransaction)).toFixed(3),
      ),
    },
    rounds_detail: results.map((result) => ({
      raw: Math.round(result.raw),
      sent: Math.round(result.sent),
      consumed: Math.round(result.consumed),
    })),
    /**
     * CPU ms per command of each program (median over the rounds): while the dispatcher worked,
     * from its first command to its last send, and while the floor's SQL ran (the inbox
     * transaction's, and everything the dispatcher writes: `sentFloor`).
     */
    cpuMsPerCommand: {
      dispatcher: medianCpu(results.flatMap((result) => result.cpuMsPerCommand ?? [])),
      floor: medianCpu(results.map((result) => result.floor.inboxTransactionCpu)),
      sentFloor: medianCpu(results.map((result) => result.floor.sentExactlyOnceCpu)),
    },
    /** CPU of each program while the last round's dispatcher worked, in percent of one core. */
    cpuPercent: last?.cpuPercent,
    /** PostgreSQL's view of the last round. */
    postgres: last?.postgres,
  };
}

/**
 * The pg-transactional-outbox peer with its logical-replication listener: on a scratch
 * PostgreSQL of its own (the fault suite's ScratchPostgres, the same settings as the shared
 * server plus wal_level=logical, which needs a restart), a migrated database, the peer's run.
 */
async function peerOnLogicalServer(context: Context, count: number, timeoutSeconds: number) {
  const server = await ScratchPostgres.start();
  try {
    await server.query('ALTER SYSTEM SET wal_level = logical');
    await server.query('CHECKPOINT');
    await server.crashAndRestart();
    const [row] = (await server.query('SHOW wal_level')).rows as { wal_level: string }[];
    if (row?.wal_level !== 'logical') throw new Error(`the scratch server has wal_level ${row?.wal_level}`);
    const database = await createMigratedDatabase(server.url, 'exactly_bench_peer');
    const orm = await openOrm({ databaseUrl: database.url, poolSize: 4 });
    try {
      const peerContext = { ...context, orm, databaseUrl: database.url, databaseName: database.name };
      return await peerRate(peerContext, count, timeoutSeconds, 'replication');
    } finally {
      await orm.close();
    }
  } finally {
    // The replication slot keeps the database in use: the whole scratch server goes instead.
    await server.stop();
  }
}

/** The pg-transactional-outbox peer on `count` fresh commands: first processed to last. */
async function peerRate(
  context: Context,
  count: number,
  timeoutSeconds: number,
  listener: 'replication' | 'polling',
) {
  const { topic, commands } = await seedRound(context, 'peer', count);
  const view = await postgresView(context.databaseUrl, context.databaseName);
  const before = await view.snapshot();
  const peer = new ServiceProcess({
    entry: 'test/bench/peers/outboxInboxPeer.ts',
    name: 'outboxInboxPeer',
    env: {
      DATABASE_URL: context.databaseUrl,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      COMMANDS_TOPIC: topic,
      CONSUMER_GROUP: `bench-peer-${context.suffix}`,
      PARTITIONS_CONCURRENTLY: String(context.partitionsConcurrently),
      PEER_LISTENER: listener,
    },
  });
  peer.start();
  try {
    await peer.waitForOutput(/consuming/, 60_000);
    const count = async (where: string) => {
      const { rows } = await runSql<{ n: string }>(
        context.orm.em.fork(),
        `SELECT count(*) AS n FROM peer.inbox WHERE ${where}`,
      );
      return Number(rows[0]?.n ?? 0);
    };
    let first = 0;
    let processed = 0;
    let meter: ReturnType<typeof cpuMeter> | undefined;
    const deadline = performance.now() + timeoutSeconds * 1_000;
    let nextProgress = Date.now() + 2_000;
    while (processed < commands.length && performance.now() < deadline) {
      processed = await count('processed_at IS NOT NULL');
      if (first === 0 && processed > 0) {
        first = performance.now();
        meter = cpuMeter();
        view.startActivitySampler();
      }
      if (Date.now() > nextProgress) {
        log(`dispatcher: peer: ${processed} processed`);
        nextProgress += 2_000;
      }
      if (!peer.running) throw new Error(`the peer exited:\n${peer.logs.slice(-3_000)}`);
      await sleep(200);
    }
    const elapsed = (performance.now() - (first || performance.now())) / 1_000;
    const cpuPercent = meter?.stop() ?? {};
    const abandoned = await count('abandoned_at IS NOT NULL');
    if (processed < commands.length) log(`dispatcher: peer output:\n${peer.logs.slice(-3_000)}`);
    await peer.stop();
    const finished = processed >= commands.length;
    const postgres = await view.delta(before, Math.max(1, processed));
    const { exactlyOnce, check } = finished
      ? await checkExactlyOnce(context, topic, commands)
      : { exactlyOnce: false, check: undefined };
    return {
      name: `pg-transactional-outbox (${listener === 'replication' ? 'logical-replication' : 'polling'} inbox listener)`,
      listener,
      commands: commands.length,
      processed,
      abandoned,
      finished,
      timeoutSeconds,
      sentPerSecond: Math.round(processed / Math.max(elapsed, 0.001)),
      exactlyOnce,
      check,
      cpuPercent,
      postgres,
    };
  } finally {
    await peer.stop();
    await view.close();
  }
}

async function profiled(
  context: Context,
  commandCount: number,
  dir: string,
): Promise<ProfileSummary | undefined> {
  const target = join(dir, 'dispatcher');
  mkdirSync(target, { recursive: true });
  const { topic, commands } = await seedRound(context, 'profile', commandCount);
  log(`dispatcher: CPU profile of a dispatcher processing ${commandCount} commands...`);
  const { window } = await dispatcherRate(context, topic, commands, {
    NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${target}`,
  });
  const file = readdirSync(target).find((name) => name.endsWith('.cpuprofile'));
  return file ? summariseCpuProfile(join(target, file), window) : undefined;
}

async function memory(context: Context, rate: number, seconds: number) {
  const topic = await newTopic(context, 'memory');
  const total = rate * seconds;
  const accountId = await seedAccount(context.orm);
  log(`dispatcher: memory: seeding ${total} messages for ${seconds} s at ${rate}/s`);
  const commands = await seedCommands(context.orm, accountId, total);
  await runSql(context.orm.em.fork(), 'VACUUM ANALYZE messages').catch(() => {});
  const port = await freePort();
  const service = await startDispatcher(context, topic, `bench-memory-${context.suffix}`, port);
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  await waitForHttp(`http://127.0.0.1:${port}/readyz`, 60_000);
  const pid = service.pid ?? 0;
  const producer = context.kafka.producer();
  await producer.connect();
  const samples: {
    second: number;
    rssMb: number;
    heapMb: number;
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
      const snapshot = await scrape(metricsUrl);
      samples.push({
        second: Math.round(elapsed),
        rssMb: residentMb(pid),
        heapMb: round((await metricValue(snapshot, 'nodejs_heap_size_used_bytes')) / 1_048_576),
        produced,
        sent: await metricValue(snapshot, 'dispatcher_effect_outcomes_total', { outcome: 'accepted' }),
      });
      log(`dispatcher: memory: ${JSON.stringify(samples.at(-1))}`);
      nextSample += 5;
    }
    await sleep(100);
  }
  await producer.disconnect();
  await service.stop();
  // Least-squares slope of RSS over the second half (after warm-up), in MB per minute.
  const tail = samples.slice(Math.floor(samples.length / 2));
  const last = samples.at(-1);
  return {
    rate,
    seconds,
    samples: samples.length,
    rssMbFirst: samples[0]?.rssMb,
    rssMbMax: Math.max(...samples.map((s) => s.rssMb)),
    rssMbLast: last?.rssMb,
    rssSlopeSecondHalfMbPerMinute: round(slope(tail.map((s) => [s.second, s.rssMb])) * 60, 2),
    lagAtEnd: last ? last.produced - last.sent : undefined,
    samplesDetail: samples,
  };
}

export async function runDispatcherBench(options: DispatcherBenchOptions) {
  const database = await createBenchDatabase('dispatcher');
  const kafka = createKafka({ brokers: kafkaBrokers(), clientId: 'dispatcher-bench' });
  const admin = kafka.admin();
  await admin.connect();
  const suffix = randomBytes(5).toString('hex');
  let orm: Orm | undefined;
  const context = {
    kafka,
    admin,
    databaseUrl: database.url,
    databaseName: database.name,
    suffix,
    topics: [] as string[],
    sendsFile: `/tmp/exactly-bench-dispatcher-${suffix}.log`,
    partitionsConcurrently: options.partitionsConcurrently ?? 12,
    env: options.env ?? {},
  };
  try {
    orm = await openOrm({ databaseUrl: database.url, poolSize: 4 });
    const ready: Context = { ...context, orm };
    const result: {
      throughput?: Awaited<ReturnType<typeof throughput>>;
      peer?: Awaited<ReturnType<typeof peerRate>>;
      peerRatio?: number;
      cpuProfile?: ProfileSummary;
      memory?: Awaited<ReturnType<typeof memory>>;
    } = {};
    if (options.throughput !== false)
      result.throughput = await throughput(ready, options.commands, options.rounds);
    if (options.peer) {
      const peerCommands = options.peerCommands ?? options.commands;
      const peerTimeout = options.peerTimeoutSeconds ?? 120;
      result.peer =
        options.peerListener === 'polling'
          ? await peerRate(ready, peerCommands, peerTimeout, 'polling')
          : await peerOnLogicalServer(ready, peerCommands, peerTimeout);
      if (result.throughput)
        result.peerRatio = round(
          result.throughput.dispatcherSentExactlyOncePerSecond / result.peer.sentPerSecond,
          2,
        );
      log('dispatcher: peer:', { ...result.peer, postgres: undefined });
    }
    if (options.cpuProfileDir)
      result.cpuProfile = await profiled(ready, options.commands, options.cpuProfileDir);
    if (options.memory) result.memory = await memory(ready, options.memory.rate, options.memory.seconds);
    return result;
  } finally {
    await orm?.close();
    await admin.deleteTopics({ topics: context.topics }).catch(() => {});
    await admin.disconnect();
    await database.drop();
    rmSync(context.sendsFile, { force: true });
  }
}

export type DispatcherBenchResult = Awaited<ReturnType<typeof runDispatcherBench>>;

if (import.meta.main) {
  const { values: flags } = parseArgs({
    options: {
      commands: { type: 'string', default: '50000' },
      rounds: { type: 'string', default: '3' },
      rate: { type: 'string', default: '2000' },
      seconds: { type: 'string', default: '60' },
      'partitions-concurrently': { type: 'string', default: '12' },
      'skip-throughput': { type: 'boolean', default: false },
      'skip-memory': { type: 'boolean', default: false },
      'skip-peer': { type: 'boolean', default: false },
      'peer-timeout': { type: 'string', default: '120' },
      'peer-listener': { type: 'string', default: 'replication' },
      'cpu-profile': { type: 'string' },
      /** Extra dispatcher configuration, KEY=VALUE, repeatable. */
      env: { type: 'string', multiple: true, default: [] },
    },
  });
  const result = await runDispatcherBench({
    commands: Number(flags.commands),
    rounds: Number(flags.rounds),
    partitionsConcurrently: Number(flags['partitions-concurrently']),
    env: Object.fromEntries(
      (flags.env ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
    ),
    throughput: !flags['skip-throughput'],
    peer: !flags['skip-peer'],
    peerTimeoutSeconds: Number(flags['peer-timeout']),
    peerListener: flags['peer-listener'] === 'polling' ? 'polling' : 'replication',
    ...(flags['cpu-profile'] ? { cpuProfileDir: flags['cpu-profile'] } : {}),
    ...(flags['skip-memory'] ? {} : { memory: { rate: Number(flags.rate), seconds: Number(flags.seconds) } }),
  });
  console.log(JSON.stringify(result, null, 2));
}
