// `npm run bench`: every benchmark in one bounded run (about 35 minutes; `--quick` about 7),
// each figure beside its baseline measured in the same run, then a report:
// test/bench/results/<date>.json, <date>.md and its SVG plots, and test/bench/REPORT.md (the latest
// full run). Brings up PostgreSQL and Kafka like `npm test` does (or uses DATABASE_URL /
// KAFKA_BROKERS) and stops only what it started.
//
// Flags: --quick (short phases, to check the tooling), --only ingest,relay,dispatcher,e2e,soak
//        (default: all but soak), --no-profile (no CPU profiles), --budget-minutes N (default 40,
//        quick 12),
//        --from results/<stamp>.json (no run: write that run's report again).
// BENCH_SOAK_SECONDS sets the full run's soak (600: ten minutes, so that its second half is past the
// services' warm-up; see the report's soak section).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bringUpInfrastructure, repoRoot, takeDownInfrastructure } from '@exactly/infra';
import { runDispatcherBench } from './dispatcher.ts';
import { runEndToEndBench } from './endToEnd.ts';
import { runIngestBench } from './ingest.ts';
import { adminQuery, log } from './lib/environment.ts';
import { idlePolicy } from './lib/idlePolicy.ts';
import { measuredWith } from './lib/measuredWith.ts';
import { loadSampler } from './lib/processes.ts';
import { type BenchReport, type PhaseRecord, writeReport } from './lib/report.ts';
import { round } from './lib/stats.ts';
import { runRelayBench } from './relay.ts';
import { runSoakBench, soakSecondsDefault as soakSeconds } from './soak.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'no-profile': { type: 'boolean', default: false },
    'budget-minutes': { type: 'string' },
    /** Only write the report again from a results file (after a change to the report). */
    from: { type: 'string' },
  },
});
const quick = flags.quick ?? false;
const budgetMinutes = Number(flags['budget-minutes'] ?? (quick ? 12 : 40));
const only = new Set((flags.only ?? 'ingest,relay,dispatcher,e2e').split(','));
const startedAt = new Date();
const started = performance.now();
const deadline = started + budgetMinutes * 60_000;
const stamp = startedAt.toISOString().slice(0, 16).replace(':', '') + (quick ? '-quick' : '');
const resultsDir = join(repoRoot, 'test/bench/results');
const profileDir = flags['no-profile'] ? undefined : join(resultsDir, `${stamp}-profiles`);

/**
 * What each phase runs with, full and quick; each estimate (seconds) is what its budget check
 * assumes. Full: 30 s per point for the headline rates (the end-to-end sustained phases too),
 * three rounds of every target's figure, the dispatcher's commands sized to about 20 s of its
 * work per round and the relay's rows to about 8 s of its drain (50,000 were about 3 s); about
 * 40 minutes in all (the run of 2026-12-06 02:20, before the longer relay and sustained rounds:
 * ingest 442 s, relay 290 s, dispatcher 441 s, end to end 497 s; the batch endpoint's rounds and
 * ceiling, since 2026-12-07, add about 40 s to ingest).
 * The soak (10 minutes of steady load unless BENCH_SOAK_SECONDS says otherwise) is opt-in: `--only soak`.
 */
const plan = quick
  ? {
      ingest: {
        seconds: 3,
        rounds: 2,
        sweepSeconds: 2,
        connections: [8, 64],
        uncachedReplays: false,
        estimate: 90,
      },
      relay: { rows: 5_000, rounds: 2, latencySeconds: 4, variants: ['mark'] as const, estimate: 60 },
      dispatcher: { commands: 3_000, rounds: 2, peerCommands: 3_000, peerTimeout: 30, estimate: 110 },
      e2e: { rates: [500, 2000], seconds: 4, rounds: 2, drain: 20, throughput: 3, estimate: 150 },
      soak: { rate: 200, seconds: 30, bound: 1, estimate: 70 },
    }
  : {
      ingest: {
        seconds: 30,
        rounds: 3,
        sweepSeconds: 8,
        connections: [4, 16, 64, 128],
        uncachedReplays: true,
        estimate: 520,
      },
      relay: {
        rows: 150_000,
        rounds: 3,
        latencySeconds: 30,
        variants: ['mark', 'delete'] as const,
        estimate: 540,
      },
      dispatcher: { commands: 80_000, rounds: 3, peerCommands: 80_000, peerTimeout: 120, estimate: 450 },
      e2e: { rates: [500, 2000], seconds: 30, rounds: 3, drain: 90, throughput: 30, estimate: 610 },
      soak: { rate: 500, seconds: soakSeconds, bound: 1, estimate: soakSeconds + 100 },
    };

