import { Command } from 'commander';
import type { CliContext } from './cliContext.js';
import { registerAccountsCommands } from './commands/accountsCommands.js';
import { registerAuditCommand } from './commands/auditCommand.js';
import { registerAwaitCommand } from './commands/awaitCommand.js';
import { registerDeadLetterCommands } from './commands/deadLetterCommands.js';
import { registerDispatcherCommand } from './commands/dispatcherCommand.js';
import { registerGroupsCommand } from './commands/groupsCommand.js';
import { registerHeldCommands } from './commands/heldCommands.js';
import { registerKeysCommands } from './commands/keysCommands.js';
import { registerMessagesCommands } from './commands/messagesCommands.js';
import { registerOutboxCommand } from './commands/outboxCommand.js';
import { registerProjectionsCommands } from './commands/projectionsCommands.js';
import { registerReplayCommand } from './commands/replayCommand.js';
import { registerSendCommand } from './commands/sendCommand.js';
import { registerStatusCommand } from './commands/statusCommand.js';
import { registerTemplatesCommands } from './commands/templatesCommands.js';
import { registerWebhooksCommands } from './commands/webhooksCommands.js';
import { exitCodes } from './exitCodes.js';

const exitCodesHelp = `
Exit codes:
  ${exitCodes.ok}  done
  ${exitCodes.internal}  unexpected failure
  ${exitCodes.usage}  bad arguments, flags or configuration (or an API key the API refuses)
  ${exitCodes.refused}  refused to keep the pipeline safe (replay with live members or past the inbox horizon)
  ${exitCodes.notFound}  not found (account, key, message, dead letter, topic)
  ${exitCodes.unavailable}  PostgreSQL, Kafka or the API unreachable: try again once it is up
  ${exitCodes.partial}  finished, but some items failed (listed in the output)
  ${exitCodes.differs}  the read models differ from the event store

Configuration (environment, with the local defaults of \`npm start\`): DATABASE_URL, KAFKA_BROKERS,
EXACTLY_API_URL, EXACTLY_API_KEY, COMMANDS_TOPIC, MESSAGE_EVENTS_TOPIC, DEAD_LETTER_TOPIC,
CONSUMER_GROUP, INBOX_RETENTION, RELAY_MAX_LAG, REPLAY_MAX_AGE.`;

/**
 * `exactly`, the operator's command line: accounts and keys, send and status, consumer groups,
 * replay, projections, outbox, dead letters, held messages, and a local dispatcher supervisor. A thin layer over
 * `@exactly/operations`; every leaf command has `--help` and `--json`.
 */
export function createProgram(context: CliContext): Command {
  const program = new Command('exactly')
    .description("Exactly's operator command line")
    .option('-q, --quiet', 'no progress output on stderr')
    .configureOutput({
      writeOut: (text) => context.out.stdout(text),
      writeErr: (text) => context.out.stderr(text),
    })
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .addHelpText('after', exitCodesHelp);
  registerAccountsCommands(program, context);
  registerKeysCommands(program, context);
  registerSendCommand(program, context);
  registerStatusCommand(program, context);
  registerAwaitCommand(program, context);
  registerMessagesCommands(program, context);
  registerGroupsCommand(program, context);
  registerReplayCommand(program, context);
  registerProjectionsCommands(program, context);
  registerOutboxCommand(program, context);
  registerAuditCommand(program, context);
  registerDeadLetterCommands(program, context);
  registerHeldCommands(program, context);
  registerDispatcherCommand(program, context);
  registerTemplatesCommands(program, context);
  registerWebhooksCommands(program, context);
  return program;
}
