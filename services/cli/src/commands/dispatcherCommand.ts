import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { ExactlyError } from '@exactly/errors';
import type { Command } from 'commander';
import type { CliContext, JsonOption } from '../cliContext.js';
import { exitCodes } from '../exitCodes.js';
import { printJson, printLine } from '../output.js';
import { type SupervisorEvent, superviseProcesses } from '../supervisor/superviseProcesses.js';
import { positiveNumber } from './arguments.js';

interface DispatcherOptions extends JsonOption {
  instances: number;
  basePort: number;
  host: string;
  entry?: string;
  logs: boolean;
}

export function registerDispatcherCommand(program: Command, context: CliContext): void {
  program
    .command('dispatcher')
    .summary('run N local dispatchers under a supervisor')
    .description(
      'run N dispatcher processes on this machine under a small supervisor that restarts a crashed one (for trying out scaling)',
    )
    .requiredOption('-i, --instances <n>', 'how many dispatcher processes', positiveNumber('--instances', 64))
    .option(
      '--base-port <port>',
      'instance i serves /healthz, /readyz and /metrics on base + i − 1',
      positiveNumber('--base-port', 65_000),
      3002,
    )
    .option('--host <host>', 'where the ops servers listen', '127.0.0.1')
    .option('--entry <path>', 'the dispatcher to run (default: the built @exactly/dispatcher/main)')
    .option('--no-logs', 'do not pass the dispatchers’ own log lines through to stderr')
    .option('--json', 'print the supervisor’s events as JSON lines')
    .addHelpText(
      'after',
      `
Each instance gets the environment (DATABASE_URL, KAFKA_BROKERS, COMMANDS_TOPIC, CONSUMER_GROUP,
… with the local defaults) and its own PORT. They join one consumer group and share the topic's
partitions (at most one instance per partition does work: see \`exactly groups\`). A crashed
instance is restarted after 1 s, doubling up to 30 s while it keeps crashing; one that exits five
times in a row before becoming ready stops everything (exit 1). Ctrl-C stops them all cleanly.`,
    )
    .action(async (options: DispatcherOptions) => {
      const entry = options.entry ?? builtDispatcher();
      const { config } = context;
      const baseEnv = {
        ...context.env,
        DATABASE_URL: config.DATABASE_URL,
        KAFKA_BROKERS: config.KAFKA_BROKERS.join(','),
        COMMANDS_TOPIC: config.COMMANDS_TOPIC,
        MESSAGE_EVENTS_TOPIC: config.MESSAGE_EVENTS_TOPIC,
        DEAD_LETTER_TOPIC: config.DEAD_LETTER_TOPIC,
        CONSUMER_GROUP: config.CONSUMER_GROUP,
        HOST: options.host,
      };
      const report = (event: SupervisorEvent) => {
        if (options.json) return printJson(context.out, event);
        const line = describe(event);
        if (line) printLine(context.out, line);
      };
      const outcome = await superviseProcesses(
        {
          instances: options.instances,
          spawn: (instance) => {
            const port = options.basePort + instance - 1;
            const child = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', entry], {
              env: { ...baseEnv, PORT: String(port), KAFKA_CLIENT_ID: `exactly-dispatcher-${instance}` },
              stdio: ['ignore', 'pipe', 'pipe'],
            });
            return { child, url: `http://${options.host}:${port}` };
          },
          onEvent: report,
          ...(options.logs
            ? {
                onOutput: (instance: number, line: string) =>
                  context.out.stderr(`[dispatcher-${instance}] ${line}\n`),
              }
            : {}),
        },
        context.signal,
      );
      if (outcome === 'gave_up') context.setExitCode(exitCodes.internal);
    });
}

/** The dispatcher package's `./main` export (its built dist/main.js). */
function builtDispatcher(): string {
  try {
    return createRequire(import.meta.url).resolve('@exactly/dispatcher/main');
  } catch (error) {
    throw new ExactlyError(
      'config_invalid',
      'the dispatcher is not built (@exactly/dispatcher/main is missing): build it first (`npm run build`)',
      { cause: error },
    );
  }
}

function describe(event: SupervisorEvent): string | undefined {
  switch (event.event) {
    case 'started':
      return `dispatcher ${event.instance}: started (pid ${event.pid}, ${event.url}${event.restarts > 0 ? `, restart ${event.restarts}` : ''})`;
    case 'ready':
      return `dispatcher ${event.instance}: ready (consuming)`;
    case 'exited':
      return `dispatcher ${event.instance}: exited (${event.signal ?? `code ${event.code}`}); restarting in ${(event.restartInMs / 1_000).toFixed(1)} s`;
    case 'gave_up':
      return `dispatcher ${event.instance}: giving up, ${event.reason}. Its last output:\n  ${event.lastOutput.join('\n  ')}`;
    case 'stopping':
      return 'stopping every dispatcher';
    case 'stopped':
      return 'all dispatchers stopped';
  }
}
