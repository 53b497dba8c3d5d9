// The ingest API's benchmark: `node test/bench/ingest.ts` (build first; PostgreSQL running), or a
// phase of `npm run bench`.
//
// 1. Raw SQL ceiling: a `pg` script on 64 connections runs, for each command, the transaction the
//    API runs (lease, advisory try-lock, idempotency record, message, event v1, its outbox row,
//    the command's outbox row), one command per transaction: the same SQL without HTTP,
//    validation or the engine. Run before and after the API phases; the ceiling is their mean.
// 2. Ingest: autocannon, every request a new idempotency key, at each connection count of the
//    sweep (64 is the headline); accepted commands per second (2xx only) and latency p50/p99.
// 3. Replays: 64 connections re-sending 2,000 keys already accepted (same bodies); then again on a
//    fresh API process with the replay cache off, where every replay reads PostgreSQL.
// 4. The batch endpoint: 100 commands per request, 8 connections.
// 5. The peer: `@node-idempotency/core` guarding a minimal Fastify route that writes the same
//    rows (peers/idempotencyPeer.ts), same sweep, same database.
// 6. The raw SQL at the sweep's other connection counts, and grouped per transaction as the
//    API's group commit grouped it (its mean batch size, 2 connections like WRITE_CONCURRENCY).
// 7. Optionally a CPU profile of the API under the 64-connection load (`node --cpu-prof`).
//
// Each run uses a database of its own (created, migrated, dropped). Variables when run alone:
// DATABASE_URL (server), BENCH_SECONDS (10), BENCH_CONNECTIONS (sweep, "8,32,64,128"),
// BENCH_PROFILE (default), BENCH_ENV (extra ingest API variables as JSON), BENCH_CPU_PROFILE=1.

import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Account, issueApiKey, newId, openOrm } from '@exactly/persistence';
import { freePort, metricValue, ServiceProcess, startService, waitForHttp } from '@exactly/testkit';
import pg from 'pg';
import { type ProfileSummary, summariseCpuProfile } from './lib/cpuProfile.ts';
import { createBenchDatabase, log } from './lib/environment.ts';
import { body, command, rawTransaction } from './lib/ingestSql.ts';
import { type CannonResult, cannon } from './lib/load.ts';
import { scrape } from './lib/processes.ts';
import { round } from './lib/stats.ts';

export interface IngestBenchOptions {
  seconds: number;
  /** Connection counts of the sweep; the headline figures are at `headlineConnections`. */
  connections: number[];
  headlineConnections?: number;
  profile?: string;
  extraEnv?: Record<string, string>;
  /** Run the `@node-idempotency/core` peer on the same sweep. */
  peer?: boolean;
  /** Replays with the cache off on a fresh process (another `seconds`). */
  uncachedReplays?: boolean;
  /** Write a CPU profile of the API under load into this folder and summarise it. */
  cpuProfileDir?: string;
}

export interface RawResult {
  connections: number;
  perSecond: number;
  p50: number;
  p99: number;
}

const replayKeys = 2_000;
const batchSize = 100;
const batchConnections = 8;

/** Runs the raw transaction on `workers` connections for `seconds`; commands per second and latency. */
async function rawCeiling(
  databaseUrl: string,
  accountId: string,
  keyId: string,
  workers: number,
  perTransaction: number,
  seconds: number,
): Promise<RawResult> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: workers });
  const latencies: number[] = [];
  let committed = 0;
  const deadline = Date.now() + seconds * 1_000;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      const client = await pool.connect();
      try {
        while (Date.now() < deadline) {
          const commands = Array.from({ length: perTransaction }, () => ({
            key: randomUUID(),
            messageId: newId('msg'),
          }));
          const started = performance.now();
          await rawTransaction(client, accountId, keyId, commands);
          latencies.push(performance.now() - started);
          committed += perTransaction;
        }
      } finally {
        client.release();
      }
    }),
  );
  await pool.end();
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN, 2);
  return { connections: workers, perSecond: round(committed / seconds), p50: at(0.5), p99: at(0.99) };
}

const auth = (apiKey: string) => ({
  authorization: `Bearer ${apiKey}`,
  'content-type': 'application/json',
});

const batchBody = JSON.stringify({ messages: Array.from({ length: batchSize }, () => command) });

