// What bounds each missed target on this machine, from the CPU every process used per command in
// the same run (lib/processes.ts cpuMeter): PostgreSQL, Kafka, the services and the load generator
// share the cores, so a figure can go no higher than the cores divided by what one command costs
// all of them, and a ratio between two figures no higher than the inverse ratio of their costs.

import type { DispatcherBenchResult } from '../dispatcher.ts';
import type { EndToEndResult } from '../endToEnd.ts';
import type { IngestBenchResult } from '../ingest.ts';
import type { RelayBenchResult } from '../relay.ts';
import { outboxRowsPerCommand } from './ingestSql.ts';
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
const coresText = (value: number) => value.toFixed(2);

/** Single-threaded programs: one JavaScript thread each, so about one core at most. */
const eventLoops = new Set(['ingest-api', 'relay', 'dispatcher', 'bench']);

/** One side of a measured figure: its rate and what each program spent per unit of it. */
export interface MeasuredSide {
  label: string;
  perSecond: number;
  cpu: CpuPerUnit;
  /** How the report names `bench` on this side (the load generator, an SQL client...). */
  bench?: string;
  /** Units the CPU is shown per (1,000 for rows), default 1. */
  shownPer?: number;
}

/**
 * What held a side back: all cores busy (`cores`), one program's JavaScript thread busy
 * (`event loop`), or neither, so it waited (commits, round trips, wake-ups).
 */
export function limitOf(
  cores: number,
  side: MeasuredSide,
): { kind: 'cores' | 'event loop' | 'waiting'; coresBusy: number; program?: string; programCores?: number } {
  const coresBusy = (side.perSecond * (side.cpu.total + (side.cpu.other ?? 0))) / 1_000;
  const [program, ms] = Object.entries(side.cpu)
    .filter(([name]) => eventLoops.has(name))
    .sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
  const programCores = (side.perSecond * ms) / 1_000;
  if (coresBusy >= 0.9 * cores) return { kind: 'cores', coresBusy };
  if (programCores >= 0.9) return { kind: 'event loop', coresBusy, program, programCores };
  return { kind: 'waiting', coresBusy, program, programCores };
}

function sideText(cores: number, side: MeasuredSide, unit: string): string {
  const limit = limitOf(cores, side);
  const held =
    limit.kind === 'cores'
      ? 'the cores were the limit'
      : limit.kind === 'event loop'
        ? `its ${limit.program} process was the limit (${coresText(limit.programCores ?? 0)} cores for one process whose JavaScript runs on one thread)`
        : `neither the cores nor one process were the limit: it waited (commits, round trips, wake-ups)`;
  const shownPer = side.shownPer ?? 1;
  const shown = Object.fromEntries(
    Object.entries(side.cpu).map(([program, ms]) => [program, ms * shownPer]),
  ) as CpuPerUnit;
  return `${side.label}: ${perSecond(side.perSecond)} at ${cpuText(shown, { ...names, bench: side.bench ?? names.bench ?? 'bench' })} per ${shownPer === 1 ? unit : `${shownPer.toLocaleString('en-US')} ${unit}s`}, ${coresText(limit.coresBusy)} of the ${cores} cores busy, so ${held}`;
}

/** The bound of a ratio `a / b`: each side's cost and limit, and the ratio their costs alone give. */
function ratioText(
  cores: number,
  a: MeasuredSide,
  b: MeasuredSide,
  measured: number,
  unit = 'command',
): string {
  return `${sideText(cores, a, unit)}. ${sideText(cores, b, unit)}. If both were CPU-bound the ratio would be ${times(cpuBoundRatio(a.cpu.total, b.cpu.total))} (measured ${times(measured)}).`;
}

/** The results of the phases a run measured (a phase left out by `--only` is absent). */
export interface PhaseResults {
  ingest?: IngestBenchResult;
  relay?: RelayBenchResult;
  dispatcher?: DispatcherBenchResult;
  e2e?: EndToEndResult;
}

