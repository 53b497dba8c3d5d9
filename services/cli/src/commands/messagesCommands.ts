import { randomUUID } from 'node:crypto';
import type { SendResult } from '@exactly/sdk';
import type { Command } from 'commander';
import type { CliContext, JsonOption } from '../cliContext.js';
import { printJson, printLine } from '../output.js';
import { type ApiOptions, apiClient, apiError } from './apiClient.js';
import { sendAtArgument } from './arguments.js';

interface ChangeOptions extends JsonOption, ApiOptions {
  idempotencyKey?: string;
}

/** `exactly messages reschedule|cancel`: change a scheduled send through the API, as its account. */
export function registerMessagesCommands(program: Command, context: CliContext): void {
  const messages = program
    .command('messages')
    .description('change a scheduled message (sent with `exactly send --at`)');
  const withApi = (command: Command) =>
    command
      .option(
        '--idempotency-key <key>',
        'the key of this change (default: a new UUID; honoured where the profile keys the method)',
      )
      .option('--api-url <url>', 'the ingest API (default EXACTLY_API_URL)')
      .option('--api-key <key>', 'an API key of the message’s account (default EXACTLY_API_KEY)')
      .option('--json', 'print the message as JSON');

  const report = (verb: string, options: ChangeOptions, idempotencyKey: string, result: SendResult) => {
    if (options.json)
      return printJson(context.out, { ...result.message, idempotencyKey, replayed: result.replayed });
    printLine(
      context.out,
      `${result.replayed ? 'replayed' : verb}: ${result.message.id} (${result.message.status}${result.message.sendAt ? `, due ${result.message.sendAt}` : ''})`,
    );
  };

  withApi(
    messages
      .command('reschedule')
      .description('move a scheduled message to another time (refused once its send started)')
      .argument('<message-id>', 'the message (msg_...)')
      .requiredOption(
        '--at <time>',
        'the new time: RFC 3339 with an offset, or +<duration> from now',
        sendAtArgument('--at'),
      ),
  ).action(async (messageId: string, options: ChangeOptions & { at: string }) => {
    const { client, baseUrl } = apiClient(context, options);
    const idempotencyKey = options.idempotencyKey ?? randomUUID();
    const result = await client.messages
      .reschedule(messageId, options.at, { idempotencyKey, signal: context.signal })
      .catch((error: unknown) => {
        throw apiError(error, baseUrl);
      });
    report('rescheduled', options, idempotencyKey, result);
  });

  withApi(
    messages
      .command('cancel')
      .description('cancel a scheduled message: it is never sent (refused once its send started)')
      .argument('<message-id>', 'the message (msg_...)'),
  ).action(async (messageId: string, options: ChangeOptions) => {
    const { client, baseUrl } = apiClient(context, options);
    const idempotencyKey = options.idempotencyKey ?? randomUUID();
    const result = await client.messages
      .cancel(messageId, { idempotencyKey, signal: context.signal })
      .catch((error: unknown) => {
        throw apiError(error, baseUrl);
      });
    report('cancelled', options, idempotencyKey, result);
  });
}
