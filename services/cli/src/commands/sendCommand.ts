import { randomUUID } from 'node:crypto';
import type { Channel, SendMessage } from '@exactly/contracts';
import { type ErrorCode, ExactlyError } from '@exactly/errors';
import type { SendInput as SdkSendInput } from '@exactly/sdk';
import { type Command, Option } from 'commander';
import type { CliContext, JsonOption } from '../cliContext.js';
import { exitCodeFor, exitCodes } from '../exitCodes.js';
import { formatTable, printJson, printLine } from '../output.js';
import { summarizeLatencies } from '../send/percentiles.js';
import { parseItems, readSendInput, type SendItem } from '../send/readSendInput.js';
import { runLoad } from '../send/runLoad.js';
import { type ApiOptions, apiClient, apiError } from './apiClient.js';
import { positiveNumber, positiveRate, sendAtArgument } from './arguments.js';

interface SendOptions extends JsonOption, ApiOptions {
  channel?: string;
  to?: string;
  from?: string;
  subject?: string;
  text?: string;
  html?: string;
  metadata?: string[];
  template?: string;
  templateVersion?: number;
  var?: string[];
  file?: string;
  format?: 'json' | 'ndjson';
  idempotencyKey?: string;
  keyPrefix?: string;
  count?: number;
  rate?: number;
  concurrency: number;
  at?: string;
}

interface SendRecord {
  index: number;
  idempotencyKey: string;
  messageId?: string;
  replayed?: boolean;
  error?: { code: ErrorCode; message: string };
}

/** Messages listed by `--json` at most (beyond it, only the summary). */
const listedMessages = 1_000;

