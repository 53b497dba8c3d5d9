// Turns one run of `npm run bench` into results/<stamp>.json, results/<stamp>.md with its SVG
// plots, and (for a full run) REPORT.md: every figure beside its baseline from the same run.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DispatcherBenchResult } from '../dispatcher.ts';
import type { EndToEndResult } from '../endToEnd.ts';
import type { IngestBenchResult } from '../ingest.ts';
import type { RelayBenchResult } from '../relay.ts';
import type { SoakResult } from '../soak.ts';
import type { BareExchangeResult, ExchangeCost } from './bareExchange.ts';
import type { ProfileSummary } from './cpuProfile.ts';
import type { MeasuredWith } from './measuredWith.ts';
import type { PostgresDelta } from './postgresView.ts';
import type { LoadSummary } from './processes.ts';
import { ratio, type Spread, slope } from './stats.ts';
import { barChart, lineChart } from './svg.ts';
import {
  dispatcherTargetOutOfReach,
  ingestFloor,
  type PhaseResults,
  pipelineFloor,
  targetBounds,
} from './targetBounds.ts';

export interface PhaseRecord {
  loadBefore?: number;
  loadAfter?: number;
  /** The 1-minute load average sampled every 5 s while the phase ran. */
  loadMean?: number;
  loadMax?: number;
  seconds?: number;
  skipped?: string;
  error?: string;
  result?: unknown;
}

export interface BenchReport {
  date: string;
  stamp: string;
  mode: 'quick' | 'full';
  command: string;
  /** Set by hand when a phase's result was put in from another run (which run, and why). */
  phaseFromAnotherRun?: string;
  machine: {
    cores: number;
    cpuModel: string;
    memoryGiB: number;
    kernel: string;
    /** How idle cores wait (lib/idlePolicy.ts); absent in runs before it was recorded. */
    idlePolicy?: string;
    loadAverageAtStart: number[];
  };
  versions: Record<string, string>;
  phases: {
    ingest?: PhaseRecord;
    relay?: PhaseRecord;
    dispatcher?: PhaseRecord;
    e2e?: PhaseRecord;
    soak?: PhaseRecord;
  };
  measuredWith?: MeasuredWith;
  durationSeconds: number;
  load?: LoadSummary;
  aborted?: boolean;
}

const fmt = (value: number | undefined, digits = 0): string =>
  value === undefined || !Number.isFinite(value)
    ? 'n/a'
    : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
const x = (value: number | undefined, digits = 2) =>
  value === undefined || !Number.isFinite(value) ? 'n/a' : `${fmt(value, digits)}×`;

/** "median (min–max)" of a figure measured in rounds. */
const spreadText = (value: Spread | undefined, digits = 0, unit = '') =>
  value === undefined
    ? 'n/a'
    : value.rounds.length > 1
      ? `${fmt(value.median, digits)}${unit} (${fmt(value.min, digits)}–${fmt(value.max, digits)})`
      : `${fmt(value.median, digits)}${unit} (one round)`;
/** Whether a run measured the batch endpoint in rounds with a ceiling of its own (runs before 2026-12-07 did not). */
const batchOwnCeiling = (batch: IngestBenchResult['batch']): boolean =>
  (batch as Partial<IngestBenchResult['batch']>).ceiling !== undefined;
