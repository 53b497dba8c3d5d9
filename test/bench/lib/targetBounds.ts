// What bounds each missed target on this machine, from the CPU every process used per command in
// the same run (lib/processes.ts cpuMeter): PostgreSQL, Kafka, the services and the load generator
// share the cores, so a figure can go no higher than the cores divided by what one command costs
// all of them, and a ratio between two figures no higher than the inverse ratio of their costs.

import type { DispatcherBenchResult } from '../dispatcher.ts';
import type { EndToEndResult } from '../endToEnd.ts';
import type { IngestBenchResult } from '../ingest.ts';
import type { RelayBenchResult } from '../relay.ts';
import type { CpuPerUnit } from './processes.ts';
import { round } from './stats.ts';

export interface TargetBound {
  target: string;
  /** What the run measured that caps the figure. */
  bound: string;
  /** What would lift the cap. */
  wouldMove: string;
}

/** Units per second the cores allow at most when one unit costs `msPerUnit` of CPU in all. */
export function cpuCeiling(cores: number, msPerUnit: number): number {
  return msPerUnit > 0 ? (cores * 1_000) / msPerUnit : Number.POSITIVE_INFINITY;
}

/**
 * The most a ratio `rate(a) / rate(b)` can be when both are bound by the same cores: the
 * inverse ratio of their CPU per unit.
 */
export function cpuBoundRatio(aMsPerUnit: number, bMsPerUnit: number): number {
  return aMsPerUnit > 0 ? bMsPerUnit / aMsPerUnit : Number.POSITIVE_INFINITY;
}

/** The CPU per unit a rate needs at most on `cores` cores. */
export function cpuBudget(cores: number, perSecond: number): number {
  return (cores * 1_000) / perSecond;
}

const names: Record<string, string> = {
  bench: 'the load generator and fake provider (bench)',
  postgres: 'PostgreSQL',
  kafka: 'Kafka',
};

/** "2.61 ms (PostgreSQL 1.1, dispatcher 0.56, …)": ours, largest first; `other` left out. */
export function cpuText(cpu: CpuPerUnit, label: Record<string, string> = names): string {
  const parts = Object.entries(cpu)
    .filter(([program, ms]) => program !== 'total' && program !== 'other' && ms >= 0.005)
    .sort((a, b) => b[1] - a[1])
    .map(([program, ms]) => `${label[program] ?? program} ${ms.toFixed(ms < 0.1 ? 3 : 2)}`);
  return `${cpu.total.toFixed(2)} ms (${parts.join(', ')})`;
}

const perSecond = (value: number) => `${Math.round(value).toLocaleString('en-US')}/s`;
const times = (value: number) => `${value.toFixed(2)}×`;

/**
 * One row per target this run missed and measured the CPU of; targets met, or measured by an
 * older run without CPU per command, are left out.
 */
