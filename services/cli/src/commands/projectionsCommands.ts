import type { Command } from 'commander';
import type { CliContext, JsonOption } from '../cliContext.js';
import { exitCodes } from '../exitCodes.js';
import { formatTable, printJson, printLine } from '../output.js';
import { operations } from './lazyModules.js';

export function registerProjectionsCommands(program: Command, context: CliContext): void {
  const projections = program.command('projections').description('check and repair the read models');
  projections
    .command('rebuild')
    .description(
      'rebuild the messages read model from the event store and report whether it equals the live one (exit 7 when not)',
    )
    .option('--account <account-id>', 'only this account’s messages')
    .option('--repair', 'write the rebuilt status and version over live rows that differ')
    .option('--json', 'print {checked, equal, mismatches, repaired} as JSON')
    .action(async (options: JsonOption & { account?: string; repair?: boolean }) => {
      const orm = await context.resources.orm();
      const progress = context.progress('projections');
      const result = await (await operations()).checkMessageProjections(orm, {
        ...(options.account ? { accountId: options.account } : {}),
        repair: options.repair ?? false,
        onProgress: (checked, total) => progress.update(checked, total),
      });
      progress.finish();
      if (!result.equal) context.setExitCode(exitCodes.differs);
      if (options.json) return printJson(context.out, result);
      const repaired = options.repair ? `; ${result.repaired.length} repaired` : '';
      if (result.equal) {
        return printLine(
          context.out,
          `checked ${result.checked} message(s): the read model equals the projection rebuilt from the event store${repaired}`,
        );
      }
      printLine(
        context.out,
        `checked ${result.checked} message(s): ${result.mismatches.length} differ from the event store${repaired}` +
          (options.repair
            ? ' (broken or missing streams cannot be repaired)'
            : ' (run with --repair to fix status and version)'),
      );
      printLine(
        context.out,
        formatTable(
          ['MESSAGE', 'FIELDS', 'LIVE', 'REBUILT'],
          result.mismatches
            .slice(0, 20)
            .map((mismatch) => [
              mismatch.id,
              mismatch.fields.join(','),
              mismatch.live ? `${mismatch.live.status} v${mismatch.live.version}` : 'no row',
              mismatch.rebuilt
                ? `${mismatch.rebuilt.status} v${mismatch.rebuilt.version}`
                : 'no valid stream',
            ]),
        ),
      );
      if (result.mismatches.length > 20)
        printLine(context.out, `… and ${result.mismatches.length - 20} more (--json lists all)`);
    });
}
