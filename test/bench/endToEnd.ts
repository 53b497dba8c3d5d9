// The pipeline end to end: `node test/bench/endToEnd.ts` (build first; PostgreSQL and Kafka
// running), or a phase of `npm run bench`. The ingest API, the relay and the dispatcher run as
// real processes on a database and topics of their own; the dispatcher sends through its `http`
// provider to a fake provider (a worker thread of this process that honours idempotency keys).
//
// 1. Latency at fixed rates (open loop without an in-flight cap, one command per POST, a new key
//    each): from each request's scheduled time to the provider's receipt of the command's first
//    call, in an HdrHistogram (p50/p95/p99, the distribution), with the offered and achieved
//    rates; commands not received within the drain time are counted, never dropped.
// 2. Sustained throughput, exactly once: as many single POSTs as 64 connections get accepted
//    for a while, then until the provider received every accepted command; and the same through
//    the batch endpoint (100 commands per request). Commands per second from the first POST to
//    the last receipt. Every accepted command must reach the provider once (replays counted).
// 3. The control: an HTTP exchange whose server does nothing (peers/bareRoute.ts), paced at the
//    latency phases' rates and in a closed loop, to price what the machine charges per exchange.
// 4. Resident memory (VmRSS) of each service, sampled every second through all of it, and the
//    CPU of every process per phase.
//
// Variables when run alone: DATABASE_URL (server), KAFKA_BROKERS, BENCH_RATES ("500,2000"),
// BENCH_SECONDS (20), BENCH_DRAIN_SECONDS (30), BENCH_THROUGHPUT_SECONDS (10), BENCH_DISPATCHER_ENV
// and BENCH_INGEST_ENV (extra dispatcher and ingest API variables as JSON).

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { recordHeaders } from '@exactly/contracts';
import { createKafka } from '@exactly/messaging';
import { Account, issueApiKey, newId, openOrm } from '@exactly/persistence';
import { metricValue, Pipeline } from '@exactly/testkit';
import pg from 'pg';
import { measureBareExchange } from './lib/bareExchange.ts';
import { createBenchDatabase, kafkaBrokers, log } from './lib/environment.ts';
import { type FakeProviderHandle, startFakeProvider } from './lib/fakeProvider.ts';
import { body, command } from './lib/ingestSql.ts';
import { LatencyHistogram } from './lib/latencyHistogram.ts';
import { cannon, httpClient, paced } from './lib/load.ts';
import { type CpuPerUnit, cpuMeter, type MemorySeries, memorySampler, scrape } from './lib/processes.ts';
import { rawIngestRate } from './lib/rawIngestRate.ts';
import {
  type Distribution,
  distribution,
  largest,
  mean,
  medianRound,
  round,
  type Spread,
  spread,
} from './lib/stats.ts';
import { lsnBytes, type WalByKind, walByKind, walByKindPer, walLsn } from './lib/walByKind.ts';
import { withoutTenantLimits } from './lib/withoutTenantLimits.ts';

export interface EndToEndOptions {
  /** Commands per second of the latency phases. */
  rates: number[];
  seconds: number;
  /** Longest wait for the provider to receive every accepted command after a phase. */
  drainSeconds: number;
  throughputSeconds: number;
  /**
   * Rounds of the headline figures: the latency at `roundsAtRate` (500/s), each throughput
   * phase, and the phase's own ceiling. Other rates run once.
   */
  rounds?: number;
  roundsAtRate?: number;
  /** Connections of the closed-loop single-POST phase. */
  connections?: number;
  /** Extra dispatcher configuration (say, HTTP_PROVIDER_CONCURRENCY). */
  dispatcherEnv?: Record<string, string>;
  /** Extra ingest API variables. */
  ingestEnv?: Record<string, string>;
  /**
   * After the main phases, the dispatcher restarted with this configuration, then the first
   * latency rate and the batch phase again: what a configuration change buys, in the same run.
   */
  variant?: { label: string; dispatcherEnv: Record<string, string> };
  batchSize?: number;
  batchConnections?: number;
}