/** CPU ms per command of one stage's bare work, and what did it. */
export interface FloorPart {
  stage: string;
  ms: number;
}

/** What one command costs the whole pipeline as bare work on this machine, and the rate it allows. */
export interface PipelineFloor {
  parts: FloorPart[];
  msPerCommand: number;
  /** The most commands per second the cores allow at that cost. */
  perSecond: number;
}

/** The CPU of the programs that did a floor's work; services measured idle beside it are left out. */
const floorMs = (cpu: Record<string, number>, programs: readonly string[]) =>
  programs.reduce((sum, program) => sum + (cpu[program] ?? 0), 0);

/**
 * What a POST costs at the least: a replay of the ingest phase, an HTTP exchange the API answers
 * from memory (the API process and the load generator; nothing of it reaches PostgreSQL). A new
 * command's POST parses, authenticates and fingerprints the same request and writes a reply of
 * about the same size, and does more besides, so no API spends less on it.
 */
export function postExchangeMs(ingest: IngestBenchResult | undefined): number | undefined {
  const replays = ingest?.cpuMsPerCommand?.replays;
  return replays ? floorMs(replays, ['ingest-api', 'bench']) : undefined;
}

/** The most an API can accept on these cores, and its share of the ingest ceiling. */
export interface IngestFloor {
  /** CPU ms per command: the POST answered from memory, and PostgreSQL's part of the grouped writes. */
  postMs: number;
  postgresMs: number;
  perSecond: number;
  ratioToCeiling: number;
}

/**
 * The ingest ceiling is raw SQL, with no HTTP; an API pays for its POSTs on the same cores. With
 * the cheapest POST this run measured and PostgreSQL's CPU for the ceiling's writes, the cores
 * allow any API at most `perSecond`, before it validates a command, looks its key up or waits on
 * a commit. Undefined when the run did not measure the CPU of replays or of the ceiling.
 */
export function ingestFloor(cores: number, ingest: IngestBenchResult | undefined): IngestFloor | undefined {
  const postMs = postExchangeMs(ingest);
  const ceiling = ingest?.cpuMsPerCommand?.ceiling;
  if (!ingest || postMs === undefined || !ceiling) return undefined;
  const postgresMs = floorMs(ceiling, ['postgres']);
  const perSecond = cpuCeiling(cores, postMs + postgresMs);
  return { postMs, postgresMs, perSecond, ratioToCeiling: perSecond / ingest.rawSql.ceilingPerSecond };
}

/**
 * The floor of a command from its POST to its send, from this run's other phases: its POST
 * answered from memory (single POSTs only: a batch request's share per command was not measured),
 * the ingest API's writes as SQL grouped like the API groups them (single POSTs, or with `batch`
 * the batch endpoint's requests of 100 commands), its outbox rows and the dispatcher's through a
 * raw kafkajs producer, and everything the dispatcher writes as bare SQL. Reading the commands
 * topic, validating and storing the command beyond those rows, the look-up of each key and the
 * provider's call are left out (and the raw producer's batches of 500 and the floor's of 1,000
 * cost less per row than a pipeline's under a steady load), so the rate is an upper bound for any
 * implementation that keeps these rows and records on these cores. Undefined when a phase it
 * needs was not measured.
 */
