// What one command costs at each stage, under a steady load: the figures docs/scaling.md sizes
// PostgreSQL, dispatchers and partitions from. `node test/bench/stageCosts.ts` (build first;
// PostgreSQL and Kafka running; DATABASE_URL and KAFKA_BROKERS as for the other phases).
//
// The ingest API, a relay and a dispatcher run as real processes on a database and topics of their
// own; the dispatcher sends through its `http` provider to a fake provider (a worker thread here).
// Each service reaches PostgreSQL through a proxy of its own that reads the wire protocol
// (lib/postgresWireMeter.ts), so every figure is per stage:
//
// - CPU seconds of the service's process and of its PostgreSQL sessions (/proc), per command;
// - WAL its sessions wrote (pg_stat_get_backend_wal); the database's WAL read back from the WAL by
//   table (pg_walinspect); and the server's pg_current_wal_lsn() delta, which on a shared server
//   includes everyone else's writes;
// - round trips, transactions, bytes and every statement executed, per command;
// - Kafka records and payload bytes per command, per topic.
//
// Order: warm-up, settle, an idle window (what each stage costs per second doing nothing), then
// the load (open loop, a new key per POST), its drain until every command reached the provider
// and nothing is left in the outbox or the effects queue, and 11 s more for PostgreSQL to flush
// its per-session counters. CPU seconds are robust to a shared machine; latencies are not shown.
//
// Variables: BENCH_COSTS_RATE (commands/s, 200), BENCH_COSTS_SECONDS (25), BENCH_COSTS_IDLE_SECONDS
// (10), BENCH_COSTS_DRAIN_SECONDS (longest wait for the pipeline to settle, 120), BENCH_COSTS_PROXY
// (0: the services connect directly, and round trips and statements are not counted),
// BENCH_DISPATCHER_ENV (extra dispatcher variables as JSON). Flags: --json (JSON instead of
// tables), --from <file> (no run: the tables of a JSON result written before).

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Pipeline } from '@exactly/testkit';
import pg from 'pg';
import { type BackendCosts, backendMeter } from './lib/backendMeter.ts';
import { createBenchAccount, createBenchDatabase, kafkaBrokers, log } from './lib/environment.ts';
import { startFakeProvider } from './lib/fakeProvider.ts';
import { body } from './lib/ingestSql.ts';
import { httpClient, paced } from './lib/load.ts';
import { PostgresWireMeter, type WireCounts, wireDelta } from './lib/postgresWireMeter.ts';
import { cpuMeter, cpuSeconds } from './lib/processes.ts';
import { round } from './lib/stats.ts';
import { type TopicVolume, topicVolume } from './lib/topicVolume.ts';
import { type WalShare, walByTable } from './lib/walByTable.ts';
import { withoutTenantLimits } from './lib/withoutTenantLimits.ts';

const stages = ['ingest-api', 'relay', 'dispatcher'] as const;
type Stage = (typeof stages)[number];
const flushSeconds = 11;

export interface StageCostsOptions {
  rate: number;
  seconds: number;
  idleSeconds: number;
  warmupSeconds?: number;
  /** Longest wait for the pipeline to settle after the load. */
  drainSeconds?: number;
  dispatcherEnv?: Record<string, string>;
  /**
   * false: the services reach PostgreSQL directly (no round trips or statements counted), to see
   * what the proxy's extra hop changes in the other figures.
   */
  proxy?: boolean;
}

export interface StageWindow {
  seconds: number;
  stages: Record<Stage, { processCpuSeconds: number; postgres: BackendCosts; wire: WireCounts }>;
  /** Other sessions of the database (autovacuum). */
  otherPostgres: Record<string, BackendCosts>;
  serverWalBytes: number;
  fromLsn: string;
  toLsn: string;
  /** Share of one core per program over the window, machine-wide (`other`: not ours). */
  machineCpuPercent: Record<string, number>;
}

export interface StageCostsResult {
  rate: number;
  seconds: number;
  /** Whether the services went through the wire meters (round trips and statements counted). */
  proxied: boolean;
  commands: number;
  failed: number;
  cores: number;
  loadAverage: number[];
  idle: StageWindow;
  load: StageWindow;
  walByTable: WalShare[];
  topics: TopicVolume[];
}

