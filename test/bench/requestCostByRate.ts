// What one request costs the ingest API at a modest rate against full load, the same code and the
// same statements: `node test/bench/requestCostByRate.ts` (build first; PostgreSQL running;
// DATABASE_URL as for the other phases).
//
// A command costs the pipeline several times more CPU at a few hundred a second than at its
// highest rate (REPORT.md, "End-to-end latency"). Part of that is batching: a group commit of one
// pays per group what a group of ten shares. This measures how much is left when only the API and
// PostgreSQL run: the API alone, in rounds that alternate an open-loop load at `BENCH_RATE`
// (500/s) with a closed loop at 64 connections, for `BENCH_SECONDS` (15) each, 3 rounds (median
// and min–max); `BENCH_ENV` (JSON) adds the API's variables. Per request: the CPU of the API
// process (user and system, from /proc), of PostgreSQL, and of the load generator; the API's mean
// write group (requests per write) and write transactions open on average (from its metrics), and
// the requests answered per second.
// Flags: --json.

import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startService } from '@exactly/testkit';
import { createBenchAccount, createBenchDatabase, log } from './lib/environment.ts';
import { body } from './lib/ingestSql.ts';
import { cannon, httpClient, paced } from './lib/load.ts';
import { withMeanWriteGroup } from './lib/meanWriteGroup.ts';
import { cpuMeter, cpuTimes } from './lib/processes.ts';
import { round, type Spread, spread } from './lib/stats.ts';
import { withoutTenantLimits } from './lib/withoutTenantLimits.ts';

const rounds = 3;
const closedConnections = 64;

export interface LoadCost {
  requests: Spread;
  /** CPU ms per request of the API process, user and system apart, then everything ours. */
  apiUserMs: Spread;
  apiSystemMs: Spread;
  postgresMs: Spread;
  benchMs: Spread;
  /** Requests per write transaction of the API's group commit. */
  meanGroup: Spread;
  /** Write transactions open on average (at most `WRITE_CONCURRENCY`). */
  writesOpen: Spread;
  /** Requests answered per second. */
  perSecond: Spread;
}

export interface RequestCostByRateResult {
  at: string;
  rate: number;
  seconds: number;
  paced: LoadCost;
  closed: LoadCost;
  /** Round by round: the API's CPU per request paced / closed loop. */
  apiRatio: Spread;
}

interface Sample {
  requests: number;
  apiUserMs: number;
  apiSystemMs: number;
  postgresMs: number;
  benchMs: number;
  meanGroup: number;
  writesOpen: number;
  perSecond: number;
}

