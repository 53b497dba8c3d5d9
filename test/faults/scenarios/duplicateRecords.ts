import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@exactly/contracts';
import { createKafka } from '@exactly/messaging';
import type { Scenario } from '../harness/runScenario.ts';

const copyHeader = 'faults-copy';

/**
 * Writes records straight into the commands topic while the load runs, behind the pipeline's
 * back: exact copies of published commands (must be dropped by the inbox), copies with another
 * payload under the same command id (must be dead-lettered `payload_conflict`, never sent), and
 * forged commands for messages that were never accepted (dead-lettered `command_not_accepted`).
 * Each copy goes to its original's partition, after it.
 */
export const duplicateRecords: Scenario = {
  name: 'duplicate-records',
  description:
    'copies, conflicting copies and forged commands written straight into the commands topic while the load runs',
  seed: 303,
  commands: 1_500,
  load: { ratePerSecond: 60 },
  async run(context) {
    const { pipeline, random } = context;
    const kafka = createKafka({ brokers: pipeline.kafkaBrokers, clientId: 'faults-duplicator' });
    const groupId = `${pipeline.consumerGroup}-duplicator`;
    const consumer = kafka.consumer({ groupId });
    const producer = kafka.producer();
    const counts = { copies: 0, conflicts: 0, forged: 0 };
    let writing = true;
    await Promise.all([consumer.connect(), producer.connect()]);
    await consumer.subscribe({ topic: pipeline.topics.commands, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        if (!writing || message.headers?.[copyHeader] !== undefined || message.value === null) return;
        const roll = random();
        if (roll >= 0.25) return;
        const headers = { ...message.headers, [copyHeader]: '1' };
        let value = message.value;
        if (roll >= 0.15) {
          const command = SendMessageCommand.parse(JSON.parse(message.value.toString()));
          if (roll < 0.2) {
            command.data.message = {
              ...command.data.message,
              text: 'a different text under the same command id',
            };
            counts.conflicts += 1;
          } else {
            command.data.messageId = `msg_${randomUUID()}`;
            counts.forged += 1;
          }
          value = Buffer.from(JSON.stringify(command));
        } else {
          counts.copies += 1;
        }
        await producer.send({
          topic: pipeline.topics.commands,
          messages: [{ partition, key: message.key, value, headers }],
        });
      },
    });
    try {
      await context.load();
      await context.sleep(2_000);
    } finally {
      writing = false;
      await consumer.disconnect();
      await producer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteGroups([groupId]).catch(() => {});
      await admin.disconnect();
    }
    context.injected(
      `${counts.copies} exact copies, ${counts.conflicts} conflicting copies, ${counts.forged} forged commands`,
      counts.copies + counts.conflicts + counts.forged,
    );
    context.expectDeadLetters('payload_conflict', counts.conflicts);
    context.expectDeadLetters('command_not_accepted', counts.forged);
    if (counts.copies === 0 || counts.conflicts === 0 || counts.forged === 0)
      context.problem('the duplicator wrote too few records to test each case');
  },
};
