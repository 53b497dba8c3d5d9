import { ExactlyError } from '@exactly/errors';
import type { HeldDecision } from '@exactly/operations';
import type { Command } from 'commander';
import type { CliContext, JsonOption } from '../cliContext.js';
import { exitCodes } from '../exitCodes.js';
import { formatTable, printJson, printLine } from '../output.js';
import { positiveNumber } from './arguments.js';
import { operations } from './lazyModules.js';

interface ResolveOptions extends JsonOption {
  sent?: boolean;
  failed?: boolean;
  sendAgain?: boolean;
  note?: string;
  operator?: string;
}

export function registerHeldCommands(program: Command, context: CliContext): void {
  const held = program
    .command('held')
    .description('messages held because a provider call may have gone out and no answer came');

  held
    .command('list')
    .description('held messages, longest held first, with the provider, the attempt and why')
    .option('--limit <n>', 'at most this many', positiveNumber('--limit', 10_000), 50)
    .option('--json', 'print the count and the held messages as JSON')
    .action(async (options: JsonOption & { limit: number }) => {
      const orm = await context.resources.orm();
      const result = await (await operations()).listHeldMessages(orm.em.fork(), { limit: options.limit });
      if (options.json) return printJson(context.out, result);
      if (result.count === 0) return printLine(context.out, 'no held messages');
      printLine(
        context.out,
        formatTable(
          ['MESSAGE', 'PROVIDER', 'TO', 'ATTEMPT', 'HELD AT', 'WHY'],
          result.messages.map((message) => [
            message.messageId,
            message.provider,
            message.recipient,
            message.attempt,
            message.heldAt,
            message.reason.length > 80 ? `${message.reason.slice(0, 79)}…` : message.reason,
          ]),
        ),
      );
      if (result.count > result.messages.length)
        printLine(context.out, `${result.count - result.messages.length} more (use --limit)`);
    });

  held
    .command('resolve')
    .description("record an operator's decision about a held message")
    .argument('<messageId>', 'the held message (see `exactly held list`)')
    .option('--sent', 'it was delivered (checked with the provider or the recipient)')
    .option('--failed', 'it was not delivered and is not to be sent')
    .option('--send-again', 'send it once more, with the same key (a repeat is possible)')
    .option('--note <text>', 'why, kept with the decision')
    .option('--operator <name>', 'who decides (default: $USER)')
    .option('--json', 'print the outcome as JSON')
    .addHelpText(
      'after',
      `
The decision is an event on the message's stream (OperatorMarkedSent, OperatorMarkedFailed or
OperatorRequestedResend) and sets its status. A message that is no longer held (a late answer
settled it, or another operator did) is left alone and reported (exit ${exitCodes.refused}).`,
    )
    .action(async (messageId: string, options: ResolveOptions) => {
      const chosen = (['sent', 'failed', 'sendAgain'] as const).filter((flag) => options[flag] === true);
      if (chosen.length !== 1)
        throw new ExactlyError('invalid_request', 'give exactly one of --sent, --failed, --send-again');
      const decision: HeldDecision = chosen[0] === 'sendAgain' ? 'send_again' : (chosen[0] ?? 'sent');
      const orm = await context.resources.orm();
      const outcome = await (await operations()).resolveHeldMessage(
        orm,
        {
          messageId,
          decision,
          operator: options.operator ?? context.env.USER ?? 'operator',
          ...(options.note ? { note: options.note } : {}),
        },
        { eventsTopic: context.config.MESSAGE_EVENTS_TOPIC },
      );
      if (outcome.outcome === 'not_found') context.setExitCode(exitCodes.notFound);
      if (outcome.outcome === 'not_held') context.setExitCode(exitCodes.refused);
      if (options.json) return printJson(context.out, outcome);
      switch (outcome.outcome) {
        case 'resolved':
          return printLine(
            context.out,
            `${messageId}: ${decision.replace('_', ' ')} recorded, status ${outcome.status}`,
          );
        case 'not_held':
          return printLine(
            context.out,
            `${messageId} is not held (status ${outcome.status ?? 'unknown'}): nothing changed`,
          );
        case 'not_found':
          return printLine(context.out, `${messageId}: no such message`);
      }
    });
}