export async function runRequestCostByRate(
  rate: number,
  seconds: number,
  env: Record<string, string> = {},
): Promise<RequestCostByRateResult> {
  const database = await createBenchDatabase('request_cost');
  try {
    const { apiKey } = await createBenchAccount(database.url, 'request-cost');
    const api = await startService('ingest-api', {
      env: { DATABASE_URL: database.url, ...withoutTenantLimits, ...env },
    });
    try {
      const pid = api.process.pid;
      if (pid === undefined) throw new Error('the ingest API has no pid');
      const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
      const client = httpClient(api.url);
      const closedLoad = (duration: number) =>
        cannon({
          url: api.url,
          path: '/v1/messages',
          connections: closedConnections,
          seconds: duration,
          headers,
          body,
          perRequest: () => ({ 'idempotency-key': randomUUID() }),
        }).then((result) => result.ok);
      const pacedLoad = async (duration: number) => {
        let ok = 0;
        await paced(rate, duration, async (i) => {
          const answer = await client.post(
            '/v1/messages',
            { ...headers, 'idempotency-key': `${i}-${randomUUID()}` },
            body,
          );
          if (answer.status === 202) ok += 1;
        });
        return ok;
      };
      const sample = async (load: () => Promise<number>): Promise<Sample> => {
        const { result, meanGroup, writesOpen, seconds } = await withMeanWriteGroup(api.url, async () => {
          const before = cpuTimes(pid);
          const meter = cpuMeter();
          const requests = await load();
          meter.stop();
          return { requests, before, after: cpuTimes(pid), perRequest: meter.msPer(requests) };
        });
        const { requests, before, after, perRequest } = result;
        const ms = (secondsUsed: number) => round((secondsUsed * 1_000) / requests, 3);
        return {
          requests,
          apiUserMs: ms(after.user - before.user),
          apiSystemMs: ms(after.system - before.system),
          postgresMs: round(perRequest.postgres ?? 0, 3),
          benchMs: round(perRequest.bench ?? 0, 3),
          meanGroup: round(meanGroup, 2),
          writesOpen: round(writesOpen, 2),
          perSecond: round(requests / seconds),
        };
      };
      log('request cost: warm-up (closed loop, 5 s)');
      await closedLoad(5);
      const pacedSamples: Sample[] = [];
      const closedSamples: Sample[] = [];
      for (let n = 1; n <= rounds; n += 1) {
        pacedSamples.push(await sample(() => pacedLoad(seconds)));
        log(`request cost: round ${n}: paced at ${rate}/s:`, pacedSamples.at(-1));
        closedSamples.push(await sample(() => closedLoad(seconds)));
        log(
          `request cost: round ${n}: closed loop at ${closedConnections} connections:`,
          closedSamples.at(-1),
        );
      }
      const summary = (samples: Sample[]): LoadCost => ({
        requests: spread(samples.map((s) => s.requests)),
        apiUserMs: spread(samples.map((s) => s.apiUserMs)),
        apiSystemMs: spread(samples.map((s) => s.apiSystemMs)),
        postgresMs: spread(samples.map((s) => s.postgresMs)),
        benchMs: spread(samples.map((s) => s.benchMs)),
        meanGroup: spread(samples.map((s) => s.meanGroup)),
        writesOpen: spread(samples.map((s) => s.writesOpen)),
        perSecond: spread(samples.map((s) => s.perSecond)),
      });
      const apiMs = (s: Sample) => s.apiUserMs + s.apiSystemMs;
      return {
        at: new Date().toISOString(),
        rate,
        seconds,
        paced: summary(pacedSamples),
        closed: summary(closedSamples),
        apiRatio: spread(pacedSamples.map((s, n) => round(apiMs(s) / apiMs(closedSamples[n] as Sample), 2))),
      };
    } finally {
      await api.process.stop();
    }
  } finally {
    await database.drop();
  }
}

const figure = (value: Spread, digits = 3): string =>
  `${value.median.toFixed(digits)} (${value.min.toFixed(digits)}–${value.max.toFixed(digits)})`;

export function requestCostTable(result: RequestCostByRateResult): string {
  const row = (what: string, cost: LoadCost) =>
    `| ${what} | ${figure(cost.perSecond, 0)} | ${figure(cost.apiUserMs)} | ${figure(cost.apiSystemMs)} | ${figure(cost.postgresMs)} | ${figure(cost.benchMs)} | ${figure(cost.meanGroup, 1)} | ${figure(cost.writesOpen, 2)} |`;
  return [
    `## The ingest API's CPU per request, paced and closed loop (${rounds} rounds of ${result.seconds} s, median and min–max)`,
    '',
    '| load | requests/s | API user ms | API system ms | PostgreSQL ms | load generator ms | requests per write | write transactions open |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    row(`open loop, ${result.rate}/s`, result.paced),
    row(`closed loop, ${closedConnections} connections`, result.closed),
    '',
    `The API process costs ${figure(result.apiRatio, 2)}× as much per request paced as in the closed loop (round by round).`,
  ].join('\n');
}

if (import.meta.main) {
  const { values: flags } = parseArgs({ options: { json: { type: 'boolean' } } });
  const result = await runRequestCostByRate(
    Number(process.env.BENCH_RATE ?? 500),
    Number(process.env.BENCH_SECONDS ?? 15),
    JSON.parse(process.env.BENCH_ENV ?? '{}') as Record<string, string>,
  );
  console.log(flags.json ? JSON.stringify(result, null, 2) : requestCostTable(result));
}