export async function runStageCostsBench(options: StageCostsOptions): Promise<StageCostsResult> {
  const database = await createBenchDatabase('costs');
  const provider = await startFakeProvider();
  const server = new URL(database.url);
  const meters = Object.fromEntries(
    await Promise.all(
      stages.map(async (stage) => [
        stage,
        await new PostgresWireMeter({ host: server.hostname, port: Number(server.port || 5432) }).listen(),
      ]),
    ),
  ) as Record<Stage, PostgresWireMeter>;
  const proxied = options.proxy ?? true;
  // PGAPPNAME (read by node-postgres) names each stage's sessions in pg_stat_activity.
  const connection = (stage: Stage): Record<string, string> => ({
    PGAPPNAME: `bench-costs-${stage}`,
    ...(proxied ? { DATABASE_URL: meters[stage].url(database.url) } : {}),
  });
  const pipeline = new Pipeline({
    databaseUrl: database.url,
    kafkaBrokers: kafkaBrokers(),
    prefix: 'bench-costs',
    runId: randomUUID().slice(0, 8),
    providerUrl: provider.url,
    env: {
      ingest: { ...connection('ingest-api'), ...withoutTenantLimits },
      relay: connection('relay'),
      dispatcher: { ...connection('dispatcher'), ...options.dispatcherEnv },
    },
    readyTimeoutMs: 90_000,
  });
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  const http = { current: undefined as ReturnType<typeof httpClient> | undefined };
  try {
    const { accountId, apiKey } = await createBenchAccount(database.url, 'stage-costs');
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };

    await pipeline.start();
    const client = httpClient(pipeline.ingest.url);
    http.current = client;
    const pids: Record<Stage, number | undefined> = {
      'ingest-api': pipeline.ingest.process.pid,
      relay: pipeline.relays[0]?.process.pid,
      dispatcher: pipeline.dispatchers[0]?.process.pid,
    };
    const databaseName = server.pathname.slice(1);
    const backends = backendMeter(admin, databaseName, ({ clientPort, applicationName }) =>
      stages.find(
        (stage) =>
          applicationName === `bench-costs-${stage}` ||
          (clientPort !== null && meters[stage].serverSidePorts.has(clientPort)),
      ),
    );

    let accepted = 0;
    const load = async (rate: number, seconds: number) => {
      let ok = 0;
      let failed = 0;
      await paced(rate, seconds, async (i) => {
        const answer = await client.post(
          '/v1/messages',
          { ...headers, 'idempotency-key': `costs-${i}-${randomUUID()}` },
          body,
        );
        if (answer.status === 202) ok += 1;
        else failed += 1;
      });
      accepted += ok;
      return { ok, failed };
    };
    /** Every accepted command at the provider, the outbox published, no effect pending or in flight. */
    const settle = async () => {
      const deadline = performance.now() + (options.drainSeconds ?? 120) * 1_000;
      while (performance.now() < deadline) {
        const { keys } = await provider.count(accountId);
        const [open] = (
          await admin.query<{ unpublished: string; effects: string }>(
            `SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL) AS unpublished,
                    (SELECT count(*) FROM effects WHERE state IN ('pending', 'in_flight')) AS effects`,
          )
        ).rows;
        if (keys >= accepted && Number(open?.unpublished) === 0 && Number(open?.effects) === 0) return;
        await sleep(200);
      }
      throw new Error(`the pipeline did not settle within ${options.drainSeconds ?? 120} s`);
    };
    const slot = `bench_costs_${randomUUID().slice(0, 8)}`;
    const lsn = async () =>
      (await admin.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]?.lsn ?? '0/0';
    const window = async (work: () => Promise<void>): Promise<StageWindow> => {
      const machine = cpuMeter();
      const started = performance.now();
      // Keeps the window's WAL until it is read back (a checkpoint would recycle it); a temporary
      // slot ends with this session, so a crashed run holds no WAL back.
      await admin.query(
        'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
        [slot],
      );
      await admin.query('SELECT pg_create_physical_replication_slot($1, true, true)', [slot]);
      const fromLsn = await lsn();
      const wireBefore = Object.fromEntries(stages.map((stage) => [stage, meters[stage].snapshot()]));
      const cpuBefore = Object.fromEntries(stages.map((stage) => [stage, cpuSeconds(pids[stage] as number)]));
      await backends.start();
      await work();
      const postgres = await backends.stop();
      const toLsn = await lsn();
      const [diff] = (
        await admin.query<{ bytes: string }>(
          'SELECT pg_wal_lsn_diff($2::pg_lsn, $1::pg_lsn)::text AS bytes',
          [fromLsn, toLsn],
        )
      ).rows;
      const none = { cpuSeconds: 0, walBytes: 0, walRecords: 0, fullPageImages: 0, sessions: 0 };
      return {
        seconds: round((performance.now() - started) / 1_000),
        stages: Object.fromEntries(
          stages.map((stage) => [
            stage,
            {
              processCpuSeconds: cpuSeconds(pids[stage] as number) - (cpuBefore[stage] as number),
              postgres: postgres.get(stage) ?? none,
              wire: wireDelta(wireBefore[stage] as WireCounts, meters[stage].snapshot()),
            },
          ]),
        ) as StageWindow['stages'],
        otherPostgres: Object.fromEntries(
          [...postgres].filter(([program]) => !(stages as readonly string[]).includes(program)),
        ),
        serverWalBytes: Number(diff?.bytes ?? 0),
        fromLsn,
        toLsn,
        machineCpuPercent: machine.stop(),
      };
    };

    log(`costs: warm-up, ${options.warmupSeconds ?? 3} s at ${options.rate}/s`);
    await load(options.rate, options.warmupSeconds ?? 3);
    await settle();
    await sleep(flushSeconds * 1_000);
    log(`costs: idle window, ${options.idleSeconds} s`);
    const idle = await window(() => sleep(options.idleSeconds * 1_000));
    log(`costs: load, ${options.seconds} s at ${options.rate}/s, then drain and ${flushSeconds} s`);
    const before = accepted;
    let sent = { ok: 0, failed: 0 };
    const fromMs = Date.now();
    const measured = await window(async () => {
      sent = await load(options.rate, options.seconds);
      await settle();
      await sleep(flushSeconds * 1_000);
    });
    const toMs = Date.now();
    log(`costs: ${accepted - before} accepted; reading the WAL and the topics back`);
    const result: StageCostsResult = {
      rate: options.rate,
      seconds: options.seconds,
      proxied,
      commands: sent.ok,
      failed: sent.failed,
      cores: cpus().length,
      loadAverage: loadavg().map((value) => round(value, 2)),
      idle,
      load: measured,
      walByTable: await walByTable(admin, measured.fromLsn, measured.toLsn).catch((error: unknown) => {
        log('costs: the WAL could not be read back:', error);
        return [];
      }),
      topics: await topicVolume(kafkaBrokers(), [pipeline.topics.commands, pipeline.topics.events], {
        fromMs,
        toMs,
      }),
    };
    return result;
  } finally {
    http.current?.close();
    await pipeline.stop({ graceMs: 10_000 });
    await admin.end();
    await Promise.all(stages.map((stage) => meters[stage].close()));
    await provider.close();
    await database.drop();
  }
}