export function pipelineFloor(
  cores: number,
  { ingest, relay, dispatcher }: Omit<PhaseResults, 'e2e'>,
  { batch = false }: { batch?: boolean } = {},
): PipelineFloor | undefined {
  const ingestSql = batch ? ingest?.cpuMsPerCommand?.batchCeiling : ingest?.cpuMsPerCommand?.ceiling;
  const rawProducer = relay?.throughput.runs.find((run) => run.relay.startsWith('default'))?.cpuMsPer1000Rows
    ?.raw;
  const dispatcherSql = dispatcher?.throughput?.cpuMsPerCommand?.sentFloor;
  const dispatcherOutbox = dispatcher?.throughput?.postgres?.rowWritesPerCommand.outbox?.inserted;
  if (!ingestSql || !rawProducer || !dispatcherSql || dispatcherOutbox === undefined) return undefined;
  const rows = outboxRowsPerCommand + dispatcherOutbox;
  const post = batch ? undefined : postExchangeMs(ingest);
  const parts: FloorPart[] = [
    ...(post === undefined ? [] : [{ stage: 'its POST answered from memory (a replay)', ms: post }]),
    {
      stage: batch ? "the batch endpoint's writes as grouped SQL" : 'the ingest writes as grouped SQL',
      ms: floorMs(ingestSql, ['postgres', 'bench']),
    },
    {
      stage: `its ${round(rows, 2)} outbox rows through a raw kafkajs producer`,
      ms: (floorMs(rawProducer, ['bench', 'kafka']) / 1_000) * rows,
    },
    {
      stage: 'everything the dispatcher writes as bare SQL',
      ms: floorMs(dispatcherSql, ['postgres', 'bench']),
    },
  ];
  const msPerCommand = parts.reduce((sum, part) => sum + part.ms, 0);
  return { parts, msPerCommand, perSecond: cpuCeiling(cores, msPerCommand) };
}

/** What an HTTP exchange whose server does nothing cost at `rate` (paced) and in a closed loop. */
export interface IdleExchange {
  rate: number;
  /** CPU ms per exchange, server and client, paced at `rate`. */
  pacedMs: number;
  /** The same in a closed loop. */
  closedLoopMs: number;
  /** Exchanges per second the closed loop reached, and its server's CPU ms per exchange. */
  closedLoopPerSecond: number;
  closedLoopServerMs: number;
}

/** The e2e phase's control at `rate` (lib/bareExchange.ts); undefined for runs without it. */
export function idleExchange(e2e: EndToEndResult | undefined, rate: number): IdleExchange | undefined {
  const control = e2e?.bareExchange;
  const paced = control?.paced.find((cost) => cost.rate === rate);
  if (!control || !paced) return undefined;
  return {
    rate,
    pacedMs: paced.totalMs,
    closedLoopMs: control.closedLoop.totalMs,
    closedLoopPerSecond: control.closedLoop.perSecond,
    closedLoopServerMs: control.closedLoop.serverMs,
  };
}

/**
 * The dispatcher's target (≥ 0.6× of the inbox transaction's floor) leaves out the outcome's rows:
 * when bare SQL of everything it writes stays under 0.6× of that floor in every round, no
 * dispatcher can reach it on this machine.
 */
export function dispatcherTargetOutOfReach(fullFloorShare: { max: number } | undefined): boolean {
  return fullFloorShare !== undefined && fullFloorShare.max < 0.6;
}

/**
 * The control's verdict on the 500/s latencies: what the machine charges per HTTP exchange at that
 * rate, before any work, against the same exchange back to back. A command makes at least two:
 * its POST and the provider's call.
 */
function idleExchangeText(exchange: IdleExchange | undefined, cores: number): string {
  if (!exchange) return '';
  const two = 2 * exchange.pacedMs;
  return ` The machine charges for every hop before any work: an HTTP exchange whose server does nothing (a Fastify route answering a constant 202, the same client, this phase) cost ${exchange.pacedMs.toFixed(2)} ms of CPU, server and client, paced at ${exchange.rate}/s, ${times(exchange.pacedMs / exchange.closedLoopMs)} its ${exchange.closedLoopMs.toFixed(3)} ms back to back. A command makes at least two HTTP exchanges (its POST, the provider's call): ${two.toFixed(2)} ms of the ${cpuBudget(cores, exchange.rate).toFixed(2)} ms per command the cores have at ${exchange.rate}/s, before its rows, its records and its other hops.`;
}

/**
 * The fastest a Fastify API answers a POST here, against the replay rate 5× of ingest needs and
 * what the API process spends on a replay beyond the route.
 */