export interface LatencyPhase {
  rate: number;
  seconds: number;
  /** The open-loop rate asked for, and commands delivered per second of the phase. */
  offeredPerSecond: number;
  achievedPerSecond: number;
  /** POSTs answered 202. */
  accepted: number;
  failed: number;
  /** Sends that left more than 10 ms after their schedule (the client fell behind; no cap). */
  lateSends: number;
  maxInFlight: number;
  /** Accepted commands the provider had not received when the drain time ran out. */
  notDelivered: number;
  /** Scheduled send to the 202 (ms; every answer, HdrHistogram). */
  ingestMs: Distribution;
  /** Scheduled send to the provider's receipt (ms, HdrHistogram). */
  endToEndMs: Distribution;
  cdf: [number, number][];
  cpuPercent: Record<string, number>;
  /** CPU ms per delivered command by program, from the first send until the last delivery. */
  cpuMsPerCommand?: CpuPerUnit;
  rssMb: Record<string, { mean: number; max: number }>;
  /** Where each command's time went, from the rows' own timestamps (ms). */
  stages: Record<string, Distribution>;
}

/**
 * Splits each command's end-to-end time at the moments the database recorded: the start of the
 * ingest transaction (event v1's created_at), of the dispatcher's inbox transaction (event v2's
 * created_at), the effect's claim (attempt_started_at). Same machine, same clock.
 */
async function stagesOf(
  databaseUrl: string,
  sentAt: Map<string, number>,
  receivedAt: Map<string, number>,
  publishedAt: Map<string, number>,
): Promise<Record<string, Distribution>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{
      id: string;
      accepted: number;
      dispatched: number;
      claimed: number;
    }>(
      `SELECT e1.stream_id AS id,
              (extract(epoch FROM e1.created_at) * 1000)::float8 AS accepted,
              (extract(epoch FROM e2.created_at) * 1000)::float8 AS dispatched,
              (extract(epoch FROM f.attempt_started_at) * 1000)::float8 AS claimed
         FROM message_events e1
         JOIN message_events e2 ON e2.stream_id = e1.stream_id AND e2.version = 2
         JOIN effects f ON f.message_id = e1.stream_id
        WHERE e1.version = 1 AND e1.stream_id = ANY($1::text[])`,
      [[...sentAt.keys()]],
    );
    const stages: Record<string, number[]> = {
      'scheduled send → ingest transaction starts (client, HTTP, auth, validation, group-commit queue)': [],
      'ingest transaction → relay sends the record (ingest commit, NOTIFY, relay wake-up and claim)': [],
      'relay sends the record → dispatcher inbox transaction (Kafka write and ack, consumer fetch, partition batches ahead)':
        [],
      'dispatcher inbox transaction → effect claimed (commit, executor wake-up, claim)': [],
      'effect claimed → provider receives the call (HTTP call)': [],
    };
    const [toIngest, toPublish, toDispatch, toClaim, toProvider] = Object.values(stages) as number[][];
    for (const row of rows) {
      const sent = sentAt.get(row.id);
      const received = receivedAt.get(row.id);
      const published = publishedAt.get(row.id);
      if (sent === undefined || received === undefined || published === undefined) continue;
      toIngest?.push(row.accepted - sent);
      toPublish?.push(published - row.accepted);
      toDispatch?.push(row.dispatched - published);
      toClaim?.push(row.claimed - row.dispatched);
      toProvider?.push(received - row.claimed);
    }
    return Object.fromEntries(Object.entries(stages).map(([name, values]) => [name, distribution(values)]));
  } finally {
    await client.end();
  }
}

/**
 * When the relay sent each command's record: the producer's timestamp (CreateTime, taken by
 * kafkajs in the relay's process at send) of the first record carrying the message id, read back
 * from the commands topic. Same machine, same clock as the rows' timestamps.
 */
async function publishTimes(topic: string, ids: ReadonlySet<string>): Promise<Map<string, number>> {
  const kafka = createKafka({ brokers: kafkaBrokers(), clientId: 'bench-e2e-timestamps' });
  const consumer = kafka.consumer({ groupId: `bench-e2e-timestamps-${randomUUID()}` });
  const found = new Map<string, number>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let lastProgress = performance.now();
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const id = message.headers?.[recordHeaders.messageId]?.toString();
          if (id !== undefined && ids.has(id) && !found.has(id)) found.set(id, Number(message.timestamp));
        }
        lastProgress = performance.now();
      },
    });
    // Bounded: stops when every id was seen, or nothing new arrived for 5 s.
    while (found.size < ids.size && performance.now() - lastProgress < 5_000) await sleep(100);
  } finally {
    await consumer.disconnect();
  }
  return found;
}

