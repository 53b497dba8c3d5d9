import { ExactlyError, isExactlyError } from '@exactly/errors';
import { CommanderError } from 'commander';
import { type CliConfig, readCliConfig } from './cliConfig.js';
import type { CliContext } from './cliContext.js';
import { createProgram } from './createProgram.js';
import { type ExitCode, exitCodeFor, exitCodes } from './exitCodes.js';
import type { Output } from './output.js';
import { createProgress } from './progress.js';
import { createResources } from './resources.js';

export interface RunOptions {
  out: Output;
  env?: Record<string, string | undefined>;
  /** Given directly by tests; read from `env` otherwise. */
  config?: CliConfig;
  signal?: AbortSignal;
}

/**
 * Runs `exactly` with the arguments after the program name and returns the exit code (see
 * exitCodes.ts). Errors are printed to stderr with what to do about them; nothing is thrown.
 */
export async function runCli(argv: readonly string[], options: RunOptions): Promise<ExitCode> {
  const { out } = options;
  const env = options.env ?? process.env;
  let exitCode: ExitCode = exitCodes.ok;
  let quiet = false;
  let config: CliConfig;
  try {
    config = options.config ?? readCliConfig(env);
  } catch (error) {
    return report(out, error);
  }
  const resources = createResources({ databaseUrl: config.DATABASE_URL, kafkaBrokers: config.KAFKA_BROKERS });
  const context: CliContext = {
    config,
    out,
    resources,
    env,
    signal: options.signal ?? new AbortController().signal,
    setExitCode: (code) => {
      exitCode = code;
    },
    progress: (label, total) =>
      createProgress(out, label, { enabled: !quiet, ...(total === undefined ? {} : { total }) }),
  };
  try {
    const program = createProgram(context);
    program.hook('preAction', (_program, action) => {
      quiet = action.optsWithGlobals().quiet === true;
    });
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander printed the usage or the problem itself; help and version exit 0.
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    return report(out, error);
  } finally {
    await resources.close();
  }
}

function report(out: Output, thrown: unknown): ExitCode {
  if (isExactlyError(thrown)) {
    out.stderr(`exactly: ${thrown.message}\n`);
    return exitCodeFor(thrown.code);
  }
  const error = thrown instanceof Error ? thrown : new ExactlyError('internal', String(thrown));
  out.stderr(`exactly: unexpected error: ${error.message}\n`);
  if (process.env.EXACTLY_DEBUG === '1' && error.stack) out.stderr(`${error.stack}\n`);
  return exitCodes.internal;
}
