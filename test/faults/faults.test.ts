// The fault scenarios: the pipeline as separate processes under kill -9, pauses, broker and
// database failures, network faults, clock skew, overload and a full disk, each checked for
// duplicates and losses. `npm test` runs the short set (EXACTLY_FAULTS unset or `ci`);
// `npm run test:faults` runs them all (EXACTLY_FAULTS=full) and rewrites RESULTS.md.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { currentCommit, loadLongRuns, loadModelRuns, longRunFile, saveLongRun } from './harness/longRuns.ts';
import {
  durabilitySettings,
  longResultsMarkdown,
  modelTestSummary,
  resultsMarkdown,
  writeResults,
} from './harness/results.ts';
import { runScenario, type ScenarioResult } from './harness/runScenario.ts';
import { Firewall } from './injectors/firewall.ts';
import { ensureCluster, stopClusterIfStartedHere } from './injectors/kafkaCluster.ts';
import { run } from './injectors/systemTools.ts';
import { type AnyScenario, scenarios } from './scenarios/index.ts';

const mode = process.env.EXACTLY_FAULTS ?? 'ci';
/**
 * Long mode (`npm run test:faults -- --long`): each selected scenario offers LONG_RATE commands/s
 * for LONG_SECONDS on the three-node cluster, with the services' default timeouts, once per seed
 * of LONG_SEEDS (the scenario's own and the next ones). Each run is kept as it ends
 * (`long-runs/<scenario>-seed<seed>.json`) and RESULTS-long.md is rewritten from every kept run,
 * so the hours it takes can be spread over several sittings.
 */
const long = process.env.EXACTLY_FAULTS_LONG === '1';
const longRate = Number(process.env.EXACTLY_FAULTS_LONG_RATE ?? 1_000);
const longSeconds = Number(process.env.EXACTLY_FAULTS_LONG_SECONDS ?? 300);
const plannedLongSeeds = 3;
const longSeeds = Number(process.env.EXACTLY_FAULTS_LONG_SEEDS ?? plannedLongSeeds);
/** EXACTLY_FAULTS_LONG_MISSING=1 runs only the runs not kept yet: a long run resumed where it stopped. */
const missingOnly = process.env.EXACTLY_FAULTS_LONG_MISSING === '1';
const full = mode === 'full';
const named = new Set(mode.split(',').map((name) => name.trim()));
const selected = scenarios.filter(({ scenario, ci }) =>
  full ? true : mode === 'ci' ? ci : named.has(scenario.name),
);
/** EXACTLY_FAULTS_SEED runs the selected scenarios with another seed (other fault timings and load). */
const seedOverride = process.env.EXACTLY_FAULTS_SEED ? Number(process.env.EXACTLY_FAULTS_SEED) : undefined;
/** The short set runs each scenario's load at this share of its full size. */
const scale = full || mode !== 'ci' ? 1 : 0.4;

const environment = {
  databaseUrl: process.env.DATABASE_URL ?? '',
  kafkaBrokers: (process.env.KAFKA_BROKERS ?? '').split(','),
};

/** The runs of one scenario: once as written, or in long mode once per seed at the long load. */
function runsOf(scenario: AnyScenario): AnyScenario[] {
  if (!long)
    return [
      {
        ...scenario,
        seed: seedOverride ?? scenario.seed,
        commands: Math.max(100, Math.round(scenario.commands * scale)),
      },
    ];
  const first = seedOverride ?? scenario.seed;
  const seeds = Array.from({ length: longSeeds }, (_, index) => first + index).filter(
    (seed) => !(missingOnly && existsSync(longRunFile(scenario.name, seed))),
  );
  return seeds.map((seed) => ({
    ...scenario,
    seed,
    commands: longRate * longSeconds,
    load: {
      ...scenario.load,
      ratePerSecond: longRate,
      concurrency: Math.max(64, Math.ceil(longRate / 8)),
      stopAfterMs: longSeconds * 1_000,
    },
    pipeline: { ...scenario.pipeline, fastRecovery: false },
    settleTimeoutMs: scenario.longSettleTimeoutMs ?? Math.max(scenario.settleTimeoutMs ?? 0, 600_000),
  }));
}
const results: ScenarioResult[] = [];
const started = Date.now();
/** Long mode: the servers' durability settings, read once before the first run. */
let durability: string[] = [];
const longResultsFile = fileURLToPath(new URL('./RESULTS-long.md', import.meta.url));

const iptablesPresent = () => run('sh', ['-c', 'command -v iptables']).status === 0;

beforeAll(async () => {
  if (iptablesPresent()) Firewall.removeLeftovers();
  // Long mode runs every scenario on the three-node cluster, not the single test broker.
  if (long) {
    environment.kafkaBrokers = await ensureCluster();
    durability = await durabilitySettings(environment);
  }
}, 300_000);

afterAll(async () => {
  if (iptablesPresent()) Firewall.removeLeftovers();
  if (!long) await writeResultsOfRun();
  await stopClusterIfStartedHere();
}, 120_000);

async function writeResultsOfRun(): Promise<void> {
  if (results.length === 0) return;
  const markdown = resultsMarkdown(results, { mode, wallMs: Date.now() - started, date: new Date() }).replace(
    '\n## What each scenario did\n',
    `\n## Model test\n\n${await modelTestSummary()}\n\n## What each scenario did\n`,
  );
  const file = full ? './RESULTS.md' : `./.artifacts/RESULTS-${mode.replaceAll(/[^a-z0-9-]/gi, '_')}.md`;
  await writeResults(fileURLToPath(new URL(file, import.meta.url)), markdown);
  console.log(markdown.split('\n## ')[0]);
}

/**
 * The commit under test, read when the suite starts: the harness, the SDK and the services it
 * starts are the code of that moment, whatever is committed while a long run goes on.
 */
const commitUnderTest = currentCommit();

/** Keeps one long run and rewrites RESULTS-long.md from every run kept so far. */
async function keepLongRun(result: ScenarioResult): Promise<void> {
  await saveLongRun({
    result,
    date: new Date().toISOString(),
    commit: commitUnderTest,
    offeredRate: longRate,
    seconds: longSeconds,
    durability,
  });
  // The complete long run, whatever seeds this sitting ran: three per scenario, from its own.
  const plan = scenarios.map(({ scenario }) => ({
    scenario: scenario.name,
    seeds: Array.from({ length: plannedLongSeeds }, (_, index) => scenario.seed + index),
  }));
  const runs = await loadLongRuns(plan.map((entry) => entry.scenario));
  await writeResults(longResultsFile, await longResultsMarkdown(runs, plan, await loadModelRuns()));
}

describe(`the pipeline under faults (${mode}: ${selected.length} scenarios)`, () => {
  it('selects at least one scenario', () => {
    expect(selected.length).toBeGreaterThan(0);
  });

  for (const { scenario } of selected) {
    for (const sized of runsOf(scenario)) {
      it(
        `${scenario.name}${long ? ` (seed ${sized.seed})` : ''}: ${scenario.description}`,
        async () => {
          const result = await runScenario(sized, environment);
          results.push(result);
          if (long) await keepLongRun(result);
          const summary = {
            ...result.figures,
            problems: result.problems,
            violations: result.violations.slice(0, 10),
          };
          if (!result.passed)
            throw new Error(`${scenario.name} failed:\n${JSON.stringify(summary, null, 2)}`);
          expect(result.passed).toBe(true);
        },
        long ? longSeconds * 1_000 + 1_200_000 : 240_000,
      );
    }
  }
});
