import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Output } from '../output.js';
import { runCli } from '../runCli.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the command printed
  json: any;
}

/** Runs `exactly <args>` in this process (fast), with the test run's database and Kafka plus `env`. */
export async function exactly(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out: Output = {
    stdout: (text) => stdout.push(text),
    stderr: (text) => stderr.push(text),
    isTTY: false,
    columns: 80,
  };
  const code = await runCli(args, { out, env: { ...process.env, ...env } });
  return result(code, stdout.join(''), stderr.join(''));
}

const exec = promisify(execFile);
export const cliEntry = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** Runs the built `exactly` as a separate process, as an operator's shell would. */
export async function exactlyProcess(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [cliEntry, ...args], {
      env: { ...process.env, ...env },
    });
    return result(0, stdout, stderr);
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return result(failed.code, failed.stdout, failed.stderr);
  }
}

function result(code: number, stdout: string, stderr: string): CliResult {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json };
}

/** Polls `check` until it returns true, or throws naming `what` after `timeoutMs`. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
