import { ExactlyError } from '@exactly/errors';
import type { WebhookEndpoint } from '@exactly/sdk';
import type { Command } from 'commander';
import type { CliContext, JsonOption } from '../cliContext.js';
import { formatTable, printJson, printLine } from '../output.js';
import { type ApiOptions, apiClient, apiError } from './apiClient.js';

type Options = JsonOption & ApiOptions;

const withApi = (command: Command) =>
  command
    .option('--api-url <url>', 'the ingest API (default EXACTLY_API_URL)')
    .option('--api-key <key>', 'an API key of the endpoint’s account (default EXACTLY_API_KEY)')
    .option('--json', 'print the API’s answer as JSON');

const eventTypes = (value: string | undefined) =>
  value === undefined ? undefined : value === 'all' ? null : value.split(',').map((type) => type.trim());

function table(endpoints: readonly WebhookEndpoint[]): string {
  return formatTable(
    ['ID', 'URL', 'EVENTS', 'STATE', 'LAST SUCCESS', 'LAST FAILURE', 'FAILING'],
    endpoints.map((endpoint) => [
      endpoint.id,
      endpoint.url,
      endpoint.eventTypes?.join(',') ?? 'all',
      endpoint.disabled ? `disabled (${endpoint.disabledReason ?? ''})` : 'enabled',
      endpoint.health.lastSuccessAt,
      endpoint.health.lastFailureAt,
      endpoint.health.failingStreak,
    ]),
  );
}

/** `exactly webhooks ...`: the account's webhook endpoints through the API (as its API key). */
export function registerWebhooksCommands(program: Command, context: CliContext): void {
  const webhooks = program
    .command('webhooks')
    .summary('webhook endpoints: create, list, update, disable, enable, rotate the secret, replay')
    .description('the webhook endpoints of the API key’s account, through the ingest API');

  const run = async <T>(
    options: ApiOptions,
    work: (client: ReturnType<typeof apiClient>['client']) => Promise<T>,
  ) => {
    const { client, baseUrl } = apiClient(context, options, { maxRetries: 2 });
    try {
      return await work(client);
    } catch (error) {
      throw apiError(error, baseUrl);
    }
  };
  const show = (options: Options, value: unknown, line: string) =>
    options.json ? printJson(context.out, value) : printLine(context.out, line);

  withApi(webhooks.command('create').argument('<url>', 'where to POST the events'))
    .option('--events <types>', 'comma-separated event types (default: all)')
    .option('--description <text>', 'a note for people')
    .option('--idempotency-key <key>', 'a key of yours (default: a new one; the same key creates once)')
    .action(
      async (
        url: string,
        options: Options & { events?: string; description?: string; idempotencyKey?: string },
      ) => {
        const types = eventTypes(options.events);
        const created = await run(options, (client) =>
          client.webhookEndpoints.create(
            {
              url,
              ...(types === undefined ? {} : { eventTypes: types }),
              ...(options.description === undefined ? {} : { description: options.description }),
            },
            options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey },
          ),
        );
        show(
          options,
          created.endpoint,
          `${created.endpoint.id}${created.replayed ? ' (replayed)' : ''}\nsecret: ${created.endpoint.secret}  (keep it: it is shown here and by rotate-secret only)`,
        );
      },
    );

  withApi(webhooks.command('list').description('the endpoints with their health')).action(
    async (options: Options) => {
      const endpoints = await run(options, (client) => client.webhookEndpoints.list());
      show(options, endpoints, endpoints.length === 0 ? 'no webhook endpoints' : table(endpoints));
    },
  );

  withApi(webhooks.command('get').argument('<endpoint-id>')).action(async (id: string, options: Options) => {
    const endpoint = await run(options, (client) => client.webhookEndpoints.get(id));
    show(options, endpoint, table([endpoint]));
  });

  withApi(webhooks.command('update').argument('<endpoint-id>'))
    .option('--url <url>', 'a new URL')
    .option('--events <types>', 'comma-separated event types, or `all`')
    .option('--description <text>', 'a new note')
    .action(
      async (id: string, options: Options & { url?: string; events?: string; description?: string }) => {
        const types = eventTypes(options.events);
        const change = {
          ...(options.url === undefined ? {} : { url: options.url }),
          ...(types === undefined ? {} : { eventTypes: types }),
          ...(options.description === undefined ? {} : { description: options.description }),
        };
        if (Object.keys(change).length === 0) {
          throw new ExactlyError('invalid_request', 'name at least one of --url, --events, --description');
        }
        const endpoint = await run(options, (client) => client.webhookEndpoints.update(id, change));
        show(options, endpoint, table([endpoint]));
      },
    );

  withApi(webhooks.command('disable').argument('<endpoint-id>'))
    .option('--reason <text>', 'why (recorded in the endpoint’s events)')
    .action(async (id: string, options: Options & { reason?: string }) => {
      const endpoint = await run(options, (client) => client.webhookEndpoints.disable(id, options.reason));
      show(options, endpoint, table([endpoint]));
    });

  withApi(webhooks.command('enable').argument('<endpoint-id>')).action(
    async (id: string, options: Options) => {
      const endpoint = await run(options, (client) => client.webhookEndpoints.enable(id));
      show(options, endpoint, table([endpoint]));
    },
  );

  withApi(webhooks.command('rotate-secret').argument('<endpoint-id>')).action(
    async (id: string, options: Options) => {
      const rotated = await run(options, (client) => client.webhookEndpoints.rotateSecret(id));
      show(
        options,
        rotated,
        `secret: ${rotated.secret}\nthe previous secret signs too until ${rotated.previousSecretUntil}`,
      );
    },
  );

  withApi(webhooks.command('replay').argument('<endpoint-id>'))
    .requiredOption('--since <time>', 'ISO 8601: events at or after it are sent again (same webhook-ids)')
    .action(async (id: string, options: Options & { since: string }) => {
      const since = new Date(options.since);
      if (Number.isNaN(since.getTime()))
        throw new ExactlyError('invalid_request', `--since ${options.since} is not a time`);
      const replayed = await run(options, (client) => client.webhookEndpoints.replay(id, since));
      show(
        options,
        replayed,
        `${replayed.deliveries} deliveries of ${id} queued again (events since ${replayed.since})`,
      );
    });

  withApi(webhooks.command('deliveries').argument('<endpoint-id>')).action(
    async (id: string, options: Options) => {
      const deliveries = await run(options, (client) => client.webhookEndpoints.deliveries(id));
      show(
        options,
        deliveries,
        formatTable(
          ['WEBHOOK-ID', 'EVENT', 'MESSAGE', 'OCCURRED', 'STATE', 'ATTEMPTS', 'LAST'],
          deliveries.map((delivery) => [
            delivery.id,
            delivery.eventType,
            delivery.messageId,
            delivery.occurredAt,
            delivery.state,
            delivery.attempts,
            delivery.lastError ?? delivery.lastStatus,
          ]),
        ),
      );
    },
  );
}
