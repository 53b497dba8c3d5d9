import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createKafka } from '@exactly/messaging';
import { ConfigResourceTypes } from 'kafkajs';
import pg from 'pg';
import type { LongRun, ModelRun } from './longRuns.ts';
import type { ScenarioResult } from './runScenario.ts';

const seconds = (ms: number) => (ms / 1000).toFixed(1);

function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  return [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** The scenarios' figures as a Markdown table, with what each scenario did. */
export function resultsMarkdown(
  results: ScenarioResult[],
  meta: { mode: string; wallMs: number; date: Date },
): string {
  const header = [
    'scenario',
    'seed',
    'policy',
    'verdict',
    'commands',
    'accepted',
    'acked',
    'client retries',
    'indeterminate',
    'shed',
    'faults',
    'sends',
    'provider calls',
    'provider repeats',
    'ambiguous',
    'held',
    'duplicates',
    'losses',
    'lost on topic',
    'out of order',
    'dead letters',
    'settle s',
    'wall s',
  ];
  const rows = results.map((result) => {
    const f = result.figures;
    const verdict = result.passed
      ? result.expectViolations
        ? 'pass (control failed as it must)'
        : 'pass'
      : 'FAIL';
    return [
      result.name,
      result.seed,
      result.onAmbiguous,
      verdict,
      f.commands,
      f.accepted,
      f.acknowledged,
      f.clientRetries,
      f.indeterminate,
      f.shed,
      result.faultCount,
      f.sends,
      f.providerCalls,
      f.providerRepeats,
      f.ambiguousAttempts,
      f.held,
      f.duplicates,
      f.losses,
      f.topicLosses,
      f.outOfOrder,
      f.deadLetters,
      seconds(f.settleMs),
      seconds(result.durationMs),
    ].map(String);
  });
  const table = markdownTable(header, rows);
  const details = results
    .map((result) => {
      const lines = [`### ${result.name} (seed ${result.seed})`, '', result.description, ''];
      if (result.faults.length > 0) {
        lines.push('Faults:', '');
        for (const fault of result.faults.slice(0, 12)) lines.push(`- ${fault}`);
        if (result.faults.length > 12) lines.push(`- … and ${result.faults.length - 12} more`);
        lines.push('');
      }
      const held = Object.entries(result.heldReasons ?? {}).sort(([, a], [, b]) => b - a);
      if (held.length > 0) {
        lines.push('Held (why):', '');
        for (const [reason, count] of held.slice(0, 5)) lines.push(`- ${count} × ${reason}`);
        lines.push('');
      }
      if (result.figures.keysWithSeveralCommands > 0)
        lines.push(
          `Commit order checked on ${result.figures.keysWithSeveralCommands} Kafka keys with more than one command.`,
          '',
        );
      for (const problem of result.problems) lines.push(`- scenario problem: ${problem}`);
      const violationCount = result.violationCount ?? result.violations.length;
      if (violationCount > 0) {
        lines.push(
          `Checker (${violationCount} violations${result.expectViolations ? ', expected' : ''}):`,
          '',
        );
        for (const violation of result.violations.slice(0, 5)) lines.push(`- ${violation}`);
        if (violationCount > 5) lines.push(`- … and ${violationCount - 5} more`);
        lines.push('');
      }
      return lines.join('\n');
    })
    .join('\n');
  return [
    '# Fault scenarios: results',
    '',
    `Written by \`npm run test:faults\` (mode \`${meta.mode}\`) on ${meta.date.toISOString().slice(0, 10)}; ` +
      `${results.length} scenarios in ${seconds(meta.wallMs)} s of wall time on this 2-core machine. ` +
      'A scenario fails on any duplicate, loss or other broken invariant; a negative control passes only when the checker finds violations. ' +
      'Columns: see [README.md](README.md#what-the-figures-mean).',
    '',
    table,
    '',
    '## What each scenario did',
    '',
    details,
  ].join('\n');
}

/** The model-based test's last runs and seed, as it left them (model.test.ts), as a list item. */
export async function modelTestSummary(): Promise<string> {
  const model = await readFile(new URL('../.artifacts/model.json', import.meta.url), 'utf8')
    .then((text) => JSON.parse(text) as { runs: number; seed: number; faults: number; date: string })
    .catch(() => undefined);
  return model
    ? `- the model-based test (\`model.test.ts\`) last ran ${model.runs} runs with seed ${model.seed}, ${model.faults} faults injected (${model.date})`
    : '- no model-based test summary in test/faults/.artifacts/model.json (run `npm run test:faults`)';
}

export async function writeResults(file: string, markdown: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, markdown);
}

