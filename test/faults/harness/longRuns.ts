import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioResult } from './runScenario.ts';

/**
 * Long mode takes hours (every scenario × 3 seeds × 5 minutes), more than one sitting. Each
 * run is kept as it ends, one JSON file per scenario and seed in `test/faults/long-runs/`
 * (committed), and RESULTS-long.md is written from every kept run: a long run can be done a
 * few scenarios at a time, and a run that was interrupted keeps what it finished. Running a
 * scenario and seed again replaces its file.
 */
export interface LongRun {
  result: ScenarioResult;
  /** When the run ended, and the commit it ran, read when the suite started (with `+dirty` when the tree had changes). */
  date: string;
  commit: string;
  offeredRate: number;
  seconds: number;
  /** The durability settings read from the servers of that run. */
  durability: string[];
}

export const longRunsDir = fileURLToPath(new URL('../long-runs/', import.meta.url));
const faultsDir = fileURLToPath(new URL('..', import.meta.url));

/** Where the run of a scenario with a seed is kept. */
export const longRunFile = (name: string, seed: number) =>
  `${longRunsDir}${name}-seed${seed}.json`.replaceAll(/[^\w./-]/g, '_');

/** The commit under test, as `git` names it (`unknown` outside a clone). */
export function currentCommit(): string {
  const git = (args: string[]) =>
    execFileSync('git', args, {
      cwd: faultsDir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    const commit = git(['rev-parse', '--short=12', 'HEAD']);
    // What long mode writes itself (the table and the kept runs) does not make the tree dirty.
    const changes = git([
      'status',
      '--porcelain',
      '--untracked-files=no',
      '--',
      ':/',
      ':(exclude,top)test/faults/RESULTS-long.md',
      ':(exclude,top)test/faults/long-runs',
    ]);
    return changes === '' ? commit : `${commit}+dirty`;
  } catch {
    return 'unknown';
  }
}

/**
 * A control can find a violation per command (key retention: every key of the run, 27 MB of
 * JSON); a kept run keeps the first few hundred and how many there were.
 */
export const keptViolations = 200;

export async function saveLongRun(run: LongRun): Promise<void> {
  const { violations } = run.result;
  const result = {
    ...run.result,
    violations: violations.slice(0, keptViolations),
    violationCount: run.result.violationCount ?? violations.length,
  };
  await writeJson(longRunFile(result.name, result.seed), { ...run, result });
}

/**
 * A model test run kept by long mode (`model-runs/seed<seed>.json`, committed): the long run's
 * results name the model test's runs and seeds from these, not from a file a clone lacks.
 */
export interface ModelRun {
  runs: number;
  seed: number;
  passed: boolean;
  faults: number;
  /** The faults injected, by kind (`23× kill -9 ingest among the burst, ...`). */
  faultKinds: string;
  seconds: number;
  date: string;
  commit: string;
}

export const modelRunsDir = fileURLToPath(new URL('../model-runs/', import.meta.url));

export async function saveModelRun(run: ModelRun): Promise<void> {
  await writeJson(`${modelRunsDir}seed${run.seed}.json`, run);
}

/** Every kept model test run, by seed. */
export async function loadModelRuns(): Promise<ModelRun[]> {
  return (await readJsonFiles<ModelRun>(modelRunsDir)).sort((a, b) => a.seed - b.seed);
}

/** Writes one kept file (pretty JSON, as committed), making its folder when needed. */
async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Every `.json` file of a folder, parsed (none when the folder does not exist). */
async function readJsonFiles<T>(dir: string): Promise<T[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(
    names
      .filter((name) => name.endsWith('.json'))
      .map(async (name) => JSON.parse(await readFile(`${dir}${name}`, 'utf8')) as T),
  );
}

/** Every kept run, in scenario order of `order` (then by seed); unknown names last. */
export async function loadLongRuns(order: readonly string[]): Promise<LongRun[]> {
  const runs = await readJsonFiles<LongRun>(longRunsDir);
  const rank = (name: string) => {
    const index = order.indexOf(name);
    return index === -1 ? order.length : index;
  };
  return runs.sort((a, b) => rank(a.result.name) - rank(b.result.name) || a.result.seed - b.result.seed);
}