/**
 * The fake provider takes any number of calls at once, so the dispatcher may make more than its
 * default 64 (a real provider's limit is configuration): at 64 each slot's round (the write-ahead
 * record, the call) held the sustained phases to about 600 commands/s on this machine.
 */
export const providerWithoutLimit = { HTTP_PROVIDER_CONCURRENCY: '256' } as const;

export interface ThroughputPhase {
  endpoint: string;
  connections: number;
  loadSeconds: number;
  accepted: number;
  failed: number;
  delivered: number;
  /** Accepted commands per second while the load ran (ingest alone). */
  acceptedPerSecond: number;
  /** Commands received by the provider per second while the load ran. */
  deliveredPerSecondDuringLoad: number;
  /** Commands received / (last receipt − first POST): sustained, exactly once, end to end. */
  endToEndPerSecond: number;
  /** Every accepted command reached the provider within the drain time. */
  allDelivered: boolean;
  drainSeconds: number;
  replays: number;
  cpuPercent: Record<string, number>;
  /** CPU ms per delivered command by program, over the load and its drain. */
  cpuMsPerCommand?: CpuPerUnit;
  /** The ingest API's mean group-commit batch over the load. */
  meanBatch: number;
  /** WAL written from the first POST until every command reached the provider, per command. */
  walBytesPerCommand: number;
  /** The same WAL by what wrote it, per command (undefined where the WAL could not be read back). */
  walByKind?: WalByKind;
}

/**
 * Waits until the provider received `expected` keys and then nothing more for 1 s (requests in
 * flight when a closed-loop load stopped are accepted after its count was taken), or the time
 * runs out; returns the keys received.
 */
async function waitDelivered(
  provider: FakeProviderHandle,
  expected: number,
  seconds: number,
  account?: string,
) {
  const deadline = performance.now() + seconds * 1_000;
  let keys = 0;
  let stableSince = 0;
  while (performance.now() < deadline) {
    const now = (await provider.count(account)).keys;
    if (now !== keys) stableSince = performance.now();
    keys = now;
    if (keys >= expected && performance.now() - stableSince >= 1_000) break;
    await sleep(100);
  }
  return keys;
}

interface LatencySpread {
  endToEndP99: Spread;
  ingestP99: Spread;
  achieved: Spread;
}

function rssIn(series: Record<string, MemorySeries>, from: number, to: number) {
  return Object.fromEntries(
    Object.entries(series).map(([name, { points }]) => {
      const values = points.filter(([at]) => at >= from && at <= to).map(([, mb]) => mb);
      return [name, { mean: round(mean(values)), max: round(Math.max(...values)) }];
    }),
  );
}

