import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMigratedDatabase } from '@exactly/persistence';
import type { Caller } from '@exactly/testkit';
import { FakeProvider, TcpProxy } from '@exactly/testkit';
import { seededRandom } from '../../support/seededRandom.ts';
import { checkInvariants, type Figures } from './checker.ts';
import { History } from './history.ts';
import { type LoadOptions, runLoad } from './loadClient.ts';
import { type AmbiguityPolicy, Pipeline, type PipelineOptions } from './pipeline.ts';

/** Where the run's servers are: the scenario may bring its own (a scratch PostgreSQL, the cluster). */
export interface ScenarioEnvironment {
  databaseUrl: string;
  kafkaBrokers: string[];
}

export interface ScenarioContext {
  pipeline: Pipeline;
  provider: FakeProvider;
  history: History;
  caller: Caller;
  /** The fault schedule's own seeded stream (the load has another), so faults land the same way each run. */
  random: () => number;
  /** Records a fault (for the report) with the time since the start of the load; `count` faults of one kind at once. */
  injected(description: string, count?: number): void;
  /** Runs the scenario's load (with these overrides) and resolves when it is done. */
  load(overrides?: Partial<LoadOptions>): Promise<void>;
  /** How long the load lasts at most (long mode's minutes), when the run sets it. */
  loadLimitMs: number | undefined;
  /** The rate the scenario's main load offers when it sets its own: reported instead of the configured one. */
  offering(ratePerSecond: number): void;
  /** Dead letters the scenario causes on purpose (records it forged or conflicts it wrote), by code. */
  expectDeadLetters(code: string, count: number): void;
  /** A random duration in [min, max) from the fault stream. */
  between(minMs: number, maxMs: number): number;
  sleep(ms: number): Promise<void>;
  /** The scenario did not do what it is for (no overload reached, no fault landed): it fails, whatever the checker says. */
  problem(description: string): void;
}

export interface Scenario<Resources = undefined> {
  name: string;
  /** What it does to the system, in a sentence (goes into RESULTS.md). */
  description: string;
  seed: number;
  commands: number;
  pipeline?: Omit<PipelineOptions, 'databaseUrl' | 'kafkaBrokers' | 'providerUrl' | 'onAmbiguous'>;
  /**
   * The dispatchers' policy after an ambiguous call. `hold` (default): a fake provider that never
   * deduplicates, declared as ignoring keys. `retry`: a fake provider that honours keys (answers a
   * repeated key with a replay), declared as such (`HTTP_PROVIDER_HONOURS_KEY=true`).
   */
  onAmbiguous?: AmbiguityPolicy;
  load?: Partial<LoadOptions>;
  /** Latency added in front of the fake provider (a TCP proxy), so faults catch calls in flight. */
  providerLatencyMs?: number;
  /**
   * Sets up what the scenario needs before the pipeline starts (its own PostgreSQL, the
   * cluster, a topic made in advance) and says where the servers are; `release` undoes it.
   */
  setUp?(base: ScenarioEnvironment): Promise<{
    environment: ScenarioEnvironment;
    resources: Resources;
    /** Environment for the services that depends on what was set up (a proxy's port, say), given the run's servers. */
    env?: (environment: ScenarioEnvironment) => PipelineOptions['env'];
  }>;
  release?(resources: Resources): Promise<void>;
  /** Runs after the pipeline is built and before it starts (to make its topics in advance, say). */
  beforeStart?(pipeline: Pipeline, resources: Resources): Promise<void>;
  /** Drives the load and injects faults; resolves when the faults are over and lifted. */
  run(context: ScenarioContext, resources: Resources): Promise<void>;
  /** A negative control: the checker must find violations. */
  expectViolations?: boolean;
  /**
   * For a control: what its checker must have counted (the planted fault, not just any
   * violation); a description of what is missing, or undefined when found.
   */
  controlFinding?(figures: Figures, violations: readonly string[]): string | undefined;
  /**
   * Share of the keys tried that must end acknowledged (default 0.9): a run in which the load
   * made no progress proves nothing, so it fails (load shedding lowers it on purpose).
   */
  minAcknowledged?: number;
  /** How long the check waits for everything to settle (default 60 s; long mode: at least 10 minutes). */
  settleTimeoutMs?: number;
  /**
   * Long mode's wait instead, for a control some of whose messages never settle (lost on purpose):
   * the check would otherwise wait the whole 10 minutes every time.
   */
  longSettleTimeoutMs?: number;
}

