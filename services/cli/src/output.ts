/** Where a command writes: results to stdout, progress and diagnostics to stderr. */
export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is a terminal (a redrawn progress bar) or not (plain progress lines). */
  readonly isTTY: boolean;
  readonly columns: number;
}

export function processOutput(): Output {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTTY: process.stderr.isTTY === true,
    get columns() {
      return process.stderr.columns ?? 80;
    },
  };
}

/** Prints one line of a result. */
export function printLine(out: Output, text = ''): void {
  out.stdout(`${text}\n`);
}

/** Prints a result as JSON for scripts (one document, on stdout). */
export function printJson(out: Output, value: unknown): void {
  out.stdout(
    `${JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? item.toString() : item))}\n`,
  );
}

/** Left-aligned columns, for people. */
export function formatTable(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = [
    header,
    ...rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell)))),
  ];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column]?.length ?? 0)));
  return cells
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** 950 ms, 3.2 s, 4 min 10 s, 2 h 5 min, 3 d 4 h: an age or duration for people. */
export function formatAge(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.floor((ms % 60_000) / 1_000)} s`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ${Math.floor((ms % 3_600_000) / 60_000)} min`;
  return `${Math.floor(ms / 86_400_000)} d ${Math.floor((ms % 86_400_000) / 3_600_000)} h`;
}
