import { duration } from '@exactly/config';
import { ExactlyError } from '@exactly/errors';
import type { ReplayPlan, ReplayRefusal, ReplayStart, ReprocessReport } from '@exactly/operations';
import { type Command, InvalidArgumentError } from 'commander';
import type { CliContext, JsonOption } from '../cliContext.js';
import { exitCodes } from '../exitCodes.js';
import { formatTable, printJson, printLine } from '../output.js';
import { durationArgument, retentionArgument } from './arguments.js';
import { operations } from './lazyModules.js';

interface ReplayOptions extends JsonOption {
  group?: string;
  topic?: string;
  toEarliest?: boolean;
  toDatetime?: Date;
  toOffsets?: Map<number, number>;
  intoGroup?: string;
  dryRun?: boolean;
  reprocessEvents?: boolean;
  inboxRetention?: number;
  relayMaxLag?: number;
}

export function registerReplayCommand(program: Command, context: CliContext): void {
  program
    .command('replay')
    .summary('move a group’s offsets back in Kafka and PostgreSQL together')
    .description(
      "move a consumer group's offsets on a topic back (or forward) in Kafka and PostgreSQL together, so it consumes again through the inbox",
    )
    .option('-g, --group <group>', 'the consumer group (default CONSUMER_GROUP)')
    .option(
      '-t, --topic <topic>',
      'the topic (default COMMANDS_TOPIC; MESSAGE_EVENTS_TOPIC with --reprocess-events)',
    )
    .option('--to-earliest', 'start at the first record every partition still holds')
    .option(
      '--to-datetime <when>',
      'start at the first record written at or after an ISO time, or this long ago (6h, 2d)',
      parseWhen,
    )
    .option(
      '--to-offsets <partition=offset,...>',
      'start at these offsets (partitions not named keep theirs)',
      parseOffsets,
    )
    .option('--into-group <group>', 'replay into this new group instead, leaving --group alone')
    .option('--dry-run', 'print the plan (partitions, from → to, records) and change nothing')
    .option('--reprocess-events', 'rebuild the messages read model from the message-events topic instead')
    .option(
      '--inbox-retention <duration>',
      'the dispatcher’s INBOX_RETENTION (default: INBOX_RETENTION here)',
      retentionArgument('--inbox-retention'),
    )
    .option(
      '--relay-max-lag <duration>',
      'the dispatcher’s RELAY_MAX_LAG (default: RELAY_MAX_LAG here)',
      durationArgument('--relay-max-lag'),
    )
    .option('--json', 'print the plan (or the refusal, or the reprocessing report) as JSON')
    .addHelpText(
      'after',
      `
The group must have no live members (stop its dispatchers, or use --into-group). Every command
read again meets its inbox row and is dropped, so nothing is sent twice. A start older than the
inbox horizon (now − INBOX_RETENTION + RELAY_MAX_LAG, or now − REPLAY_MAX_AGE when that is later)
is refused: the inbox may have forgotten those commands. After the replay, start the group's
dispatchers again.

Examples:
  exactly replay --to-earliest --dry-run
  exactly replay --group exactly-dispatcher --to-datetime 2026-11-20T08:00:00Z
  exactly replay --to-earliest --into-group audit-replay-1
  exactly replay --reprocess-events --to-earliest`,
    )
    .action(async (options: ReplayOptions) => {
      const starts = [options.toEarliest, options.toDatetime, options.toOffsets].filter(
        (given) => given !== undefined,
      );
      if (starts.length !== 1)
        throw new ExactlyError(
          'invalid_request',
          'give exactly one of --to-earliest, --to-datetime or --to-offsets',
        );
      const start: ReplayStart = options.toEarliest
        ? { kind: 'earliest' }
        : options.toDatetime
          ? { kind: 'timestamp', at: options.toDatetime }
          : { kind: 'offsets', offsets: options.toOffsets ?? new Map() };
      if (options.reprocessEvents) return reprocess(context, options, start);

      const { config } = context;
      const [kafka, admin, orm] = await Promise.all([
        context.resources.kafka(),
        context.resources.admin(),
        context.resources.orm(),
      ]);
      const request = {
        topic: options.topic ?? config.COMMANDS_TOPIC,
        group: options.group ?? config.CONSUMER_GROUP,
        ...(options.intoGroup === undefined ? {} : { intoGroup: options.intoGroup }),
        start,
        inbox: {
          retentionMs: options.inboxRetention ?? config.INBOX_RETENTION,
          relayMaxLagMs: options.relayMaxLag ?? config.RELAY_MAX_LAG,
          ...(config.REPLAY_MAX_AGE === undefined ? {} : { replayMaxAgeMs: config.REPLAY_MAX_AGE }),
        },
        dryRun: options.dryRun ?? false,
      };
      const decision = await (await operations()).planReplay({ kafka, admin, em: orm.em.fork() }, request);
      if (decision.kind === 'refused') return refuse(context, options, decision);
      if (options.dryRun) {
        if (options.json) return printJson(context.out, { dryRun: true, ...planJson(decision) });
        printLine(context.out, describePlan(decision, start, await operations()));
        for (const need of decision.needs ?? []) printLine(context.out, `the real run needs first: ${need}`);
        return printLine(context.out, 'dry run: nothing changed');
      }
      const outcome = await (await operations()).executeReplay({ kafka, admin, orm }, decision);
      if (outcome.kind === 'refused') return refuse(context, options, outcome);
      if (options.json)
        return printJson(context.out, { dryRun: false, applied: true, ...planJson(outcome.plan) });
      printLine(context.out, describePlan(outcome.plan, start, await operations()));
      printLine(
        context.out,
        `offsets moved in Kafka and PostgreSQL. Start group ${outcome.plan.group}'s dispatchers ` +
          `(CONSUMER_GROUP=${outcome.plan.group}) to consume again: every command already handled meets its inbox row and is dropped.`,
      );
    });
}