/** Ends every child process still running (services and peers of a phase cut short). */
function stopChildren(): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.split(') ')[1]?.split(' ')[1]);
      if (parent === process.pid) process.kill(Number(entry), 'SIGTERM');
    } catch {
      // gone already
    }
  }
}

function versionOf(name: string): string {
  const require = createRequire(join(repoRoot, 'test/package.json'));
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string })
      .version;
  } catch {
    // Packages whose exports hide package.json: find it next to the entry point.
    const entry = require.resolve(name);
    const root = entry.slice(0, entry.lastIndexOf(`node_modules/${name}/`) + `node_modules/${name}/`.length);
    return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  }
}

function kafkaVersion(): string {
  try {
    const jar = readdirSync(join(repoRoot, 'infra/kafka/lib')).find((name) =>
      /^kafka_2\.13-.*\.jar$/.test(name),
    );
    if (jar) return jar.replace(/^kafka_2\.13-(.*)\.jar$/, '$1');
  } catch {
    // not resolved yet
  }
  const pom = readFileSync(join(repoRoot, 'infra/kafka/pom.xml'), 'utf8');
  return /<kafka\.version>([^<]+)</.exec(pom)?.[1] ?? 'unknown';
}

async function main(): Promise<number> {
  log(`${quick ? 'quick' : 'full'} run, budget ${budgetMinutes} min, phases ${[...only].join(', ')}`);
  const infrastructure = await bringUpInfrastructure();
  process.env.DATABASE_URL = infrastructure.databaseUrl;
  process.env.KAFKA_BROKERS = infrastructure.kafkaBrokers.join(',');
  const load = loadSampler();
  const report: BenchReport = {
    date: startedAt.toISOString(),
    stamp,
    mode: quick ? 'quick' : 'full',
    command: `npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: {
      cores: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: round(totalmem() / 2 ** 30),
      kernel: release(),
      idlePolicy: idlePolicy(),
      loadAverageAtStart: loadavg().map((value) => round(value, 2)),
    },
    versions: {},
    phases: {},
    durationSeconds: 0,
  };
  const watchdog = setTimeout(
    () => {
      log(`the run passed its budget of ${budgetMinutes} min by 1 min: stopping, writing what it has`);
      report.aborted = true;
      stopChildren();
      finish(report, load.stop());
      process.exit(2);
    },
    deadline - started + 60_000,
  );
  watchdog.unref();
  try {
    const [postgres] = await adminQuery<{ server_version: string }>('SHOW server_version');
    report.versions = {
      node: process.version,
      postgres: postgres?.server_version ?? 'unknown',
      kafka: kafkaVersion(),
      kafkajs: versionOf('kafkajs'),
      '@mikro-orm/core': versionOf('@mikro-orm/core'),
      fastify: versionOf('fastify'),
      pg: versionOf('pg'),
      autocannon: versionOf('autocannon'),
      'pg-transactional-outbox': versionOf('pg-transactional-outbox'),
      '@node-idempotency/core': versionOf('@node-idempotency/core'),
    };
    log('versions', report.versions);
    report.measuredWith = await measuredWith();
    log('measured with', report.measuredWith);

    const phase = async <T>(
      name: 'ingest' | 'relay' | 'dispatcher' | 'e2e' | 'soak',
      estimate: number,
      run: () => Promise<T>,
    ) => {
      if (!only.has(name)) return;
      const left = (deadline - performance.now()) / 1_000;
      const record: PhaseRecord = { loadBefore: round(loadavg()[0] as number, 2) };
      report.phases[name] = record;
      if (left < estimate) {
        record.skipped = `${Math.round(left)} s of the budget left, the phase needs about ${estimate} s`;
        log(`skipping ${name}: ${record.skipped}`);
        return;
      }
      const phaseStarted = performance.now();
      log(`--- ${name} (about ${estimate} s) ---`);
      // The machine's load while the phase ran, every 5 s: the figures' noise, per phase.
      const loads: number[] = [];
      const loadTimer = setInterval(() => loads.push(loadavg()[0] as number), 5_000);
      try {
        record.result = await run();
      } catch (error) {
        record.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
        log(`${name} failed:`, record.error);
        stopChildren();
      } finally {
        clearInterval(loadTimer);
      }
      record.seconds = round((performance.now() - phaseStarted) / 1_000);
      record.loadAfter = round(loadavg()[0] as number, 2);
      if (loads.length > 0) {
        record.loadMean = round(loads.reduce((sum, value) => sum + value, 0) / loads.length, 2);
        record.loadMax = round(Math.max(...loads), 2);
      }
    };

    await phase('ingest', plan.ingest.estimate, () =>
      runIngestBench({
        seconds: plan.ingest.seconds,
        rounds: plan.ingest.rounds,
        sweepSeconds: plan.ingest.sweepSeconds,
        connections: plan.ingest.connections,
        uncachedReplays: plan.ingest.uncachedReplays,
        peer: true,
        ...(profileDir ? { cpuProfileDir: profileDir } : {}),
      }),
    );
    await phase('relay', plan.relay.estimate, () =>
      runRelayBench({
        rows: plan.relay.rows,
        rounds: plan.relay.rounds,
        rate: 1_000,
        latencySeconds: plan.relay.latencySeconds,
        idleSeconds: quick ? 0 : 5,
        variants: [...plan.relay.variants],
        latencyVariants: !quick,
        ...(profileDir ? { cpuProfileDir: profileDir } : {}),
      }),
    );
    await phase('dispatcher', plan.dispatcher.estimate, () =>
      runDispatcherBench({
        commands: plan.dispatcher.commands,
        rounds: plan.dispatcher.rounds,
        peer: true,
        peerCommands: plan.dispatcher.peerCommands,
        peerTimeoutSeconds: plan.dispatcher.peerTimeout,
        ...(profileDir ? { cpuProfileDir: profileDir } : {}),
      }),
    );
    await phase('e2e', plan.e2e.estimate, () =>
      runEndToEndBench({
        rates: plan.e2e.rates,
        seconds: plan.e2e.seconds,
        drainSeconds: plan.e2e.drain,
        throughputSeconds: plan.e2e.throughput,
        rounds: plan.e2e.rounds,
      }),
    );
    await phase('soak', plan.soak.estimate, () =>
      runSoakBench({ rate: plan.soak.rate, seconds: plan.soak.seconds, boundMbPerMinute: plan.soak.bound }),
    );
  } finally {
    clearTimeout(watchdog);
    await takeDownInfrastructure(infrastructure);
  }
  finish(report, load.stop());
  const failed = Object.values(report.phases).filter((record) => record?.error).length;
  return failed > 0 ? 1 : 0;
}

function finish(report: BenchReport, load: ReturnType<ReturnType<typeof loadSampler>['stop']>): void {
  report.durationSeconds = round((performance.now() - started) / 1_000);
  report.load = load;
  const written = writeReport(report, resultsDir, { latest: !quick && !report.aborted });
  log(`wrote ${written.join(', ')}`);
}

if (flags.from) {
  // A path as given, or one under test/bench/ (as the flag's help names it: results/<stamp>.json).
  const file = existsSync(flags.from) ? flags.from : join(import.meta.dirname, flags.from);
  const report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
  const written = writeReport(report, resultsDir, { latest: report.mode === 'full' && !report.aborted });
  log(`wrote ${written.join(', ')}`);
} else {
  process.exitCode = await main();
}