/** The durability settings the run's servers actually had, read from them (not from our config files). */
export async function durabilitySettings(environment: {
  databaseUrl: string;
  kafkaBrokers: string[];
}): Promise<string[]> {
  const lines: string[] = [];
  const client = new pg.Client({ connectionString: environment.databaseUrl });
  try {
    await client.connect();
    const settings: string[] = [];
    for (const name of ['fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method']) {
      const { rows } = await client.query<Record<string, string>>(`SHOW ${name}`);
      settings.push(`\`${name}\` = ${rows[0]?.[name] ?? '?'}`);
    }
    lines.push(`- PostgreSQL: ${settings.join(', ')}`);
  } catch (error) {
    lines.push(`- PostgreSQL: not readable (${(error as Error).message})`);
  } finally {
    await client.end().catch(() => {});
  }
  const admin = createKafka({ brokers: environment.kafkaBrokers, clientId: 'faults-results' }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    const wanted = [
      'min.insync.replicas',
      'default.replication.factor',
      'unclean.leader.election.enable',
      'log.flush.interval.messages',
      'log.flush.interval.ms',
    ];
    const described = await admin.describeConfigs({
      resources: [
        {
          type: ConfigResourceTypes.BROKER,
          name: String(cluster.brokers[0]?.nodeId ?? 1),
          configNames: wanted,
        },
      ],
      includeSynonyms: false,
    });
    const entries = described.resources[0]?.configEntries ?? [];
    lines.push(
      `- Kafka: ${cluster.brokers.length} brokers; ${entries.map((entry) => `\`${entry.configName}\` = ${entry.configValue ?? 'default'}`).join(', ')}; the relay produces with \`acks\` = all (-1), idempotent`,
    );
  } catch (error) {
    lines.push(`- Kafka: not readable (${(error as Error).message})`);
  } finally {
    await admin.disconnect().catch(() => {});
  }
  return lines;
}

/**
 * Long mode's results, from every kept run (`long-runs/`): one row per scenario and seed, with
 * the rate the load offered and the rate the system achieved (acknowledged commands over the
 * load's duration), the day and commit of each run, the durability settings read from the
 * servers, what is still to run, and the last model test's runs and seed.
 */
export async function longResultsMarkdown(
  runs: LongRun[],
  plan: { scenario: string; seeds: number[] }[],
  modelRuns: ModelRun[] = [],
): Promise<string> {
  const header = [
    'scenario',
    'seed',
    'verdict',
    'offered/s',
    'achieved/s',
    'load s',
    'acked',
    'sends',
    'provider repeats',
    'ambiguous',
    'held',
    'duplicates',
    'losses',
    'lost on topic',
    'out of order',
    'wall s',
    'run on',
  ];
  const rows = runs.map(({ result, date, commit }) => {
    const f = result.figures;
    return [
      result.name,
      result.seed,
      result.passed ? (result.expectViolations ? 'pass (control failed as it must)' : 'pass') : 'FAIL',
      result.offeredRate,
      (f.acknowledged / Math.max(0.001, result.loadMs / 1_000)).toFixed(0),
      seconds(result.loadMs),
      f.acknowledged,
      f.sends,
      f.providerRepeats,
      f.ambiguousAttempts,
      f.held,
      f.duplicates,
      f.losses,
      f.topicLosses,
      f.outOfOrder,
      seconds(result.durationMs),
      `${date.slice(0, 16).replace('T', ' ')} \`${commit}\``,
    ].map(String);
  });
  const done = new Set(runs.map(({ result }) => `${result.name}/${result.seed}`));
  const missing = plan.flatMap(({ scenario, seeds }) =>
    seeds.filter((seed) => !done.has(`${scenario}/${seed}`)).map((seed) => `${scenario} (seed ${seed})`),
  );
  const durability = [...new Set(runs.flatMap((run) => run.durability))];
  const shapes = [...new Set(runs.map((run) => `${run.offeredRate} commands/s for ${run.seconds} s`))];
  const planned = plan.reduce((sum, { seeds }) => sum + seeds.length, 0);
  return [
    '# Fault scenarios: long run',
    '',
    `Written by \`npm run test:faults -- --long\` from the runs kept in [long-runs/](long-runs/): ` +
      `${runs.length} of the ${planned} planned runs (every scenario × its seeds) are done. Each offered ` +
      `${shapes.join(' or ') || 'its load'} on the three-node cluster with the services' default timeouts; ` +
      '`achieved/s` is what the system acknowledged over the time the load ran (on this 2-core machine, ' +
      'the rate it sustained under that fault: the load is open, so a slower system makes the run longer, not smaller).',
    '',
    '## Durability settings (read from the servers)',
    '',
    ...(durability.length > 0 ? durability : ['- no run yet']),
    '',
    '## Model test',
    '',
    ...(modelRuns.length > 0
      ? modelRuns.map(
          (run) =>
            `- seed ${run.seed}: ${run.passed ? 'passed' : 'FAILED'}, ${run.runs} runs in ${run.seconds} s, ` +
            `${run.faults} faults injected (${run.faultKinds || 'none'}), ${run.date.slice(0, 16).replace('T', ' ')} \`${run.commit}\``,
        )
      : [await modelTestSummary()]),
    '',
    '## Runs',
    '',
    rows.length > 0 ? markdownTable(header, rows) : 'None yet.',
    '',
    '## Not run yet',
    '',
    ...(missing.length > 0 ? missing.map((run) => `- ${run}`) : ['- nothing: every planned run is done']),
    '',
    '## What each run did',
    resultsMarkdown(
      runs.map((run) => run.result),
      { mode: 'long', wallMs: 0, date: new Date() },
    ).split('\n## What each scenario did\n')[1] ?? '',
  ].join('\n');
}