export async function runEndToEndBench(options: EndToEndOptions) {
  const connections = options.connections ?? 64;
  const batchSize = options.batchSize ?? 100;
  const batchConnections = options.batchConnections ?? 8;
  const database = await createBenchDatabase('e2e');
  const provider = await startFakeProvider();
  // The relay creates the topics the dispatcher waits for: the pipeline starts it first.
  const pipeline = new Pipeline({
    databaseUrl: database.url,
    kafkaBrokers: kafkaBrokers(),
    prefix: 'bench-e2e',
    runId: randomUUID().slice(0, 8),
    providerUrl: provider.url,
    env: {
      ingest: { ...withoutTenantLimits, ...options.ingestEnv },
      dispatcher: { ...providerWithoutLimit, ...options.dispatcherEnv },
    },
    readyTimeoutMs: 90_000,
  });
  const client = { current: undefined as ReturnType<typeof httpClient> | undefined };
  let closeOrm = async () => {};
  try {
    // Each phase sends as an account of its own, so the provider counts only that phase's
    // commands even while an earlier phase's backlog is still being delivered.
    const orm = await openOrm({ databaseUrl: database.url, poolSize: 1 });
    closeOrm = () => orm.close();
    const newCaller = async (name: string) => {
      const accountId = newId('acc');
      const em = orm.em.fork();
      em.create(Account, { id: accountId, name });
      await em.flush();
      const { apiKey } = await issueApiKey(orm.em.fork(), accountId);
      return {
        accountId,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      };
    };

    const ceilingRate = async (group: number, seconds: number) => {
      const scratch = await createBenchDatabase('e2e_ceiling');
      try {
        const scratchOrm = await openOrm({ databaseUrl: scratch.url, poolSize: 1 });
        const accountId = newId('acc');
        const em = scratchOrm.em.fork();
        em.create(Account, { id: accountId, name: 'ceiling' });
        await em.flush();
        const { keyId } = await issueApiKey(scratchOrm.em.fork(), accountId);
        await scratchOrm.close();
        return await rawIngestRate(scratch.url, accountId, keyId, 2, group, seconds);
      } finally {
        await scratch.drop();
      }
    };

    await pipeline.start();
    const { ingest } = pipeline;
    log('e2e: ingest API, relay and dispatcher ready');
    const memory = memorySampler({
      'ingest-api': ingest.process.pid,
      relay: pipeline.relays[0]?.process.pid,
      dispatcher: pipeline.dispatchers[0]?.process.pid,
    });
    const http = httpClient(ingest.url);
    // Every command accepted so far (all phases), for the wait before the variant.
    const acceptedSoFar = { total: 0 };
    client.current = http;
    const batchBody = JSON.stringify({ messages: Array.from({ length: batchSize }, () => command) });

    const latencyPhase = async (
      rate: number,
      seconds: number,
    ): Promise<LatencyPhase & { window: [number, number] }> => {
      const { accountId, headers } = await newCaller(`e2e-${rate}`);
      // Keyed by message id: the request's scheduled time (epoch ms), not when it left.
      const sentAt = new Map<string, number>();
      const from = memory.now();
      const meter = cpuMeter();
      const load = await paced(rate, seconds, async (i, scheduledAt) => {
        const answer = await http.post(
          '/v1/messages',
          { ...headers, 'idempotency-key': `e2e-${rate}-${i}-${randomUUID()}` },
          body,
        );
        if (answer.status !== 202) return false;
        acceptedSoFar.total += 1;
        sentAt.set((JSON.parse(answer.body) as { id: string }).id, scheduledAt);
        return true;
      });
      await waitDelivered(provider, sentAt.size, options.drainSeconds, accountId);
      const cpuPercent = meter.stop();
      const to = memory.now();
      const { receipts } = await provider.receipts(accountId);
      const latency = new LatencyHistogram();
      let delivered = 0;
      for (const [key, at] of receipts) {
        const sent = sentAt.get(key);
        if (sent === undefined) continue;
        latency.record(at - sent);
        delivered += 1;
      }
      const stages = await stagesOf(
        database.url,
        sentAt,
        new Map(receipts),
        await publishTimes(pipeline.topics.commands, new Set(sentAt.keys())),
      );
      const phase: LatencyPhase & { window: [number, number] } = {
        rate,
        seconds,
        offeredPerSecond: load.offeredPerSecond,
        achievedPerSecond: round(delivered / load.elapsed),
        accepted: sentAt.size,
        failed: load.failed,
        lateSends: load.late,
        maxInFlight: load.maxInFlight,
        notDelivered: sentAt.size - delivered,
        ingestMs: load.latencyMs,
        endToEndMs: latency.distribution(),
        cdf: latency.cdf(),
        cpuPercent,
        cpuMsPerCommand: meter.msPer(delivered),
        // Filled in from the memory series when it stops.
        rssMb: {},
        stages,
        window: [from, to],
      };
      log(`e2e: ${rate}/s:`, { ...phase, cdf: undefined, cpuPercent: undefined, stages: undefined });
      return phase;
    };

    const throughputPhase = async (endpoint: 'single' | 'batch'): Promise<ThroughputPhase> => {
      const { accountId, headers } = await newCaller(`e2e-${endpoint}`);
      const perRequest = endpoint === 'single' ? 1 : batchSize;
      const conns = endpoint === 'single' ? connections : batchConnections;
      const meter = cpuMeter();
      const metricsBefore = await scrape(`${ingest.url}/metrics`);
      // The server's WAL (all databases: the figure needs a quiet server).
      const walFrom = await walLsn(database.url);
      const started = performance.timeOrigin + performance.now();
      const result = await cannon({
        url: ingest.url,
        path: endpoint === 'single' ? '/v1/messages' : '/v1/messages/batch',
        connections: conns,
        seconds: options.throughputSeconds,
        headers,
        body: endpoint === 'single' ? body : batchBody,
        perRequest: () => ({ 'idempotency-key': `e2e-${endpoint}-${randomUUID()}` }),
      });
      const loadEnded = performance.timeOrigin + performance.now();
      const answered = result.ok * perRequest;
      acceptedSoFar.total += answered;
      const delivered = await waitDelivered(provider, answered, options.drainSeconds, accountId);
      // Requests still in flight when the load stopped were accepted too: count what arrived.
      const accepted = Math.max(answered, delivered);
      const cpuPercent = meter.stop();
      const walTo = await walLsn(database.url);
      const walBytes = lsnBytes(walTo) - lsnBytes(walFrom);
      // Read back at once: a checkpoint may recycle the segments.
      const walKinds = await walByKind(database.url, walFrom, walTo).catch((error: unknown) => {
        log(`e2e: the WAL could not be read back by kind: ${String(error)}`);
        return undefined;
      });
      const metricsAfter = await scrape(`${ingest.url}/metrics`);
      const batchDelta = async (name: string) =>
        (await metricValue(metricsAfter, name)) - (await metricValue(metricsBefore, name));
      const meanBatch = round(
        (await batchDelta('exactly_ingest_write_batch_size_sum')) /
          (await batchDelta('exactly_ingest_write_batch_size_count')),
      );
      const { receipts, replays } = await provider.receipts(accountId);
      // No receipt at all (nothing accepted in time on a saturated machine): a rate of 0, not -∞.
      const last = receipts.length === 0 ? started : largest(receipts.map(([, at]) => at));
      const duringLoad = receipts.filter(([, at]) => at <= loadEnded).length;
      const phase: ThroughputPhase = {
        endpoint:
          endpoint === 'single' ? 'POST /v1/messages' : `POST /v1/messages/batch (${batchSize} per request)`,
        connections: conns,
        loadSeconds: options.throughputSeconds,
        accepted,
        failed: result.failed,
        delivered,
        acceptedPerSecond: round(answered / options.throughputSeconds),
        deliveredPerSecondDuringLoad: round(duringLoad / options.throughputSeconds),
        endToEndPerSecond: delivered === 0 ? 0 : round(delivered / ((last - started) / 1_000)),
        allDelivered: delivered >= answered,
        drainSeconds: round((last - loadEnded) / 1_000),
        replays,
        cpuPercent,
        cpuMsPerCommand: meter.msPer(delivered),
        meanBatch,
        walBytesPerCommand: Math.round(walBytes / Math.max(1, delivered)),
        ...(walKinds === undefined ? {} : { walByKind: walByKindPer(walKinds, delivered) }),
      };
      log(`e2e: sustained throughput, ${phase.endpoint}:`, { ...phase, cpuPercent: undefined });
      return phase;
    };

    log('e2e: warm-up (200/s for 3 s)...');
    await latencyPhase(200, 3);
    const rounds = Math.max(1, options.rounds ?? 3);
    const roundsAtRate = options.roundsAtRate ?? 500;
    const latency: (LatencyPhase & { window: [number, number]; spread: LatencySpread })[] = [];
    for (const rate of options.rates) {
      const phases: (LatencyPhase & { window: [number, number] })[] = [];
      const count = rate === roundsAtRate ? rounds : 1;
      for (let r = 1; r <= count; r++) {
        log(`e2e: latency at ${rate} commands/s for ${options.seconds} s, round ${r} of ${count}...`);
        phases.push(await latencyPhase(rate, options.seconds));
      }
      latency.push({
        ...medianRound(phases, (phase) => phase.endToEndMs.p99),
        spread: {
          endToEndP99: spread(phases.map((phase) => phase.endToEndMs.p99)),
          ingestP99: spread(phases.map((phase) => phase.ingestMs.p99)),
          achieved: spread(phases.map((phase) => phase.achievedPerSecond)),
        },
      });
    }
    // The control: an HTTP exchange whose server does nothing, at the same rates and in a closed
    // loop, while the pipeline idles (lib/bareExchange.ts).
    log('e2e: an HTTP exchange that does nothing (a bare Fastify route), paced and closed loop...');
    const bareExchange = await measureBareExchange({
      rates: options.rates,
      seconds: Math.min(options.seconds, 10),
      connections: 64,
    });
    log('e2e: bare exchange:', bareExchange);
    // Round by round: the single-POST phase, the phase's own ceiling (the API's writes as raw
    // SQL grouped as its group commit grouped them in that round, in a database of its own on
    // the same server while the pipeline is idle), the batch phase.
    const singles: ThroughputPhase[] = [];
    const batches: ThroughputPhase[] = [];
    const ceilings: number[] = [];
    for (let r = 1; r <= rounds; r++) {
      const single = await throughputPhase('single');
      singles.push(single);
      const group = Math.max(1, Math.round(single.meanBatch || 1));
      const ceiling = await ceilingRate(group, options.throughputSeconds);
      ceilings.push(ceiling.perSecond);
      log(`e2e: round ${r}: ceiling, raw SQL grouped like the API (2 connections x ${group}):`, ceiling);
      batches.push(await throughputPhase('batch'));
    }
    const summarise = (phases: ThroughputPhase[]) => ({
      ...medianRound(phases, (phase) => phase.endToEndPerSecond),
      allDelivered: phases.every((phase) => phase.allDelivered),
      spread: spread(phases.map((phase) => phase.endToEndPerSecond)),
    });
    const single = summarise(singles);
    const batch = summarise(batches);
    const series = memory.stop();
    let variant:
      | {
          label: string;
          dispatcherEnv: Record<string, string>;
          backlogAtStart: number;
          batch: ThroughputPhase;
        }
      | undefined;
    if (options.variant) {
      log(`e2e: variant: ${options.variant.label}`);
      await pipeline.dispatchers[0]?.stop();
      await pipeline.addDispatcher(options.variant.dispatcherEnv);
      // Earlier phases' commands still on the way would compete with this one: let them arrive.
      const expected = acceptedSoFar.total;
      await waitDelivered(provider, expected, options.drainSeconds);
      const backlogAtStart = Math.max(0, expected - (await provider.count()).keys);
      variant = { ...options.variant, backlogAtStart, batch: await throughputPhase('batch') };
    }
    for (const phase of latency) phase.rssMb = rssIn(series, phase.window[0], phase.window[1]);
    http.close();
    client.current = undefined;
    return {
      rounds,
      latency: latency.map(({ window: _window, ...phase }) => phase),
      bareExchange,
      throughput: { single, batch },
      /** The phase's own ceiling: raw SQL grouped like the API, one per round. */
      ceiling: spread(ceilings),
      /** WAL per command from the first POST to the last receipt, the single-POST rounds. */
      wal: {
        bytesPerCommand: spread(singles.map((phase) => phase.walBytesPerCommand)),
        /** The median round's WAL by what wrote it, per command. */
        byKind: medianRound(
          singles.filter((phase) => phase.walByKind !== undefined),
          (phase) => phase.walBytesPerCommand,
        )?.walByKind,
      },
      variant,
      memory: Object.fromEntries(
        Object.entries(series).map(([name, s]) => [
          name,
          { firstMb: s.firstMb, maxMb: s.maxMb, lastMb: s.lastMb, points: s.points },
        ]),
      ),
    };
  } finally {
    client.current?.close();
    await pipeline.stop({ graceMs: 10_000 });
    await closeOrm();
    await provider.close();
    await database.drop();
  }
}

export type EndToEndResult = Awaited<ReturnType<typeof runEndToEndBench>>;

if (import.meta.main) {
  const result = await runEndToEndBench({
    rates: (process.env.BENCH_RATES ?? '500,2000').split(',').map(Number),
    seconds: Number(process.env.BENCH_SECONDS ?? 20),
    drainSeconds: Number(process.env.BENCH_DRAIN_SECONDS ?? 30),
    throughputSeconds: Number(process.env.BENCH_THROUGHPUT_SECONDS ?? 10),
    dispatcherEnv: JSON.parse(process.env.BENCH_DISPATCHER_ENV ?? '{}') as Record<string, string>,
    ingestEnv: JSON.parse(process.env.BENCH_INGEST_ENV ?? '{}') as Record<string, string>,
  });
  console.log(
    JSON.stringify(
      { ...result, latency: result.latency.map((phase) => ({ ...phase, cdf: undefined })) },
      null,
      2,
    ),
  );
}