export interface ScenarioResult {
  name: string;
  description: string;
  seed: number;
  faults: string[];
  /** Faults injected (a fault event may stand for many, such as records written). */
  faultCount: number;
  /** Why the scenario itself did not do its job (it then fails even as a negative control). */
  problems: string[];
  figures: Figures;
  violations: string[];
  /** How many violations the checker found, when `violations` keeps only the first of them (a kept long run). */
  violationCount?: number;
  /** Why messages were held, with how many (see the checker). */
  heldReasons: Record<string, number>;
  passed: boolean;
  expectViolations: boolean;
  onAmbiguous: AmbiguityPolicy;
  durationMs: number;
  /** The commands per second the load offered (0: as fast as its concurrency allowed). */
  offeredRate: number;
  /** How long the scenario's load ran, from its first command to its last answer. */
  loadMs: number;
}

const artifactsDir = fileURLToPath(new URL('../.artifacts/', import.meta.url));

/**
 * Runs one seeded scenario: starts the pipeline, drives the load while the scenario injects its
 * faults, lifts them, waits for the system to settle and checks every invariant. A failed run
 * leaves its history, logs and violations in `test/faults/.artifacts/<name>-<seed>/`.
 */
export async function runScenario<Resources>(
  scenario: Scenario<Resources>,
  base: ScenarioEnvironment,
): Promise<ScenarioResult> {
  const started = Date.now();
  const loadRandom = seededRandom(scenario.seed);
  const faultRandom = seededRandom(scenario.seed ^ 0x5bd1e995);
  const onAmbiguous = scenario.onAmbiguous ?? 'hold';
  const provider = new FakeProvider({ honoursKeys: onAmbiguous === 'retry', random: faultRandom });
  let providerUrl = await provider.listen();
  let providerProxy: TcpProxy | undefined;
  if (scenario.providerLatencyMs) {
    const target = new URL(providerUrl);
    providerProxy = new TcpProxy({ port: Number(target.port) });
    providerProxy.setLatency(scenario.providerLatencyMs);
    providerUrl = `http://127.0.0.1:${await providerProxy.listen()}${target.pathname}`;
  }
  const {
    environment: given,
    resources,
    env,
  } = scenario.setUp
    ? await scenario.setUp(base)
    : { environment: base, resources: undefined as Resources, env: undefined };
  // A database of the scenario's own: the effect queue and the outbox are shared by whatever runs
  // on a database, so what one scenario leaves behind must not reach the next one's provider.
  const database = await createScenarioDatabase(given.databaseUrl, scenario.name);
  const environment = { ...given, databaseUrl: database.url };
  let keepDatabase = false;
  const kinds = ['ingest', 'relay', 'dispatcher'] as const;
  const pipeline = new Pipeline({
    ...scenario.pipeline,
    ...environment,
    providerUrl,
    onAmbiguous,
    env: Object.fromEntries(
      kinds.map((kind) => [kind, { ...scenario.pipeline?.env?.[kind], ...env?.(environment)?.[kind] }]),
    ),
  });
  const history = new History();
  const faults: string[] = [];
  let faultCount = 0;
  const problems: string[] = [];
  const expectedDeadLetters: Record<string, number> = {};
  let loadStarted = Date.now();
  let loadMs = 0;
  // Named in the error when the run itself fails, so a harness failure says where it happened.
  let phase = 'starting the pipeline';
  try {
    await scenario.beforeStart?.(pipeline, resources);
    await pipeline.start();
    const caller = await pipeline.createAccount(`faults-${scenario.name}`);
    const loadOptions: LoadOptions = {
      baseUrl: pipeline.baseUrl,
      apiKey: caller.apiKey,
      commands: scenario.commands,
      concurrency: 16,
      timeoutMs: 5_000,
      maxAttempts: 40,
      random: loadRandom,
      keyPrefix: `${scenario.name}-${scenario.seed}`,
      ...scenario.load,
    };
    let offeredRate = loadOptions.ratePerSecond ?? 0;
    loadStarted = Date.now();
    phase = 'running the load and its faults';
    await scenario.run(
      {
        pipeline,
        provider,
        history,
        caller,
        random: faultRandom,
        injected: (description, count = 1) => {
          faultCount += count;
          faults.push(`${((Date.now() - loadStarted) / 1000).toFixed(1)}s ${description}`);
        },
        loadLimitMs: loadOptions.stopAfterMs,
        offering: (ratePerSecond) => {
          offeredRate = ratePerSecond;
        },
        load: async (overrides = {}) => {
          const began = Date.now();
          try {
            await runLoad({ ...loadOptions, ...overrides }, history);
          } finally {
            loadMs += Date.now() - began;
          }
        },
        expectDeadLetters: (code, count) => {
          expectedDeadLetters[code] = (expectedDeadLetters[code] ?? 0) + count;
        },
        between: (min, max) => Math.floor(min + faultRandom() * (max - min)),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        problem: (description) => problems.push(description),
      },
      resources,
    );
    // Whatever a fault left down comes back before the check: the system must heal by itself from here.
    phase = 'restarting what the faults left down';
    await pipeline.restartStopped();
    phase = 'checking the invariants';
    const verdict = await checkInvariants({
      databaseUrl: environment.databaseUrl,
      accountId: caller.accountId,
      history,
      provider,
      onAmbiguous,
      kafkaBrokers: environment.kafkaBrokers,
      topics: pipeline.topics,
      consumerGroup: pipeline.consumerGroup,
      settleTimeoutMs: scenario.settleTimeoutMs ?? 60_000,
      effectMaxAttempts: pipeline.effectMaxAttempts,
      expectedDeadLetters,
    });
    const acknowledgedShare = verdict.figures.acknowledged / Math.max(1, verdict.figures.commands);
    if (acknowledgedShare < (scenario.minAcknowledged ?? 0.9))
      problems.push(
        `only ${verdict.figures.acknowledged} of ${verdict.figures.commands} keys were acknowledged: the load made too little progress to prove anything`,
      );
    // The load never sends a request the API may refuse: any refusal but load shedding is a defect.
    const refusals = new Map<string, number>();
    for (const attempt of history.attempts) {
      if (attempt.outcome !== 'failed' || attempt.code === 'overloaded' || attempt.code === 'rate_limited')
        continue;
      const what = `${attempt.status ?? '-'} ${attempt.code ?? ''}`;
      refusals.set(what, (refusals.get(what) ?? 0) + 1);
    }
    for (const [what, count] of refusals) problems.push(`${count} attempts were refused with ${what}`);
    const broken = verdict.violations.length > 0;
    const missing = scenario.controlFinding?.(verdict.figures, verdict.violations);
    if (missing) problems.push(`the control did not find what it planted: ${missing}`);
    const result: ScenarioResult = {
      name: scenario.name,
      description: scenario.description,
      seed: scenario.seed,
      faults,
      faultCount,
      problems,
      figures: verdict.figures,
      violations: verdict.violations,
      heldReasons: verdict.heldReasons,
      passed: problems.length === 0 && (scenario.expectViolations ? broken : !broken),
      expectViolations: scenario.expectViolations ?? false,
      onAmbiguous,
      durationMs: Date.now() - started,
      offeredRate,
      loadMs,
    };
    if (!result.passed || broken) {
      await keepArtifacts(scenario, history, pipeline, result);
      // A run that broke a promise keeps its database for a post-mortem (named in result.json).
      if (!scenario.expectViolations) keepDatabase = true;
    }
    return result;
  } catch (error) {
    const logs = pipeline.logs();
    await keepArtifacts(scenario, history, pipeline).catch(() => {});
    throw new Error(
      `scenario ${scenario.name} (seed ${scenario.seed}) failed to run (while ${phase}): ${(error as Error).message}\n${logs.slice(-10_000)}`,
      { cause: error },
    );
  } finally {
    await pipeline.stop({ keepTopics: keepDatabase });
    await providerProxy?.close();
    await provider.close();
    if (!keepDatabase) await database.drop();
    if (scenario.release) await scenario.release(resources);
  }
}

/** Creates and migrates a fresh database on the server of `serverUrl`; `drop` removes it (never throws). */
export async function createScenarioDatabase(serverUrl: string, name: string) {
  const database = await createMigratedDatabase(
    serverUrl,
    `faults_${name.replaceAll(/[^a-z0-9]/gi, '_')}`.toLowerCase(),
  );
  return { url: database.url, drop: () => database.drop().catch(() => {}) };
}

async function keepArtifacts(
  scenario: Scenario<unknown>,
  history: History,
  pipeline: Pipeline,
  result?: ScenarioResult,
): Promise<void> {
  const dir = join(artifactsDir, `${scenario.name}-${scenario.seed}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'history.jsonl'), history.toJsonLines());
  await writeFile(join(dir, 'services.log'), pipeline.logs());
  if (result)
    await writeFile(
      join(dir, 'result.json'),
      JSON.stringify({ ...result, databaseUrl: pipeline.databaseUrl, topics: pipeline.topics }, null, 2),
    );
}
