import { createKafka } from '@exactly/messaging';
import { openOrm, runSql } from '@exactly/persistence';
import { duringLoad } from '../harness/duringLoad.ts';
import type { Pipeline } from '../harness/pipeline.ts';
import type { Scenario, ScenarioContext } from '../harness/runScenario.ts';

/**
 * A deliberate replay of the whole commands topic, as the dispatcher's README describes it: stop
 * the group, reset Kafka's offsets to the start and delete the stored ones, start the group. The
 * load keeps running through the ingest API and the relays meanwhile.
 */
export async function replayFromStart(
  pipeline: Pipeline,
  context: Pick<ScenarioContext, 'injected'>,
  { storedOffsetsToo = true } = {},
): Promise<void> {
  await Promise.all(pipeline.dispatchers.map((member) => member.process.stop(10_000)));
  const admin = createKafka({ brokers: pipeline.kafkaBrokers, clientId: 'faults-replay' }).admin();
  await admin.connect();
  try {
    await admin.resetOffsets({
      groupId: pipeline.consumerGroup,
      topic: pipeline.topics.commands,
      earliest: true,
    });
  } finally {
    await admin.disconnect();
  }
  if (storedOffsetsToo) await deleteStoredOffsets(pipeline);
  context.injected(
    storedOffsetsToo
      ? 'replay of the whole commands topic (Kafka and stored offsets reset)'
      : "rewind of Kafka's offsets only (stored offsets kept)",
  );
  await Promise.all(pipeline.dispatchers.map((member) => pipeline.startMember(member)));
}

async function deleteStoredOffsets(pipeline: Pipeline): Promise<void> {
  const orm = await openOrm({ databaseUrl: pipeline.databaseUrl, poolSize: 1 });
  try {
    await runSql(orm.em.fork(), 'DELETE FROM consumer_offsets WHERE group_id = $1 AND topic = $2', [
      pipeline.consumerGroup,
      pipeline.topics.commands,
    ]);
  } finally {
    await orm.close();
  }
}

export const replayWholeTopic: Scenario = {
  name: 'replay-whole-topic',
  description:
    'the whole commands topic replayed twice through the inbox while the load runs, and once a rewind of Kafka offsets only',
  seed: 202,
  commands: 1_500,
  load: { ratePerSecond: 60 },
  async run(context) {
    await duringLoad(
      context.load(),
      async (round) => {
        await context.sleep(context.between(4_000, 7_000));
        await replayFromStart(context.pipeline, context, { storedOffsetsToo: round !== 1 });
      },
      3,
    );
  },
};
