import type { CliConfig } from './cliConfig.js';
import type { ExitCode } from './exitCodes.js';
import type { Output } from './output.js';
import type { Progress } from './progress.js';
import type { Resources } from './resources.js';

/** What every command gets: configuration, output, lazily opened connections. */
export interface CliContext {
  config: CliConfig;
  out: Output;
  resources: Resources;
  /** The environment, passed on to processes the CLI starts. */
  env: Record<string, string | undefined>;
  /** Aborted when the command should stop (SIGINT/SIGTERM): long-running commands watch it. */
  signal: AbortSignal;
  /** The exit code when the command finishes without throwing (default 0). */
  setExitCode(code: ExitCode): void;
  /** A progress reporter on stderr (silent with --quiet). */
  progress(label: string, total?: number): Progress;
}

/** The options every leaf command has. */
export interface JsonOption {
  json?: boolean;
}
