import { ExactlyError } from '@exactly/errors';
import type { RedriveOutcome } from '@exactly/operations';
import type { Command } from 'commander';
import type { CliContext, JsonOption } from '../cliContext.js';
import { exitCodes } from '../exitCodes.js';
import { formatTable, printJson, printLine } from '../output.js';
import { positiveNumber } from './arguments.js';
import { operations } from './lazyModules.js';

interface FilterOptions {
  code?: string;
  topic?: string;
}

export function registerDeadLetterCommands(program: Command, context: CliContext): void {
  const dlq = program.command('dlq').description('list dead letters and redrive them after a fix');

  dlq
    .command('list')
    .description('dead letters, newest first, with their reason and whether they were redriven')
    .option('--code <code>', 'only this code (command_not_accepted, schema_invalid, processing_failed, …)')
    .option('--topic <topic>', 'only records that came from this topic')
    .option('--pending', 'only dead letters never redriven')
    .option(
      '--before <id>',
      'older than this id (paging)',
      positiveNumber('--before', Number.MAX_SAFE_INTEGER),
    )
    .option('--limit <n>', 'at most this many', positiveNumber('--limit', 10_000), 50)
    .option('--json', 'print the dead letters as JSON')
    .action(
      async (options: JsonOption & FilterOptions & { pending?: boolean; before?: number; limit: number }) => {
        const letters = await (await operations()).listDeadLetters(
          (await context.resources.orm()).em.fork(),
          {
            limit: options.limit,
            pending: options.pending ?? false,
            ...(options.code ? { code: options.code } : {}),
            ...(options.topic ? { topic: options.topic } : {}),
            ...(options.before ? { before: options.before } : {}),
          },
        );
        if (options.json) return printJson(context.out, letters);
        if (letters.length === 0) return printLine(context.out, 'no dead letters');
        printLine(
          context.out,
          formatTable(
            ['ID', 'CODE', 'MESSAGE', 'FROM', 'AT', 'REDRIVEN', 'REASON'],
            letters.map((letter) => [
              letter.id,
              letter.code,
              letter.messageId,
              `${letter.source.topic}/${letter.source.partition}@${letter.source.offset}`,
              letter.createdAt,
              letter.redrivenAt ?? (letter.notRedrivable ? 'cannot' : 'no'),
              letter.reason.length > 80 ? `${letter.reason.slice(0, 79)}…` : letter.reason,
            ]),
          ),
        );
      },
    );

  dlq
    .command('redrive')
    .description(
      're-publish dead letters to their topic through the outbox, after a fix; a dead letter is redriven once, ever',
    )
    .argument('[ids...]', 'dead letter ids (see `exactly dlq list`)')
    .option('--all', 'every dead letter not redriven yet (with --code / --topic: only those)')
    .option('--code <code>', 'with --all: only this code')
    .option('--topic <topic>', 'with --all: only records from this topic')
    .option('--json', 'print one outcome per dead letter as JSON')
    .addHelpText(
      'after',
      `
Redriving the same dead letter again sends nothing (its redrive is recorded in the same
transaction that queues it), and a command redriven twice is also dropped by the dispatcher's
inbox. replay_beyond_horizon and payload_conflict cannot be cured by a redrive and are refused.`,
    )
    .action(async (ids: string[], options: JsonOption & FilterOptions & { all?: boolean }) => {
      if (ids.length > 0 === (options.all === true))
        throw new ExactlyError('invalid_request', 'give dead letter ids or --all (not both)');
      if (!options.all && (options.code || options.topic))
        throw new ExactlyError('invalid_request', '--code and --topic go with --all');
      const numeric = ids.map((id) => {
        const value = Number(id);
        if (!Number.isSafeInteger(value) || value < 1)
          throw new ExactlyError(
            'invalid_request',
            `${id} is not a dead letter id (see \`exactly dlq list\`)`,
          );
        return value;
      });
      const orm = await context.resources.orm();
      const progress = context.progress('redrive', options.all ? undefined : numeric.length);
      const outcomes = await (await operations()).redriveDeadLetters(
        { orm, onProgress: (done) => progress.update(done) },
        options.all
          ? {
              all: true,
              ...(options.code ? { code: options.code } : {}),
              ...(options.topic ? { topic: options.topic } : {}),
            }
          : { ids: numeric },
      );
      progress.finish();
      context.setExitCode(exitCodeOf(outcomes));
      if (options.json) return printJson(context.out, outcomes);
      if (outcomes.length === 0) return printLine(context.out, 'nothing to redrive');
      const count = (outcome: RedriveOutcome['outcome']) =>
        outcomes.filter((entry) => entry.outcome === outcome).length;
      printLine(
        context.out,
        `${count('redriven')} redriven, ${count('already_redriven')} already redriven before (sent nothing), ` +
          `${count('not_redrivable')} not redrivable, ${count('not_found')} not found`,
      );
      const notable = outcomes.filter((entry) => entry.outcome !== 'redriven').slice(0, 20);
      if (notable.length > 0) {
        printLine(
          context.out,
          formatTable(
            ['ID', 'OUTCOME', 'WHY'],
            notable.map((entry) => [
              entry.id,
              entry.outcome,
              entry.outcome === 'not_redrivable' ? entry.reason : '',
            ]),
          ),
        );
      }
    });
}

function exitCodeOf(outcomes: readonly RedriveOutcome[]) {
  if (outcomes.some((entry) => entry.outcome === 'not_found')) return exitCodes.notFound;
  if (outcomes.some((entry) => entry.outcome === 'not_redrivable')) return exitCodes.partial;
  return exitCodes.ok;
}
