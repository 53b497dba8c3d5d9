import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Channel, TemplateResource } from '@exactly/contracts';
import { ExactlyError } from '@exactly/errors';
import { type Command, Option } from 'commander';
import type { CliContext, JsonOption } from '../cliContext.js';
import { formatTable, printJson, printLine } from '../output.js';
import { type ApiOptions, apiClient, apiError } from './apiClient.js';
import { positiveNumber } from './arguments.js';

interface ContentOptions extends JsonOption, ApiOptions {
  subject?: string;
  text?: string;
  html?: string;
  htmlFile?: string;
  idempotencyKey?: string;
}

interface CreateOptions extends ContentOptions {
  channel: Channel;
}

/** `exactly templates create|version|get|list`: message templates, through the SDK. */
export function registerTemplatesCommands(program: Command, context: CliContext): void {
  const templates = program
    .command('templates')
    .summary('message templates (mustache): create, new version, get, list')
    .description(
      'message templates: mustache text whose {{variables}} a send fills in (`exactly send --template`); each change is a new version',
    );
  const withContent = (command: Command) =>
    command
      .option('--subject <text>', 'email subject (mustache)')
      .option('--text <text>', 'the text: email body, SMS text or words spoken (mustache, not HTML-escaped)')
      .option('--html <html>', 'email HTML body (mustache; {{name}} is HTML-escaped)')
      .option('--html-file <path>', 'email HTML body from a file')
      .option('--idempotency-key <key>', 'the key of this create (default: a new UUID)')
      .option('--api-url <url>', 'the ingest API (default EXACTLY_API_URL)')
      .option('--api-key <key>', 'the API key (default EXACTLY_API_KEY)')
      .option('--json', 'print the template as JSON');

  withContent(
    templates
      .command('create <name>')
      .description('create a template with its version 1')
      .addOption(
        new Option('--channel <channel>', 'email, sms or voice')
          .choices(['email', 'sms', 'voice'])
          .makeOptionMandatory(),
      ),
  )
    .addHelpText(
      'after',
      `
Example:
  exactly templates create welcome --channel email --subject 'Welcome, {{name}}' \\
      --text 'Hi {{name}}, your order {{order}} is on its way.'`,
    )
    .action(async (name: string, options: CreateOptions) => {
      const { client, baseUrl } = apiClient(context, options);
      const idempotencyKey = options.idempotencyKey ?? randomUUID();
      const result = await client.templates
        .create(
          { name, channel: options.channel, ...(await contentOf(options)) },
          { idempotencyKey, signal: context.signal },
        )
        .catch((error: unknown) => {
          throw apiError(error, baseUrl);
        });
      show(result.template, options, result.replayed ? 'replayed' : 'created');
    });

  withContent(templates.command('version <id>').description('create the next version of a template')).action(
    async (id: string, options: ContentOptions) => {
      const { client, baseUrl } = apiClient(context, options);
      const idempotencyKey = options.idempotencyKey ?? randomUUID();
      const result = await client.templates
        .createVersion(id, await contentOf(options), { idempotencyKey, signal: context.signal })
        .catch((error: unknown) => {
          throw apiError(error, baseUrl);
        });
      show(result.template, options, result.replayed ? 'replayed' : 'created');
    },
  );

  templates
    .command('get <id>')
    .description('show a template with its latest version (or --version)')
    .option('--version <n>', 'this version', positiveNumber('--version', 2_147_483_647))
    .option('--api-url <url>', 'the ingest API (default EXACTLY_API_URL)')
    .option('--api-key <key>', 'the API key (default EXACTLY_API_KEY)')
    .option('--json', 'print the template as JSON')
    .action(async (id: string, options: JsonOption & ApiOptions & { version?: number }) => {
      const { client, baseUrl } = apiClient(context, options);
      const template = await client.templates
        .get(id, {
          ...(options.version === undefined ? {} : { version: options.version }),
          signal: context.signal,
        })
        .catch((error: unknown) => {
          throw apiError(error, baseUrl);
        });
      show(template, options);
    });

  templates
    .command('list')
    .description("the account's templates, newest first")
    .option('--limit <n>', 'at most this many', positiveNumber('--limit', 10_000), 100)
    .option('--api-url <url>', 'the ingest API (default EXACTLY_API_URL)')
    .option('--api-key <key>', 'the API key (default EXACTLY_API_KEY)')
    .option('--json', 'print the templates as JSON')
    .action(async (options: JsonOption & ApiOptions & { limit: number }) => {
      const { client, baseUrl } = apiClient(context, options);
      const found: TemplateResource[] = [];
      try {
        for await (const template of client.templates.list({
          limit: Math.min(options.limit, 100),
          signal: context.signal,
        })) {
          found.push(template);
          if (found.length >= options.limit) break;
        }
      } catch (error) {
        throw apiError(error, baseUrl);
      }
      if (options.json) return printJson(context.out, found);
      printLine(
        context.out,
        formatTable(
          ['ID', 'NAME', 'CHANNEL', 'VERSION', 'VARIABLES'],
          found.map((t) => [
            t.id,
            t.name,
            t.channel,
            t.latestVersion,
            t.variables.map((v) => v.name).join(' '),
          ]),
        ),
      );
    });

  function show(template: TemplateResource, options: JsonOption, outcome?: string): void {
    if (options.json) {
      printJson(context.out, template);
      return;
    }
    const head = outcome === undefined ? '' : `${outcome}: `;
    printLine(
      context.out,
      `${head}${template.id} "${template.name}" (${template.channel}) version ${template.version} of ${template.latestVersion}`,
    );
    printLine(
      context.out,
      `variables: ${template.variables.map((v) => (v.type === 'boolean' ? `${v.name} (boolean)` : v.name)).join(', ') || 'none'}`,
    );
    for (const part of ['subject', 'text', 'html'] as const) {
      const source = template[part];
      if (source !== undefined) printLine(context.out, `${part}: ${source}`);
    }
  }
}

async function contentOf(options: ContentOptions) {
  if (options.html !== undefined && options.htmlFile !== undefined)
    throw new ExactlyError('invalid_request', 'give --html or --html-file, not both');
  const html = options.htmlFile === undefined ? options.html : await readFile(options.htmlFile, 'utf8');
  return {
    ...(options.subject === undefined ? {} : { subject: options.subject }),
    ...(options.text === undefined ? {} : { text: options.text }),
    ...(html === undefined ? {} : { html }),
  };
}
