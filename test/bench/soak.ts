// The memory soak: `node test/bench/soak.ts` (build first; PostgreSQL and Kafka running), or
// `npm run bench -- --only soak` (not in the default run: it takes about 12 minutes). The ingest
// API, the relay and the dispatcher run as real processes, one each, sending through the
// dispatcher's `http` provider to the fake provider; an open-loop client posts one command per
// request at a steady rate for `seconds` (10 minutes by default: the services take about five to
// reach their working size, so a shorter soak's second half still holds their warm-up). The
// resident memory (VmRSS) of each service is sampled every second; the verdict per service is
// the least-squares slope over the second half of the load, flat when |slope| is below
// `boundMbPerMinute`. Beside it, V8's old space after each full collection (lib/heapSampler.ts),
// judged the same way: RSS also holds garbage not yet collected and pages V8 keeps, so it can
// rise while what the process keeps does not.
//
// Variables when run alone: DATABASE_URL (server), KAFKA_BROKERS, BENCH_SOAK_RATE (500),
// BENCH_SOAK_SECONDS (600), BENCH_SOAK_BOUND (1 MiB/min).

import { randomUUID } from 'node:crypto';
import { Pipeline } from '@exactly/testkit';
import { deployedNodeOptions, nodeOptionsWith } from './lib/deployedNodeOptions.ts';
import { createBenchAccount, createBenchDatabase, kafkaBrokers, log } from './lib/environment.ts';
import { startFakeProvider } from './lib/fakeProvider.ts';
import { heapSampler } from './lib/heapSampler.ts';
import { body } from './lib/ingestSql.ts';
import { httpClient, paced } from './lib/load.ts';
import { type MemorySlope, memorySlope } from './lib/memorySlope.ts';
import { memorySampler } from './lib/processes.ts';
import { round } from './lib/stats.ts';
import { withoutTenantLimits } from './lib/withoutTenantLimits.ts';

/** The soak's length unless BENCH_SOAK_SECONDS says otherwise (here and in `run.ts`). */
export const soakSecondsDefault = Number(process.env.BENCH_SOAK_SECONDS ?? 600);

export interface SoakOptions {
  /** Commands per second, open loop. */
  rate: number;
  seconds: number;
  /** |slope| below this many MiB per minute counts as flat. */
  boundMbPerMinute: number;
  drainSeconds?: number;
}

/** The first and last value of a [seconds, MiB] series inside [from, to]. */
function endsOf(points: readonly [number, number][], from: number, to: number) {
  const inside = points.filter(([at]) => at >= from && at <= to);
  return { first: inside[0]?.[1] ?? Number.NaN, last: inside.at(-1)?.[1] ?? Number.NaN };
}

export async function runSoakBench(options: SoakOptions) {
  const deployedFlags = {
    'ingest-api': deployedNodeOptions('ingest-api'),
    relay: deployedNodeOptions('relay'),
    dispatcher: deployedNodeOptions('dispatcher'),
  };
  const database = await createBenchDatabase('soak');
  const provider = await startFakeProvider();
  const pipeline = new Pipeline({
    databaseUrl: database.url,
    kafkaBrokers: kafkaBrokers(),
    prefix: 'bench-soak',
    runId: randomUUID().slice(0, 8),
    providerUrl: provider.url,
    // As deployed: each service with the V8 flags of its manifest (heap and young generation limits).
    env: {
      ingest: { ...withoutTenantLimits, ...nodeOptionsWith(deployedFlags['ingest-api']) },
      relay: nodeOptionsWith(deployedFlags.relay),
      dispatcher: nodeOptionsWith(deployedFlags.dispatcher),
    },
    readyTimeoutMs: 90_000,
  });
  let http: ReturnType<typeof httpClient> | undefined;
  try {
    const { accountId, apiKey } = await createBenchAccount(database.url, 'soak');
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };

    await pipeline.start();
    http = httpClient(pipeline.ingest.url);
    const client = http;
    const memory = memorySampler({
      'ingest-api': pipeline.ingest.process.pid,
      relay: pipeline.relays[0]?.process.pid,
      dispatcher: pipeline.dispatchers[0]?.process.pid,
    });
    const heap = heapSampler(
      {
        'ingest-api': pipeline.ingest.url,
        relay: pipeline.relays[0]?.url ?? '',
        dispatcher: pipeline.dispatchers[0]?.url ?? '',
      },
      memory.now,
    );
    log(`soak: ${options.rate} commands/s for ${options.seconds} s, open loop`);
    const from = memory.now();
    const load = await paced(options.rate, options.seconds, async (i) => {
      const answer = await client.post('/v1/messages', { ...headers, 'idempotency-key': `soak-${i}` }, body);
      return answer.status === 202;
    });
    // The load's window is until its last answer (a client behind schedule runs past `seconds`).
    const to = memory.now();
    const drainStarted = performance.now();
    const deadline = drainStarted + (options.drainSeconds ?? 60) * 1_000;
    let delivered = (await provider.count(accountId)).keys;
    while (delivered < load.ok && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      delivered = (await provider.count(accountId)).keys;
    }
    const series = memory.stop();
    const heapSeries = await heap.stop();
    const services: Record<string, MemorySlope> = Object.fromEntries(
      Object.entries(series).map(([name, s]) => [
        name,
        memorySlope(s.points, from, to, options.boundMbPerMinute),
      ]),
    );
    const result = {
      rate: options.rate,
      seconds: options.seconds,
      boundMbPerMinute: options.boundMbPerMinute,
      /** Each service's V8 flags, from the NODE_OPTIONS of its manifest. */
      nodeOptions: deployedFlags as Record<string, string>,
      offeredPerSecond: load.offeredPerSecond,
      achievedPerSecond: load.achievedPerSecond,
      accepted: load.ok,
      failed: load.failed,
      lateSends: load.late,
      delivered,
      drainSeconds: round((performance.now() - drainStarted) / 1_000),
      ingestMs: load.latencyMs,
      services,
      flat: Object.values(services).every((service) => service.flat),
      /**
       * V8's old space after each full collection, per service: what the process keeps. Its slope
       * over the second half, against the same bound, says whether the objects kept grow.
       */
      liveHeap: Object.fromEntries(
        Object.entries(heapSeries).map(([name, h]) => [
          name,
          {
            ...memorySlope(h.afterFullCollection, from, to, options.boundMbPerMinute),
            fullCollections: h.afterFullCollection.filter(([at]) => at >= from && at <= to).length,
            points: h.afterFullCollection,
            // Where the rest of RSS is: the heap V8 holds and the Buffers' memory, at the load's ends.
            heapCommittedMb: endsOf(h.heapCommitted, from, to),
            externalMb: endsOf(h.external, from, to),
          },
        ]),
      ),
      memory: Object.fromEntries(Object.entries(series).map(([name, s]) => [name, s.points])),
    };
    log('soak:', { ...result, memory: undefined, liveHeap: undefined });
    return result;
  } finally {
    http?.close();
    await pipeline.stop({ graceMs: 10_000 });
    await provider.close();
    await database.drop();
  }
}

export type SoakResult = Awaited<ReturnType<typeof runSoakBench>>;

if (import.meta.main) {
  const result = await runSoakBench({
    rate: Number(process.env.BENCH_SOAK_RATE ?? 500),
    seconds: soakSecondsDefault,
    boundMbPerMinute: Number(process.env.BENCH_SOAK_BOUND ?? 1),
  });
  console.log(JSON.stringify({ ...result, memory: undefined }, null, 2));
}
