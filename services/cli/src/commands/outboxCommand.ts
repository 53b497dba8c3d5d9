import type { Command } from 'commander';
import type { CliContext, JsonOption } from '../cliContext.js';
import { formatAge, formatTable, printJson, printLine } from '../output.js';
import { operations } from './lazyModules.js';

export function registerOutboxCommand(program: Command, context: CliContext): void {
  program
    .command('outbox')
    .summary('the outbox backlog and its age, and the relays')
    .description(
      'the outbox backlog (rows not yet published to Kafka) per topic with the oldest one’s age, and the relays',
    )
    .option('--json', 'print the statistics as JSON')
    .action(async (options: JsonOption) => {
      const stats = await (await operations()).readOutboxStats((await context.resources.orm()).em.fork());
      if (options.json) return printJson(context.out, stats);
      const { backlog, relays, setAside } = stats;
      const lines = [
        backlog.rows === 0
          ? 'backlog: empty (every row is published)'
          : `backlog: ${backlog.rows} row(s), the oldest waiting ${formatAge(backlog.oldestAgeMs)} (since ${backlog.oldestCreatedAt})`,
      ];
      if (stats.topics.length > 0) {
        lines.push(
          formatTable(
            ['TOPIC', 'ROWS', 'OLDEST'],
            stats.topics.map((topic) => [topic.topic, topic.rows, formatAge(topic.oldestAgeMs)]),
          )
            .split('\n')
            .map((line) => `  ${line}`)
            .join('\n'),
        );
      }
      lines.push(
        `relays: ${relays.live} live, ${relays.leasedShards}/${relays.shards} shards leased, ${relays.batchesInFlight} batch(es) in flight`,
      );
      lines.push(
        setAside.rows === 0
          ? 'set aside: none'
          : `set aside: ${setAside.rows} row(s) the relay cannot publish (${Object.entries(setAside.byReason)
              .map(([reason, rows]) => `${reason} ${rows}`)
              .join(', ')}): see outbox_set_aside`,
      );
      if (backlog.rows > 0 && relays.live === 0)
        lines.push('no relay is running: start one (`npm start`) to publish the backlog');
      printLine(context.out, lines.join('\n'));
    });
}
