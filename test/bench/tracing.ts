// What tracing costs the ingest API: `node test/bench/tracing.ts` (build first; PostgreSQL running).
//
// The same load (autocannon, a new idempotency key per request, BENCH_CONNECTIONS connections for
// BENCH_SECONDS after a 3 s warm-up, on a fresh API process each time) against the API with
// tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT) and on (every request traced and exported over
// OTLP/HTTP to a sink in this process, which counts the spans and answers 200). With
// BENCH_BEFORE_ENTRY (a build of the API from before tracing, relative to the repository), that
// build too. The variants alternate for BENCH_ROUNDS rounds, so drift on a shared machine
// spreads over all of them; the figures are the rounds' means: accepted commands/s, latency, and
// the API process's CPU time per accepted command (user + system, from /proc), which PostgreSQL's
// latency on a loaded machine does not blur as it does throughput. Tenant quotas are lifted (0): the
// API's own throughput is measured, not the quota's. A before build, for example:
//   git archive <commit> tsconfig.base.json services/ingest-api | tar -x -C .bench-before
//   (cd .bench-before/services/ingest-api && rm src/*.test.ts && tsc -p tsconfig.build.json)
//   BENCH_BEFORE_ENTRY=.bench-before/services/ingest-api/dist/main.js
// (inside the repository, so it resolves today's workspace packages).
// Variables: DATABASE_URL, BENCH_SECONDS (10), BENCH_CONNECTIONS (64), BENCH_ROUNDS (3),
// BENCH_BEFORE_ENTRY.

import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { freePort, ServiceProcess, startService, waitForHttp } from '@exactly/testkit';
import { createBenchAccount, createBenchDatabase, log } from './lib/environment.ts';
import { body } from './lib/ingestSql.ts';
import { type CannonResult, cannon } from './lib/load.ts';
import { cpuSeconds } from './lib/processes.ts';
import { round } from './lib/stats.ts';

type Variant = 'off' | 'on' | 'before';

/** An OTLP/HTTP receiver that counts what it is sent and keeps nothing. */
async function startSink() {
  let requests = 0;
  let bytes = 0;
  const server = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    request.on('end', () => {
      requests += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    received: () => ({ requests, bytes }),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

export async function runTracingBench(
  options: { seconds?: number; connections?: number; rounds?: number; beforeEntry?: string } = {},
) {
  const seconds = options.seconds ?? Number(process.env.BENCH_SECONDS ?? 10);
  const connections = options.connections ?? Number(process.env.BENCH_CONNECTIONS ?? 64);
  const rounds = options.rounds ?? Number(process.env.BENCH_ROUNDS ?? 3);
  const beforeEntry = options.beforeEntry ?? process.env.BENCH_BEFORE_ENTRY;
  const variants: Variant[] = beforeEntry ? ['before', 'off', 'on'] : ['off', 'on'];
  const database = await createBenchDatabase('tracing');
  const sink = await startSink();
  log(`tracing: ${variants.join(', ')}; ${rounds} rounds of ${seconds} s at ${connections} connections`);
  try {
    const { apiKey } = await createBenchAccount(database.url, 'bench');

    const env = {
      DATABASE_URL: database.url,
      IDEMPOTENCY_PROFILE_SWITCH: 'true',
      ACCOUNT_RATE_LIMIT: '0',
      API_KEY_RATE_LIMIT: '0',
      LOG_LEVEL: 'warn',
    };
    const start = async (
      variant: Variant,
    ): Promise<{ url: string; pid: number | undefined; stop: () => Promise<void> }> => {
      if (variant === 'before') {
        const port = await freePort();
        const process = new ServiceProcess({
          entry: beforeEntry as string,
          name: 'ingest-api (before tracing)',
          env: { ...env, PORT: String(port) },
        });
        process.start();
        const url = `http://127.0.0.1:${port}`;
        await waitForHttp(`${url}/readyz`, 60_000);
        return { url, pid: process.pid, stop: () => process.stop() };
      }
      const api = await startService('ingest-api', {
        env: { ...env, ...(variant === 'on' ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url } : {}) },
      });
      return { url: api.url, pid: api.process.pid, stop: () => api.stop() };
    };
    const load = (url: string, loadSeconds: number) =>
      cannon({
        url,
        path: '/v1/messages',
        connections,
        seconds: loadSeconds,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body,
        perRequest: () => ({ 'idempotency-key': `tracing-${randomUUID()}` }),
      });

    const runs = new Map<Variant, (CannonResult & { cpuMsPerCommand: number })[]>(
      variants.map((variant) => [variant, []]),
    );
    for (let roundIndex = 1; roundIndex <= rounds; roundIndex++) {
      for (const variant of variants) {
        const api = await start(variant);
        try {
          await load(api.url, 3);
          const cpuBefore = api.pid === undefined ? Number.NaN : cpuSeconds(api.pid);
          const loaded = await load(api.url, seconds);
          const cpu = api.pid === undefined ? Number.NaN : cpuSeconds(api.pid) - cpuBefore;
          // CPU per accepted command: what tracing adds to the API's own work, whatever PostgreSQL's latency.
          const result = { ...loaded, cpuMsPerCommand: round((cpu * 1_000) / Math.max(1, loaded.ok), 3) };
          runs.get(variant)?.push(result);
          log(`tracing: round ${roundIndex}, ${variant}:`, result);
        } finally {
          await api.stop();
        }
      }
    }
    const mean = (values: number[]) =>
      round(values.reduce((sum, value) => sum + value, 0) / values.length, 3);
    const summary = Object.fromEntries(
      variants.map((variant) => {
        const results = runs.get(variant) ?? [];
        return [
          variant,
          {
            perSecond: mean(results.map((result) => result.perSecond)),
            p50: mean(results.map((result) => result.p50)),
            p99: mean(results.map((result) => result.p99)),
            cpuMsPerCommand: mean(results.map((result) => result.cpuMsPerCommand)),
            failed: results.reduce((sum, result) => sum + result.failed, 0),
            rounds: results.map((result) => result.perSecond),
          },
        ];
      }),
    );
    const offRate = summary.off?.perSecond ?? Number.NaN;
    const offCpu = summary.off?.cpuMsPerCommand ?? Number.NaN;
    const result = {
      seconds,
      connections,
      rounds,
      summary,
      throughputToOff: Object.fromEntries(
        variants.map((variant) => [variant, round((summary[variant]?.perSecond ?? Number.NaN) / offRate, 3)]),
      ),
      cpuToOff: Object.fromEntries(
        variants.map((variant) => [
          variant,
          round((summary[variant]?.cpuMsPerCommand ?? Number.NaN) / offCpu, 3),
        ]),
      ),
      exported: sink.received(),
    };
    log('tracing:', result);
    return result;
  } finally {
    await sink.close();
    await database.drop();
  }
}

if (import.meta.main) console.log(JSON.stringify(await runTracingBench(), null, 2));
