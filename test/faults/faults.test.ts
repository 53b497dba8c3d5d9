// The fault scenarios: the pipeline as separate processes under kill -9, pauses, broker and
// database failures, network faults, clock skew, overload and a full disk, each checked for
// duplicates and losses. `npm test` runs the short set (EXACTLY_FAULTS unset or `ci`);
// `npm run test:faults` runs them all (EXACTLY_FAULTS=full) and rewrites RESULTS.md.

import { fileURLToPath } from 'node:url';
import { resultsMarkdown, writeResults } from './harness/results.ts';
import { runScenario, type ScenarioResult } from './harness/runScenario.ts';
import { Firewall } from './injectors/firewall.ts';
import { stopClusterIfStartedHere } from './injectors/kafkaCluster.ts';
import { run } from './injectors/systemTools.ts';
import { scenarios } from './scenarios/index.ts';

const mode = process.env.EXACTLY_FAULTS ?? 'ci';
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
const results: ScenarioResult[] = [];
const started = Date.now();

const iptablesPresent = () => run('sh', ['-c', 'command -v iptables']).status === 0;

beforeAll(() => {
  if (iptablesPresent()) Firewall.removeLeftovers();
});

afterAll(async () => {
  if (iptablesPresent()) Firewall.removeLeftovers();
  await stopClusterIfStartedHere();
  if (results.length === 0) return;
  const markdown = resultsMarkdown(results, { mode, wallMs: Date.now() - started, date: new Date() });
  const file = full ? './RESULTS.md' : `./.artifacts/RESULTS-${mode.replaceAll(/[^a-z0-9-]/gi, '_')}.md`;
  await writeResults(fileURLToPath(new URL(file, import.meta.url)), markdown);
  console.log(markdown.split('\n## ')[0]);
}, 120_000);

describe(`the pipeline under faults (${mode}: ${selected.length} scenarios)`, () => {
  it('selects at least one scenario', () => {
    expect(selected.length).toBeGreaterThan(0);
  });

  for (const { scenario } of selected) {
    const sized = {
      ...scenario,
      seed: seedOverride ?? scenario.seed,
      commands: Math.max(100, Math.round(scenario.commands * scale)),
    };
    it(`${scenario.name}: ${scenario.description}`, async () => {
      const result = await runScenario(sized, environment);
      results.push(result);
      const summary = {
        ...result.figures,
        problems: result.problems,
        violations: result.violations.slice(0, 10),
      };
      if (!result.passed) throw new Error(`${scenario.name} failed:\n${JSON.stringify(summary, null, 2)}`);
      expect(result.passed).toBe(true);
    }, 240_000);
  }
});