function bareRouteText(exchange: IdleExchange | undefined, needed: number, replayApiMs: number): string {
  if (!exchange) return '';
  const share = needed / exchange.closedLoopPerSecond;
  const route = ` A Fastify route that does nothing (the control under "End to end", the same load generator at 64 connections) answered ${perSecond(exchange.closedLoopPerSecond)} at ${exchange.closedLoopServerMs.toFixed(3)} ms of its process per exchange: 5× of ingest, ${perSecond(needed)}, is ${times(share)} of it`;
  return share >= 1
    ? `${route}, beyond what HTTP on this stack answers on this machine.`
    : `${route}. What stands between is the replay's own work in the API process, ${(replayApiMs - exchange.closedLoopServerMs).toFixed(3)} ms per replay beyond the route's.`;
}

/**
 * One row per target this run missed and measured the CPU of; targets met, or measured by an
 * older run without CPU per command, are left out.
 */
export function targetBounds(cores: number, { ingest, relay, dispatcher, e2e }: PhaseResults): TargetBound[] {
  const rows: TargetBound[] = [];
  const ingestCpu = ingest?.cpuMsPerCommand;
  const apiSide: MeasuredSide | undefined =
    ingest && ingestCpu?.api
      ? {
          label: "The API's rounds",
          perSecond: ingest.ingest.commandsPerSecond,
          cpu: ingestCpu.api,
          bench: 'load generator (bench)',
        }
      : undefined;
  if (ingest && apiSide && ingestCpu?.ceiling && ingest.ratios.ingestToCeiling.median < 0.9) {
    const sql: MeasuredSide = {
      label: 'The grouped SQL',
      perSecond: ingest.rawSql.ceilingPerSecond,
      cpu: ingestCpu.ceiling,
      bench: 'its SQL client (bench)',
    };
    const connections = ingest.rawSql.ceiling.connections;
    const group = ingest.ingest.meanBatchSize;
    // Each of `connections` transactions carries a group: a group's turn is connections × group / rate.
    const turn = (rate: number) => (connections * group * 1_000) / rate;
    const floor = ingestFloor(cores, ingest);
    const beyondFloor = floor !== undefined && floor.ratioToCeiling < 0.9;
    const floorText = floor
      ? ` The ceiling's client sends SQL, not HTTP. A POST answered from memory (a replay, this phase) cost ${floor.postMs.toFixed(3)} ms (the API process and the load generator); with PostgreSQL's ${floor.postgresMs.toFixed(3)} ms for the grouped writes, the cores allow any API at most ${perSecond(floor.perSecond)}, ${times(floor.ratioToCeiling)} of the ceiling, before it validates a command, looks its key up or waits on a commit.`
      : '';
    const shorterTurn = `less time between one group's commit and the next group's first statement (requests reaching the queue, the event loop's other work: the API process spent ${(apiSide.cpu['ingest-api'] ?? 0).toFixed(2)} ms per command)`;
    rows.push({
      target: 'ingest vs raw SQL grouped like the API (≥ 0.9×)',
      bound: `${ratioText(cores, apiSide, sql, ingest.ratios.ingestToCeiling.median)} With ${connections} transactions at a time and groups of ${round(group, 1)}, a group's turn took ${turn(apiSide.perSecond).toFixed(1)} ms in the API against ${turn(sql.perSecond).toFixed(1)} ms as bare SQL (the same one statement per group, prepared once per connection).${floorText}`,
      wouldMove: beyondFloor
        ? `Out of reach on these ${cores} cores whatever the API does: 0.9× of the ceiling is ${perSecond(0.9 * sql.perSecond)}, more than the cores allow once each command is a POST. The API and PostgreSQL on cores of their own, away from the load generator, would lift that bound; closer to it, ${shorterTurn}.`
        : `0.9× needs a group's turn in the API at ≤ ${(turn(sql.perSecond) / 0.9).toFixed(1)} ms: ${shorterTurn}, or more transactions at a time (\`WRITE_CONCURRENCY\`, which the ceiling would then get too).`,
    });
  }
  if (ingest && apiSide && ingestCpu?.replays && ingest.ratios.replaysToIngest.median < 5) {
    const replays: MeasuredSide = {
      label: 'Replays',
      perSecond: ingest.replays.perSecond,
      cpu: ingestCpu.replays,
      bench: 'load generator (bench)',
    };
    const route = idleExchange(e2e, 500);
    rows.push({
      target: 'replays vs ingest (≥ 5×)',
      bound: `${ratioText(cores, replays, apiSide, ingest.ratios.replaysToIngest.median)} A replay is an HTTP exchange answered from memory; a new command waits for its group's commit.${bareRouteText(route, apiSide.perSecond * 5, replays.cpu['ingest-api'] ?? 0)}`,
      wouldMove: `5× needs replays at ${perSecond(apiSide.perSecond * 5)} against today's ingest: ≤ ${(1_000 / (apiSide.perSecond * 5)).toFixed(3)} ms of the API process per replay if one process serves them (${(replays.cpu['ingest-api'] ?? 0).toFixed(3)} ms now${route ? `, of which a route that does nothing takes ${route.closedLoopServerMs.toFixed(3)} ms` : ''}), or the API on more than one core; and the ratio falls whenever ingest gets cheaper.`,
    });
  }
  const relayRun = relay?.throughput.runs.find((run) => run.relay.startsWith('default'));
  if (relayRun?.cpuMsPer1000Rows && relayRun.ratioSpread.median < 0.8) {
    // Measured per 1,000 rows (processes not ours left out): per row is the same / 1,000.
    const perRow = (cpu: Record<string, number>) =>
      ({
        ...Object.fromEntries(Object.entries(cpu).map(([program, ms]) => [program, ms / 1_000])),
        total: Object.values(cpu).reduce((sum, ms) => sum + ms, 0) / 1_000,
      }) as CpuPerUnit;
    const published: MeasuredSide = {
      label: "The relay's rounds",
      perSecond: relayRun.medianRelay,
      cpu: perRow(relayRun.cpuMsPer1000Rows.relay),
      bench: 'the bench (reading the topic)',
      shownPer: 1_000,
    };
    const raw: MeasuredSide = {
      label: 'The raw producer',
      perSecond: relayRun.medianRaw,
      cpu: perRow(relayRun.cpuMsPer1000Rows.raw),
      bench: 'the raw producer (bench)',
      shownPer: 1_000,
    };
    rows.push({
      target: 'relay vs raw kafkajs idempotent producer (≥ 0.8×)',
      bound: `${ratioText(cores, published, raw, relayRun.ratioSpread.median, 'row')} The relay sends what it claimed, one Produce request at a time per broker (kafkajs's idempotent producer), with the claim of the next batch and the delete of the last in PostgreSQL beside it.`,
      wouldMove: `With the cores not the limit, 0.8× needs less waiting per batch: more than one Produce request in flight (this client holds a lock per broker around each), or a producer with native encoding (the relay process's own ${(relayRun.cpuMsPer1000Rows.relay.relay ?? 0).toFixed(1)} ms per 1,000 rows).`,
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
      bound: `At 500 commands/s a command cost ${cpuText(cpu)} of CPU: ${Math.round(ours)}% of the ${cores} cores for the pipeline and its load, ${Math.round(busy)}% busy with everything on the machine. With the cores that busy, every hop (the group commit, the relay's claim, the consumer's fetch, the inbox transaction, the effect's claim, the call) waits for a core; the stage table under "End to end" shows the wait spread over all of them.${idleExchangeText(idleExchange(e2e, 500), cores)}`,
      wouldMove: `Less CPU per command (at ≤ ${round(cpuBudget(cores, 500) / 4, 2)} ms the cores would be a quarter busy at 500/s), or PostgreSQL (${(cpu.postgres ?? 0).toFixed(2)} ms of it) on cores of its own.`,
    });
  }
  const sustained = [
    {
      phase: e2e?.throughput.single,
      goal: 2_000,
      name: 'end to end sustained, one command per request (≥ 2,000/s)',
      grouped: false,
    },
    {
      phase: e2e?.throughput.batch,
      goal: 4_000,
      name: 'end to end sustained, batch endpoint (≥ 4,000/s)',
      grouped: true,
    },
  ];
  for (const { phase, goal, name, grouped } of sustained) {
    if (!phase?.cpuMsPerCommand || phase.spread.median >= goal) continue;
    const cpu = phase.cpuMsPerCommand;
    const floor = pipelineFloor(cores, { ingest, relay, dispatcher }, { batch: grouped });
    const floorApplies = floor !== undefined;
    const beyondFloor = floorApplies && goal > floor.perSecond;
    const floorText = floorApplies
      ? ` The floor of that work on this machine, from this run's other phases: ${floor.parts.map((part) => `${part.stage} ${part.ms.toFixed(2)} ms`).join(', ')}; ${floor.msPerCommand.toFixed(2)} ms per command, so at most ${perSecond(floor.perSecond)} for any implementation that keeps these rows and records (${grouped ? 'HTTP, ' : ''}reading the commands topic, validating the command, the look-up of its key and the provider's call left out, so an upper bound).`
      : '';
    rows.push({
      target: name,
      bound: `${sideText(cores, { label: 'This round', perSecond: phase.endToEndPerSecond, cpu }, 'command from its POST to its delivery')}. At that cost the cores allow at most ${perSecond(cpuCeiling(cores, cpu.total))}.${floorText}`,
      wouldMove: beyondFloor
        ? `Out of reach on these ${cores} cores whatever the services do: ${perSecond(goal)} needs ≤ ${cpuBudget(cores, goal).toFixed(2)} ms per command for everything, less than the bare work's ${floor.msPerCommand.toFixed(2)} ms. More cores (PostgreSQL on its own: its share is ${(cpu.postgres ?? 0).toFixed(2)} ms now), or fewer rows and records per command.`
        : `${perSecond(goal)} needs ≤ ${cpuBudget(cores, goal).toFixed(2)} ms per command for everything on this machine (${times(cpu.total / cpuBudget(cores, goal))} less), or more cores: PostgreSQL's share alone is ${(cpu.postgres ?? 0).toFixed(2)} ms.${floorApplies ? ` Over the bare work that leaves ${(cpuBudget(cores, goal) - floor.msPerCommand).toFixed(2)} ms per command for ${grouped ? 'HTTP, ' : ''}JSON, the topic reads, the provider's call and the services' own statements and round trips (${(cpu.total - floor.msPerCommand).toFixed(2)} ms now).` : ''}`,
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
    const kinds = e2e?.wal.byKind;
    const bytes = (value: number) => `${Math.round(value).toLocaleString('en-US')} B`;
    const kindsText =
      kinds === undefined
        ? ''
        : ` Read back from the WAL (the median single-POST round, ${bytes(kinds.total)} per command): rows inserted ${bytes(kinds.rowsInserted)} (each row's first version with its content), index entries ${bytes(kinds.indexEntries)}, row updates ${bytes(kinds.rowsUpdated)}, deletes ${bytes(kinds.rowsDeleted)}, commit records ${bytes(kinds.transactions)}, the rest ${bytes(kinds.other)}${
            // Results written before the field existed lack it.
            kinds.fullPageImages === undefined
              ? ''
              : `; of all these, full-page images (a page's first change after a checkpoint) ${bytes(kinds.fullPageImages)}`
          }.`;
    const rowsAlone = kinds !== undefined && kinds.rowsInserted > 5_000;
    rows.push({
      target: 'WAL bytes per command, ingest to outcome (≤ 5,000 B)',
      bound: `WAL follows the row writes: the dispatcher's rounds wrote ${Math.round(postgres.walBytesPerCommand).toLocaleString('en-US')} B per command for ${round(postgres.totalRowWritesPerCommand, 2)} row writes (${Math.round(perWrite)} B each, its indexes and commit records included; table by table under "Dispatcher"), and the whole pipeline ${Math.round(wal).toLocaleString('en-US')} B.${kindsText}`,
      wouldMove: rowsAlone
        ? `Out of reach with the rows the pipeline keeps: inserting each of them once, with no index entry, update, delete or commit record, already takes ${bytes(kinds.rowsInserted)} per command. 5,000 B needs fewer or smaller rows (the records' payloads and headers copied into the outbox, the events, the stored reply), not fewer writes of them; the writes beyond the inserts (${bytes(kinds.total - kinds.rowsInserted)} now) are the part the services can still cut: fewer row versions (the largest in the dispatcher: ${largest.join(', ')}) and fewer indexes.`
        : `At ${Math.round(perWrite)} B per row write, 5,000 B allows about ${Math.floor(5_000 / perWrite)} row writes per command for all three services: fewer rows and row versions (the largest in the dispatcher: ${largest.join(', ')}) or fewer indexes on them.${kinds === undefined ? '' : ` The rows' first versions alone take ${bytes(kinds.rowsInserted)}, which leaves ${bytes(5_000 - kinds.rowsInserted)} for everything else (${bytes(kinds.total - kinds.rowsInserted)} now).`}`,
    });
  }
  const dispatcherCpu = dispatcher?.throughput?.cpuMsPerCommand;
  if (
    dispatcher?.throughput &&
    dispatcherCpu?.dispatcher &&
    dispatcherCpu.floor &&
    dispatcher.throughput.ratioToFloor.median < 0.6
  ) {
    const work: MeasuredSide = {
      label: "The dispatcher's rounds",
      perSecond: dispatcher.throughput.dispatcherSentExactlyOncePerSecond,
      cpu: dispatcherCpu.dispatcher,
    };
    const floor: MeasuredSide = {
      label: "The floor's bare SQL",
      perSecond: dispatcher.throughput.floor.inboxTransactionPerSecond,
      cpu: dispatcherCpu.floor,
      bench: 'its SQL client (bench)',
    };
    const { sentExactlyOncePerSecond, sentExactlyOnceToInboxTransaction: bareShare } =
      dispatcher.throughput.floor;
    const towardFull = dispatcher.throughput.ratioToSentFloor;
    const outOfReach = dispatcherTargetOutOfReach(bareShare);
    const fullFloor =
      sentExactlyOncePerSecond !== undefined && bareShare !== undefined && towardFull !== undefined
        ? ` Everything the dispatcher writes per command (the inbox transaction's rows and, in a transaction of its own, the outcome's: the effect settled, the send row, ProviderAccepted, its outbox row, the projection) as bare SQL: ${sentExactlyOncePerSecond.toLocaleString('en-US')}/s, ${bareShare.median}× (${bareShare.min}–${bareShare.max}) of the target's baseline${outOfReach ? ', so 0.6× of it is beyond PostgreSQL alone on this machine, whatever the dispatcher does' : ''}; the dispatcher is ${towardFull.median}× (${towardFull.min}–${towardFull.max}) of that full floor.`
        : '';
    rows.push({
      target: 'dispatcher vs its database floor (≥ 0.6×)',
      bound: `${ratioText(cores, work, floor, dispatcher.throughput.ratioToFloor.median)} The floor writes the inbox transaction's rows only; the dispatcher also decodes, sends, and records the outcome.${fullFloor}`,
      wouldMove: outOfReach
        ? `Nothing in the dispatcher can reach 0.6× of a baseline that leaves out half its rows: the target as set is out of reach here. Toward its full floor (${towardFull?.median}× now): fewer statements, round trips and row versions per command (proposals below); past it, fewer rows per command or PostgreSQL on cores of its own.`
        : `0.6× needs the dispatcher at ≤ ${(floor.cpu.total / 0.6).toFixed(2)} ms per command if both stay CPU-bound: PostgreSQL's share (${(work.cpu.postgres ?? 0).toFixed(2)} ms against the floor's ${(floor.cpu.postgres ?? 0).toFixed(2)}) is the larger part, so fewer statements and row versions per command (proposals below).`,
    });
  }
  return rows;
}