async function reprocess(context: CliContext, options: ReplayOptions, start: ReplayStart): Promise<void> {
  if (options.group !== undefined || options.intoGroup !== undefined)
    throw new ExactlyError(
      'invalid_request',
      '--reprocess-events reads with a throw-away group: drop --group and --into-group',
    );
  const [kafka, admin, orm] = await Promise.all([
    context.resources.kafka(),
    context.resources.admin(),
    context.resources.orm(),
  ]);
  const topic = options.topic ?? context.config.MESSAGE_EVENTS_TOPIC;
  const progress = context.progress('reprocess');
  const report = await (await operations()).reprocessMessageEvents(
    { kafka, admin, orm },
    {
      topic,
      start,
      dryRun: options.dryRun ?? false,
      onProgress: (read, total) => progress.update(read, total),
    },
  );
  progress.finish();
  if (options.json) return printJson(context.out, report);
  printLine(context.out, describeReprocess(report));
}

function refuse(context: CliContext, options: ReplayOptions, refusal: ReplayRefusal): void {
  context.setExitCode(exitCodes.refused);
  if (options.json) printJson(context.out, refusal);
  context.out.stderr(
    `exactly: ${refusal.message.startsWith('replay refused') ? '' : 'replay refused: '}${refusal.message}\n`,
  );
}

function planJson(plan: ReplayPlan) {
  return {
    ...plan,
    ...(plan.horizon ? { horizon: { at: plan.horizon.at.toISOString(), ...plan.horizon.retention } } : {}),
  };
}

function describePlan(
  plan: ReplayPlan,
  start: ReplayStart,
  {
    formatDuration,
    horizonSetBy,
  }: Pick<Awaited<ReturnType<typeof operations>>, 'formatDuration' | 'horizonSetBy'>,
): string {
  const target =
    start.kind === 'earliest'
      ? 'the earliest records'
      : start.kind === 'timestamp'
        ? `records written from ${start.at.toISOString()}`
        : 'the given offsets';
  const lines = [
    `replay of ${plan.topic} for group ${plan.group}${plan.sourceGroup ? ` (a copy of ${plan.sourceGroup})` : ''} to ${target}:`,
    formatTable(
      ['PARTITION', 'FROM', '→ TO', 'RECORDS'],
      plan.partitions.map((partition) => [
        partition.partition,
        partition.from ?? 'new',
        `→ ${partition.to}`,
        partition.records,
      ]),
    )
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n'),
    `${plan.records} record(s) to read again${plan.skipped > 0 ? `, ${plan.skipped} skipped` : ''}`,
  ];
  if (plan.horizon) {
    const { retentionMs, relayMaxLagMs, replayMaxAgeMs } = plan.horizon.retention;
    const why =
      horizonSetBy(plan.horizon.retention) === 'REPLAY_MAX_AGE'
        ? `REPLAY_MAX_AGE ${formatDuration(replayMaxAgeMs ?? 0)}`
        : `INBOX_RETENTION ${formatDuration(retentionMs)} − RELAY_MAX_LAG ${formatDuration(relayMaxLagMs)}`;
    lines.push(`inbox horizon ${plan.horizon.at.toISOString()} (${why}): every record re-read is newer`);
  }
  return lines.join('\n');
}

function describeReprocess(report: ReprocessReport): string {
  const plan = formatTable(
    ['PARTITION', 'FROM', '→ TO', 'RECORDS'],
    report.partitions.map((partition) => [
      partition.partition,
      partition.from,
      `→ ${partition.to}`,
      partition.records,
    ]),
  )
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
  const head = `reprocessing ${report.topic} into the messages read model (${report.records} records):\n${plan}`;
  if (report.dryRun) return `${head}\ndry run: nothing read, nothing changed`;
  return (
    `${head}\nread ${report.read}: ${report.applied} event(s) applied to ${report.rowsChanged} message(s), ` +
    `${report.alreadyApplied} already applied, ${report.gaps} after a gap, ${report.missingRows} without a message row, ` +
    `${report.invalid} invalid`
  );
}

function parseWhen(value: string): Date {
  const ago = duration.safeParse(value);
  if (ago.success && !/^\d+$/.test(value)) return new Date(Date.now() - ago.data);
  const at = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at))
    throw new InvalidArgumentError(
      'expected an ISO time such as 2026-11-20T08:00:00Z, or a duration such as 6h',
    );
  return new Date(at);
}

function parseOffsets(value: string): Map<number, number> {
  const offsets = new Map<number, number>();
  for (const entry of value.split(',')) {
    const match = /^\s*(\d+)\s*[=:]\s*(\d+)\s*$/.exec(entry);
    if (!match) throw new InvalidArgumentError('expected partition=offset pairs such as 0=120,3=98');
    offsets.set(Number(match[1]), Number(match[2]));
  }
  return offsets;
}
