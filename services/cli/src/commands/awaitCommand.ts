import type { IdempotencyKeyState } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import type { Command } from 'commander';
import type { CliContext, JsonOption } from '../cliContext.js';
import { printJson, printLine } from '../output.js';
import { type ApiOptions, apiClient, apiError } from './apiClient.js';
import { durationArgument } from './arguments.js';

export function registerAwaitCommand(program: Command, context: CliContext): void {
  program
    .command('await')
    .summary('wait for the result of an idempotency key (its messages sent, failed or cancelled)')
    .description(
      'wait until every message sent under an idempotency key is terminal (sent, failed, cancelled): the API holds the request (GET /v1/idempotency-keys/{key}?wait=), no polling',
    )
    .argument('<idempotency-key>', 'the key the messages were sent with')
    .option('--timeout <duration>', 'how long to wait in all (default 30s)', durationArgument('--timeout'))
    .option('--api-url <url>', 'the ingest API (default EXACTLY_API_URL)')
    .option('--api-key <key>', 'an API key of the sending account (default EXACTLY_API_KEY)')
    .option('--json', 'print the key state with its messages and done as JSON')
    .addHelpText(
      'after',
      `
Examples:
  exactly send --channel sms --to +15551234567 --from Acme --text Hi --idempotency-key order-7
  exactly await order-7 --timeout 1m

Exits 0 once done, 4 for a key the API does not know, 5 when the wait ends first.`,
    )
    .action(async (key: string, options: JsonOption & ApiOptions & { timeout?: number }) => {
      const { client, baseUrl } = apiClient(context, options, { maxRetries: 1 });
      const timeout = options.timeout ?? 30_000;
      const state = await client.idempotencyKeys
        .awaitResult(key, { waitMs: timeout, signal: context.signal })
        .catch((error: unknown) => {
          throw apiError(error, baseUrl);
        });
      if (options.json) printJson(context.out, state);
      else printLine(context.out, describe(state));
      if (state.state === 'unknown') {
        throw new ExactlyError(
          'not_found',
          `no idempotency key ${key} for this API key’s account (or it expired)`,
        );
      }
      if (state.done !== true) {
        throw new ExactlyError(
          'unavailable',
          `key ${key} is not done after ${timeout} ms: is a dispatcher running (\`exactly groups\`)?`,
        );
      }
    });
}

function describe(state: IdempotencyKeyState): string {
  const messages = state.messages ?? [];
  const head = `${state.key}  ${state.done ? 'done' : state.state}`;
  return [head, ...messages.map((message) => `  ${message.id}  ${message.status}`)].join('\n');
}
