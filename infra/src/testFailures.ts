/** The parts of a jest `--json` result file that name what failed. */
export interface JestFailureReport {
  testResults?: Array<{
    name: string;
    status?: string;
    message?: string;
    assertionResults?: Array<{ fullName: string; status: string; failureMessages?: string[] }>;
  }>;
}

const ansiEscape = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** The first `maxLines` non-empty lines of a failure message, without colour codes, indented. */
function excerpt(message: string, maxLines: number): string[] {
  return message
    .replace(ansiEscape, '')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(0, maxLines)
    .map((line) => `      ${line.trimEnd()}`);
}

/**
 * One heading per failed test (and per suite that failed without a failed test, e.g. it did not
 * compile), each followed by the start of its message. CI keeps only the end of a run's output,
 * so the summary repeats what failed there.
 */
export function describeFailures(dir: string, report: JestFailureReport, maxLines = 12): string[] {
  const lines: string[] = [];
  for (const suite of report.testResults ?? []) {
    const file = suite.name.slice(suite.name.indexOf(`${dir}/`) + dir.length + 1);
    const failed = (suite.assertionResults ?? []).filter((test) => test.status === 'failed');
    for (const test of failed) {
      lines.push(`  FAILED ${dir}/${file} › ${test.fullName}`);
      lines.push(...excerpt((test.failureMessages ?? []).join('\n'), maxLines));
    }
    if (failed.length === 0 && suite.status === 'failed') {
      lines.push(`  FAILED ${dir}/${file} (the suite itself)`);
      lines.push(...excerpt(suite.message ?? '', maxLines));
    }
  }
  return lines;
}
