// The ingest API's benchmark: `node test/bench/ingest.ts` (build first; PostgreSQL running), or a
// phase of `npm run bench`.
//
// 1. Rounds (at least three; `seconds` per point, 30 in a full run), each: the API at the
//    headline connection count (autocannon, a new idempotency key per request), replays of keys
//    already accepted, then the ceiling: the API's writes as raw SQL grouped the way the API's
//    group commit grouped them in that round (its mean batch, on as many connections as the
//    API's WRITE_CONCURRENCY: 2 unless BENCH_ENV sets it; lib/ingestSql.ts). Ratios are taken
//    round by round; median and spread.
// 2. The baseline, not a ceiling: the same transaction one command per transaction on the
//    headline connections, before and after.
// 3. The batch endpoint (100 commands per request, 8 connections) and its ceiling, its writes as
//    raw SQL grouped the way the API grouped them (one record per request), `sweepSeconds` each,
//    as many rounds as the headline figures.
// 4. One round each (`sweepSeconds`): the connection sweep (API, raw SQL one per transaction,
//    peers), replays with the replay cache off on a fresh process.
// 5. The peers, same rows, same database: `@node-idempotency/core` guarding a minimal Fastify
//    route (peers/idempotencyPeer.ts) and the textbook Fastify + pg idempotent POST, INSERT ... ON
//    CONFLICT on an idempotency table in the transaction of the rows (peers/textbookIdempotencyPeer.ts).
// 6. Optionally a CPU profile of the API under the headline load (`node --cpu-prof`).
//
// Each run uses a database of its own (created, migrated, dropped). Variables when run alone:
// DATABASE_URL (server), BENCH_SECONDS (30), BENCH_ROUNDS (3), BENCH_SWEEP_SECONDS (10),
// BENCH_CONNECTIONS (sweep, "8,32,64,128"), BENCH_PROFILE (default), BENCH_ENV (extra ingest
// API variables as JSON), BENCH_CPU_PROFILE=1.

import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, ServiceProcess, startService, waitForHttp } from '@exactly/testkit';
import { type ProfileSummary, summariseCpuProfile } from './lib/cpuProfile.ts';
import { createBenchAccount, createBenchDatabase, log } from './lib/environment.ts';
import { body, command } from './lib/ingestSql.ts';
import { type CannonResult, cannon } from './lib/load.ts';
import { withMeanWriteGroup } from './lib/meanWriteGroup.ts';
import { type CpuPerUnit, cpuMeter, medianCpu } from './lib/processes.ts';
import { type RawResult, rawIngestRate } from './lib/rawIngestRate.ts';
import { median, round, spread } from './lib/stats.ts';
import { withoutTenantLimits } from './lib/withoutTenantLimits.ts';

export interface IngestBenchOptions {
  /** Seconds of each point of the headline rounds. */
  seconds: number;
  /** Rounds of the headline figures (API, replays, the grouped ceiling); at least 3 in a full run. */
  rounds: number;
  /** Seconds of each single-round point: the sweep, the batch endpoint, the peers. */
  sweepSeconds: number;
  /** Connection counts of the sweep; the headline figures are at `headlineConnections`. */
  connections: number[];
  headlineConnections?: number;
  profile?: string;
  extraEnv?: Record<string, string>;
  /** Run the peers on the same sweep. */
  peer?: boolean;
  /** Replays with the cache off on a fresh process. */
  uncachedReplays?: boolean;
  /** Write a CPU profile of the API under load into this folder and summarise it. */
  cpuProfileDir?: string;
}

export type { RawResult };

const replayKeys = 2_000;
const batchSize = 100;
const batchConnections = 8;
/** The ingest API's default WRITE_CONCURRENCY: its group commit's transactions at once. */
const defaultWriteConcurrency = 2;

const auth = (apiKey: string) => ({
  authorization: `Bearer ${apiKey}`,
  'content-type': 'application/json',
});

const batchBody = JSON.stringify({ messages: Array.from({ length: batchSize }, () => command) });

const peers = [
  { name: '@node-idempotency/core', entry: 'test/bench/peers/idempotencyPeer.ts' },
  { name: 'textbook Fastify + pg', entry: 'test/bench/peers/textbookIdempotencyPeer.ts' },
] as const;