export async function runIngestBench(options: IngestBenchOptions) {
  const { seconds } = options;
  const headline = options.headlineConnections ?? 64;
  const sweep = [...new Set([...options.connections, headline])].sort((a, b) => a - b);
  const profile = options.profile ?? 'default';
  const database = await createBenchDatabase('ingest');
  log(`ingest: database ${database.name}; sweep ${sweep.join(', ')} connections, ${seconds} s per phase`);
  const processes: ServiceProcess[] = [];
  try {
    const orm = await openOrm({ databaseUrl: database.url, poolSize: 2 });
    const accountId = newId('acc');
    const em = orm.em.fork();
    em.create(Account, { id: accountId, name: 'bench' });
    await em.flush();
    const { apiKey, keyId } = await issueApiKey(orm.em.fork(), accountId);
    await orm.close();
    const raw = (connections: number, perTransaction = 1) =>
      rawCeiling(database.url, accountId, keyId, connections, perTransaction, seconds);

    log('ingest: raw SQL ceiling (before)...');
    const rawBefore = await raw(headline);
    log('ingest: raw SQL ceiling (before):', rawBefore);

    const startApi = async (env: Record<string, string> = {}) => {
      const spawnedAt = performance.now();
      const api = await startService('ingest-api', {
        env: {
          DATABASE_URL: database.url,
          IDEMPOTENCY_PROFILE: profile,
          IDEMPOTENCY_PROFILE_SWITCH: 'true',
          ...options.extraEnv,
          ...env,
        },
      });
      processes.push(api.process);
      return { service: api.process, url: api.url, spawnedAt };
    };
    const post = (url: string, connections: number, nextKey: () => string, path = '/v1/messages') =>
      cannon({
        url,
        path,
        connections,
        seconds,
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

    let api = await startApi();
    log('ingest: warm-up...');
    await cannon({
      url: api.url,
      path: '/v1/messages',
      connections: headline,
      seconds: 3,
      headers: auth(apiKey),
      body,
      perRequest: () => ({ 'idempotency-key': `warm-${randomUUID()}` }),
    });
    const apiSweep: CannonResult[] = [];
    let meanBatch = Number.NaN;
    for (const connections of sweep) {
      const before = await scrape(`${api.url}/metrics`);
      const batches = await metricValue(before, 'exactly_ingest_write_batch_size_count');
      const requests = await metricValue(before, 'exactly_ingest_write_batch_size_sum');
      const result = await post(api.url, connections, uniqueKey);
      apiSweep.push(result);
      if (connections === headline) {
        const after = await scrape(`${api.url}/metrics`);
        meanBatch = round(
          ((await metricValue(after, 'exactly_ingest_write_batch_size_sum')) - requests) /
            ((await metricValue(after, 'exactly_ingest_write_batch_size_count')) - batches),
        );
      }
      log(`ingest: API at ${connections} connections:`, result);
    }
    const ingest = apiSweep.find((result) => result.connections === headline) as CannonResult;

    log(`ingest: replays (${accepted.length} accepted keys, cycled)...`);
    let replayIndex = 0;
    const replayKey = () => accepted[replayIndex++ % accepted.length] as string;
    const replay = await post(api.url, headline, replayKey);
    log('ingest: replays:', replay);

    log(`ingest: batch endpoint (${batchSize} commands per request, ${batchConnections} connections)...`);
    const batchRequests = await post(
      api.url,
      batchConnections,
      () => `batch-${randomUUID()}`,
      '/v1/messages/batch',
    );
    const batch = {
      commandsPerSecond: round(batchRequests.perSecond * batchSize),
      requestsPerSecond: batchRequests.perSecond,
      p50Ms: batchRequests.p50,
      p99Ms: batchRequests.p99,
      failed: batchRequests.failed,
    };
    log('ingest: batch endpoint:', batch);
    await api.service.stop();

    let uncachedReplay: CannonResult | undefined;
    if (options.uncachedReplays !== false) {
      log('ingest: replays with the replay cache off (a fresh process; every replay reads PostgreSQL)...');
      api = await startApi({ IDEMPOTENCY_REPLAY_CACHE: '0' });
      replayIndex = 0;
      uncachedReplay = await post(api.url, headline, replayKey);
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
      await post(api.url, headline, () => `prof-${randomUUID()}`);
      const loadEnd = performance.now();
      await api.service.stop();
      const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
      if (file)
        cpuProfile = summariseCpuProfile(join(dir, file), {
          skipSeconds: (loadStart - api.spawnedAt) / 1_000,
          untilSeconds: (loadEnd - api.spawnedAt) / 1_000,
        });
    }

    let peerSweep: CannonResult[] = [];
    if (options.peer !== false) {
      const port = await freePort();
      const peer = new ServiceProcess({
        entry: 'test/bench/peers/idempotencyPeer.ts',
        name: 'idempotencyPeer',
        env: { DATABASE_URL: database.url, PORT: String(port), DATABASE_POOL_SIZE: '16' },
      });
      processes.push(peer);
      peer.start();
      const url = `http://127.0.0.1:${port}`;
      await waitForHttp(`${url}/healthz`, 60_000);
      log('ingest: peer @node-idempotency/core warm-up...');
      await cannon({
        url,
        path: '/v1/messages',
        connections: headline,
        seconds: 2,
        headers: auth(apiKey),
        body,
        perRequest: () => ({ 'idempotency-key': `warm-${randomUUID()}` }),
      });
      peerSweep = [];
      for (const connections of sweep) {
        const result = await post(url, connections, () => `peer-${randomUUID()}`);
        peerSweep.push(result);
        log(`ingest: peer at ${connections} connections:`, result);
      }
      await peer.stop();
    }

    const rawSweep: RawResult[] = [];
    for (const connections of sweep) {
      if (connections === headline) continue;
      const result = await raw(connections);
      rawSweep.push(result);
      log(`ingest: raw SQL at ${connections} connections:`, result);
    }
    log('ingest: raw SQL ceiling (after)...');
    const rawAfter = await raw(headline);
    log('ingest: raw SQL ceiling (after):', rawAfter);
    const groupSize = Math.max(1, Math.round(meanBatch || 1));
    log(`ingest: raw SQL grouped like the API (2 connections x ${groupSize} commands per transaction)...`);
    const rawGrouped = await raw(2, groupSize);
    log('ingest: raw SQL grouped:', rawGrouped);

    const ceiling = round((rawBefore.perSecond + rawAfter.perSecond) / 2);
    rawSweep.push({ ...rawAfter, perSecond: ceiling });
    rawSweep.sort((a, b) => a.connections - b.connections);
    const peerAtHeadline = peerSweep.find((result) => result.connections === headline);
    return {
      profile,
      headlineConnections: headline,
      seconds,
      ingest: {
        commandsPerSecond: ingest.perSecond,
        p50Ms: ingest.p50,
        p99Ms: ingest.p99,
        accepted: ingest.ok,
        failed: ingest.failed,
        meanBatchSize: meanBatch,
      },
      sweep: { api: apiSweep, rawSql: rawSweep, peer: peerSweep },
      replays: { perSecond: replay.perSecond, p50Ms: replay.p50, p99Ms: replay.p99, failed: replay.failed },
      replaysWithoutCache: uncachedReplay && {
        perSecond: uncachedReplay.perSecond,
        p50Ms: uncachedReplay.p50,
        p99Ms: uncachedReplay.p99,
        failed: uncachedReplay.failed,
      },
      batch,
      peer: peerAtHeadline && {
        name: '@node-idempotency/core',
        commandsPerSecond: peerAtHeadline.perSecond,
        p50Ms: peerAtHeadline.p50,
        p99Ms: peerAtHeadline.p99,
        failed: peerAtHeadline.failed,
      },
      rawSql: {
        before: rawBefore,
        after: rawAfter,
        ceilingPerSecond: ceiling,
        groupedLikeTheApi: rawGrouped,
      },
      ratios: {
        ingestToRawCeiling: round(ingest.perSecond / ceiling, 2),
        ingestToRawGrouped: round(ingest.perSecond / rawGrouped.perSecond, 2),
        replaysToIngest: round(replay.perSecond / ingest.perSecond, 2),
        replaysWithoutCacheToIngest: uncachedReplay && round(uncachedReplay.perSecond / ingest.perSecond, 2),
        batchToRawCeiling: round(batch.commandsPerSecond / ceiling, 2),
        peerToRawCeiling: peerAtHeadline && round(peerAtHeadline.perSecond / ceiling, 2),
        ingestToPeer: peerAtHeadline && round(ingest.perSecond / peerAtHeadline.perSecond, 2),
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
    seconds: Number(process.env.BENCH_SECONDS ?? 10),
    connections: (process.env.BENCH_CONNECTIONS ?? '8,32,64,128').split(',').map(Number),
    profile: process.env.BENCH_PROFILE ?? 'default',
    extraEnv: JSON.parse(process.env.BENCH_ENV ?? '{}') as Record<string, string>,
    ...(process.env.BENCH_CPU_PROFILE === '1' ? { cpuProfileDir: '/tmp/exactly-bench-profiles' } : {}),
  });
  console.log(JSON.stringify(result, null, 2));
}
