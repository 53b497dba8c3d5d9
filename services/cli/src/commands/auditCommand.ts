import type { Command } from 'commander';
import type { CliContext, JsonOption } from '../cliContext.js';
import { exitCodes } from '../exitCodes.js';
import { formatAge, formatTable, printJson, printLine } from '../output.js';
import { durationArgument } from './arguments.js';
import { operations } from './lazyModules.js';

interface AuditOptions extends JsonOption {
  olderThan: number;
  limit: number;
}

export function registerAuditCommand(program: Command, context: CliContext): void {
  program
    .command('audit')
    .summary('accepted commands that have not reached a terminal state in time, and why')
    .description(
      'lists commands still accepted or dispatching after --older-than (on the database clock), oldest ' +
        'first, each with where it stands: its outbox row, set aside by the relay, the inbox, its effect. ' +
        'Empty after a healthy run; exit 6 when it lists any.',
    )
    .option(
      '--older-than <duration>',
      'how long a command may stay in flight',
      durationArgument('--older-than'),
      300_000,
    )
    .option('--limit <n>', 'list at most this many', (value) => Number.parseInt(value, 10), 100)
    .option('--json', 'print the commands as JSON')
    .action(async (options: AuditOptions) => {
      const stuck = await (await operations()).findStuckCommands((await context.resources.orm()).em.fork(), {
        olderThanMs: options.olderThan,
        limit: options.limit,
      });
      if (stuck.length > 0) context.setExitCode(exitCodes.partial);
      if (options.json) return printJson(context.out, { olderThanMs: options.olderThan, stuck });
      if (stuck.length === 0) {
        return printLine(context.out, `no command in flight for longer than ${formatAge(options.olderThan)}`);
      }
      printLine(
        context.out,
        formatTable(
          ['MESSAGE', 'ACCOUNT', 'KEY', 'STATUS', 'AGE', 'WHY'],
          stuck.map((command) => [
            command.messageId,
            command.accountId,
            command.messageKey,
            command.status,
            formatAge(command.ageMs),
            command.why,
          ]),
        ),
      );
    });
}
