import type { Figures } from './checker.ts';
import type { LongRun } from './longRuns.ts';
import { longResultsMarkdown } from './results.ts';
import type { ScenarioResult } from './runScenario.ts';

const figures = (acknowledged: number, duplicates = 0): Figures => ({
  commands: acknowledged,
  accepted: acknowledged,
  acknowledged,
  clientRetries: 0,
  indeterminate: 0,
  shed: 0,
  sends: acknowledged,
  providerCalls: acknowledged + duplicates,
  providerRepeats: duplicates,
  held: 0,
  ambiguousAttempts: 0,
  duplicates,
  losses: 0,
  topicLosses: 0,
  outOfOrder: 0,
  keysWithSeveralCommands: 0,
  deadLetters: 0,
  settleMs: 0,
});

const run = (name: string, seed: number, result: Partial<ScenarioResult>): LongRun => ({
  result: {
    name,
    description: `${name} faults`,
    seed,
    faults: [],
    faultCount: 0,
    problems: [],
    figures: figures(300_000),
    violations: [],
    heldReasons: {},
    passed: true,
    expectViolations: false,
    onAmbiguous: 'hold',
    durationMs: 400_000,
    offeredRate: 1_000,
    loadMs: 600_000,
    ...result,
  },
  date: '2026-12-04T23:10:00.000Z',
  commit: 'abc123',
  offeredRate: 1_000,
  seconds: 300,
  durability: ['- PostgreSQL: `fsync` = on'],
});

describe("the long run's results, from the runs kept so far", () => {
  const plan = [
    { scenario: 'kill-every-service', seeds: [101, 102, 103] },
    { scenario: 'overload', seeds: [1313, 1314, 1315] },
  ];

  it('gives each kept run its row, with the achieved rate, and lists the planned runs not done', async () => {
    const markdown = await longResultsMarkdown(
      [
        run('kill-every-service', 101, {}),
        run('overload', 1314, { passed: false, figures: figures(150_000, 2), loadMs: 300_000 }),
      ],
      plan,
    );
    expect(markdown).toContain('2 of the 6 planned runs');
    expect(markdown).toContain('| kill-every-service | 101 | pass | 1000 | 500 | 600.0 | 300000 |');
    expect(markdown).toContain('| overload | 1314 | FAIL | 1000 | 500 | 300.0 | 150000 | 150000 | 2 |');
    expect(markdown).toContain('2026-12-04 23:10 `abc123`');
    const notRun = markdown.split('## Not run yet')[1]?.split('\n##')[0] ?? '';
    // Each run's details come under their own heading, not under the runs still to do.
    expect(markdown.split('## What each run did')[1]).toContain('### overload (seed 1314)');
    expect(notRun.match(/^- .*$/gm)).toEqual([
      '- kill-every-service (seed 102)',
      '- kill-every-service (seed 103)',
      '- overload (seed 1313)',
      '- overload (seed 1315)',
    ]);
    expect(markdown).toContain('- PostgreSQL: `fsync` = on');
  });

  it('says when every planned run is done', async () => {
    const all = plan.flatMap(({ scenario, seeds }) => seeds.map((seed) => run(scenario, seed, {})));
    const markdown = await longResultsMarkdown(all, plan);
    expect(markdown).toContain('6 of the 6 planned runs');
    expect(markdown).toContain('- nothing: every planned run is done');
  });

  it('names each kept model test run with its seed, runs and faults, and says when one failed', async () => {
    const model = (seed: number, passed: boolean) => ({
      runs: 500,
      seed,
      passed,
      faults: 122,
      faultKinds: '60× kill -9 ingest among the burst, 40× redeliver',
      seconds: 845,
      date: '2026-12-05T14:02:11.000Z',
      commit: 'def456',
    });
    const markdown = await longResultsMarkdown([], plan, [model(4242, true), model(4243, false)]);
    const section = markdown.split('## Model test')[1]?.split('\n##')[0] ?? '';
    expect(section.match(/^- .*$/gm)).toEqual([
      '- seed 4242: passed, 500 runs in 845 s, 122 faults injected (60× kill -9 ingest among the burst, 40× redeliver), 2026-12-05 14:02 `def456`',
      '- seed 4243: FAILED, 500 runs in 845 s, 122 faults injected (60× kill -9 ingest among the burst, 40× redeliver), 2026-12-05 14:02 `def456`',
    ]);
  });

  it('counts every violation of a kept run, though the run keeps only the first of them', async () => {
    const violations = Array.from({ length: 7 }, (_, index) => `key k${index} was accepted twice`);
    const markdown = await longResultsMarkdown(
      [run('kill-every-service', 101, { passed: false, violations, violationCount: 91_179 })],
      plan,
    );
    expect(markdown).toContain('Checker (91179 violations):');
    expect(markdown).toContain('- key k4 was accepted twice');
    expect(markdown).not.toContain('- key k5 was accepted twice');
    expect(markdown).toContain('- … and 91174 more');
  });
});
