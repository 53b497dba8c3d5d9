import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ScenarioResult } from './runScenario.ts';

const seconds = (ms: number) => (ms / 1000).toFixed(1);

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
  const table = [header, header.map(() => '---'), ...rows]
    .map((cells) => `| ${cells.join(' | ')} |`)
    .join('\n');
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
      for (const problem of result.problems) lines.push(`- scenario problem: ${problem}`);
      if (result.violations.length > 0) {
        lines.push(
          `Checker (${result.violations.length} violations${result.expectViolations ? ', expected' : ''}):`,
          '',
        );
        for (const violation of result.violations.slice(0, 5)) lines.push(`- ${violation}`);
        if (result.violations.length > 5) lines.push(`- … and ${result.violations.length - 5} more`);
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

export async function writeResults(file: string, markdown: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, markdown);
}