const table = (header: string[], rows: (string | number)[][]) =>
  [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
const verdict = (met: boolean | undefined, outOfReach?: string) =>
  met === undefined ? '—' : met ? '**met**' : outOfReach ? `**missed**: ${outOfReach}` : '**missed**';

/** The e2e phase's control: an HTTP exchange whose server does nothing, paced and back to back. */
function bareExchangeLines(control: BareExchangeResult): string[] {
  const back = control.closedLoop;
  const row = (load: string, cost: ExchangeCost) => [
    load,
    fmt(cost.perSecond),
    fmt(cost.serverMs, 3),
    fmt(cost.clientMs, 3),
    fmt(cost.totalMs, 3),
    x(ratio(cost.totalMs, back.totalMs), 1),
  ];
  return [
    '### An HTTP exchange that does nothing',
    '',
    "The control, while the pipeline idled: `peers/bareRoute.ts`, a Fastify route that parses the JSON body and answers a constant 202 the size of the ingest API's, with no database, no validation and no idempotency, driven by this phase's clients (paced at each latency rate, open loop, as the latency phases; then autocannon, as the ingest phase's replays). CPU per exchange of the route's process (/proc) and of the client (the bench's `process.cpuUsage()`). What an exchange costs at a rate, against the same exchange back to back, every hop of the pipeline pays at that rate before its own work.",
    '',
    table(
      ['load', 'exchanges /s', 'server CPU ms', 'client CPU ms', 'both', 'to back to back'],
      [
        ...control.paced.map((cost) => row(`paced at ${fmt(cost.rate)}/s`, cost)),
        row(`back to back (closed loop, ${back.connections} connections)`, back),
      ],
    ),
    '',
  ];
}

interface Target {
  name: string;
  measured: string;
  baseline: string;
  ratio: number | undefined;
  /** The ratio with its spread over the rounds, when it has one. */
  ratioText?: string;
  goal: string;
  met: boolean | undefined;
  /**
   * Why no implementation reaches the goal here, when a floor this run measured says so (the
   * bound under "What bounds each missed target"); undefined when the goal is within reach.
   */
  outOfReach?: string;
}

function cpuLine(cpu: Record<string, number> | undefined): string {
  if (!cpu) return 'n/a';
  return Object.entries(cpu)
    .sort((a, b) => b[1] - a[1])
    .map(([program, percent]) => `${program} ${fmt(percent)}%`)
    .join(', ');
}

function profileSection(title: string, profile: ProfileSummary | undefined): string[] {
  if (!profile) return [];
  return [
    `#### ${title}`,
    '',
    `${fmt(profile.seconds, 1)} s of samples under load; the process was busy ${fmt(profile.busyPercent)}% of that time (one core = 100%).`,
    '',
    table(
      ['area (self time)', 'share of busy time'],
      profile.areas.slice(0, 10).map((entry) => [entry.name, `${fmt(entry.percent, 1)}%`]),
    ),
    '',
    table(
      ['function (self time)', 'share'],
      profile.functions.slice(0, 12).map((entry) => [`\`${entry.name}\``, `${fmt(entry.percent, 1)}%`]),
    ),
    '',
  ];
}

function postgresSection(title: string, view: PostgresDelta | undefined): string[] {
  if (!view) return [];
  const writes = Object.entries(view.rowWritesPerCommand).map(([name, w]) => [
    name,
    fmt(w.inserted, 2),
    fmt(w.updated, 2),
    fmt(w.hotUpdated, 2),
    fmt(w.deleted, 2),
  ]);
  return [
    `#### ${title}`,
    '',
    `WAL written: **${fmt(view.walBytesPerCommand)} bytes per command**; row writes: **${fmt(view.totalRowWritesPerCommand, 1)} per command**.`,
    '',
    table(['table', 'inserted / command', 'updated', 'of which HOT', 'deleted'], writes),
    '',
    `What the database's sessions were doing (pg_stat_activity sampled every 20 ms, ${view.activitySamples} samples; "sessions" is the average number of sessions in that state, so "(idle in transaction)" is time a transaction was open while its client was working or a round trip was under way):`,
    '',
    table(
      ['statement or state', 'running / waiting on', 'sessions'],
      view.activity
        .slice(0, 12)
        .map((entry) => [`\`${entry.what.replaceAll('|', '\\|')}\``, entry.wait, fmt(entry.sessions, 2)]),
    ),
    '',
  ];
}

/** The issue's targets, in its order: each beside the baseline measured in the same run. */
function targets(report: BenchReport): Target[] {
  const ingest = report.phases.ingest?.result as IngestBenchResult | undefined;
  const relay = report.phases.relay?.result as RelayBenchResult | undefined;
  const dispatcher = report.phases.dispatcher?.result as DispatcherBenchResult | undefined;
  const e2e = report.phases.e2e?.result as EndToEndResult | undefined;
  const at500 = e2e?.latency.find((phase) => phase.rate === 500);
  const relayRun =
    relay?.throughput.runs.find((run) => run.relay.startsWith('default')) ?? relay?.throughput.runs[0];
  const relayLatency = relay?.latencyMs[1];
  const relayRaw = relay?.latencyMs[0];
  const floor = dispatcher?.throughput?.floor;
  const bareWork = pipelineFloor(report.machine.cores, { ingest, relay, dispatcher });
  const bareBatchWork = pipelineFloor(report.machine.cores, { ingest, relay, dispatcher }, { batch: true });
  const httpFloor = ingestFloor(report.machine.cores, ingest);
  const onTheseCores = `out of reach on these ${report.machine.cores} cores`;
  const outOfReachIf = (beyond: boolean, why: string) => (beyond ? why : undefined);
  const notMeasured = (name: string, goal: string): Target => ({
    name,
    measured: 'not measured in this run',
    baseline: '—',
    ratio: undefined,
    goal,
    met: undefined,
  });
  return [
    ingest
      ? {
          name: 'ingest, unique keys, vs raw SQL grouped like the API',
          measured: `${spreadText(ingest.ingest.spread)}/s`,
          baseline: `ceiling ${spreadText(ingest.rawSql.ceiling)}/s (one per transaction, a baseline: ${fmt(ingest.rawSql.onePerTransaction.perSecond)}/s)`,
          ratio: ingest.ratios.ingestToCeiling.median,
          ratioText: spreadText(ingest.ratios.ingestToCeiling, 2, '×'),
          goal: '≥ 0.9×',
          met: ingest.ratios.ingestToCeiling.median >= 0.9,
          outOfReach: outOfReachIf(httpFloor !== undefined && httpFloor.ratioToCeiling < 0.9, onTheseCores),
        }
      : notMeasured('ingest, unique keys, vs raw SQL grouped like the API', '≥ 0.9×'),
    at500
      ? {
          name: 'ingest POST → 202, p99 at 500/s (open loop, from the scheduled time)',
          measured: `${spreadText(at500.spread.ingestP99, 1)} ms`,
          baseline: `offered ${fmt(at500.offeredPerSecond)}/s, achieved ${spreadText(at500.spread.achieved)}/s`,
          ratio: undefined,
          goal: '< 20 ms',
          met: at500.spread.ingestP99.median < 20,
        }
      : notMeasured('ingest POST → 202, p99 at 500/s', '< 20 ms'),
    relayRun
      ? {
          name: `relay vs raw kafkajs idempotent producer (${relayRun.relay})`,
          measured: `${fmt(relayRun.medianRelay)} rows/s`,
          baseline: `raw producer ${fmt(relayRun.medianRaw)} rows/s`,
          ratio: relayRun.ratioToRaw,
          ratioText: spreadText(relayRun.ratioSpread, 2, '×'),
          goal: '≥ 0.8×',
          met: relayRun.ratioSpread.median >= 0.8,
        }
      : notMeasured('relay vs raw kafkajs idempotent producer', '≥ 0.8×'),
    relayLatency
      ? {
          name: 'relay commit → publish p99 at 1,000/s',
          measured: `${spreadText(relay?.latencyP99Spread, 1)} ms`,
          baseline: `raw producer, scheduled send → ack p99 ${fmt(relayRaw?.p99, 1)} ms; offered ${fmt(relayLatency.offeredRate)}/s, achieved ${fmt(relayLatency.achievedRate)}/s`,
          ratio: undefined,
          goal: '< 20 ms',
          met: (relay?.latencyP99Spread.median ?? Number.POSITIVE_INFINITY) < 20,
        }
      : notMeasured('relay commit → publish p99 at 1,000/s', '< 20 ms'),
    dispatcher?.throughput && floor
      ? {
          name: 'dispatcher vs its database floor (the inbox transaction’s rows as bare SQL)',
          measured: `${fmt(dispatcher.throughput.dispatcherSentExactlyOncePerSecond)}/s sent exactly once`,
          baseline: `floor ${fmt(floor.inboxTransactionPerSecond)}/s${floor.sentExactlyOnceToInboxTransaction ? `; everything the dispatcher writes as bare SQL reaches ${spreadText(floor.sentExactlyOnceToInboxTransaction, 2, '×')} of it` : ''}`,
          ratio: dispatcher.throughput.ratioToFloor.median,
          ratioText: spreadText(dispatcher.throughput.ratioToFloor, 2, '×'),
          goal: '≥ 0.6×',
          met: dispatcher.throughput.ratioToFloor.median >= 0.6,
          outOfReach: outOfReachIf(
            dispatcherTargetOutOfReach(floor.sentExactlyOnceToInboxTransaction),
            `out of reach on these ${report.machine.cores} cores, whatever the dispatcher does`,
          ),
        }
      : notMeasured('dispatcher vs its database floor', '≥ 0.6×'),
    e2e?.wal
      ? {
          name: 'WAL bytes per command, ingest to outcome (all services)',
          measured: `${spreadText(e2e.wal.bytesPerCommand)} B`,
          baseline: `${e2e.wal.byKind ? `the rows inserted alone (each row's first version, read back from the WAL): ${fmt(e2e.wal.byKind.rowsInserted)} B; ` : ''}the dispatcher alone: ${fmt(dispatcher?.throughput?.postgres?.walBytesPerCommand)} B (both server-wide WAL: true only on a quiet server)`,
          ratio: undefined,
          goal: '≤ 5,000 B',
          met: e2e.wal.bytesPerCommand.median <= 5_000,
          outOfReach: outOfReachIf(
            (e2e.wal.byKind?.rowsInserted ?? 0) > 5_000,
            'out of reach with the rows the pipeline keeps',
          ),
        }
      : notMeasured('WAL bytes per command, ingest to outcome', '≤ 5 KB'),
    at500
      ? {
          name: 'end to end p99 at 500/s, from the scheduled time to the provider',
          measured: `${spreadText(at500.spread.endToEndP99, 1)} ms`,
          baseline: `POST → 202 p99 ${spreadText(at500.spread.ingestP99, 1)} ms; ${fmt(at500.notDelivered)} not delivered`,
          ratio: undefined,
          goal: '< 50 ms',
          met: at500.notDelivered === 0 && at500.spread.endToEndP99.median < 50,
        }
      : notMeasured('end to end p99 at 500/s', '< 50 ms'),
    e2e
      ? {
          name: 'end to end sustained, one command per request, exactly once',
          measured: `${spreadText(e2e.throughput.single.spread)}/s`,
          baseline: `raw SQL grouped like the API, this phase: ${spreadText(e2e.ceiling)}/s${bareWork ? `; the bare work of a command (other phases, see "What bounds each missed target"): at most ${fmt(bareWork.perSecond)}/s` : ''}`,
          ratio: ratio(e2e.throughput.single.spread.median, e2e.ceiling.median, 2),
          goal: '≥ 2,000/s',
          met: e2e.throughput.single.allDelivered && e2e.throughput.single.spread.median >= 2_000,
          outOfReach: outOfReachIf(bareWork !== undefined && bareWork.perSecond < 2_000, onTheseCores),
        }
      : notMeasured('end to end sustained, one command per request', '≥ 2,000/s'),
    e2e
      ? {
          name: 'end to end sustained, batch endpoint',
          measured: `${spreadText(e2e.throughput.batch.spread)}/s`,
          baseline: `raw SQL grouped like the API, this phase: ${spreadText(e2e.ceiling)}/s${bareBatchWork ? `; the bare work of a command sent through the batch endpoint (other phases, see "What bounds each missed target"): at most ${fmt(bareBatchWork.perSecond)}/s` : ''}`,
          ratio: ratio(e2e.throughput.batch.spread.median, e2e.ceiling.median, 2),
          goal: '≥ 4,000/s',
          met: e2e.throughput.batch.allDelivered && e2e.throughput.batch.spread.median >= 4_000,
          outOfReach: outOfReachIf(
            bareBatchWork !== undefined && bareBatchWork.perSecond < 4_000,
            onTheseCores,
          ),
        }
      : notMeasured('end to end sustained, batch endpoint', '≥ 4,000/s'),
    ingest
      ? {
          name: 'replays vs ingest',
          measured: `${spreadText(ingest.replays.spread)}/s`,
          baseline: `ingest ${spreadText(ingest.ingest.spread)}/s`,
          ratio: ingest.ratios.replaysToIngest.median,
          ratioText: spreadText(ingest.ratios.replaysToIngest, 2, '×'),
          goal: '≥ 5× (keep)',
          met: ingest.ratios.replaysToIngest.median >= 5,
        }
      : notMeasured('replays vs ingest', '≥ 5×'),
  ];
}

function charts(report: BenchReport): Record<string, string> {
  const files: Record<string, string> = {};
  const ingest = report.phases.ingest?.result as IngestBenchResult | undefined;
  if (ingest) {
    files['throughput-connections'] = lineChart({
      title: 'Ingest: accepted commands/s against connections',
      xLabel: 'connections (log scale)',
      yLabel: 'commands per second',
      logX: true,
      series: [
        { name: 'ingest API', points: ingest.sweep.api.map((r) => [r.connections, r.perSecond]) },
        {
          name: 'raw SQL, 1 per tx',
          points: ingest.sweep.rawSql.map((r) => [r.connections, r.perSecond]),
          dashed: true,
        },
        ...ingest.sweep.peers.map((peer) => ({
          name: peer.name,
          points: peer.sweep.map((r): [number, number] => [r.connections, r.perSecond]),
        })),
      ],
      marks: [{ y: ingest.rawSql.ceilingPerSecond, label: 'ceiling: raw SQL grouped like the API' }],
    });
  }
  const e2e = report.phases.e2e?.result as EndToEndResult | undefined;
  if (e2e && e2e.latency.length > 0) {
    files['e2e-latency-distribution'] = lineChart({
      title: 'End to end: POST to provider receipt, distribution',
      xLabel: 'latency, ms (log scale)',
      yLabel: 'percent of commands at or below',
      logX: true,
      series: e2e.latency.map((phase) => ({ name: `${phase.rate} commands/s`, points: phase.cdf })),
      marks: [{ y: 99, label: 'p99' }],
    });
    files['e2e-latency-percentiles'] = barChart({
      title: 'End to end latency percentiles (ms)',
      yLabel: 'ms',
      categories: ['p50', 'p95', 'p99'],
      groups: e2e.latency.map((phase) => ({
        name: `${phase.rate}/s`,
        values: [phase.endToEndMs.p50, phase.endToEndMs.p95, phase.endToEndMs.p99],
      })),
      marks: [{ y: 50, label: 'target p99 50 ms' }],
    });
    files.memory = lineChart({
      title: 'Resident memory of each service through the end-to-end run',
      xLabel: 'seconds',
      yLabel: 'RSS, MiB',
      series: Object.entries(e2e.memory).map(([name, s]) => ({ name, points: s.points })),
    });
  }
  return files;
}

function markdown(report: BenchReport, images: Record<string, string>): string {
  const ingest = report.phases.ingest?.result as IngestBenchResult | undefined;
  const relay = report.phases.relay?.result as RelayBenchResult | undefined;
  const dispatcher = report.phases.dispatcher?.result as DispatcherBenchResult | undefined;
  const e2e = report.phases.e2e?.result as EndToEndResult | undefined;
  const goals = targets(report);
  const img = (name: string, alt: string) => (images[name] ? `![${alt}](${images[name]})` : '');
  const lines: string[] = [];
  const push = (...more: string[]) => lines.push(...more);
  push(
    `# Exactly benchmark report — ${report.date.slice(0, 16).replace('T', ' ')} UTC (${report.mode} run)`,
    '',
    `Command: \`${report.command}\` · ${fmt(report.durationSeconds)} s${report.aborted ? ' · **stopped at its time budget: phases after the cut are missing**' : ''}.${report.phaseFromAnotherRun ? ` ${report.phaseFromAnotherRun}` : ''}`,
    report.mode === 'quick'
      ? '\n> A quick run checks the tooling with short phases and small samples; its figures are indicative only (the raw consumer baseline in particular needs tens of thousands of records).\n'
      : '',
    '## Machine, versions, noise',
    '',
    `- Machine: ${report.machine.cores} cores (${report.machine.cpuModel}), ${fmt(report.machine.memoryGiB, 1)} GiB, Linux ${report.machine.kernel}${report.machine.idlePolicy ? ` (idle cores: ${report.machine.idlePolicy})` : ''}. Everything — PostgreSQL, Kafka, the services, the load generators, the peers — runs on these cores.`,
    `- Versions: ${Object.entries(report.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}.`,
    `- Noise: other engineers' tests share the machine. 1-minute load average over the run: min ${fmt(report.load?.min, 2)}, mean ${fmt(report.load?.mean, 2)}, max ${fmt(report.load?.max, 2)} (${report.machine.cores} cores; above ${report.machine.cores} means processes were waiting for a core). Per phase (before → after): ${Object.entries(
      report.phases,
    )
      .map(
        ([name, record]) =>
          `${name} ${fmt(record?.loadBefore, 2)} → ${fmt(record?.loadAfter, 2)} (mean ${fmt(record?.loadMean, 2)}, max ${fmt(record?.loadMax, 2)} while it ran)`,
      )
      .join(
        '; ',
      )}. The "other" entry of each CPU table is every process not ours (other engineers' work). Ratios to a baseline measured minutes apart in the same run are steadier than the absolute figures, which moved by up to 2× between runs.`,
    ...measuredWithLines(report.measuredWith),
    '',
    '## Targets',
    '',
    table(
      ['target', 'measured (median, min–max over the rounds)', 'baseline (same run)', 'ratio', 'goal', ''],
      goals.map((t) => [
        t.name,
        t.measured,
        t.baseline,
        t.ratioText ?? x(t.ratio),
        t.goal,
        verdict(t.met, t.outOfReach),
      ]),
    ),
    '',
    ...(goals.some((t) => t.outOfReach)
      ? [
          'A target marked out of reach is one that a floor measured in this run puts beyond any implementation on this machine: the bare work it needs (its rows as SQL, its records through a raw producer, its POSTs answered from memory) already costs more than the goal leaves. The floor and what would lift it are under "What bounds each missed target".',
          '',
        ]
      : []),
  );
  for (const [name, record] of Object.entries(report.phases)) {
    if (record?.skipped) push(`> Phase **${name}** was skipped: ${record.skipped}.`, '');
    if (record?.error)
      push(`> Phase **${name}** failed:`, '', '```', record.error.slice(0, 1_500), '```', '');
  }

  if (ingest) {
    const ceiling = ingest.rawSql.ceilingPerSecond;
    const baseline = ingest.rawSql.onePerTransaction.perSecond;
    push(
      '## Ingest',
      '',
      `Ceiling: the API's writes as raw SQL grouped the way its group commit grouped them in the same round (${ingest.rawSql.ceiling.connections} connections, as \`WRITE_CONCURRENCY\`; mean group ${fmt(ingest.ingest.meanBatchSize, 1)} commands), **${spreadText(ingest.rawSql.ceiling)}/s**. Baseline, not a ceiling: the same transaction one command per transaction on ${ingest.headlineConnections} connections, before (${fmt(ingest.rawSql.onePerTransaction.before.perSecond)}/s) and after (${fmt(ingest.rawSql.onePerTransaction.after.perSecond)}/s), ${fmt(baseline)}/s. ${ingest.rounds} rounds of ${ingest.seconds} s (API, replays, ceiling in turn), median and spread (min–max), ratios taken round by round; ${batchOwnCeiling(ingest.batch) ? `the batch endpoint and its own ceiling (its writes as raw SQL grouped the way the API grouped them, one record per request of 100 commands) ${ingest.batch.spread.rounds.length} rounds of ${ingest.sweepSeconds} s each; the sweep and the peers one round of ${ingest.sweepSeconds} s each` : `the sweep, the batch endpoint and the peers one round of ${ingest.sweepSeconds} s each`}. A new key per request.`,
      '',
      table(
        ['what', 'per second (median, min–max)', 'p50 / p99 ms', 'ratio to the ceiling', 'other ratio'],
        [
          [
            `ingest API, ${ingest.headlineConnections} connections`,
            spreadText(ingest.ingest.spread),
            `${ingest.ingest.p50Ms} / ${ingest.ingest.p99Ms}`,
            spreadText(ingest.ratios.ingestToCeiling, 2, '×'),
            `${x(ingest.ratios.ingestToOnePerTransaction)} of one command per transaction`,
          ],
          [
            'replays (cache on)',
            spreadText(ingest.replays.spread),
            `${ingest.replays.p50Ms} / ${ingest.replays.p99Ms}`,
            x(ratio(ingest.replays.perSecond, ceiling)),
            `${spreadText(ingest.ratios.replaysToIngest, 2, '×')} of ingest`,
          ],
          ...(ingest.replaysWithoutCache
            ? [
                [
                  'replays (cache off, every one reads PostgreSQL; one round)',
                  fmt(ingest.replaysWithoutCache.perSecond),
                  `${ingest.replaysWithoutCache.p50Ms} / ${ingest.replaysWithoutCache.p99Ms}`,
                  x(ratio(ingest.replaysWithoutCache.perSecond, ceiling)),
                  `${x(ingest.ratios.replaysWithoutCacheToIngest)} of ingest`,
                ],
              ]
            : []),
          batchOwnCeiling(ingest.batch)
            ? [
                `batch endpoint, 100 per request, 8 connections (${ingest.batch.spread.rounds.length} rounds)`,
                spreadText(ingest.batch.spread),
                `${ingest.batch.p50Ms} / ${ingest.batch.p99Ms} (per request)`,
                x(ingest.ratios.batchToCeiling),
                `${spreadText(ingest.batch.toCeiling, 2, '×')} of its own ceiling, ${spreadText(ingest.batch.ceiling)}/s`,
              ]
            : [
                'batch endpoint, 100 per request, 8 connections (one round)',
                fmt(ingest.batch.commandsPerSecond),
                `${ingest.batch.p50Ms} / ${ingest.batch.p99Ms} (per request)`,
                x(ingest.ratios.batchToCeiling),
                '',
              ],
          ...ingest.peers.map((peer) => [
            `peer: ${peer.name}, same rows, ${ingest.headlineConnections} connections (one round)`,
            fmt(peer.commandsPerSecond),
            `${peer.p50Ms} / ${peer.p99Ms}`,
            x(ratio(peer.commandsPerSecond, ceiling)),
            `ingest is ${x(peer.ingestToPeer)} the peer`,
          ]),
        ],
      ),
      '',
      `Per round (API / replays / ceiling, group size): ${ingest.roundsDetail.map((r) => `${fmt(r.api)} / ${fmt(r.replays)} / ${fmt(r.grouped)} (${r.groupSize})`).join('; ')}.`,
      '',
      table(
        [
          'connections',
          'ingest API /s',
          'raw SQL 1 per tx /s',
          ...ingest.sweep.peers.map((peer) => `${peer.name} /s`),
          'API ÷ raw 1 per tx',
        ],
        ingest.sweep.api.map((api) => {
          const raw = ingest.sweep.rawSql.find((r) => r.connections === api.connections);
          return [
            api.connections,
            fmt(api.perSecond),
            fmt(raw?.perSecond),
            ...ingest.sweep.peers.map((peer) =>
              fmt(peer.sweep.find((r) => r.connections === api.connections)?.perSecond),
            ),
            x(ratio(api.perSecond, raw?.perSecond)),
          ];
        }),
      ),
      '',
      img('throughput-connections', 'ingest throughput against connections'),
      '',
      'The peers write the same rows (message, event, two outbox rows) with the same SQL. **Textbook Fastify + pg** (`peers/textbookIdempotencyPeer.ts`): one transaction per request, the key and its response inserted into an idempotency table with `INSERT ... ON CONFLICT DO NOTHING` beside the rows, a replay read after a conflict; no group commit, no replay cache. **`@node-idempotency/core`** 1.0 on a minimal Fastify route (`peers/idempotencyPeer.ts`): the library keeps its record in a storage adapter (it ships memory and Redis ones; the bench gives it a one-table PostgreSQL adapter in the same database), so it cannot write the record in the transaction of the work. Each command costs it three commits (record "in progress", the rows, record "complete"); a crash between them leaves the key in progress until its TTL (24 h) and the client can never learn the outcome. Its cache key has no account (the bench puts the account in the path to scope it), and its fingerprint is `JSON.stringify` of the body, so a reordered body is a false mismatch.',
      '',
    );
  }

  if (relay) {
    push(
      '## Relay',
      '',
      `${fmt(relay.throughput.rows)} outbox rows of ~${relay.throughput.recordBytes} bytes committed at once, drained by one relay process (commit to the last record on the topic), beside a raw kafkajs idempotent producer (acks all, one request in flight) sending the same records in batches of ${relay.throughput.batchSize}; rounds alternate.`,
      '',
      table(
        [
          'relay configuration',
          'relay rows/s (median)',
          'raw producer rows/s (median)',
          'ratio (median of the rounds, min–max)',
          'per round',
          'CPU ms per 1,000 rows (relay run)',
        ],
        relay.throughput.runs.map((run) => [
          run.relay,
          fmt(run.medianRelay),
          fmt(run.medianRaw),
          spreadText(run.ratioSpread, 2, '×'),
          run.roundRatios.join(', '),
          cpuLine(run.cpuMsPer1000Rows.relay).replaceAll('%', ''),
        ]),
      ),
      '',
      table(
        ['latency (ms)', 'offered / achieved /s', 'late starts', 'p50', 'p90', 'p99', 'max'],
        relay.latencyMs.map((l) => [
          l.label,
          `${fmt(l.offeredRate)} / ${fmt(l.achievedRate)}`,
          fmt(l.lateStarts),
          fmt(l.p50, 1),
          fmt(l.p90, 1),
          fmt(l.p99, 1),
          fmt(l.max, 1),
        ]),
      ),
      '',
      `Commit → publish p99 at the headline rate over ${relay.latencyP99Spread.rounds.length} rounds: ${spreadText(relay.latencyP99Spread, 1)} ms (the table shows the median round). The relay's latency runs from each row's commit; its writer (a pool of 64 connections) starts a write late when it falls behind, which lowers the achieved rate the row reports and is counted in "late starts". The raw producer's runs from each send's scheduled time, with no cap.`,
      '',
      relay.idleCpuPercentOfOneCore === undefined
        ? ''
        : `Idle relay CPU: ${fmt(relay.idleCpuPercentOfOneCore, 2)}% of one core.`,
      '',
    );
  }

  if (dispatcher?.throughput) {
    const t = dispatcher.throughput;
    push(
      '## Dispatcher',
      '',
      `${fmt(t.commands)} accepted commands on a ${t.partitions}-partition topic, ${t.rounds} rounds. Baseline: a raw kafkajs consumer group reading the same records and doing nothing. The dispatcher (one process, log provider, ${t.partitionsConcurrently} partitions at once) processes each exactly once: inbox, DispatchRequested, effect, the send, ProviderAccepted; checked after every round (one send row, one of each event, no dead letter).`,
      '',
      table(
        ['what', 'commands/s', 'ratio to the raw consumer'],
        [
          ['raw kafkajs consumer (median)', fmt(t.rawConsumerPerSecond), '1×'],
          [
            'dispatcher: sent exactly once (median)',
            fmt(t.dispatcherSentExactlyOncePerSecond),
            x(t.ratio, 3),
          ],
          ...(t.floor
            ? [
                [
                  '**dispatcher ÷ its database floor (the target, ≥ 0.6×), round by round**',
                  '',
                  spreadText(t.ratioToFloor, 2, '×'),
                ],
              ]
            : []),
          [
            'dispatcher: consumer stage only (inbox transaction)',
            fmt(t.dispatcherConsumerStagePerSecond),
            x(ratio(t.dispatcherConsumerStagePerSecond, t.rawConsumerPerSecond), 3),
          ],
          ...(t.floor
            ? [
                [
                  'database floor: the inbox transaction as bare SQL (median)',
                  fmt(t.floor.inboxTransactionPerSecond),
                  `${x(t.floor.inboxTransactionToRaw, 3)} (the consumer stage is ${x(t.floor.dispatcherConsumerStageToFloor, 2)} of it)`,
                ],
                [
                  'database floor: inbox rows only (median)',
                  fmt(t.floor.inboxRowsOnlyPerSecond),
                  x(t.floor.inboxRowsOnlyToRaw, 3),
                ],
                ...(t.floor.sentExactlyOncePerSecond !== undefined && t.ratioToSentFloor
                  ? [
                      [
                        'database floor: sent exactly once, the inbox and the outcome transactions as bare SQL (median)',
                        fmt(t.floor.sentExactlyOncePerSecond),
                        `${x(ratio(t.floor.sentExactlyOncePerSecond, t.rawConsumerPerSecond), 3)} (${spreadText(t.floor.sentExactlyOnceToInboxTransaction, 2, '×')} of the inbox transaction's floor)`,
                      ],
                      [
                        'dispatcher ÷ the floor of everything it writes, round by round',
                        '',
                        spreadText(t.ratioToSentFloor, 2, '×'),
                      ],
                    ]
                  : []),
              ]
            : []),
          ...(dispatcher.peer
            ? [
                [
                  `peer: ${dispatcher.peer.name}, ${fmt(dispatcher.peer.processed)} of ${fmt(dispatcher.peer.commands)} commands${dispatcher.peer.finished ? '' : ` (stopped after ${dispatcher.peer.timeoutSeconds} s)`}${dispatcher.peer.exactlyOnce ? ', exactly once checked' : ''}`,
                  fmt(dispatcher.peer.sentPerSecond),
                  `${x(ratio(dispatcher.peer.sentPerSecond, t.rawConsumerPerSecond), 4)} (the dispatcher is ${x(dispatcher.peerRatio)} the peer)`,
                ],
              ]
            : []),
        ],
      ),
      '',
      t.floor
        ? `The database floor is what PostgreSQL alone can do on this machine, in the same run, for the rows the inbox transaction must write per new command (inbox row, DispatchRequested event, projection update, effect row, the event's outbox row, and the partition's offset): one statement per batch of 1,000 commands, four connections, nothing read from Kafka, nothing decoded, no round trip inside the transaction (\`test/bench/dispatcherFloor.ts\`). No implementation that keeps the issue's guarantees in PostgreSQL gets past it, and it does not yet include the send and its outcome. It is therefore the target's baseline: the dispatcher, sending and recording outcomes too, at ${spreadText(t.ratioToFloor, 2, '×')} of it (target ≥ 0.6×). The raw consumer (${x(t.floor.inboxTransactionToRaw, 3)} of it is the floor) is shown for scale only; "inbox rows only" is the dedup step alone.${t.floor.sentExactlyOnceToInboxTransaction ? ` "Sent exactly once" adds, per batch and in a transaction of its own as the dispatcher commits it, the log provider's outcome: the effect settled (claimed at creation, so no claim statement), the send row, ProviderAccepted, its outbox row and the projection. That is the floor of all the dispatcher writes, and bare SQL reaches ${spreadText(t.floor.sentExactlyOnceToInboxTransaction, 2, '×')} of the target's baseline with it${dispatcherTargetOutOfReach(t.floor.sentExactlyOnceToInboxTransaction) ? ': the 0.6× target is beyond what PostgreSQL alone does here, whatever the dispatcher does' : ''}.` : ''}`
        : '',
      '',
      `Per round (raw / sent / consumer stage): ${t.rounds_detail.map((r) => `${fmt(r.raw)} / ${fmt(r.sent)} / ${fmt(r.consumed)}`).join('; ')}. CPU while the last round's dispatcher worked (percent of one core): ${cpuLine(t.cpuPercent)}.`,
      '',
      dispatcher.peer
        ? `The peer: \`pg-transactional-outbox\` ${report.versions['pg-transactional-outbox'] ?? ''} ${dispatcher.peer.listener === 'replication' ? 'with its logical-replication inbox listener (10 messages handled at once, 10 handler connections), on a scratch PostgreSQL started for it with the same settings plus `wal_level=logical` (the shared server runs `replica`; logical decoding writes somewhat more WAL, so the peer pays for its design there)' : 'with its polling inbox listener, batch size 50, poll every 50 ms, 10 handler connections'}, on ${fmt(dispatcher.peer.commands)} commands (the dispatcher's count per round); a kafkajs receiver stores each partition batch with the library's \`initializeMessageStorage\` in one transaction, then commits offsets; the handler does the dispatcher's work (DispatchRequested, the log provider's send row, ProviderAccepted, the projection, the events' outbox rows) in the inbox row's transaction. What it cannot do: the send runs inside that transaction (a slow provider would hold it open, there is no effect queue and no recovery of an attempt with the same key), and poison or unknown commands are only retried and abandoned, not dead-lettered with a reason. CPU while it worked: ${cpuLine(dispatcher.peer.cpuPercent)}.`
        : '',
      '',
    );
  }

  if (e2e) {
    push(
      '## End to end',
      '',
      'The ingest API, the relay and the dispatcher as real processes (one each) on their own database and topics; the dispatcher sends through its `http` provider to a fake provider (a worker thread of the bench that honours idempotency keys, with no limit on calls at once, so the dispatcher runs with `HTTP_PROVIDER_CONCURRENCY` 256 instead of its default 64: at 64 the provider lane’s slots bounded the sustained phases at about 600 commands/s on this machine, a provider’s limit rather than the pipeline’s). Latency is from the scheduled time of each POST to the provider receiving the command (the first call with its key), recorded in an HdrHistogram; open loop without an in-flight cap: sends follow the schedule whatever the answers do, a send the client could not start on time is counted late, and its wait is in the latency (no coordinated omission).',
      '',
      table(
        [
          'offered / achieved /s',
          'accepted',
          'not delivered',
          'late sends (max in flight)',
          'POST→202 p50 / p99 ms',
          'end to end p50',
          'p95',
          'p99',
          'max',
          'CPU (% of one core)',
        ],
        e2e.latency.map((p) => [
          `${fmt(p.offeredPerSecond ?? p.rate)} / ${fmt(p.achievedPerSecond)} for ${p.seconds} s`,
          fmt(p.accepted),
          fmt(p.notDelivered),
          `${fmt(p.lateSends)} (${fmt(p.maxInFlight)})`,
          `${fmt(p.ingestMs.p50, 1)} / ${fmt(p.ingestMs.p99, 1)}`,
          fmt(p.endToEndMs.p50, 1),
          fmt(p.endToEndMs.p95, 1),
          fmt(p.endToEndMs.p99, 1),
          fmt(p.endToEndMs.max, 1),
          cpuLine(p.cpuPercent),
        ]),
      ),
      '',
      img('e2e-latency-distribution', 'end-to-end latency distribution'),
      '',
      img('e2e-latency-percentiles', 'end-to-end latency percentiles'),
      '',
      table(
        [
          'sustained, exactly once',
          'accepted /s (ingest)',
          'delivered /s during load',
          'end to end /s',
          'ratio to this phase’s SQL ceiling',
          'drain after load',
          'replays',
          'CPU (% of one core)',
        ],
        [e2e.throughput.single, e2e.throughput.batch].map((p) => [
          `${p.endpoint}, ${p.connections} connections, ${p.loadSeconds} s`,
          fmt(p.acceptedPerSecond),
          fmt(p.deliveredPerSecondDuringLoad),
          `${fmt(p.endToEndPerSecond)}${p.allDelivered === false ? ` (${fmt(p.accepted - p.delivered)} of ${fmt(p.accepted)} still on the way when the drain time ran out)` : ''}`,
          x(ratio(p.endToEndPerSecond, e2e.ceiling.median)),
          `${fmt(p.drainSeconds, 1)} s`,
          fmt(p.replays),
          cpuLine(p.cpuPercent),
        ]),
      ),
      '',
      ...(e2e.variant
        ? [
            `Same run, the dispatcher restarted with ${e2e.variant.label} (configuration only: more provider calls at once; since the fix listed under "Applied" below a slot is only held for the call itself), once the earlier phases' commands had arrived (${fmt(e2e.variant.backlogAtStart)} still on the way), then the batch phase again:`,
            '',
            table(
              ['batch endpoint, 100 per request', 'default', e2e.variant.label],
              [
                [
                  'accepted /s (ingest)',
                  fmt(e2e.throughput.batch.acceptedPerSecond),
                  fmt(e2e.variant.batch.acceptedPerSecond),
                ],
                [
                  'delivered /s during load',
                  fmt(e2e.throughput.batch.deliveredPerSecondDuringLoad),
                  fmt(e2e.variant.batch.deliveredPerSecondDuringLoad),
                ],
                [
                  'end to end /s',
                  fmt(e2e.throughput.batch.endToEndPerSecond),
                  fmt(e2e.variant.batch.endToEndPerSecond),
                ],
                [
                  'all delivered within the drain time',
                  String(e2e.throughput.batch.allDelivered),
                  String(e2e.variant.batch.allDelivered),
                ],
                [
                  'CPU (% of one core)',
                  cpuLine(e2e.throughput.batch.cpuPercent),
                  cpuLine(e2e.variant.batch.cpuPercent),
                ],
              ],
            ),
            '',
          ]
        : []),
      ...e2e.latency.flatMap((p) => [
        `Where the time of a command went at ${p.rate}/s (ms, from the rows' own timestamps; same clock):`,
        '',
        table(
          ['stage', 'p50', 'p95', 'p99'],
          Object.entries(p.stages ?? {}).map(([stage, d]) => [
            stage,
            fmt(d.p50, 1),
            fmt(d.p95, 1),
            fmt(d.p99, 1),
          ]),
        ),
        '',
      ]),
      ...(e2e.bareExchange ? bareExchangeLines(e2e.bareExchange) : []),
      '### Memory under load',
      '',
      table(
        [
          'service',
          'RSS at start MiB',
          'max',
          'at end',
          'slope over the second half MiB/min',
          ...e2e.latency.map((p) => `mean at ${p.rate}/s`),
        ],
        Object.entries(e2e.memory).map(([name, m]) => [
          name,
          fmt(m.firstMb, 1),
          fmt(m.maxMb, 1),
          fmt(m.lastMb, 1),
          fmt(slope(m.points.slice(Math.floor(m.points.length / 2))) * 60, 2),
          ...e2e.latency.map((p) => fmt(p.rssMb[name]?.mean, 1)),
        ]),
      ),
      '',
      img('memory', 'resident memory of each service'),
      '',
      'The end-to-end phases raise the load as they go (warm-up, 500/s, 2,000/s, then the closed-loop phases), so RSS grows with the work in flight and the slope mixes load with growth. The flat-memory verdict comes from the soak instead (a steady open-loop rate for 10 minutes, all three services; `npm run bench -- --only soak`, not in the default run).',
      '',
    );
  }

  push(...soakSection(report.phases.soak?.result as SoakResult | undefined));
  push(...whereTheTimeGoes(report, { ingest, relay, dispatcher, e2e }));
  push(
    '## Rerun',
    '',
    '```sh',
    'npm run bench              # the full run, about 35 minutes',
    'npm run bench -- --quick   # about 7 minutes, to check the tooling',
    'npm run bench -- --only soak   # the 10-minute memory soak, about 12 minutes',
    'node test/bench/ingest.ts  # one component alone (also relay.ts, dispatcher.ts, endToEnd.ts; see their headers)',
    '```',
    '',
  );
  return lines.join('\n');
}

function whereTheTimeGoes(report: BenchReport, { ingest, relay, dispatcher, e2e }: PhaseResults): string[] {
  const out: string[] = ['## Where the time goes', ''];
  const missed = targets(report).filter((t) => t.met === false);
  out.push(
    missed.length === 0
      ? 'Every target measured in this run was met.'
      : `Targets missed in this run: ${missed.map((t) => t.name).join('; ')}. The profiles below are of the service processes under the same load (\`node --cpu-prof\`, start-up and shut-down left out), and PostgreSQL's side is read from WAL positions, table counters and sampled \`pg_stat_activity\` (pg_stat_statements is not installed here).`,
    '',
  );
  const bounds = targetBounds(report.machine.cores, { ingest, relay, dispatcher, e2e });
  if (bounds.length > 0)
    out.push(
      '### What bounds each missed target',
      '',
      `Every process's CPU time (user + system, from /proc) over each measured window, per command. On ${report.machine.cores} cores shared by PostgreSQL, Kafka, the services and the load generator, a rate can go no higher than the cores divided by what one command costs all of them, and a ratio between two rates no higher than the inverse ratio of their costs. Processes not ours ("other") are left out of the totals.`,
      '',
      table(
        ['target', 'what bounds it (measured in this run)', 'what would move it'],
        bounds.map((bound) => [bound.target, bound.bound, bound.wouldMove]),
      ),
      '',
    );
  if (dispatcher) {
    out.push('### Dispatcher', '');
    out.push(
      ...postgresSection('PostgreSQL, per command, in a dispatcher round', dispatcher.throughput?.postgres),
    );
    out.push(...profileSection('CPU profile of the dispatcher process', dispatcher.cpuProfile));
    if (dispatcher.peer)
      out.push(
        ...postgresSection(
          'PostgreSQL, per command, for the pg-transactional-outbox peer',
          dispatcher.peer.postgres,
        ),
      );
  }
  if (ingest?.cpuProfile)
    out.push(
      '### Ingest API',
      '',
      ...profileSection('CPU profile of the ingest API at 64 connections', ingest.cpuProfile),
    );
  if (relay?.cpuProfile)
    out.push(
      '### Relay',
      '',
      ...profileSection('CPU profile of the relay draining the outbox', relay.cpuProfile),
    );
  if (e2e) {
    const single = e2e.throughput.single;
    const batch = e2e.throughput.batch;
    out.push(
      '### The pipeline on two cores',
      '',
      `During the sustained single-POST phase the CPU went: ${cpuLine(single.cpuPercent)}; through the batch endpoint: ${cpuLine(batch.cpuPercent)} (percent of one core; the machine has ${report.machine.cores}, shared with other engineers' tests — "other"). The pipeline's throughput is bounded by what every stage costs per command on the same cores, not by one stage's own ceiling: the batch endpoint accepts commands far faster than the dispatcher can send them (accepted ${fmt(batch.acceptedPerSecond)}/s, delivered ${fmt(batch.deliveredPerSecondDuringLoad)}/s while the load ran, then ${fmt(batch.drainSeconds, 1)} s of drain), so end-to-end throughput is the dispatcher's rate when it shares the cores with everything else. The stage tables in "End to end" say where a command's latency goes.`,
      '',
    );
  }
  out.push(...proposals(dispatcher, relay, e2e));
  return out;
}

function measuredWithLines(settings: MeasuredWith | undefined): string[] {
  if (!settings) return [];
  const pg = settings.postgres;
  const k = settings.kafka;
  return [
    `- Measured with: PostgreSQL fsync ${pg.fsync}, synchronous_commit ${pg.synchronous_commit}, wal_level ${pg.wal_level}, full_page_writes ${pg.full_page_writes}, wal_sync_method ${pg.wal_sync_method}, shared_buffers ${pg.shared_buffers}, max_wal_size ${pg.max_wal_size} (\`SHOW\`); Kafka ${k.brokers} broker(s), producers acks ${k.producerAcks}, a new topic's replication factor ${k.topicReplicationFactor} and min.insync.replicas ${k.topicMinInsyncReplicas} (read back), broker ${Object.entries(
      k.broker,
    )
      .map(([name, value]) => `${name} ${value}`)
      .join(', ')}.`,
  ];
}

/** Why the soak runs ten minutes when the issue asks for five (none when it ran five or less). */
function soakLengthText(seconds: number): string {
  if (seconds <= 300) return '';
  return ' Ten minutes by default, not five: the services reach their working size under this load in about four to five minutes (JIT code, pools, caches, the allocator\u2019s arenas), so the second half of a five-minute soak still holds that growth. In the 240 s soaks of 2026-12-07 the slopes over the second half were 0.14 / 0.67 / 1.6 MiB/min on a quiet machine, and 1.36 / 1.99 / 3.4 in the full run of 03:45 under a load average of 7; a 600 s soak of the same code that morning (load average about 2) grew to 187 / 165 / 218 MiB by about 240 s and then held: slopes over its second half \u22120.03 / 0.13 / 0.12 MiB/min, old space flat.';
}

function heapLimitsText(soak: SoakResult): string {
  // Runs before 2026-12-07 recorded only the heap limit, as `heapLimits`.
  const flags = soak.nodeOptions ?? (soak as { heapLimits?: Record<string, string> }).heapLimits;
  if (!flags) return ' The services ran without a JS heap limit.';
  const list = Object.entries(flags)
    .map(([name, value]) => `${name} \`${value}\``)
    .join(', ');
  return ` Each service ran with the V8 flags it is deployed with (\`NODE_OPTIONS\` of \`infra/k8s\`: ${list}; the old space at half the container’s memory). Without a heap limit, V8 sizes the heap from this machine’s 23.5 GiB and puts off full collections: in the run of 2026-12-05 00:32 the ingest API’s RSS climbed 27 MiB/min over the second half while its old space fell back to about 40 MiB at each full collection (sampled from its \`nodejs_heap_space_size_used_bytes\`), a heap not yet collected, not a leak. Without \`--max-semi-space-size\`, V8 grew each service’s young generation to 128 MiB (\`nodejs_heap_space_size_total_bytes{space="new"}\`): in two 240 s soaks of 2026-12-07, RSS at the end was 276 / 228 / 308 MiB (ingest API, relay, dispatcher) with it and 188 / 162 / 214 MiB with 16 MiB, for about the same CPU (14,040 against 13,992 ticks of the three over the same 150 s).`;
}

function soakSection(soak: SoakResult | undefined): string[] {
  if (!soak) return [];
  return [
    '## Memory soak',
    '',
    `The ingest API, the relay and the dispatcher (one each) under a steady open-loop load of ${fmt(soak.offeredPerSecond)} commands/s for ${fmt(soak.seconds)} s (achieved ${fmt(soak.achievedPerSecond)}/s, ${fmt(soak.accepted)} accepted, ${fmt(soak.failed)} failed, ${fmt(soak.lateSends)} late sends; ${fmt(soak.delivered)} delivered, POST → 202 p99 ${fmt(soak.ingestMs.p99, 1)} ms). RSS sampled every second; the slope is the least-squares fit over the second half of the load; flat when |slope| < ${fmt(soak.boundMbPerMinute, 1)} MiB/min.${soakLengthText(soak.seconds)}${heapLimitsText(soak)}`,
    '',
    table(
      ['service', 'RSS first / max / last MiB', 'slope over the second half MiB/min', 'verdict'],
      Object.entries(soak.services).map(([name, m]) => [
        name,
        `${fmt(m.firstMb, 1)} / ${fmt(m.maxMb, 1)} / ${fmt(m.lastMb, 1)}`,
        fmt(m.slopeMbPerMinute, 2),
        m.flat ? '**flat**' : '**growing**',
      ]),
    ),
    '',
    ...liveHeapLines(soak),
  ];
}

function liveHeapLines(soak: SoakResult): string[] {
  if (!soak.liveHeap) return [];
  return [
    `What each process keeps: V8's old space at the first sample (every second, from its \`/metrics\`) after each full collection, with the same fit and bound. A leak makes this grow; garbage not yet collected and heap pages V8 keeps for later do not. The rest of RSS is the heap V8 holds from the system (committed), the memory Buffers hold outside it (external), and the process's code, stacks and allocator.`,
    '',
    table(
      [
        'service',
        'old space after a full collection, first / max / last MiB',
        'full collections during the load',
        'slope over the second half MiB/min',
        'V8 heap committed, first → last MiB',
        'external (Buffers), first → last MiB',
        'verdict',
      ],
      Object.entries(soak.liveHeap).map(([name, heap]) => [
        name,
        `${fmt(heap.firstMb, 1)} / ${fmt(heap.maxMb, 1)} / ${fmt(heap.lastMb, 1)}`,
        fmt(heap.fullCollections),
        heap.samples >= 2 ? fmt(heap.slopeMbPerMinute, 2) : 'n/a',
        heap.heapCommittedMb
          ? `${fmt(heap.heapCommittedMb.first, 1)} → ${fmt(heap.heapCommittedMb.last, 1)}`
          : 'not sampled',
        heap.externalMb
          ? `${fmt(heap.externalMb.first, 1)} → ${fmt(heap.externalMb.last, 1)}`
          : 'not sampled',
        heap.samples < 2
          ? 'too few full collections in the second half to judge'
          : heap.flat
            ? '**flat**'
            : '**growing**',
      ]),
    ),
    '',
  ];
}

/** Concrete changes, with the figures of this run that motivate them. The lead applies them. */
function proposals(
  dispatcher?: DispatcherBenchResult,
  relay?: RelayBenchResult,
  e2e?: EndToEndResult,
): string[] {
  const claimStage = e2e?.latency.find((phase) => phase.rate === 500)?.stages[
    'dispatcher inbox transaction → effect claimed (commit, executor wake-up, claim)'
  ];
  const claimStageText = claimStage
    ? `${fmt(claimStage.p50, 1)} ms at p50 and ${fmt(claimStage.p99, 1)} ms at p99 in this run`
    : 'not measured in this run';
  const view = dispatcher?.throughput?.postgres;
  const floor = dispatcher?.throughput?.floor;
  const writes = view?.rowWritesPerCommand ?? {};
  const w = (table: string, kind: 'inserted' | 'updated' | 'hotUpdated' | 'deleted') =>
    fmt(writes[table]?.[kind], 2);
  const idle = view?.activity.find((entry) => entry.what === '(idle in transaction)')?.sessions;
  const busy = view?.activity
    .filter((entry) => !entry.what.startsWith('('))
    .reduce((sum, entry) => sum + entry.sessions, 0);
  const relayRun =
    relay?.throughput.runs.find((run) => run.relay.startsWith('default')) ?? relay?.throughput.runs[0];
  return [
    '## Applied after an earlier run',
    '',
    "**A write group of the ingest API waits for company while requests come steadily** (`WRITE_LINGER`, 2 ms; `lingerMs` of `NaturalBatcher` in `packages/idempotency/src/naturalBatcher.ts`, 2026-12-07, before the full run of 19:56). At a modest steady rate the group commit's two transactions are rarely both busy, so each request was written alone: measured with the API alone (`node test/bench/requestCostByRate.ts`, 3 rounds alternating an open loop at 500 requests/s with a closed loop at 64 connections), every write held 1.0–1.1 requests at 500/s against 10 in the closed loop, and a request cost the API 0.88 ms and PostgreSQL 0.88 ms of CPU against 0.25 and 0.25 ms. A batch smaller than `WRITE_BATCH_MAX` now waits up to `WRITE_LINGER` from its first request, but only while the mean gap between requests (exponentially weighted) is at most twice the linger, so a request at a quiet time and a full batch leave at once. Two runs each way, alternated: at 500/s groups of 2.2 against 1.1, PostgreSQL 0.84 and 0.86 ms per request against 1.15 and 1.12, the API 0.98 and 0.98 against 1.12 and 1.09; the closed loop's rate within the noise (medians 2,175 and 2,142/s against 2,125 and 2,337), its groups larger (18–20 requests against 10). Again after the full run of 19:56, whose ingest rates were lower than the run before's (the API 2,309/s against 3,247/s, but the raw SQL one command per transaction, which the linger does not touch, 1,795/s against 2,362/s: the machine was slower), two runs each way alternated with the linger off: closed loop 2,959 and 2,855/s against 2,970 and 2,618/s (medians of 3 rounds), PostgreSQL 0.163 and 0.187 ms per request against 0.210 and 0.239; at 500/s groups of 2.0 against 1.0, PostgreSQL 0.60 and 0.60 ms against 0.82 and 0.82, the API 0.77 and 0.72 against 0.85 and 0.87. In the whole pipeline at 500/s it changed nothing the noise does not cover (`BENCH_RATES=500 node test/bench/endToEnd.ts`, four pairs alternated: 3.77–3.94 ms of CPU per command against 3.90–3.95 ms, end-to-end p99 229–352 ms against 285–374 ms): there PostgreSQL is slowed by everything else on the two cores, and its writes already gather several requests each. It is for an API whose database has room, as in a deployment where PostgreSQL has cores of its own. Under a closed loop the linger gathers far more than natural batching does, and leaves a write transaction idle: `requestCostByRate.ts` (which now also reads the write transactions open on average from the API's `exactly_ingest_write_batch_duration_seconds`), two runs each way alternated, 2026-12-07 23:15–23:22, at 64 connections groups of 22.2 and 22.1 requests against 10.2 and 10.2 with the linger off, 1.04 and 1.05 of the 2 write transactions open on average against 1.67 and 1.66, the API 0.27 and 0.27 ms of CPU per request against 0.32 and 0.27, PostgreSQL 0.21 and 0.23 ms against 0.29 and 0.25, at 2,586 and 2,585 requests/s against 2,327 and 2,655/s; at 500/s groups of 2.0 against 1.0, PostgreSQL 0.80 and 0.79 ms against 0.95 and 0.89. The ingest ceiling is grouped the way the API grouped its requests, so with the linger the ingest ratio is set against larger groups (31 in the full run of 22:21, whose ceiling was 9,603/s, against 20.7 and 6,411/s at 19:56) while the API's own rate did not fall.",
    '',
    "**The batch endpoint has a ceiling of its own, and the batch target a floor** (`test/bench/ingest.ts`, `lib/ingestSql.ts`, `pipelineFloor` in `lib/targetBounds.ts`, 2026-12-07, before the full run of 19:56). The batch endpoint was one round of 8 s set against the single-POST ceiling, and the batch target's bound had no floor: the floor's ingest part was the SQL of single POSTs, which a request of 100 commands (one record, one reply) undercuts. The ingest phase now measures the batch endpoint in as many rounds as the headline figures, each beside its own ceiling, its writes as raw SQL grouped the way the API grouped those requests (in a one-round check at 11,360 commands/s: 2 requests of 100 per write, 15,436 commands/s, 0.107 ms of CPU per command against 0.223 ms for the single POSTs' ceiling), and the batch target's floor takes that ceiling's CPU as its ingest part.",
    '',
    "**The webhook consumer passes over a batch without endpoints in one statement, and lingers for larger batches** (`queueEventBatch`, `storeOffsetWhile`, `WEBHOOKS_CONSUMER_LINGER` in `services/dispatcher`, 2026-12-07, before the full run of 14:33). Each partition batch of the message-events topic was a transaction of five round trips (`BEGIN` with its setting, the offset lock, the endpoints read, the offset store, `COMMIT`), also when no account of the batch had an endpoint, as in every phase here: in the stage-cost phase (`node test/bench/stageCosts.ts`, 20 s of load, one run each) 3.3 of the dispatcher's 9.3 round trips per command at 100 commands/s, 0.34 of 1.13 at 500/s. Such a batch now stores its next offset in one statement that checks for endpoints first (never lowering the offset, so a later replay of those records still queues nothing). Alone, that made the consumer fetch more often in smaller batches (2.0 of those statements per command at 100/s, 0.25 at 500/s), so its fetches now wait up to 250 ms for 1 MiB of events (kafkajs `minBytes`): deliveries are queued up to 250 ms later. At 500/s, two runs each way alternated (`WEBHOOKS_CONSUMER_LINGER` 0 against the default): the webhook consumer's statements 0.18 and 0.25 per command against 0.061 and 0.066; the dispatcher's process 0.63 and 0.63 ms per command against 0.60 and 0.59, its PostgreSQL sessions 0.40 and 0.43 against 0.37 and 0.38. At 100/s the dispatcher's own inbox and outcome transactions took smaller batches in the same run (0.85 inbox transactions per command against 0.42), so its total there did not fall: at a low rate a consumer that has less to do fetches more often.",
    "**A write batch of the ingest API is one statement, its own transaction** (`lockInsertAndWrite` in `packages/idempotency/src/idempotencyRecords.ts`, `effectStatements`, 2026-12-07, after the full run of 09:02). A batch sent four round trips (`BEGIN` with the lease, the locks and records, the rows, `COMMIT`); timed inside the API at about 3,100 commands/s they took 1.2–1.4, 1.7–2.2, 2.6–3.1 and 1.7–1.9 ms (7.1–8.6 ms a batch), almost all of it PostgreSQL's execution on the shared cores rather than the API's event loop (whose lag averaged 0.5–1.6 ms). The locks, records, messages, events and outbox rows now go as one statement, with a guard (`idempotency_require_written`, SQLSTATE XI001) that refuses it whole unless every record was written; a refused batch, or one with a scheduled message, takes the transaction as before. Planned on every batch (`force_custom_plan`) the statement cost PostgreSQL 0.29 ms per command against 0.19–0.21 ms for the four statements, so the batches run on `WRITE_CONCURRENCY` connections that keep its plan (`writeSessionSettings`): 0.21 ms, and a batch took 4.7–5.8 ms. Ingest alone (one round of 15 s at 64 connections each) stayed at 3,100–3,240 commands/s against 2,870–3,170/s: PostgreSQL's execution, not the round trips, sets a group's turn. End to end (`node test/bench/endToEnd.ts` at 500/s, then 20 s of each sustained phase; two runs each way, alternated): sustained single POSTs 1,042–1,348/s (median 1,275) against 978–1,298/s (median 1,156), and 1.44–1.89 against 1.51–2.00 ms of CPU per command; the batch endpoint 2,001–2,253 against 1,340–2,102/s; the latencies at 500/s within the noise (end-to-end p99 148–523 against 132–301 ms). The ingest ceiling now sends the same one statement, prepared once per connection (as four statements it was no longer an upper bound): about 7,100 commands/s in a one-round check against about 4,700/s before, which is why the API's ratio to it fell.",

    '**The effect executor claims only when effects may wait in the queue** (`claimFor` in `services/dispatcher/src/effects/createEffectExecutor.ts`, 2026-12-07, after the full run of 09:02). A claim holds every free slot of its provider until it answers, and the loop claimed on every wake-up (each inbox commit, each call that returned): the inbox transactions that reserved room meanwhile found none, and their effects were inserted pending and taken by the next claim, one more update of `effects` each. Counted in the executor over the stage-cost phase at 500 commands/s (14,000 commands): 6,054–6,638 effects queued before (43–47%), 1,692 after (12%); WAL of `effects` 1,706–1,778 → 1,510 bytes per command, of all services 11,007–11,137 → 10,850. A first version that claimed only while a mark stood queued 3% (with `pg_stat_statements`: 90 claims taking 334 effects, against 3,155–5,128 taking 6,112–7,507 before), but could leave effects queued during a claim that cleared the mark until the next sweep; the one applied also claims after every queueing (`claimWanted`). The loop now claims when this process queued effects, when a retry it scheduled comes due (a timer per retry) and at each `EFFECT_POLL_INTERVAL` sweep. In the end-to-end phase (the first version; `node test/bench/endToEnd.ts` at 500/s, one run each way, 10:11 and 10:20, with `HTTP_PROVIDER_CONCURRENCY` 256 as the bench sets it) nothing moved beyond the noise: dispatcher CPU 0.62–0.65 against 0.62–0.69 ms per command, PostgreSQL 1.35–1.57 against 1.40–1.61, end-to-end p99 136–218 against 129–223 ms; the version applied, one run at 10:48 under a load average of 4.5: dispatcher 0.58–0.63 ms per command, end-to-end p99 134–413 ms, the stage from the inbox transaction to the claim of the effect p50 6.6 and p99 28 ms (7.8 and 25.7 before, in one round each). What it saves shows in the rows and WAL above, not yet in a latency or a rate on this machine.',
    '',
    "**The relay's sessions run with sequential scans off too** (`outboxSessionSettings` in `packages/outbox/src/claimOutboxRows.ts`, 2026-12-07, after the full run of 07:00). With bitmap scans off alone (set for the claim) and the statistics of an outbox analysed while empty, PostgreSQL answered each mark (`DELETE FROM outbox WHERE id = ANY(...)` for an acknowledged batch) with a sequential scan of the whole table, the rows deleted since autovacuum's last visit included (autovacuum visits a database at most once a minute). Found with `auto_explain` and `pg_stat_statements` loaded for the measurement only, over the stage-cost phase at 500 commands/s (`BENCH_COSTS_RATE=500 node test/bench/stageCosts.ts`): 145 marks of one 15 s run took over 3 ms, each reading about 2,200 pages; over a 25 s run a mark took 1.66 ms and 1,312 pages on average. With the setting a mark took 0.11 ms, and the relay's PostgreSQL CPU per command was 0.27 and 0.19 ms in two runs against 0.30–0.41 ms in four runs before. `services/relay/src/outboxStore.int.test.ts` reproduces it: 33 rows marked among 20,000 dead ones read 2,000 pages by a sequential scan with bitmap scans off alone, fewer than 200 by an index with both off.",
    '',
    "**The ingest API plans its key look-up once per connection** (`DATABASE_LOOKUP_POOL_SIZE`, `lookupSessionSettings` in `packages/idempotency/src/idempotencyRecords.ts`, 2026-12-07). The services' sessions plan every execution (`force_custom_plan`), and the look-up each request makes was planned for 0.15 ms and executed for 0.02 ms per call (`pg_stat_statements` with `track_planning`, the stage-cost phase at 500 commands/s, about 0.9 look-ups per command). The look-ups of the send routes now run on a pool of their own (4 connections) whose sessions keep a generic plan, with sequential and bitmap scans off so that the plan kept is the primary key's even when it was made on a new database's empty table (`lookupPlan.int.test.ts`: without the guards the kept plan is a sequential scan). 3,000 look-ups in a loop on a quiet machine: 0.19–0.23 ms per call against 0.30–0.34 ms, round trip included. In the stage-cost runs the ingest API's PostgreSQL CPU per command (0.447 ms after, 0.44–0.55 ms in five runs before) did not separate it from the noise: `pg_stat_statements`' times are wall time, waits for a core included.",
    '',
    "**Trace and span ids come from a pooled random buffer** (`services/ingest-api/src/traceparent.ts`, 2026-12-07). Two `randomBytes` calls per request cost about 4 µs together (200,000 in a loop: 3.9–4.1 µs against 0.2 µs pooled); `randomFillSync` was 3.7% of the ingest API's profile at 64 connections in the run of 07:00.",
    '',
    "**The dispatcher's `http` provider calls through undici's `request`, not `fetch`** (`services/dispatcher/src/providers/httpProvider.ts`, a keep-alive pool per provider, 2026-12-07, after the full run of 03:45). 20,000 calls at 32 at a time to a local server cost 320–394 µs of CPU each through the global `fetch` and 84–114 µs through `request` (three rounds each). End to end (`node test/bench/endToEnd.ts`, 500/s for 3 × 30 s, then 30 s of each sustained phase; two runs each way, alternated): the dispatcher's CPU per command 0.65 / 0.63 ms against 0.75 / 0.81 ms at 500/s, 0.33 / 0.59 against 1.00 / 1.07 ms with single POSTs and 0.22 / 0.31 against 0.44 / 0.55 ms through the batch endpoint; sustained 909 / 594 commands/s against 582 / 548/s with single POSTs and 1,709 / 1,327 against 1,148 / 916/s through the batch endpoint; end-to-end p99 at 500/s 273 / 390 ms against 370 / 433 ms.",
    '',
    "**Each service's young generation is bounded** (`--max-semi-space-size=16` beside `--max-old-space-size` in the `NODE_OPTIONS` of every `infra/k8s` service, 2026-12-07, after the full run of 00:18). That soak found RSS growing while old space stayed flat; sampled every 20 s from `/metrics`, each service's `nodejs_heap_space_size_total_bytes{space=\"new\"}` was 128 MiB, against 26–52 MiB of old space: V8 had grown the young generation to its largest (two 64 MiB semi-spaces) under the load. In a container of 384 MiB (the relay's) that and a full old space leave about 60 MiB for everything else. Two 240 s soaks at 500 commands/s, default and bounded: RSS at the end 276 / 228 / 308 MiB against 188 / 162 / 214 MiB (ingest API, relay, dispatcher); slopes over the second half 3.4 / 7.86 / 0.22 against 1.24 / -0.59 / 0.7 MiB/min; the three services' CPU over the same 150 s 14,040 against 13,992 ticks. The soak reads the flags from the manifests (`lib/deployedNodeOptions.ts`).",
    '',
    "**A claim in a backlog starts each shard past the rows in hand** (`ClaimRequest.after` in `packages/outbox/src/claimOutboxRows.ts`, `OutboxRelay`, 2026-12-07, after the full run of 2026-12-06 21:44). Timed inside the relay while it drained 50,000 rows, the claim of the next batch (23–28 ms at the median) took longer than the send it overlaps (12–17 ms), so the relay waited on its claims. `EXPLAIN (ANALYZE, BUFFERS)` of the claim in the middle of a drain: 7–13 ms of execution and 2,300–4,650 buffers for 500 rows, because each shard's index scan visited, and dropped through its `id <> ALL(...)` filter, every row the relay still held (up to two batches, 1,000 rows). In a backlog (the last claim was full) each shard's scan now starts past the highest id the relay holds there, an index range; a claim from the start of every shard at least every 250 ms, and every claim outside a backlog, takes the rows that committed late below them (`relay.int.test.ts`: a row committed late under a 40,000-row backlog is published with more than 5,000 rows still behind it; 58 without those claims). Draining 50,000 rows, four runs of three rounds each way, alternated: PostgreSQL's CPU 25–35 ms per 1,000 rows (median 31) against 33–43 ms (median 41), lower in all four pairs; the relay ÷ the raw producer over the twelve rounds each way, median 0.74× (0.60–0.90) against 0.61× (0.53–0.91).",
    '',
    "**Longer rounds for the relay and the sustained end-to-end phases** (2026-12-07). A relay round drained 50,000 rows in about 3 s, the kind of round the method calls too short to matter; it is now 150,000 rows (about 8 s), after a warm-up round of the same size for the relay and for the raw producer (with 5,000 rows of warm-up the relay's first measured round ran at 0.55–0.85× of its next two in 3 of 4 runs). The sustained end-to-end phases (single POSTs and the batch endpoint) run 30 s per round instead of 20 s.",
    '',
    "**The partition batches of one fetch share one transaction** (`services/dispatcher/src/inbox/groupPartitionBatches.ts`, `processPartitionBatches`, 2026-12-06, after the full run of 12:01). At a modest rate each partition's batch held a few records (about 4 at 450 commands/s over 12 partitions), and a transaction costs PostgreSQL about as much for a few records as for many: its round trips, statements and commit. Measured first by changing nothing but the batch size: with the commands topic at 2 partitions instead of 12 the dispatcher's PostgreSQL CPU per command was 0.71 and 0.72 ms against 0.99 and 0.99 ms (stage-cost phase, 450 commands/s for 20 s, alternated). kafkajs starts the batches of one fetch in the same turn of the event loop; they are now gathered into one transaction (at most `PARTITION_BATCHES_PER_TRANSACTION`, 12, and 1,000 records), with each partition's stored offset locked (in partition order, one statement) and stored, and a result per partition; nothing waits for a batch that has not arrived. A group whose transaction fails is tried again batch by batch, as before. Stage-cost phase, 2 rounds each way alternated (`PARTITION_BATCHES_PER_TRANSACTION=1` against the default): the dispatcher's PostgreSQL CPU per command 0.71 and 0.71 ms against 1.06 and 1.01 ms, its process 0.86 and 0.87 against 1.01 and 0.98 ms, PostgreSQL for all three services 1.70 and 1.72 against 2.06 and 2.05 ms. The full run of 15:32 measured it with a bound of 5,000 records: in the dispatcher phase's burst each partition's batch is large (about 1,400 records), and grouping those lowered the consumer stage from about 6,000 to 4,300–4,600 commands/s (rounds of 80,000 just after, alone against grouped) while sends stayed at 4,300–4,500/s; with the bound at 1,000 such batches go alone again (consumer stage 5,300–6,000/s, sends 4,400–4,700/s against 4,600/s alone), and the batches of a modest rate are far below it (0.73 ms of the dispatcher's PostgreSQL CPU per command at 450/s).",
    "**Each connection parses a statement once** (`packages/persistence/src/preparedStatements.ts`, 2026-12-06, after the full run of 09:22). `pg` sent every statement unnamed, so PostgreSQL parsed, analysed and planned the same text on every execution. Measured with `log_parser_stats`, `log_planner_stats` and `log_executor_stats` over the stage-cost phase (450 commands/s, 15 s): parsing, analysis and rewriting took 2.4 s, planning 2.8 s and execution 16.4 s of PostgreSQL's CPU for the three services' statements. Every pooled connection now names each parameterised statement (the first 256 texts of a process) and PostgreSQL parses it once per connection. Plans are still made per execution (`plan_cache_mode = force_custom_plan` on every session), except in the transactions whose joins are all key lookups and inserts from arrays (the dispatcher's inbox and outcome transactions, the ingest API's group), which allow PostgreSQL to keep them (`auto`); the dispatcher's also turn sequential scans off, since a plan kept from a short `effects` read the whole table per batch once the queue had grown (20,520 rows for 500 outcomes; `keyedBatchPlans.int.test.ts`). Kept everywhere, plans had made the relay slower (its PostgreSQL CPU 0.45 → 0.96–1.15 ms per command): a claim planned once while the outbox was nearly empty scanned the whole table for each of the 32 shards, whatever the backlog (`outboxStore.int.test.ts` reproduces it: 20,000 rows read per claim against 512). The stage-cost phase, 5 rounds each way alternated (`DATABASE_PREPARED_STATEMENTS=0` against the default, 450 commands/s for 20 s): PostgreSQL's CPU per command for the three services 1.80–2.27 ms (median 2.00) against 2.13–2.31 ms (median 2.18), lower in 4 of the 5 pairs; the ingest API's sessions 0.54–0.58 against 0.62–0.67 ms (all 5), the dispatcher's median 1.02 against 1.10 ms; the processes and PostgreSQL together 4.08 against 4.22 ms (medians). A small gain on every command, where the earlier attempt below was not one. The full run of 12:01 measured this before the dispatcher's sequential scans were turned off; the dispatcher alone just after, one round of 80,000 commands: 4,661 sent exactly once per second against a floor of 18,620/s in the same round (0.25×).",
    '',
    "**A group's next transaction starts before the last group's replies are written** (`NaturalBatcher` in `packages/idempotency/src/naturalBatcher.ts`, 2026-12-06, after the full run of 08:00). When a group of the ingest API's group commit finished, its callers' continuations (each building and writing an HTTP reply) ran as microtasks between the first steps of the next group's transaction, so the next BEGIN went out only after the whole group's replies. The batcher now starts the next group first and answers the finished one on the next turn of the event loop. Ingest alone at 64 connections, a new key per request, the two orders alternated in 16 pairs of 15–20 s rounds (one API process each, the same database): the new order was faster in 13 of the pairs, by a median of 1.13× (0.76–1.40); medians 1,363 against 1,233 commands/s, 0.46 against 0.50 ms of the API process and 1.17 against 1.25 ms of CPU in all per command.",
    '',
    '**Effects leave half of each page free** (`Migration20261206000100EffectsFillfactor`, 2026-12-06). An effect is written three times (created, claimed or its call started, its outcome) and neither update can be HOT (`state` and `due_at` are in `effects_due_idx`), so each logged the whole ~580-byte row with its request; a new version on the same page is logged as the bytes that changed. 20,000 effects updated as a claim then an outcome: 855 and 784 bytes of WAL per update on full pages, 327 and 268 at fillfactor 50. In the pipeline (`node test/bench/stageCosts.ts`, 5,000 commands at 200/s through the http provider): effects 2,029 → 1,756 bytes of WAL per command, all tables 11,291 → 11,019.',
    '',
    "**The dispatcher's floor includes the outcome** (`dispatcherFloor.ts`, 2026-12-06). The target's baseline is the inbox transaction's rows as bare SQL; the dispatcher also writes the outcome's (the effect settled, the send row, ProviderAccepted, its outbox row, the projection) in a transaction of its own. Each round now measures that full floor too, so the report shows how much of the baseline bare SQL itself reaches (0.44× and 0.64× in two rounds of 80,000 commands the day it was added, 13,499 and 11,002 commands/s, against the dispatcher's 3,777 and 2,983/s), and the dispatcher's ratio to everything it writes.",
    '',
    `**Effects waiting pending go before new ones claimed at creation** (\`services/dispatcher/src/effects/createEffectExecutor.ts\`, \`effectHandoff.ts\`). The inbox stage gave every new effect a free slot the moment one came free, so under sustained load the effects queued pending (created without room, retries come due, leases run out, another process's queue) waited until the load stopped: in the run of 2026-12-04 22:48 the stage "dispatcher inbox transaction → effect claimed" took 1,193 ms at p50 and 3,641 ms at p99 at 500 commands/s. The handoff now claims nothing of a provider at creation while its queue may hold waiting effects; a claim that finds fewer than it asked for clears that. The stage took 93.9 ms at p50 and 350 ms at p99 in an end-to-end run of its own just after (2026-12-05 00:18), ${claimStageText}.`,
    '',
    "**The dispatcher's costs per command** (2026-12-04, the first three proposals of the run of 2026-11-23): an effect is claimed when it is created, by the executor of the process that inserts it when it has room (inserted `in_flight` with a claim token and a lease, handed over in memory after the commit; recovery unchanged: an expired lease is taken over, same key); the `log` provider's send is written in the transaction that records its outcome (no commit of its own, no write-ahead record: the send and its outcome commit together); no `effect_attempts` row for a first attempt that succeeded (the `ProviderAccepted` event carries it). Measured by the stage-cost phase on the day: 15,264 → 10,971 bytes of WAL per command from ingest to outcome.",
    '',
    "**The relay's claim and mark commit without waiting for the WAL flush** (`synchronous_commit = off` for their own transactions only; the shard leases, which fence the relays, stay synchronous; `services/relay/README.md` says what a PostgreSQL crash can then cost: a re-publish, in order, never a loss). The flush was on the path from a writer's commit to its record: relay commit → publish p99 at 1,000/s was 33.3 ms in the run of 2026-11-23 (see the targets for this run's). `RELAY_PRODUCERS` runs several idempotent producers, each owning a fixed set of shards (default 1: two measured no better on two cores).",
    '',
    '**The bench measures the pipeline, not its limits.** Every phase that sends as one account runs the ingest API with its per-tenant limits off (the run of 2026-12-04 22:48 read ingest and replays at the default `ACCOUNT_RATE_LIMIT` of 1,000/s); the end-to-end phases give the dispatcher 256 provider slots instead of 64, as the fake provider has no limit (at 64 the slots bounded those phases at about 600 commands/s); the soak runs each service with the JS heap limit of its deployment.',
    '',
    '**A provider slot is freed when the call returns, not when its outcome is recorded** (`services/dispatcher/src/effects/createEffectExecutor.ts`). A call used to hold its lane slot (`HTTP_PROVIDER_CONCURRENCY`, 64) until its outcome transaction committed, so under load effects queued behind PostgreSQL: in the run of 2026-11-22 19:13 the stage "dispatcher inbox transaction → effect claimed" took 3,056 ms at p50 and 8,676 ms at p99 at 500 commands/s, and the end-to-end p99 was 10.6 s. Outcomes waiting to be recorded are now bounded on their own (they stop further claims when the database falls behind). In the run of 2026-11-22 20:02 that stage took 54 ms at p50 and 222 ms at p99, and the end-to-end p99 at 500/s was 970 ms (a quieter machine helped too: compare the ratio to ingest alone, 2.9× then, 2× now).',
    '',
    "**The relay's claim walks the outbox index whatever the statistics say** (`outboxSessionSettings` in `services/relay/src/outboxStore.ts`). An outbox is usually empty when autovacuum analyses it; with those statistics, once a backlog of ~15 MB or more builds up, PostgreSQL answered each claim with a bitmap scan of every shard's whole backlog and a sort: 27 ms of PostgreSQL per claim of 500 rows with 20,000 waiting instead of 1.7 ms, so the drain slowed down as the backlog grew. Whether a run hit that plan depended on when the statistics were taken, which is much of why the relay's ratio moved between runs (0.88× at 19:13, 0.54× at 20:02, 0.36–0.61× in reruns at 22:00 with 53 ms of PostgreSQL CPU per 1,000 rows). The relay's sessions now run with `enable_bitmapscan = off`; `outboxStore.int.test.ts` reproduces the trap (20,000 rows scanned per claim without the setting, 512 with it).",
    '',
    "**The relay bench no longer loads the broker it measures.** It polled the topic's offsets every 10 ms while the relay worked, which cost the broker 9–10 ms of CPU per 1,000 rows (the raw producer's rounds were not polled): more than the relay's own sends, on the two cores the relay shares with it. It now waits half the time the rate so far says is left (at most 100 ms, at least 5 ms) between polls, and the rounds are 50,000 rows, three of them, so that the wake-up and the end of a round weigh less.",
    '',
    "**The projection's status updates are HOT** (`Migration20261122000050MessagesHotUpdates`): `messages_account_status_id_idx (account_id, status, id DESC)` is dropped, so a status change no longer writes an entry in every index of `messages`, and the table keeps 30% of each page free (`fillfactor = 70`) for the new versions. Measured alone on 40,000 rows updated twice in statements of 1,000 (22:36): 2.7 s and 733 bytes of WAL per update before, 0.7 s and 164 bytes after (fillfactor 80: 1.3 s). In the dispatcher phase alone (20,000 commands × 2 rounds, twice, 22:43): 6,455–7,522 commands/s sent exactly once against 5,780–6,769/s in runs just before, WAL 7,532 bytes per command against 8,851, and 1.94 of the 2 updates per command HOT. The price: the list route's status filter walks the account's messages newest first and filters, so a rare status in a large account reads more rows than it returns.",
    '',
    "**The dispatcher works every partition of a default topic at once** (`PARTITIONS_CONCURRENTLY` 12, was 4; `DATABASE_POOL_SIZE` 16, was 10). kafkajs fetches from a broker again only when every batch of its last fetch is done, so with 4 slots and 12 partitions holding records a record waited for up to three waves of other partitions' transactions. The end-to-end stage table now splits the hop from the ingest transaction to the inbox transaction at the relay's send (the record's CreateTime, read back from the topic), which showed it: at 500 commands/s (2026-11-23 00:15–00:19, `BENCH_RATES=500`, 15 s) the hop from the relay's send to the inbox transaction went from 163 ms to 56–70 ms at p50 and from 439 ms to 184–196 ms at p99, and the end-to-end p99 from 669 ms to 359–439 ms. In the dispatcher bench (20,000 commands, 2 rounds) the consumer stage went from about 7,000 to 11,400 commands/s.",
    '',
    '**Independent writes of a transaction go in one round trip** (`runStatements` in `packages/persistence/src/sqlStatements.ts`: one statement of data-modifying CTEs). The inbox transaction sends its events, their outbox rows, the projection update, the effects and the stored offset together (10 round trips → 6), the outcome transaction its attempts, events, outbox rows and projection (7 → 5), ingest its events and outbox rows (2 → 1). Dispatcher bench, 20,000 commands × 2 rounds (00:24): 7,986 and 8,591 commands/s sent exactly once against 7,425 and 7,695/s just before.',
    '',
    "**The dispatcher's transactions join by key whatever the statistics say** (`keyedBatchPlans` in `services/dispatcher/src/keyedBatchPlans.ts`). With `effects` and `messages` analysed while their queues were short, the outcome update read every queued effect through `effects_due_idx` for each batch (20,000 rows for 500 outcomes behind a queue of 20,000) and the projection update hash-joined a sequential scan of every message. The inbox and outcome transactions run with hash and merge joins off, and the outcome update is fenced by its claim token alone; `keyedBatchPlans.int.test.ts` shows both traps and 500 rows read per 500 with the settings.",
    '',
    "Tried and dropped (2026-12-07): fewer allocator arenas against the RSS that still grows in the soak. With the young generation bounded, what grows is outside V8's heap and Buffers: RSS less the committed heap and external memory went from 58–62 to 82–108 MiB per service over a 240 s soak at 500/s. `MALLOC_ARENA_MAX=2` (glibc keeps an arena per thread) against the default, one 240 s soak each: that remainder ended at 81.5 / 75.6 / 95.2 MiB against 83.4 / 81.7 / 108.4 MiB (ingest API, relay, dispatcher), and the slopes over the second half were 0.38 / 0.35 / 1.65 against 0.14 / 0.67 / 1.6 MiB/min: no difference the noise does not cover, so the manifests do not set it. A soak long enough to see whether that memory levels off came next: it does, after four to five minutes (see \u201cMemory soak\u201d, which now runs ten).",
    '',
    "Checked and ruled out (2026-12-07): the relay's publisher as the cause of its latency since 2026-12-06. The commit → publish p99 at 1,000 rows/s was 14.8–17.3 ms in the runs of 2026-12-05 and 21.6–64 ms in every run since, and the publisher that retires its producer after failed or internally retried sends (`58a7052`) came between. `relay_producers_retired_total` stayed at 0 through the latency phase, and the publisher of before (`2aa9237`) against today's, three alternated 20 s rounds each, gave p99 39.1 / 59.6 / 28.8 ms against 58.6 / 39.2 / 27.7 ms: no difference the noise does not cover.",
    '',
    'Tried and dropped: claiming two batches ahead of the sender instead of one. With 50,000 rows × 3 rounds per setting (22:10), 0, 1 and 2 batches ahead gave 0.80–0.87× alike, within the noise, so the loop stayed as it was.',
    '',
    'Tried and dropped (2026-12-06): writing a key the ingest API has not seen without looking it up first (the write finds a live record all the same), the database clock carried forward from the last look-up. Ingest alone, 3 rounds of 15 s at 64 connections, against the code as it is: 1,583–2,080 commands/s (0.48–0.80× of the grouped SQL, median 0.50×) against 1,434–1,617/s (0.47–0.70×, median 0.58×), within the noise; and a replay that misses the replay cache (another instance, a restart) then goes through the write path: 1,366/s against 2,687/s with the cache off. The look-up stayed.',
    '',
    "Tried and dropped (2026-12-06), then applied differently (above): named statements with the plans PostgreSQL chooses to keep. With `pg_stat_statements` (`track_planning` on) over the stage-cost phase (5,000 commands at 200/s), planning took about a quarter of PostgreSQL's time in the busiest statements (≈ 4.9 s planning against ≈ 14.2 s executing); the ingest API's key look-up planned for 1,019 ms and executed for 294 ms. Sending every parameterised statement as a named one (parsed and planned once per connection): the relay's claim ran 18.4 ms per call under its generic plan instead of 0.9 ms (the relay's PostgreSQL CPU 0.59 → 1.43 ms per command), and the look-up and the messages read were planned again anyway (PostgreSQL kept choosing custom plans: 4,212 plans for 4,390 calls). Naming only the dispatcher's and the shared write statements: the write statement was planned 550 times in 1,860 calls (333 ms against 832 ms), about 0.1 ms of PostgreSQL per command saved, inside the run-to-run spread (the dispatcher's PostgreSQL CPU per command was 1.95 ms before and 2.13 ms after, in runs whose batches differed). A gain that small did not pay for plans fixed for a connection's life; the version applied keeps plans only in the transactions of key lookups.",
    '',
    "Tried and dropped (2026-12-06): a cheaper replay. Profiled under replays at 64 connections, the API spends 29–42% of its samples writing to the socket (`writeUtf8String`), about 6% in SHA-256 (three per replay: the fingerprint, the key's lock, the API key's hash), 4% in zod and 4% in prom-client. A cached record answered before the in-flight bookkeeping, the lock key computed only for a write and one-shot `crypto.hash` (0.5 µs less per hash) gave the same CPU per replay, rounds alternated with the code as it is: 0.120–0.153 ms against 0.121–0.133 ms of the API process per replay (7,301–9,588 replays/s). The replay's cost is the HTTP exchange.",
    '',
    "**The relay bench's latency writer offers the rate it is asked for** (2026-12-06, after the full run of 21:44). It wrote each row in a transaction of three statements (BEGIN, INSERT, COMMIT) and fell behind: the run of 21:44 offered 1,000 rows/s and achieved 853/s, so the headline p99 was not measured at 1,000/s. It now sends one INSERT in autocommit (one row per transaction still, one round trip). Relay latency alone (5,000 rows, 3 rounds of 20 s at 1,000/s, twice each way, alternated): achieved 684–862 rows/s with 19,705–19,958 of 20,000 writes started late before, 851–1,000/s (four rounds of six at 999.5–1,000) with 232–19,232 late after; p99 24.4–46.8 ms before and 18.5–102.3 ms after, the machine's noise either way.",
    '',
    'Tried and dropped (2026-12-06): more group-commit transactions at once in the ingest API. `WRITE_CONCURRENCY` 3 instead of 2 (ingest alone, 3 rounds of 15 s at 64 connections, alternated twice, the ceiling grouped the same way on as many connections): groups of 8–9 commands instead of 13–14, the API at 1,069–1,939 commands/s against 1,289–1,953/s, and 0.54× and 0.62× of its ceiling against 0.64× and 0.58×. Smaller groups cost more per command, so the default stayed 2.',
    '',
    '## Proposed fixes (not applied yet)',
    '',
    '### Dispatcher (the target it misses by the widest margin)',
    '',
    `Each command costs ${fmt(view?.totalRowWritesPerCommand, 1)} row writes and ${fmt(view?.walBytesPerCommand)} bytes of WAL, in two commits per batch with the log provider (the inbox transaction, the outcome transaction with the send), plus a claim for the effects queued pending; \`messages\` is updated ${w('messages', 'updated')} times per command (${w('messages', 'hotUpdated')} of them HOT) and \`effects\` ${w('effects', 'updated')} times (${w('effects', 'hotUpdated')} HOT): once by its outcome when it was claimed at creation, once more by its claim when it was queued, as most are in this phase's burst (80,000 commands at once fill the executor's 1,000 slots of the log provider). Sampled, the dispatcher's sessions were ${fmt(idle, 2)} sessions "idle in transaction" (a transaction open while the process prepared the next statement or a round trip was under way) against ${fmt(busy, 2)} running a statement: the time goes to round trips and Node-side work inside open transactions, then to PostgreSQL's CPU for index maintenance and WAL.`,
    '',
    floor
      ? `**The raw consumer is no baseline for the dispatcher; the database floor is.** PostgreSQL alone, writing only the rows of the inbox transaction (no Kafka, no decoding, one statement per 1,000 commands), managed ${fmt(floor.inboxTransactionPerSecond)} commands/s in this run, ${x(floor.inboxTransactionToRaw, 3)} of the raw consumer, before any send or outcome. Checked with other shapes on 2026-11-22 at 22:19: 1, 2, 4 or 8 connections and batches of 250 to 5,000 commands all gave 20,000–32,000/s against a raw consumer at 277,000–330,000/s. The dedup step on its own (inbox rows only) would clear the bar (${x(floor.inboxRowsOnlyToRaw, 2)}), but the issue asks for events, the projection and the outbox in the same transaction. The target is therefore set against the floor (≥ 0.6×); the proposals below bring the dispatcher closer to it (its consumer stage is ${x(floor.dispatcherConsumerStageToFloor, 2)} of it); none can lift it past the floor.`
      : '',
    '',
    '1. **Fewer round trips per transaction.** The independent writes already go in one round trip (see "Applied"); what is left is the statements whose results decide the writes: the offset lock and the messages read (one statement, if the read is taken after the lock in the same snapshot), the inbox insert, and in the outcome transaction the fenced effect update and the messages read. One server-side function per transaction, taking the batch as arrays, would make each a single round trip, and shorten the time sessions sit idle in transaction.',
    "2. **Keep `effects` updates HOT-friendly.** `effects_due_idx (provider, due_at) WHERE state IN ('pending', 'in_flight')` is touched by every claim and outcome (`due_at` and `state` change), so neither update is HOT. An index that leaves `due_at` out of the in-flight rows (the lease checked from the row) would let a lease renewal and a claim be HOT; it changes how recovery finds expired leases, so it needs the lease protocol and its model re-checked.",
    '3. **Claim more at creation in a burst.** A backlog like this phase’s fills the executor’s slots, and the rest goes through a claim; handing a batch’s effects to the executor up to its recording queue’s bound, rather than its call slots, would keep most of them to one update, at the price of holding more leases in memory. Raising the call slots alone does not: on 2026-12-06 (18:45, dispatcher bench, one round of 80,000 commands, alternated twice) `LOG_PROVIDER_CONCURRENCY` 4,000 instead of 1,000 left `effects` at 1.95 updates per command against 1.99 (sent 3,896 and 4,584/s against 4,277 and 3,384/s, the machine’s noise). The handoff also gives nothing while the recording queue is full, and once a provider’s effects wait pending it claims none of its new ones at creation until a claim finds its queue drained (so that waiting effects go first), which in a burst does not happen; the change has to hand effects over in the queue’s order, not only give the executor more room.',
    '',
    "**Where the dispatcher's PostgreSQL time goes, statement by statement** (2026-12-06, `pg_stat_statements` with `track_planning` loaded for the measurement only; one round of 80,000 commands, 4,440 sent exactly once per second, floors 20,483/s for the inbox transaction and 13,189/s for everything the dispatcher writes). Of 48.7 s spent in the dispatcher's statements (planning and execution; wall time inside PostgreSQL, so waits for a core are in it too): the inbox transaction's writes in one statement 30% (2,634 B of WAL per command), the outcome's writes 15% (1,539 B), the messages read of the inbox transaction 14%, the fenced outcome update of `effects` 14% (734 B), the claim 11% (413 B; it claimed 79,000 of the 80,000 effects, the burst case proposal 3 is about), the inbox insert 7% (369 B), the outcome's messages read 5%, the log provider's send rows 4% (457 B). Planning was 4% of it: the time goes to executing row writes, spread over every table, not to one statement that could be dropped. Proposal 3 would save the claim's 11% only where the effects waiting in memory are recorded within a lease: a held effect's lease is renewed by an update too, and holding the consumer back instead (the topic as the queue) would stall every provider behind the slowest.",
    '',
    '### WAL per command',
    '',
    '**The outbox writes the most WAL, and most of it repeats what other rows hold.** Read back from the WAL by table (`node test/bench/stageCosts.ts`, 2026-12-06 21:50, 9,000 commands at 450/s: 11,635 B per command, of which full-page images 1 B): outbox 4,249 B (37%), `effects` 2,261 B, `messages` 1,760 B, `message_events` 1,685 B, `idempotency_records` 1,232 B, `inbox` 340 B. A command puts 4 rows through the outbox (its record on the commands topic, 3 on the events topic). Each is inserted with its payload and headers (rows of 656–869 B, of which headers 273 B as jsonb), entered in 2 indexes (`outbox_pkey`, `outbox_unpublished_idx`, 72–74 B each) and deleted once published (54 B): about 1,060 B per row. The 3 event rows carry events that `message_events` already holds. What would move it: publishing the events topic from `message_events` itself (read by `global_position`, with the gaps of transactions still open handled the way a subscription does) would save about 3,200 B per command; leaving the message id and account id out of the stored headers, for the relay to add from the row, 124 B per row (273 → 149 B, measured on 2,000 rows). Both together still leave about 7,900 B: 5,000 B also needs fewer versions of `effects` (created, claimed, settled, none HOT) and of `messages`.',
    '',
    '### Ingest API',
    '',
    'The key look-up\'s planning, proposed here before, is applied (see "Applied"). What bounds the ingest targets is under "What bounds each missed target": a group\'s turn in the API, and the cores at 500/s.',
    '',
    "**Measured: the replays target on this machine, with the code it was set against** (2026-12-07, 22:11–22:21). The issue's 5.06× (replays 16,445/s against ingest 3,251/s, run of 2026-11-23 00:46) was measured on an earlier build of this virtual machine (Linux 6.18.44-fc-v657; this run's is in the machine line), where the runs of 2026-11-22 gave replays 16,445–18,979/s. Commit `18abd30` (2026-11-22 22:48) built in a worktree and run here with its own ingest phase (`BENCH_SECONDS=8 BENCH_CONNECTIONS=64 node test/bench/ingest.ts`: 64 connections cycling 2,000 accepted keys for 8 s), alternated with today's (`BENCH_SECONDS=8 BENCH_ROUNDS=1 BENCH_SWEEP_SECONDS=8 BENCH_CONNECTIONS=64 node test/bench/ingest.ts`, the same load): replays 8,128–9,185/s in five runs of the old code against 8,830 and 8,881/s in two of today's, ingest 2,180–2,466/s against 3,229 and 3,436/s. On this machine the code that met the target gives 3.5–4.1×, and today's answers a replay as fast as it did (0.113–0.114 ms of the API process per replay): the ratio fell because ingest became about 1.4× faster and this machine's HTTP exchanges about half as fast as the earlier build's, not because replays got dearer.",
    '',
    '### Relay',
    '',
    (relayRun?.ratioSpread.median ?? 0) >= 0.8
      ? `Throughput was ${x(relayRun?.ratioSpread.median)} of the raw producer in this run (the median of its rounds; target 0.8, met). What is left between the two is PostgreSQL's claim and delete, which the raw producer does not do, on the same two cores (CPU ms per 1,000 rows in the relay table).`
      : `Throughput was ${x(relayRun?.ratioSpread.median)} of the raw producer in this run (the median of its rounds; target 0.8, missed). The profile above shows the relay process's CPU mostly in kafkajs itself (CRC32C in JavaScript, the murmur2 partitioner, buffer copies), the same work the raw producer does, plus PostgreSQL's claim and delete (CPU ms per 1,000 rows in the relay table) on the same two cores. A second batch in flight gains nothing with this client (kafkajs 2.2.4's idempotent producer holds a lock per broker around each Produce request, \`services/relay/README.md\`), and two producers (\`RELAY_PRODUCERS\`) measured no better on two cores. What would move it: a producer whose checksum and encoding are native (the CPU above), or the relay on cores PostgreSQL does not share.`,
    '',
    '### End-to-end latency',
    '',
    "The stage tables show where each command waits. No single stage dominates: the relay's wake-up and claim, the hop through Kafka to the inbox transaction, the inbox transaction to the effect's claim and the call each take tens to a few hundred milliseconds at p50. What they share is the CPU: at 500 commands/s the processes together keep the two cores busy (the CPU line of that phase), PostgreSQL the largest share, so every stage queues for a core. The p99 target of 50 ms at 500 commands/s needs fewer commits and round trips per command (the proposals above), and on this 2-core machine, where PostgreSQL, Kafka, three services and the load generator share the cores, a machine of its own for PostgreSQL. The open-loop client also falls behind (\"late sends\") whenever the API's answers slow down, because everything shares two cores.",
    '',
    "**Measured: the cores are busy at any rate, because a command costs more the lower the rate** (2026-12-07, after the one-statement write of the ingest API). One end-to-end run at lower rates (`BENCH_RATES=100,250 node test/bench/endToEnd.ts`, 12:29, 20 s each): at 100 commands/s the pipeline took 17.0 ms of CPU per command (PostgreSQL 6.2, dispatcher 3.9, Kafka 2.2, relay 1.9, ingest API 1.7, the bench 1.1), 1.7 of the 2 cores, with end-to-end p50 24.8 and p99 81.2 ms (POST → 202 p99 34.9 ms); at 250/s 7.8 ms per command, 1.94 cores, p50 44.5 and p99 110.5 ms; at 500/s 3.8–3.9 ms, 1.95 cores (the runs above). The stage-cost phase at 100/s counts why: with a command or two per batch every stage pays its statements per command, 21.1 of them (the ingest API 3, the relay 3.9, the dispatcher 14.2: its inbox transaction, the webhook consumer's transaction over the events topic (a `BEGIN`, the offsets locked, `webhook_endpoints` read, the offset stored, `COMMIT`, about one per command even with no endpoint), the call start and the outcome transaction), against 3.7 at 500/s; PostgreSQL's CPU was about 0.3 ms per statement at both rates (6.4 ms per command at 100/s, 1.2–1.3 ms at 500/s). So the cores fill at 100/s already and every hop queues for one; the p99 targets need fewer statements per command when batches are small, not a faster statement. Tried and dropped: letting the broker gather a fetch (kafkajs `minBytes` 1 MiB with `maxWaitTimeInMs` 5 ms for the commands consumer and 50 ms for the webhook consumer), stage-cost phase at 500/s, alternated twice, in the second pair: the dispatcher's PostgreSQL CPU 0.415 against 0.471 ms per command, its process 0.745 against 0.68 ms, all three services 3.27 against 3.13 ms: at 500/s the batches already gather what a few milliseconds would. What would move it: the dispatcher's two transactions per command at batch size one (inbox, outcome) merged where the provider answers within the inbox transaction's batch. The webhook consumer's transaction is gone since, for a batch none of whose accounts has an endpoint, and its fetches linger (see the first entry under \"Applied after an earlier run\").",
    '',
    "**Measured: what one round trip between two processes costs this machine** (2026-12-07, `node test/bench/roundTripCost.ts`, 3 rounds, median and min–max). Two Node processes echoing one byte over loopback TCP: 55 (53–64) µs of CPU for both sides per round trip back to back, 46 (30–58) µs paced by a 1 ms timer (the timer's own cost taken off); node-postgres and its backend on `SELECT 1`: 93 (85–98) µs back to back, 99 (93–114) µs paced. At 500 commands/s the stage-cost phase counts 2.8–3.3 round trips to PostgreSQL per command (all three services), and a command makes at least four other exchanges (its POST, the relay's produce, the consumer's fetch, the provider's call): about 0.5 ms of the 3.9 ms a command costs is the exchanges themselves, the rest the work inside them, PostgreSQL's above all (about 0.3 ms per statement against 0.1 ms for `SELECT 1`). A `perf` profile of PostgreSQL in that phase (cpu-clock, 15 s) is flat: no function above 5% of its samples, 19% in the kernel (task switches 5%, the virtual disk's doorbell 2%), the rest spread over parsing, planning, executing, memory contexts and the catalog caches. So fewer round trips alone cannot bring a command near 1 ms. Tried again the same day: skipping the ingest API's key look-up (0.79–0.89 of its 1.7–1.9 statements per command at 500/s; stage-cost phase, two runs each way, alternated) made its write batches smaller (0.49–0.56 → 0.68 per command) and its NOTIFYs more frequent (0.39–0.45 → 0.56), so its round trips fell by about 0.5 per command, not 0.9, and the three services' CPU stayed within the spread (1.41 and 1.62 ms per command with the look-up, 1.49 and 1.64 without). The look-up stayed (see the entry of 2026-12-06 above).",
    '',
    "**Measured: what a request costs the ingest API at 500/s against full load** (2026-12-07, `node test/bench/requestCostByRate.ts`, the API alone, 3 rounds of 15 s alternating an open loop at 500 requests/s with a closed loop at 64 connections, median and min–max, before `WRITE_LINGER`). The same code and statements: at 500/s the API process took 0.745 (0.680–0.831) ms of user and 0.136 (0.127–0.144) ms of system CPU per request, PostgreSQL 0.877 (0.823–0.947) ms; in the closed loop 0.220 (0.202–0.272), 0.030 (0.026–0.036) and 0.250 (0.225–0.290) ms: the API process 3.54× (3.14–3.56×) as much per request, round by round. Part of it is batching: every write held one request at 500/s against 10.2 in the closed loop (what `WRITE_LINGER` now gathers, see \"Applied\"). The rest is the machine: a `perf` profile of the API process (cpu-clock, 6 s of each load) gives the kernel 204 µs per request paced against 52 µs, mostly waking the process a write is for (`sock_def_readable` under `tcp_sendmsg`) and switching back in after a sleep (`finish_task_switch`), and every user-space function, V8's builtins and the compiled JavaScript alike, about 2.2× slower per request (659 against 298 µs in Node's own code, 213 against 98 µs in compiled JavaScript), most likely because code that runs after a sleep finds the caches cold, PostgreSQL and the load generator having used the cores meanwhile (this virtual machine gives `perf` no hardware counters to show it; `roundTripCost.ts` above, whose code is small, does not slow down paced). So at the end-to-end phase's 500 commands/s each hop costs several times what the throughput phases measure, and the cores fill (see the entry above); what would move it is fewer hops per command, or the hops on cores of their own.",
    '',
    "**Checked and ruled out: how this virtual machine's idle cores wait** (2026-12-07, 21:42–21:59). The machine is a virtual machine whose idle cores halt at once (`cpuidle` governor `haltpoll`, `guest_halt_poll_ns` 0 on the kernel's command line; the report's machine line now states it), so a wake-up of an idle core goes through the host, which would fit a command costing more at 500/s than at full load. Letting an idle core poll for up to 200 µs before it halts (`guest_halt_poll_ns` 200000 in `/sys/module/haltpoll/parameters`, for the measurement only) against 0, `BENCH_RATES=500 BENCH_SECONDS=20 BENCH_THROUGHPUT_SECONDS=10 node test/bench/endToEnd.ts`, two runs each way alternated: at 500/s 3.88 and 3.88 ms of CPU per command against 3.84 and 3.86, end-to-end p99 177 and 160 ms against 127 and 174 ms; sustained single POSTs 1,236 and 1,308/s against 1,333 and 1,244/s, the batch endpoint 2,060 and 2,154/s against 2,138 and 1,955/s. Nothing the noise does not cover: at 500/s the cores were about 92% busy, rarely idle long enough for the way they wait to matter.",
    '',
    "**Measured: what an HTTP exchange costs this machine when its server does nothing** (2026-12-08, 00:20–00:40, a quiet machine; now the control under \"End to end\", `lib/bareExchange.ts`). At 100 commands/s the pipeline still takes 18.6 ms of CPU per command (`BENCH_RATES=100 BENCH_SECONDS=60 node test/bench/endToEnd.ts`: PostgreSQL 6.8, dispatcher 3.6, ingest API 2.6, relay 2.3, Kafka 2.1, the bench 1.2), so the question was how much of a hop's cost is the machine's and how much the pipeline's. A Fastify route that parses the body and answers a constant 202 (`peers/bareRoute.ts`), the bench's own clients: 1.20 ms of CPU per exchange for server and client paced at 100/s, 0.58 ms at 500/s, 0.23 ms at 2,000/s, 0.074 ms back to back (23,608/s), the server's part 0.41, 0.22, 0.09 and 0.033 ms. The ingest API answering a replay from memory, paced the same way (the API alone): 0.78–1.08 ms of its process per request at 100/s, 0.26 ms at 500/s, 0.118 ms back to back. So the machine charges a process that sleeps between requests several times what the same code costs back to back, with no database and none of the pipeline's code in the way; `roundTripCost.ts`'s one-byte echo, whose code is small, does not slow down paced, which leaves the cold caches a large program finds after a sleep (this virtual machine gives `perf` no hardware counters to show it). Not the idle policy: with the halting idle state switched off (`/sys/devices/system/cpu/cpu*/cpuidle/state1/disable` = 1, the cores polling when idle, for the measurement only) the API alone at 100/s took 2.36 ms per new command and 1.07 ms per replay against 2.17 and 1.08 ms with it, and 1.08 against 0.83 ms per new command at 500/s. What it means for the 500/s targets: a command's two HTTP exchanges (its POST, the provider's call) take about a quarter of the 4 ms of CPU per command the two cores have at that rate before any of its work, and every other hop pays the same toll; what would move it is fewer processes woken per command, or the hops on cores of their own, not faster code inside them.",
    '',
  ];
}

/** Writes the JSON, the Markdown and the SVGs; returns the paths written. */
export function writeReport(report: BenchReport, dir: string, { latest }: { latest: boolean }): string[] {
  const written: string[] = [];
  const write = (path: string, text: string) => {
    writeFileSync(path, text);
    written.push(path);
  };
  write(join(dir, `${report.stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const svgs = charts(report);
  const names: Record<string, string> = {};
  for (const [name, svg] of Object.entries(svgs)) {
    names[name] = `${report.stamp}-${name}.svg`;
    write(join(dir, names[name]), svg);
  }
  const relative = (prefix: string) =>
    Object.fromEntries(Object.entries(names).map(([k, v]) => [k, `${prefix}${v}`]));
  write(join(dir, `${report.stamp}.md`), markdown(report, relative('./')));
  if (latest) write(join(dir, '..', 'REPORT.md'), markdown(report, relative('results/')));
  return written;
}