export function targetBounds(
  cores: number,
  {
    ingest,
    relay,
    dispatcher,
    e2e,
  }: {
    ingest?: IngestBenchResult;
    relay?: RelayBenchResult;
    dispatcher?: DispatcherBenchResult;
    e2e?: EndToEndResult;
  },
): TargetBound[] {
  const rows: TargetBound[] = [];
  const ingestCpu = ingest?.cpuMsPerCommand;
  if (ingest && ingestCpu?.api && ingestCpu.ceiling && ingest.ratios.ingestToCeiling.median < 0.9) {
    const api = ingestCpu.api;
    const sql = ingestCpu.ceiling;
    const needed = sql.total / 0.9;
    rows.push({
      target: 'ingest vs raw SQL grouped like the API (≥ 0.9×)',
      bound: `CPU per command: the API's rounds ${cpuText(api, { ...names, bench: 'load generator (bench)' })}; the grouped SQL ${cpuText(sql, { ...names, bench: 'its SQL client (bench)' })}. With the cores busy, that allows ${perSecond(cpuCeiling(cores, api.total))} to the API and ${perSecond(cpuCeiling(cores, sql.total))} to the SQL: at most ${times(cpuBoundRatio(api.total, sql.total))} (measured ${times(ingest.ratios.ingestToCeiling.median)}).`,
      wouldMove: `0.9× needs the API's rounds at ≤ ${needed.toFixed(2)} ms per command: HTTP, authentication, validation and the replay record in the API process (${(api['ingest-api'] ?? 0).toFixed(2)} ms) and the HTTP client (${(api.bench ?? 0).toFixed(2)} ms), which the SQL does not pay; or the load generator on a machine of its own.`,
    });
  }
  if (ingest && ingestCpu?.api && ingestCpu.replays && ingest.ratios.replaysToIngest.median < 5) {
    const api = ingestCpu.api;
    const replay = ingestCpu.replays;
    rows.push({
      target: 'replays vs ingest (≥ 5×)',
      bound: `A replay costs ${cpuText(replay, { ...names, bench: 'load generator (bench)' })} of CPU, a new command ${api.total.toFixed(2)} ms: at most ${times(cpuBoundRatio(replay.total, api.total))} (measured ${times(ingest.ratios.replaysToIngest.median)}). A replay is an HTTP round trip answered from memory, so the ratio is the share of a new command's cost that is not HTTP: it falls whenever ingest gets cheaper.`,
      wouldMove: `5× needs a replay at ≤ ${(api.total / 5).toFixed(2)} ms against today's new command: a cheaper HTTP exchange on both sides (the load generator's share is ${(replay.bench ?? 0).toFixed(2)} ms), not anything in the idempotency path.`,
    });
  }
  const relayRun = relay?.throughput.runs.find((run) => run.relay.startsWith('default'));
  if (relayRun?.cpuMsPer1000Rows && relayRun.ratioSpread.median < 0.8) {
    // Measured per 1,000 rows without `other`: ms per row is the same figure / 1,000.
    const perRow = (cpu: Record<string, number>) =>
      ({
        ...Object.fromEntries(Object.entries(cpu).map(([program, ms]) => [program, ms / 1_000])),
        total: Object.values(cpu).reduce((sum, ms) => sum + ms, 0) / 1_000,
      }) as CpuPerUnit;
    const published = perRow(relayRun.cpuMsPer1000Rows.relay);
    const raw = perRow(relayRun.cpuMsPer1000Rows.raw);
    rows.push({
      target: 'relay vs raw kafkajs idempotent producer (≥ 0.8×)',
      bound: `CPU per 1,000 rows: the relay's rounds ${(published.total * 1_000).toFixed(1)} ms (${Object.entries(
        relayRun.cpuMsPer1000Rows.relay,
      )
        .sort((a, b) => b[1] - a[1])
        .map(
          ([program, ms]) =>
            `${program === 'bench' ? 'the bench (reading the topic)' : (names[program] ?? program)} ${ms.toFixed(1)}`,
        )
        .join(
          ', ',
        )}), the raw producer's ${(raw.total * 1_000).toFixed(1)} ms: at most ${times(cpuBoundRatio(published.total, raw.total))} by CPU alone (measured ${times(relayRun.ratioSpread.median)}). The relay does the producer's work (kafkajs encoding and checksums in JavaScript) plus the claim and its delete in PostgreSQL.`,
      wouldMove: `0.8× needs ≤ ${((raw.total * 1_000) / 0.8).toFixed(1)} ms per 1,000 rows: a producer with native encoding (the relay process's own share is ${(relayRun.cpuMsPer1000Rows.relay.relay ?? 0).toFixed(1)} ms) or a cheaper claim and delete in PostgreSQL (${(relayRun.cpuMsPer1000Rows.relay.postgres ?? 0).toFixed(1)} ms).`,
    });
  }
  const at500 = e2e?.latency.find((phase) => phase.rate === 500);
  if (
    at500?.cpuMsPerCommand &&
    (at500.spread.ingestP99.median >= 20 || at500.spread.endToEndP99.median >= 50)
  ) {
    const cpu = at500.cpuMsPerCommand;
    const busy = Object.values(at500.cpuPercent).reduce((sum, percent) => sum + percent, 0) / cores;
    const ours = (cpu.total * at500.offeredPerSecond) / (cores * 10);
    rows.push({
      target: 'ingest POST → 202 p99 (< 20 ms) and end to end p99 (< 50 ms) at 500/s',
      bound: `At 500 commands/s a command cost ${cpuText(cpu)} of CPU: ${Math.round(ours)}% of the ${cores} cores for the pipeline and its load, ${Math.round(busy)}% busy with everything on the machine. With the cores that busy, every hop (the group commit, the relay's claim, the consumer's fetch, the inbox transaction, the effect's claim, the call) waits for a core; the stage table under "End to end" shows the wait spread over all of them.`,
      wouldMove: `Less CPU per command (at ≤ ${round(cpuBudget(cores, 500) / 4, 2)} ms the cores would be a quarter busy at 500/s), or PostgreSQL (${(cpu.postgres ?? 0).toFixed(2)} ms of it) on cores of its own.`,
    });
  }
  const sustained = [
    {
      phase: e2e?.throughput.single,
      goal: 2_000,
      name: 'end to end sustained, one command per request (≥ 2,000/s)',
    },
    { phase: e2e?.throughput.batch, goal: 4_000, name: 'end to end sustained, batch endpoint (≥ 4,000/s)' },
  ];
  for (const { phase, goal, name } of sustained) {
    if (!phase?.cpuMsPerCommand || phase.spread.median >= goal) continue;
    const cpu = phase.cpuMsPerCommand;
    rows.push({
      target: name,
      bound: `A command cost ${cpuText(cpu)} of CPU from its POST to its delivery: the cores allow at most ${perSecond(cpuCeiling(cores, cpu.total))} (measured ${perSecond(phase.endToEndPerSecond)} in this round).`,
      wouldMove: `${perSecond(goal)} needs ≤ ${cpuBudget(cores, goal).toFixed(2)} ms per command for everything on this machine (${times(cpu.total / cpuBudget(cores, goal))} less), or more cores: PostgreSQL's share alone is ${(cpu.postgres ?? 0).toFixed(2)} ms.`,
    });
  }
  const postgres = dispatcher?.throughput?.postgres;
  const wal = e2e?.wal.bytesPerCommand.median;
  if (postgres && wal !== undefined && wal > 5_000 && postgres.totalRowWritesPerCommand > 0) {
    const perWrite = postgres.walBytesPerCommand / postgres.totalRowWritesPerCommand;
    const largest = Object.entries(postgres.rowWritesPerCommand)
      .map(([table, w]) => ({ table, writes: w.inserted + w.updated + w.deleted, updated: w.updated }))
      .sort((a, b) => b.writes - a.writes)
      .slice(0, 2)
      .map(
        ({ table, writes, updated }) => `${table} ${round(writes, 2)} (${round(updated, 2)} of them updates)`,
      );
    rows.push({
      target: 'WAL bytes per command, ingest to outcome (≤ 5,000 B)',
      bound: `WAL follows the row writes: the dispatcher's rounds wrote ${Math.round(postgres.walBytesPerCommand).toLocaleString('en-US')} B per command for ${round(postgres.totalRowWritesPerCommand, 2)} row writes (${Math.round(perWrite)} B each, its indexes and commit records included; table by table under "Dispatcher"), and the whole pipeline ${Math.round(wal).toLocaleString('en-US')} B.`,
      wouldMove: `At ${Math.round(perWrite)} B per row write, 5,000 B allows about ${Math.floor(5_000 / perWrite)} row writes per command for all three services: fewer rows and row versions (the largest in the dispatcher: ${largest.join(', ')}) or fewer indexes on them.`,
    });
  }
  const dispatcherCpu = dispatcher?.throughput?.cpuMsPerCommand;
  if (
    dispatcher?.throughput &&
    dispatcherCpu?.dispatcher &&
    dispatcherCpu.floor &&
    dispatcher.throughput.ratioToFloor.median < 0.6
  ) {
    const work = dispatcherCpu.dispatcher;
    const floor = dispatcherCpu.floor;
    rows.push({
      target: 'dispatcher vs its database floor (≥ 0.6×)',
      bound: `CPU per command: the dispatcher's rounds ${cpuText(work)}; the floor's bare SQL ${cpuText(floor, { ...names, bench: 'its SQL client (bench)' })}. At most ${times(cpuBoundRatio(work.total, floor.total))} by CPU alone (measured ${times(dispatcher.throughput.ratioToFloor.median)}); the floor writes the inbox transaction's rows only, the dispatcher also decodes, sends, and records the outcome.`,
      wouldMove: `0.6× needs ≤ ${(floor.total / 0.6).toFixed(2)} ms per command: PostgreSQL's share (${(work.postgres ?? 0).toFixed(2)} ms against the floor's ${(floor.postgres ?? 0).toFixed(2)}) is the larger part, so fewer statements and row versions per command (proposals below).`,
    });
  }
  return rows;
}