export function registerSendCommand(program: Command, context: CliContext): void {
  program
    .command('send')
    .summary('send commands (flags, a JSON/NDJSON file, or a load)')
    .description(
      'send commands through the client SDK with idempotency keys: one from flags, many from a JSON or NDJSON file, or a load with --count and --rate',
    )
    .option('--channel <channel>', 'email, sms or voice')
    .option('--to <address>', 'recipient (email address or E.164 number); {i} becomes the command’s index')
    .option('--from <address>', 'sender')
    .option('--subject <text>', 'email subject')
    .option('--text <text>', 'message text (email body, SMS text, words spoken)')
    .option('--html <html>', 'email HTML body')
    .option('--metadata <key=value>', 'client metadata (repeatable)', (value: string, all: string[] = []) => [
      ...all,
      value,
    ])
    .option(
      '--template <id>',
      'send from this template instead of --subject/--text/--html (rendered once, when accepted)',
    )
    .option(
      '--template-version <n>',
      'this version of the template (default: its latest)',
      positiveNumber('--template-version', 2_147_483_647),
    )
    .option(
      '--var <name=value>',
      'a template variable (repeatable); true/false for a {{#section}}, digits as a number',
      (value: string, all: string[] = []) => [...all, value],
    )
    .option(
      '-f, --file <path>',
      'commands from a JSON file (one or an array) or NDJSON (one per line); - reads stdin',
    )
    .addOption(
      new Option('--format <format>', 'the file’s format (default: from its name)').choices([
        'json',
        'ndjson',
      ]),
    )
    .option(
      '--at <time>',
      'send later: an RFC 3339 time with an offset, or +<duration> from now (+10m); at most 30 days ahead',
      sendAtArgument('--at'),
    )
    .option('--idempotency-key <key>', 'the key of a single command (default: a new UUID)')
    .option(
      '--key-prefix <prefix>',
      'keys are <prefix>-<index> (default: a hash of the file, so sending it again replays; random for --count)',
    )
    .option(
      '-n, --count <n>',
      'send this many commands (cycling through the file or the flags)',
      positiveNumber('--count', 1_000_000),
    )
    .option(
      '-r, --rate <per-second>',
      'start this many sends a second (default: as fast as --concurrency allows)',
      positiveRate('--rate'),
    )
    .option('-c, --concurrency <n>', 'sends in flight at most', positiveNumber('--concurrency', 1_000), 16)
    .option('--api-url <url>', 'the ingest API (default EXACTLY_API_URL)')
    .option('--api-key <key>', 'the API key (default EXACTLY_API_KEY)')
    .option('--json', 'print the result (one command) or the summary as JSON')
    .addHelpText(
      'after',
      `
Examples:
  exactly send --channel sms --to +15551234567 --from Acme --text "Your code is 1234"
  exactly send --template tpl_... --to ada@example.com --from shop@example.com --var name=Ada --var order=1042
  exactly send --file orders.ndjson                 # sending the same file again replays it
  exactly send --channel sms --to +15551234567 --from Acme --text "Reminder" --at +2h
                                                    # scheduled: exactly messages reschedule|cancel
  exactly send --channel email --to 'user{i}@example.com' --from shop@example.com \\
      --subject Hi --text Hello --count 1000 --rate 200

A load prints accepted (new), replayed (the key was seen before), failed, and latency percentiles.`,
    )
    .action(async (options: SendOptions) => {
      const { items: templates, fingerprint } = await readTemplates(options);
      const single = options.count === undefined && options.file === undefined;
      const { client, baseUrl } = apiClient(context, options);

      if (single) {
        const [template] = templates;
        if (template === undefined) throw new ExactlyError('invalid_request', 'nothing to send');
        const idempotencyKey = options.idempotencyKey ?? randomUUID();
        const result = await client.messages
          .send(template.message, {
            idempotencyKey,
            signal: context.signal,
            ...(options.at === undefined ? {} : { sendAt: options.at }),
          })
          .catch((error: unknown) => {
            throw apiError(error, baseUrl);
          });
        if (options.json) {
          return printJson(context.out, {
            messageId: result.message.id,
            status: result.message.status,
            ...(result.message.sendAt === undefined ? {} : { sendAt: result.message.sendAt }),
            idempotencyKey,
            replayed: result.replayed,
            httpStatus: result.status,
          });
        }
        return printLine(
          context.out,
          `${result.replayed ? 'replayed' : 'accepted'}: ${result.message.id} (${result.message.status}${result.message.sendAt === undefined ? '' : ` for ${result.message.sendAt}`}), idempotency key ${idempotencyKey}`,
        );
      }

      if (options.idempotencyKey !== undefined)
        throw new ExactlyError(
          'invalid_request',
          '--idempotency-key names one command: use --key-prefix with --count or --file',
        );
      const count = options.count ?? templates.length;
      const keyPrefix =
        options.keyPrefix ??
        (options.file !== undefined && options.count === undefined
          ? `file-${fingerprint}`
          : `load-${randomUUID().slice(0, 8)}`);
      const records: SendRecord[] = [];
      const latencies: number[] = [];
      const progress = context.progress('send', count);
      const started = performance.now();
      await runLoad({
        count,
        concurrency: options.concurrency,
        ...(options.rate === undefined ? {} : { ratePerSecond: options.rate }),
        signal: context.signal,
        onSettled: (finished) => progress.update(finished),
        task: async (index) => {
          const template = templates[index % templates.length] as SendItem;
          const idempotencyKey =
            template.idempotencyKey !== undefined && options.count === undefined
              ? template.idempotencyKey
              : `${keyPrefix}-${index}`;
          const record: SendRecord = { index, idempotencyKey };
          records.push(record);
          const sentAt = performance.now();
          try {
            const result = await client.messages.send(substitute(template.message, index), {
              idempotencyKey,
              ...(options.at === undefined ? {} : { sendAt: options.at }),
            });
            record.messageId = result.message.id;
            record.replayed = result.replayed;
            latencies.push(performance.now() - sentAt);
          } catch (error) {
            const failure = apiError(error, baseUrl);
            record.error = { code: failure.code, message: failure.message };
          }
        },
      });
      progress.finish();
      const durationMs = performance.now() - started;
      records.sort((a, b) => a.index - b.index);
      const failed = records.filter((record) => record.error !== undefined);
      const errors: Record<string, number> = {};
      for (const { error } of failed) if (error) errors[error.code] = (errors[error.code] ?? 0) + 1;
      const summary = {
        total: records.length,
        accepted: records.filter((record) => record.replayed === false).length,
        replayed: records.filter((record) => record.replayed === true).length,
        failed: failed.length,
        errors,
        latencyMs: summarizeLatencies(latencies),
        durationMs: Math.round(durationMs),
        perSecond: Math.round((records.length / Math.max(durationMs, 1)) * 1_000 * 10) / 10,
        keyPrefix,
        ...(records.length <= listedMessages ? { messages: records } : {}),
      };
      if (failed.length > 0) {
        const first = failed[0]?.error;
        context.setExitCode(failed.length === records.length ? exitCodeFor(first?.code) : exitCodes.partial);
      }
      if (options.json) return printJson(context.out, summary);
      const { p50, p90, p99, max } = summary.latencyMs;
      printLine(
        context.out,
        `sent ${summary.total} commands in ${(durationMs / 1_000).toFixed(2)} s (${summary.perSecond}/s): ` +
          `${summary.accepted} accepted, ${summary.replayed} replayed, ${summary.failed} failed`,
      );
      printLine(context.out, `latency ms: p50 ${p50}  p90 ${p90}  p99 ${p99}  max ${max}`);
      printLine(
        context.out,
        `idempotency keys: ${keyPrefix}-<index> (send again with --key-prefix ${keyPrefix} to replay)`,
      );
      if (failed.length > 0) {
        printLine(
          context.out,
          `failures by code: ${Object.entries(errors)
            .map(([code, n]) => `${code} ${n}`)
            .join(', ')}`,
        );
        printLine(
          context.out,
          formatTable(
            ['INDEX', 'KEY', 'ERROR'],
            failed.slice(0, 10).map((record) => [record.index, record.idempotencyKey, record.error?.message]),
          ),
        );
      }
    });

  async function readTemplates(options: SendOptions): Promise<{ items: SendItem[]; fingerprint: string }> {
    const fromFlags =
      options.channel !== undefined ||
      options.to !== undefined ||
      options.text !== undefined ||
      options.template !== undefined;
    if (options.file !== undefined) {
      if (fromFlags)
        throw new ExactlyError('invalid_request', 'give the command by flags or by --file, not both');
      return readSendInput(options.file, options.format ? { format: options.format } : {});
    }
    if (!fromFlags) {
      throw new ExactlyError(
        'invalid_request',
        'nothing to send: give --channel, --to, --from and the content (see `exactly send --help`), or --file',
      );
    }
    const metadata = Object.fromEntries(
      (options.metadata ?? []).map((entry) => {
        const at = entry.indexOf('=');
        if (at < 1) throw new ExactlyError('invalid_request', `--metadata ${entry}: expected key=value`);
        return [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
    if (options.template !== undefined)
      return { items: [{ message: templatedSend(options, metadata) }], fingerprint: '' };
    if (options.var !== undefined || options.templateVersion !== undefined)
      throw new ExactlyError('invalid_request', '--var and --template-version go with --template');
    const command = {
      channel: options.channel,
      to: options.to,
      from: options.from,
      ...(options.subject === undefined ? {} : { subject: options.subject }),
      ...(options.text === undefined ? {} : { text: options.text }),
      ...(options.html === undefined ? {} : { html: options.html }),
      ...((options.metadata ?? []).length === 0 ? {} : { metadata }),
    };
    // Placeholders are checked as each command would be sent, so a refusal names the indexes.
    const commands = JSON.stringify(command).includes('{i}') ? (options.count ?? 1) : 1;
    parseItems(
      Array.from({ length: commands }, (_, index) => ({
        where: commands === 1 ? 'the flags' : `command ${index}`,
        value: substitute(command as SendMessage, index),
      })),
      'send',
    );
    return { items: [{ message: command as SendMessage }], fingerprint: '' };
  }
}

/** A send from `--template` and `--var name=value` flags (`true`/`false` are booleans, plain numbers numbers). */
function templatedSend(options: SendOptions, metadata: Record<string, string>): SdkSendInput {
  for (const flag of ['subject', 'text', 'html'] as const)
    if (options[flag] !== undefined)
      throw new ExactlyError(
        'invalid_request',
        `--${flag} and --template do not go together: the template gives the content`,
      );
  const variables = Object.fromEntries(
    (options.var ?? []).map((entry) => {
      const at = entry.indexOf('=');
      if (at < 1) throw new ExactlyError('invalid_request', `--var ${entry}: expected name=value`);
      const raw = entry.slice(at + 1);
      const value =
        raw === 'true'
          ? true
          : raw === 'false'
            ? false
            : /^-?\d{1,15}(\.\d+)?$/.test(raw)
              ? Number(raw)
              : raw;
      return [entry.slice(0, at), value];
    }),
  );
  return {
    ...(options.channel === undefined ? {} : { channel: options.channel as Channel }),
    to: options.to ?? '',
    from: options.from ?? '',
    template: {
      id: options.template ?? '',
      ...(options.templateVersion === undefined ? {} : { version: options.templateVersion }),
    },
    variables,
    ...(Object.keys(metadata).length === 0 ? {} : { metadata }),
  };
}

/** `{i}` in any text field becomes the command's index (distinct recipients or subjects in a load). */
function substitute<Message extends SdkSendInput>(message: Message, index: number): Message {
  return JSON.parse(JSON.stringify(message).replaceAll('{i}', String(index))) as Message;
}