export async function runIngestBench(options: IngestBenchOptions) {
  const { seconds, sweepSeconds } = options;
  const rounds = Math.max(1, options.rounds);
  const headline = options.headlineConnections ?? 64;
  const sweep = [...new Set([...options.connections, headline])].sort((a, b) => a - b);
  const profile = options.profile ?? 'default';
  const database = await createBenchDatabase('ingest');
  log(
    `ingest: database ${database.name}; ${rounds} rounds of ${seconds} s at ${headline} connections; sweep ${sweep.join(', ')} at ${sweepSeconds} s`,
  );
  const processes: ServiceProcess[] = [];
  try {
    const { accountId, apiKey, keyId } = await createBenchAccount(database.url, 'bench');
    const raw = (connections: number, perTransaction: number, duration: number, perRequest = 1) =>
      rawIngestRate(database.url, accountId, keyId, connections, perTransaction, duration, perRequest);

    log('ingest: raw SQL, one command per transaction (the baseline, before)...');
    const rawBefore = await raw(headline, 1, sweepSeconds);
    log('ingest: raw SQL one per transaction (before):', rawBefore);

    const startApi = async (env: Record<string, string> = {}) => {
      const spawnedAt = performance.now();
      const api = await startService('ingest-api', {
        env: {
          DATABASE_URL: database.url,
          IDEMPOTENCY_PROFILE: profile,
          IDEMPOTENCY_PROFILE_SWITCH: 'true',
          ...withoutTenantLimits,
          ...options.extraEnv,
          ...env,
        },
      });
      processes.push(api.process);
      return { service: api.process, url: api.url, spawnedAt };
    };
    const post = (
      url: string,
      connections: number,
      nextKey: () => string,
      duration: number,
      path = '/v1/messages',
    ) =>
      cannon({
        url,
        path,
        connections,
        seconds: duration,
        headers: auth(apiKey),
        body: path === '/v1/messages' ? body : batchBody,
        perRequest: () => ({ 'idempotency-key': nextKey() }),
      });

    const accepted: string[] = [];
    let counter = 0;
    const uniqueKey = () => {
      const key = `bench-${++counter}-${randomUUID()}`;
      if (accepted.length < replayKeys) accepted.push(key);
      return key;
    };
    let replayIndex = 0;
    const replayKey = () => accepted[replayIndex++ % accepted.length] as string;

    let api = await startApi();
    log('ingest: warm-up...');
    await post(api.url, headline, () => `warm-${randomUUID()}`, 3);

    /** Runs `load` against the API: its result and the group commit's mean group (requests) over it. */
    const withMeanGroup = async <T>(load: () => Promise<T>) => {
      const { result, meanGroup } = await withMeanWriteGroup(api.url, load);
      return { result, meanBatch: round(meanGroup) };
    };
    /** The API at `connections` with unique keys; its group commit's mean batch over the load. */
    const apiRun = (connections: number, duration: number) =>
      withMeanGroup(() => post(api.url, connections, uniqueKey, duration));

    const roundResults: {
      api: CannonResult;
      meanBatch: number;
      replays: CannonResult;
      grouped: RawResult;
      cpu: { api: CpuPerUnit; replays: CpuPerUnit; grouped: CpuPerUnit };
    }[] = [];
    /** Runs `work` under a CPU meter: its result and every program's CPU ms per command. */
    const metered = async <T>(work: () => Promise<T>, commands: (result: T) => number) => {
      const meter = cpuMeter();
      const result = await work();
      meter.stop();
      return { result, cpu: meter.msPer(commands(result)) };
    };
    // The ceiling runs as many transactions at once as the API was given.
    const writeConcurrency = Number(options.extraEnv?.WRITE_CONCURRENCY ?? defaultWriteConcurrency);
    for (let r = 1; r <= rounds; r++) {
      const apiRound = await metered(
        () => apiRun(headline, seconds),
        ({ result }) => result.ok,
      );
      const { result, meanBatch } = apiRound.result;
      log(`ingest: round ${r}: API at ${headline} connections:`, result, `mean group ${meanBatch}`);
      const replays = await metered(
        () => post(api.url, headline, replayKey, seconds),
        (answers) => answers.ok,
      );
      log(`ingest: round ${r}: replays:`, replays.result);
      const groupSize = Math.max(1, Math.round(meanBatch || 1));
      const grouped = await metered(
        () => raw(writeConcurrency, groupSize, seconds),
        (rows) => rows.commands,
      );
      log(
        `ingest: round ${r}: ceiling, raw SQL grouped like the API (${writeConcurrency} connections x ${groupSize}):`,
        grouped.result,
      );
      roundResults.push({
        api: result,
        meanBatch,
        replays: replays.result,
        grouped: grouped.result,
        cpu: { api: apiRound.cpu, replays: replays.cpu, grouped: grouped.cpu },
      });
    }

    const apiSweep: CannonResult[] = [];
    for (const connections of sweep) {
      if (connections === headline) continue;
      const { result } = await apiRun(connections, sweepSeconds);
      apiSweep.push(result);
      log(`ingest: API at ${connections} connections:`, result);
    }

    // The batch endpoint, and its ceiling: its writes as raw SQL grouped as the API grouped them
    // (one record per request of 100 commands), as many rounds as the headline figures.
    const batchRounds: {
      endpoint: CannonResult;
      grouped: RawResult;
      cpu: { endpoint: CpuPerUnit; grouped: CpuPerUnit };
    }[] = [];
    for (let r = 1; r <= rounds; r++) {
      log(
        `ingest: round ${r}: batch endpoint (${batchSize} commands per request, ${batchConnections} connections)...`,
      );
      const endpoint = await metered(
        () =>
          withMeanGroup(() =>
            post(
              api.url,
              batchConnections,
              () => `batch-${randomUUID()}`,
              sweepSeconds,
              '/v1/messages/batch',
            ),
          ),
        ({ result }) => result.ok * batchSize,
      );
      const groupRequests = Math.max(1, Math.round(endpoint.result.meanBatch || 1));
      const grouped = await metered(
        () => raw(writeConcurrency, groupRequests, sweepSeconds, batchSize),
        (rows) => rows.commands,
      );
      log(
        `ingest: round ${r}: batch endpoint:`,
        endpoint.result.result,
        `mean group ${endpoint.result.meanBatch} requests; its ceiling (${writeConcurrency} connections x ${groupRequests} x ${batchSize}):`,
        grouped.result,
      );
      batchRounds.push({
        endpoint: endpoint.result.result,
        grouped: grouped.result,
        cpu: { endpoint: endpoint.cpu, grouped: grouped.cpu },
      });
    }
    const batchRates = spread(batchRounds.map((b) => round(b.endpoint.perSecond * batchSize)));
    const batchCeiling = spread(batchRounds.map((b) => b.grouped.perSecond));
    const batch = {
      commandsPerSecond: batchRates.median,
      spread: batchRates,
      requestsPerSecond: median(batchRounds.map((b) => b.endpoint.perSecond)),
      p50Ms: median(batchRounds.map((b) => b.endpoint.p50)),
      p99Ms: median(batchRounds.map((b) => b.endpoint.p99)),
      failed: batchRounds.reduce((sum, b) => sum + b.endpoint.failed, 0),
      /** Its ceiling: the batch endpoint's writes as raw SQL grouped like the API grouped them, per round. */
      ceiling: {
        ...batchCeiling,
        connections: writeConcurrency,
        groupRequests: batchRounds.map((b) => b.grouped.perTransaction),
      },
      /** Round by round: the batch endpoint / its ceiling in the same round. */
      toCeiling: spread(
        batchRounds.map((b) => round((b.endpoint.perSecond * batchSize) / b.grouped.perSecond, 3)),
      ),
    };
    log('ingest: batch endpoint:', batch);
    await api.service.stop();

    let uncachedReplay: CannonResult | undefined;
    if (options.uncachedReplays !== false) {
      log('ingest: replays with the replay cache off (a fresh process; every replay reads PostgreSQL)...');
      api = await startApi({ IDEMPOTENCY_REPLAY_CACHE: '0' });
      replayIndex = 0;
      uncachedReplay = await post(api.url, headline, replayKey, sweepSeconds);
      log('ingest: replays (cache off):', uncachedReplay);
      await api.service.stop();
    }

    let cpuProfile: ProfileSummary | undefined;
    if (options.cpuProfileDir) {
      const dir = join(options.cpuProfileDir, 'ingest-api');
      mkdirSync(dir, { recursive: true });
      log(`ingest: CPU profile of the API under ${headline} connections...`);
      api = await startApi({ NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}` });
      const loadStart = performance.now();
      await post(api.url, headline, () => `prof-${randomUUID()}`, sweepSeconds);
      const loadEnd = performance.now();
      await api.service.stop();
      const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
      if (file)
        cpuProfile = summariseCpuProfile(join(dir, file), {
          skipSeconds: (loadStart - api.spawnedAt) / 1_000,
          untilSeconds: (loadEnd - api.spawnedAt) / 1_000,
        });
    }

    const peerSweeps: { name: string; sweep: CannonResult[] }[] = [];
    if (options.peer !== false) {
      for (const { name, entry } of peers) {
        const port = await freePort();
        const peer = new ServiceProcess({
          entry,
          name: entry.slice(entry.lastIndexOf('/') + 1, -3),
          env: { DATABASE_URL: database.url, PORT: String(port), DATABASE_POOL_SIZE: '16' },
        });
        processes.push(peer);
        peer.start();
        const url = `http://127.0.0.1:${port}`;
        await waitForHttp(`${url}/healthz`, 60_000);
        log(`ingest: peer ${name} warm-up...`);
        await post(url, headline, () => `warm-${randomUUID()}`, 2);
        const results: CannonResult[] = [];
        for (const connections of sweep) {
          const result = await post(url, connections, () => `peer-${randomUUID()}`, sweepSeconds);
          results.push(result);
          log(`ingest: peer ${name} at ${connections} connections:`, result);
        }
        await peer.stop();
        peerSweeps.push({ name, sweep: results });
      }
    }

    const rawSweep: RawResult[] = [];
    for (const connections of sweep) {
      if (connections === headline) continue;
      const result = await raw(connections, 1, sweepSeconds);
      rawSweep.push(result);
      log(`ingest: raw SQL one per transaction at ${connections} connections:`, result);
    }
    log('ingest: raw SQL, one command per transaction (the baseline, after)...');
    const rawAfter = await raw(headline, 1, sweepSeconds);
    log('ingest: raw SQL one per transaction (after):', rawAfter);
    const onePerTransaction = round((rawBefore.perSecond + rawAfter.perSecond) / 2);
    rawSweep.push({ ...rawAfter, perSecond: onePerTransaction });
    rawSweep.sort((a, b) => a.connections - b.connections);

    const apiRates = spread(roundResults.map((r) => r.api.perSecond));
    const ceiling = spread(roundResults.map((r) => r.grouped.perSecond));
    const headlineApi: CannonResult = {
      connections: headline,
      perSecond: apiRates.median,
      p50: median(roundResults.map((r) => r.api.p50)),
      p99: median(roundResults.map((r) => r.api.p99)),
      ok: roundResults.reduce((sum, r) => sum + r.api.ok, 0),
      failed: roundResults.reduce((sum, r) => sum + r.api.failed, 0),
    };
    apiSweep.push(headlineApi);
    apiSweep.sort((a, b) => a.connections - b.connections);
    const replays = spread(roundResults.map((r) => r.replays.perSecond));
    const atHeadline = (results: CannonResult[]) => results.find((result) => result.connections === headline);
    const peerResults = peerSweeps.map(({ name, sweep: results }) => {
      const at = atHeadline(results) as CannonResult;
      return {
        name,
        commandsPerSecond: at.perSecond,
        p50Ms: at.p50,
        p99Ms: at.p99,
        failed: at.failed,
        ingestToPeer: round(apiRates.median / at.perSecond, 2),
      };
    });
    return {
      profile,
      headlineConnections: headline,
      seconds,
      rounds,
      sweepSeconds,
      ingest: {
        commandsPerSecond: apiRates.median,
        spread: apiRates,
        p50Ms: headlineApi.p50,
        p99Ms: headlineApi.p99,
        accepted: headlineApi.ok,
        failed: headlineApi.failed,
        meanBatchSize: median(roundResults.map((r) => r.meanBatch)),
      },
      roundsDetail: roundResults.map((r) => ({
        api: r.api.perSecond,
        meanBatch: r.meanBatch,
        replays: r.replays.perSecond,
        grouped: r.grouped.perSecond,
        groupSize: r.grouped.perTransaction,
      })),
      sweep: { api: apiSweep, rawSql: rawSweep, peers: peerSweeps },
      replays: {
        perSecond: replays.median,
        spread: replays,
        p50Ms: median(roundResults.map((r) => r.replays.p50)),
        p99Ms: median(roundResults.map((r) => r.replays.p99)),
        failed: roundResults.reduce((sum, r) => sum + r.replays.failed, 0),
      },
      replaysWithoutCache: uncachedReplay && {
        perSecond: uncachedReplay.perSecond,
        p50Ms: uncachedReplay.p50,
        p99Ms: uncachedReplay.p99,
        failed: uncachedReplay.failed,
      },
      batch,
      peers: peerResults,
      rawSql: {
        /** The ceiling: the API's writes grouped as its group commit grouped them, per round. */
        ceiling: { ...ceiling, connections: writeConcurrency },
        ceilingPerSecond: ceiling.median,
        /** The baseline: one command per transaction, before and after. */
        onePerTransaction: { before: rawBefore, after: rawAfter, perSecond: onePerTransaction },
      },
      ratios: {
        /** Round by round: API / raw SQL grouped like the API in the same round. */
        ingestToCeiling: spread(roundResults.map((r) => round(r.api.perSecond / r.grouped.perSecond, 3))),
        ingestToOnePerTransaction: round(apiRates.median / onePerTransaction, 2),
        /** Round by round: replays / unique-key ingest of the same round. */
        replaysToIngest: spread(roundResults.map((r) => round(r.replays.perSecond / r.api.perSecond, 3))),
        replaysWithoutCacheToIngest: uncachedReplay && round(uncachedReplay.perSecond / apiRates.median, 2),
        batchToCeiling: round(batch.commandsPerSecond / ceiling.median, 2),
      },
      /**
       * CPU ms per command of each program in the headline rounds (median over the rounds): the
       * API (ingest-api, PostgreSQL, the load generator in `bench`), replays, and the grouped SQL.
       */
      cpuMsPerCommand: {
        api: medianCpu(roundResults.map((r) => r.cpu.api)),
        replays: medianCpu(roundResults.map((r) => r.cpu.replays)),
        ceiling: medianCpu(roundResults.map((r) => r.cpu.grouped)),
        /** The batch endpoint (per command, not per request) and its ceiling, median over the rounds. */
        batch: medianCpu(batchRounds.map((b) => b.cpu.endpoint)),
        batchCeiling: medianCpu(batchRounds.map((b) => b.cpu.grouped)),
      },
      cpuProfile,
    };
  } finally {
    for (const service of processes) await service.stop();
    await database.drop();
  }
}

export type IngestBenchResult = Awaited<ReturnType<typeof runIngestBench>>;

if (import.meta.main) {
  const result = await runIngestBench({
    seconds: Number(process.env.BENCH_SECONDS ?? 30),
    rounds: Number(process.env.BENCH_ROUNDS ?? 3),
    sweepSeconds: Number(process.env.BENCH_SWEEP_SECONDS ?? 10),
    connections: (process.env.BENCH_CONNECTIONS ?? '8,32,64,128').split(',').map(Number),
    profile: process.env.BENCH_PROFILE ?? 'default',
    extraEnv: JSON.parse(process.env.BENCH_ENV ?? '{}') as Record<string, string>,
    ...(process.env.BENCH_CPU_PROFILE === '1' ? { cpuProfileDir: '/tmp/exactly-bench-profiles' } : {}),
  });
  console.log(JSON.stringify(result, null, 2));
}
