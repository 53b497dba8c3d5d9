import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { serviceEntry } from '@exactly/testkit';
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

/** Runs the built `exactly` as a separate process, as an operator's shell would. */
export async function exactlyProcess(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [serviceEntry('cli'), ...args], {
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