const table = (head: string[], rows: (string | number)[][]): string =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');

/** The result as Markdown tables: per command at each stage, idle per second, WAL by table, Kafka, statements. */
export function stageCostsTables(result: StageCostsResult): string {
  const n = Math.max(1, result.commands);
  const { load, idle } = result;
  const perCommand = stages.map((stage) => {
    const { processCpuSeconds, postgres, wire } = load.stages[stage];
    return [
      stage,
      round((processCpuSeconds * 1_000) / n, 3),
      round((postgres.cpuSeconds * 1_000) / n, 3),
      Math.round(postgres.walBytes / n),
      round(postgres.fullPageImages / n, 3),
      round(wire.roundTrips / n, 2),
      round(wire.transactions / n, 3),
      round(wire.autocommitStatements / n, 3),
      round([...wire.statements.values()].reduce((a, b) => a + b, 0) / n, 2),
      Math.round((wire.bytesToServer + wire.bytesFromServer) / n),
      postgres.sessions,
    ];
  });
  const sum = (column: number) => perCommand.reduce((total, row) => total + Number(row[column]), 0);
  const totals = [
    '**all three**',
    ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((c) => round(sum(c), c === 3 || c === 9 ? 0 : 3)),
    '',
  ];
  const idleRows = stages.map((stage) => {
    const { processCpuSeconds, postgres, wire } = idle.stages[stage];
    const s = Math.max(1, idle.seconds);
    return [
      stage,
      round((processCpuSeconds * 1_000) / s, 1),
      round((postgres.cpuSeconds * 1_000) / s, 1),
      Math.round(postgres.walBytes / s),
      round(wire.roundTrips / s, 1),
      round(wire.transactions / s, 2),
    ];
  });
  const walTotal = result.walByTable.reduce((total, share) => total + share.bytes, 0);
  const statementRows = stages.flatMap((stage) =>
    [...load.stages[stage].wire.statements]
      .sort((a, b) => b[1] - a[1])
      .map(([text, count]) => [
        stage,
        round(count / n, 3),
        `\`${text.replaceAll('|', '\\|').slice(0, 240)}\``,
      ]),
  );
  const machine = Object.entries(load.machineCpuPercent)
    .map(([program, percent]) => `${program} ${percent}%`)
    .join(', ');
  return [
    `## Per command at each stage (${result.commands} commands at ${result.rate}/s for ${result.seconds} s; ${result.failed} refused)`,
    ...(result.proxied === false
      ? [
          '',
          'No proxy (BENCH_COSTS_PROXY=0): round trips, transactions, statements and wire bytes were not counted.',
        ]
      : []),
    '',
    `Window ${load.seconds} s: the load, the drain, ${flushSeconds} s of idle for PostgreSQL's counters. Machine: ${result.cores} cores, load average ${result.loadAverage.join(' ')}; CPU over the window, % of one core: ${machine}.`,
    '',
    table(
      [
        'stage',
        'process CPU ms',
        'PostgreSQL CPU ms',
        'WAL bytes',
        'full-page images',
        'round trips',
        'transactions',
        'autocommit statements',
        'statements',
        'wire bytes',
        'sessions',
      ],
      [...perCommand, totals],
    ),
    '',
    `WAL of the database read back from the WAL (pg_walinspect): ${Math.round(walTotal / n)} bytes per command; the server's pg_current_wal_lsn() moved ${Math.round(load.serverWalBytes / n)} bytes per command (every database on the server, padding and page headers included). Autovacuum on the database: ${
      Object.entries(load.otherPostgres)
        .map(
          ([program, costs]) => `${program} ${round(costs.cpuSeconds, 2)} CPU s, ${costs.walBytes} WAL bytes`,
        )
        .join('; ') || 'none seen'
    }.`,
    '',
    table(
      [
        'WAL by table (indexes, TOAST included)',
        'bytes per command',
        'records per command',
        'full-page image bytes per command',
      ],
      result.walByTable.map((share) => [
        share.what,
        Math.round(share.bytes / n),
        round(share.records / n, 2),
        Math.round(share.fullPageImageBytes / n),
      ]),
    ),
    '',
    table(
      ['Kafka topic', 'records per command', 'payload bytes per command'],
      result.topics.map((topic) => [
        topic.topic.replace(/^bench-costs-\w+\./, ''),
        round(topic.records / n, 3),
        Math.round(topic.payloadBytes / n),
      ]),
    ),
    '',
    `## Idle, per second (${idle.seconds} s, no load)`,
    '',
    table(
      ['stage', 'process CPU ms/s', 'PostgreSQL CPU ms/s', 'WAL bytes/s', 'round trips/s', 'transactions/s'],
      idleRows,
    ),
    '',
    '## Statements executed, per command',
    '',
    table(['stage', 'per command', 'statement'], statementRows),
    '',
  ].join('\n');
}

