import type { Caller } from '@exactly/testkit';
import { FakeProvider } from '@exactly/testkit';
import { seededRandom } from '../../support/seededRandom.ts';
import { checkInvariants, type Figures } from './checker.ts';
import { History } from './history.ts';
import { type LoadOptions, runLoad } from './loadClient.ts';
import { Pipeline, type PipelineOptions } from './pipeline.ts';

export interface ScenarioContext {
  pipeline: Pipeline;
  provider: FakeProvider;
  history: History;
  caller: Caller;
  random: () => number;
  /** Counts a fault as injected (for the report) and says what it was. */
  injected(description: string): void;
  /** Runs the scenario's load (with these overrides) and resolves when it is done. */
  load(overrides?: Partial<LoadOptions>): Promise<void>;
}

export interface Scenario {
  name: string;
  /** What it does to the system, in a sentence (goes into RESULTS.md). */
  description: string;
  seed: number;
  commands: number;
  pipeline?: Omit<PipelineOptions, 'databaseUrl' | 'kafkaBrokers' | 'providerUrl'>;
  load?: Partial<LoadOptions>;
  /** Injects faults while the load runs; resolves when faults are over and lifted. */
  run(context: ScenarioContext): Promise<void>;
  /** Whether the checker must find violations (a negative control). */
  expectViolations?: boolean;
  settleTimeoutMs?: number;
}

export interface ScenarioResult {
  name: string;
  description: string;
  seed: number;
  faults: string[];
  figures: Figures;
  violations: string[];
  passed: boolean;
  durationMs: number;
}

export interface ScenarioEnvironment {
  databaseUrl: string;
  kafkaBrokers: string[];
}

/**
 * Runs one seeded scenario: starts the pipeline, drives the load while the scenario injects its
 * faults, lifts them, waits for the system to settle and checks every invariant.
 */
export async function runScenario(
  scenario: Scenario,
  environment: ScenarioEnvironment,
): Promise<ScenarioResult> {
  const started = Date.now();
  const random = seededRandom(scenario.seed);
  const provider = new FakeProvider({ random });
  const providerUrl = await provider.listen();
  const pipeline = new Pipeline({ ...scenario.pipeline, ...environment, providerUrl });
  const history = new History();
  const faults: string[] = [];
  try {
    await pipeline.start();
    const caller = await pipeline.createAccount(`faults-${scenario.name}`);
    const loadOptions: LoadOptions = {
      baseUrl: pipeline.baseUrl,
      apiKey: caller.apiKey,
      commands: scenario.commands,
      concurrency: 16,
      timeoutMs: 5_000,
      maxAttempts: 30,
      random,
      keyPrefix: `${scenario.name}-${scenario.seed}`,
      ...scenario.load,
    };
    await scenario.run({
      pipeline,
      provider,
      history,
      caller,
      random,
      injected: (description) => faults.push(description),
      load: (overrides = {}) => runLoad({ ...loadOptions, ...overrides }, history),
    });
    const verdict = await checkInvariants({
      databaseUrl: environment.databaseUrl,
      accountId: caller.accountId,
      history,
      provider,
      kafkaBrokers: environment.kafkaBrokers,
      deadLetterTopic: pipeline.topics.deadLetters,
      settleTimeoutMs: scenario.settleTimeoutMs ?? 60_000,
    });
    const broken = verdict.violations.length > 0;
    return {
      name: scenario.name,
      description: scenario.description,
      seed: scenario.seed,
      faults,
      figures: verdict.figures,
      violations: verdict.violations,
      passed: scenario.expectViolations ? broken : !broken,
      durationMs: Date.now() - started,
    };
  } catch (error) {
    throw new Error(
      `scenario ${scenario.name} (seed ${scenario.seed}) failed to run: ${(error as Error).message}\n${pipeline.logs().slice(-20_000)}`,
      { cause: error },
    );
  } finally {
    await pipeline.stop();
    await provider.close();
  }
}
