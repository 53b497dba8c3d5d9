import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageResource } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import type { Command } from 'commander';
import type { CliContext, JsonOption } from '../cliContext.js';
import { formatTable, printJson, printLine } from '../output.js';
import { type ApiOptions, apiClient, apiError } from './apiClient.js';
import { durationArgument } from './arguments.js';

// Held is an end too: only a late answer or an operator moves it on. Cancelled never moves on.
const finalStatuses = new Set(['sent', 'failed', 'held', 'cancelled']);

export function registerStatusCommand(program: Command, context: CliContext): void {
  program
    .command('status')
    .summary('a message’s status and event timeline')
    .description('a message’s status and its event timeline (through the API, as the sending account)')
    .argument('<message-id>', 'the message (msg_...)')
    .option('--wait', 'wait until the message is sent, failed or held (polls the API)')
    .option('--timeout <duration>', 'how long --wait waits (default 30s)', durationArgument('--timeout'))
    .option('--api-url <url>', 'the ingest API (default EXACTLY_API_URL)')
    .option('--api-key <key>', 'an API key of the message’s account (default EXACTLY_API_KEY)')
    .option('--json', 'print the message resource with its events as JSON')
    .action(
      async (messageId: string, options: JsonOption & ApiOptions & { wait?: boolean; timeout?: number }) => {
        // A read: one quick retry, then say what is wrong (sends keep the SDK's patient retries).
        const { client, baseUrl } = apiClient(context, options, { maxRetries: 1 });
        const read = () =>
          client.messages.get(messageId, { signal: context.signal }).catch((error: unknown) => {
            const failure = apiError(error, baseUrl);
            if (failure.code === 'not_found')
              throw new ExactlyError(
                'not_found',
                `message ${messageId} not found for this API key’s account`,
                {
                  cause: error,
                },
              );
            throw failure;
          });
        let message = await read();
        const timeout = options.timeout ?? 30_000;
        const deadline = Date.now() + timeout;
        while (options.wait && !finalStatuses.has(message.status)) {
          if (Date.now() > deadline) {
            throw new ExactlyError(
              'unavailable',
              `message ${messageId} is still ${message.status} after ${timeout} ms: is a dispatcher running (\`exactly groups\`)?`,
            );
          }
          await sleep(250, undefined, { signal: context.signal });
          message = await read();
        }
        if (options.json) return printJson(context.out, message);
        printLine(context.out, describe(message));
      },
    );
}

function describe(message: MessageResource): string {
  const head = `${message.id}  ${message.status}  ${message.channel} ${message.from} → ${message.to}  (created ${message.createdAt})`;
  const events = message.events ?? [];
  if (events.length === 0) return head;
  const timeline = formatTable(
    ['AT', 'EVENT', 'DETAILS'],
    events.map((event) => [
      event.at,
      event.type,
      Object.entries(event.data)
        .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
        .join(' '),
    ]),
  );
  return `${head}\n${timeline}`;
}