/** A result written with --json, read back (statement counts as Maps again). */
function readResult(file: string): StageCostsResult {
  const result = JSON.parse(readFileSync(file, 'utf8')) as StageCostsResult;
  for (const window of [result.idle, result.load])
    for (const stage of stages) {
      const wire = window.stages[stage].wire;
      wire.statements = new Map(Object.entries(wire.statements as unknown as Record<string, number>));
    }
  return result;
}

if (import.meta.main) {
  const { values: flags } = parseArgs({ options: { json: { type: 'boolean' }, from: { type: 'string' } } });
  const result = flags.from
    ? readResult(flags.from)
    : await runStageCostsBench({
        rate: Number(process.env.BENCH_COSTS_RATE ?? 200),
        seconds: Number(process.env.BENCH_COSTS_SECONDS ?? 25),
        idleSeconds: Number(process.env.BENCH_COSTS_IDLE_SECONDS ?? 10),
        drainSeconds: Number(process.env.BENCH_COSTS_DRAIN_SECONDS ?? 120),
        proxy: process.env.BENCH_COSTS_PROXY !== '0',
        dispatcherEnv: JSON.parse(process.env.BENCH_DISPATCHER_ENV ?? '{}') as Record<string, string>,
      });
  if (flags.json)
    console.log(
      JSON.stringify(
        result,
        (_key, value: unknown) => (value instanceof Map ? Object.fromEntries(value) : value),
        2,
      ),
    );
  else console.log(stageCostsTables(result));
}
