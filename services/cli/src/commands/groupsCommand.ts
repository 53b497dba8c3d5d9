import type { ConsumerGroupReport } from '@exactly/operations';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Command } from 'commander';
import type { CliContext, JsonOption } from '../cliContext.js';
import { formatTable, printJson, printLine } from '../output.js';
import { operations } from './lazyModules.js';

export function registerGroupsCommand(program: Command, context: CliContext): void {
  program
    .command('groups')
    .summary('consumer groups, members, assignment and lag')
    .description('consumer groups: state, members, partition assignment, and lag per partition')
    .argument('[group-ids...]', 'only these groups (default: every consumer group)')
    .option('-t, --topic <topic>', 'only this topic’s partitions')
    .option('--json', 'print the groups as JSON')
    .addHelpText(
      'after',
      `
Per partition: COMMITTED is Kafka's committed offset (what lag-based autoscalers read), STORED the
offset the dispatcher stores in PostgreSQL with the work it covers (its truth), END the next
offset to be written; LAG = END minus the furthest of the two.`,
    )
    .action(async (groupIds: string[], options: JsonOption & { topic?: string }) => {
      const admin = await context.resources.admin();
      // Stored offsets are extra detail: without PostgreSQL the Kafka view still answers.
      const em: EntityManager | undefined = await context.resources
        .orm()
        .then((orm) => orm.em.fork())
        .catch((error: Error) => {
          context.out.stderr(`exactly: without PostgreSQL's stored offsets (${error.message})\n`);
          return undefined;
        });
      const reports = await (await operations()).describeConsumerGroups(
        { admin, ...(em ? { em } : {}) },
        { ...(groupIds.length > 0 ? { groupIds } : {}), ...(options.topic ? { topic: options.topic } : {}) },
      );
      if (options.json) return printJson(context.out, reports);
      if (reports.length === 0) return printLine(context.out, 'no consumer groups');
      printLine(context.out, reports.map(describeGroup).join('\n\n'));
    });
}

function describeGroup(report: ConsumerGroupReport): string {
  const lines = [`group ${report.groupId}  state ${report.state}  members ${report.members.length}`];
  for (const member of report.members) {
    const assigned = Object.entries(member.assignment)
      .map(([topic, partitions]) => `${topic} [${partitions.join(',')}]`)
      .join('; ');
    lines.push(
      `  member ${member.memberId} (${member.clientId} @ ${member.host}): ${assigned || 'nothing assigned'}`,
    );
  }
  const shortId = (id: string | null) => (id === null ? null : id.length > 24 ? `…${id.slice(-12)}` : id);
  for (const topic of report.topics) {
    lines.push(`  topic ${topic.topic}  lag ${topic.lag}`);
    const table = formatTable(
      ['PARTITION', 'MEMBER', 'COMMITTED', 'STORED', 'END', 'LAG'],
      topic.partitions.map((partition) => [
        partition.partition,
        shortId(partition.memberId),
        partition.committed,
        partition.stored,
        partition.high,
        partition.lag,
      ]),
    );
    lines.push(...table.split('\n').map((line) => `    ${line}`));
  }
  if (report.topics.length === 0) lines.push('  no offsets yet');
  return lines.join('\n');
}
